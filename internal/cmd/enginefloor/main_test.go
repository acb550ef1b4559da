package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
)

// TestRunExitCodeAndOutput: the floor runs the container it is given,
// copies all its output and exits with its exit code (the bench's figure
// is only a floor if it does the whole job).
func TestRunExitCodeAndOutput(t *testing.T) {
	testenv.RequireDocker(t, testenv.BaseImage)
	marker := fmt.Sprintf("floor-%d", os.Getpid())
	body := fmt.Sprintf(`{"Image": %q, "Cmd": ["sh", "-c", "echo %s; exit 3"], "Tty": true,
		"AttachStdout": true, "AttachStderr": true,
		"Labels": {"dwshim.test": "enginefloor"},
		"HostConfig": {"LogConfig": {"Type": "none"}, "AutoRemove": true}}`, testenv.BaseImage, marker)
	f := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := run("/var/run/docker.sock", f, &out)
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	if got := strings.TrimSpace(out.String()); got != marker {
		t.Errorf("output %q, want %q", got, marker)
	}
}

// TestRunRefusedCreate: a body the daemon refuses is an error naming the
// create, not an exit code.
func TestRunRefusedCreate(t *testing.T) {
	testenv.RequireDocker(t, "")
	f := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(f, []byte(`{"Image": "dwshim-test/no-such-image:none", "Cmd": ["true"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run("/var/run/docker.sock", f, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "create: 404") {
		t.Fatalf("err = %v, want the create's 404", err)
	}
}
