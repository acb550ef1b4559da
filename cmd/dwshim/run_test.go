package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/worker"
)

func TestRunConfigExitCodes(t *testing.T) {
	dir := t.TempDir()
	invalid := filepath.Join(dir, "invalid.json")
	if err := os.WriteFile(invalid, []byte(`{"capacity":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want worker.ExitCode
	}{
		{"missing file", filepath.Join(dir, "nope.json"), worker.ExitCantLoadConfig},
		{"missing keys", invalid, worker.ExitInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code, err := runWorker(context.Background(), runFlags{config: tt.path}, strings.NewReader(""), io.Discard, &stderr, nil)
			if code != tt.want || err == nil {
				t.Errorf("code %d err %v, want %d", code, err, tt.want)
			}
			if !strings.Contains(stderr.String(), "config") {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}

func TestRunCommandFlags(t *testing.T) {
	if code := execute([]string{"run"}); code != 2 {
		t.Errorf("run without --config: exit %d, want 2", code)
	}
	if code := execute([]string{"run", "--config", filepath.Join(t.TempDir(), "x.json")}); code != 64 {
		t.Errorf("run with missing config: exit %d, want 64", code)
	}
}
