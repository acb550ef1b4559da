package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/buildinfo"
	"github.com/dwshim/dwshim/schemas"
	"github.com/dwshim/dwshim/worker"
)

func operatorCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := executeIO(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestOperatorCommands covers generic-worker's operator commands as image
// scripts call them.
func TestOperatorCommands(t *testing.T) {
	if code, out, _ := operatorCLI(t, "--short-version"); code != 0 || out != buildinfo.Version()+"\n" {
		t.Errorf("--short-version: %d %q", code, out)
	}
	if code, _, stderr := operatorCLI(t, "no-such-command"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("an unknown command: exit %d %q, want 2 (root accepts flags only)", code, stderr)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out, _ := operatorCLI(t, args...); code != 0 || out != buildinfo.String()+"\n" {
			t.Errorf("%v: %d %q, want %q", args, code, out, buildinfo.String())
		}
	}

	key := filepath.Join(t.TempDir(), "ed25519.key")
	code, pub, stderr := operatorCLI(t, "new-ed25519-keypair", "--file", key)
	if code != 0 {
		t.Fatalf("new-ed25519-keypair: %d %s", code, stderr)
	}
	priv, err := worker.ReadSigningKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)); pub != want {
		t.Errorf("printed public key %q, want %q (no newline, as generic-worker)", pub, want)
	}
	if code, _, stderr := operatorCLI(t, "new-ed25519-keypair", "--file", filepath.Join(key, "x")); code != exitCantCreateKeypair || !strings.Contains(stderr, "ed25519") {
		t.Errorf("unwritable key file: exit %d %q, want %d", code, stderr, exitCantCreateKeypair)
	}
	if code, _, _ := operatorCLI(t, "new-ed25519-keypair"); code != 2 {
		t.Errorf("missing --file: exit %d, want 2", code)
	}

	code, schema, _ := operatorCLI(t, "show-payload-schema")
	if code != 0 || strings.TrimSpace(schema) != strings.TrimSpace(string(schemas.DockerWorkerPayloadSchema())) || !json.Valid([]byte(schema)) {
		t.Errorf("show-payload-schema: %d, %d bytes", code, len(schema))
	}

	statusFile := filepath.Join(t.TempDir(), "worker-status.json")
	if code, out, _ := operatorCLI(t, "status", "--file", statusFile); code != 0 || !json.Valid([]byte(out)) || !strings.Contains(out, `"currentTaskIds": []`) {
		t.Errorf("status of an idle worker: %d %q", code, out)
	}
	if err := os.WriteFile(statusFile, []byte(`{"currentTaskIds":["a","b"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := operatorCLI(t, "status", "--file", statusFile); code != 0 || !strings.Contains(out, `"a",`) {
		t.Errorf("status of a busy worker: %d %q", code, out)
	}
}
