package release

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
)

// repoRoot is the dwshim source tree (this file is internal/release/...).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// runDist runs tools/dist for the tree at root into out.
func runDist(root, out string) error {
	cmd := exec.Command("go", "-C", filepath.Join(root, "tools", "dist"), "run", ".", "-root", root, "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("tools/dist: %w\n%s", err, b)
	}
	return nil
}

// dist runs tools/dist into out and returns its SHA256SUMS.
func dist(t testing.TB, out string) map[string]string {
	t.Helper()
	if err := runDist(repoRoot(t), out); err != nil {
		t.Fatal(err)
	}
	return readSums(t, filepath.Join(out, "SHA256SUMS"))
}

// readSums maps file name → sha256 from a SHA256SUMS file.
func readSums(t testing.TB, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if sum, name, ok := strings.Cut(sc.Text(), "  "); ok {
			sums[name] = sum
		}
	}
	return sums
}

var (
	sharedDistOnce sync.Once
	sharedDistDir  string
	sharedDistErr  string
)

// sharedDist is one dist build for the tests that only consume it.
func sharedDist(t *testing.T) string {
	t.Helper()
	sharedDistOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dwshim-dist-")
		if err != nil {
			sharedDistErr = err.Error()
			return
		}
		sharedDistDir = dir
		if err := runDist(repoRoot(t), dir); err != nil {
			sharedDistErr = err.Error()
		}
	})
	if sharedDistErr != "" {
		t.Fatalf("tools/dist: %s", sharedDistErr)
	}
	return sharedDistDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDistDir != "" {
		os.RemoveAll(sharedDistDir)
	}
	os.Exit(code)
}

// debianImage builds (once, cached) the Debian root and its image.
func debianImage(t *testing.T) string {
	t.Helper()
	testenv.RequireDocker(t, "")
	out, err := exec.Command("bash", filepath.Join(repoRoot(t), "scripts", "debian-root.sh")).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("scripts/debian-root.sh: %v\n%s", err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// startWorker is the real worker-runner binary the Makefile builds from the
// v44 module ($DWSHIM_START_WORKER). Missing: fail under CI, skip elsewhere.
func startWorker(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DWSHIM_START_WORKER")
	if p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("start-worker not found (DWSHIM_START_WORKER=%q): run `make tools`", p)
	}
	t.Skipf("start-worker not found (DWSHIM_START_WORKER=%q): run `make tools`", p)
	return ""
}

// inDebian runs script with bash in a throwaway container of image, with
// mounts (host:container[:ro]), and returns its combined output.
func inDebian(t *testing.T, image, name, script string, mounts ...string) string {
	t.Helper()
	args := []string{"run", "--rm", "--label", "dwshim.test=" + name, "--name", "dwshim-test-" + name}
	for _, m := range mounts {
		args = append(args, "-v", m)
	}
	args = append(args, image, "bash", "-euo", "pipefail", "-c", script)
	b, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("in %s: %v\n%s", image, err, b)
	}
	return string(b)
}
