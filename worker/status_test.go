package worker

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// TestStatusFileListsRunningTasks: while a task runs the status file names
// it (what `dwshim status` prints); after the worker exits it is gone.
func TestStatusFileListsRunningTasks(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{ClaimDuration: 2 * time.Second})
	env.addTask(t, "s1", map[string]any{"result": "block"}, nil)
	env.cfg.NumberOfTasksToRun = 1
	ex := newFakeExec()
	opts := testOptions(t, ex)
	opts.StatusPath = filepath.Join(t.TempDir(), "worker-status.json")
	w := env.newWorker(t, opts)
	wait := runWorker(context.Background(), w)
	<-ex.started
	st, err := ReadStatus(opts.StatusPath)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.CurrentTaskIDs, []string{"s1"}) {
		t.Errorf("status while running: %+v, want [s1]", st)
	}
	if err := env.fake.CancelTask("s1"); err != nil {
		t.Fatal(err)
	}
	if code := wait(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(opts.StatusPath); !os.IsNotExist(err) {
		t.Errorf("status file left after exit: %v", err)
	}
	st, err = ReadStatus(opts.StatusPath)
	if err != nil || st.CurrentTaskIDs == nil || len(st.CurrentTaskIDs) != 0 {
		t.Errorf("status of a stopped worker: %+v %v, want an empty list", st, err)
	}
}

// TestNewSigningKeyFormat: the file holds what generic-worker writes (the
// base64 seed, nothing else), ReadSigningKey reads it back, and the
// returned public key belongs to it.
func TestNewSigningKeyFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	pub, err := NewSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	seed, err := base64.StdEncoding.DecodeString(string(raw))
	if err != nil || len(seed) != ed25519.SeedSize || strings.ContainsAny(string(raw), "\n ") {
		t.Fatalf("key file %q: want the bare base64 of a %d-byte seed (%v)", raw, ed25519.SeedSize, err)
	}
	key, err := ReadSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)); got != pub {
		t.Errorf("public key %s, want %s", pub, got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := NewSigningKey(filepath.Join(t.TempDir(), "no", "such", "dir")); err == nil {
		t.Error("a missing parent directory must fail")
	}
}
