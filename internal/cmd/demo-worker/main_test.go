package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
)

// TestDemoWorker is `make demo-worker`: the sample task completes through a
// real `dwshim run` process and its artifacts are written out.
func TestDemoWorker(t *testing.T) {
	testenv.RequireDocker(t, testenv.BaseImage)
	root, _ := filepath.Abs(filepath.Join("..", "..", ".."))
	bin := filepath.Join(t.TempDir(), "dwshim")
	build := exec.Command("go", "build", "-o", bin, "./cmd/dwshim")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	t.Cleanup(func() {
		// The sample task's cache volume outlives the worker, as caches do.
		ids, _ := exec.Command("docker", "volume", "ls", "-q", "--filter", "label=dwshim.worker="+worker).Output()
		for _, id := range strings.Fields(string(ids)) {
			_ = exec.Command("docker", "volume", "rm", "-f", id).Run()
		}
	})
	out := t.TempDir()
	if err := run(bin, filepath.Join(root, "testdata", "examples", "hello.yml"), out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "public", "hello.txt"))
	if err != nil || string(b) != "hello from dwshim\n" {
		t.Errorf("public/hello.txt = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(out, "public", "logs", "live_backing.log")); err != nil {
		t.Errorf("task log not written: %v", err)
	}
}
