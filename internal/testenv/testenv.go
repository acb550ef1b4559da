package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BaseImage is the busybox test image scripts/test-env.sh builds and loads.
const BaseImage = "dwshim-test/busybox:latest"

// Shared returns the shared directory (corpus, spec): $DWSHIM_SHARED, or
// the first parent of the working directory holding shared/corpus. When it
// is missing the test fails under CI or when strict (benchmarks), and is
// skipped otherwise.
func Shared(tb testing.TB, strict bool) string {
	tb.Helper()
	if d := os.Getenv("DWSHIM_SHARED"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "corpus")); err == nil {
			return d
		}
	}
	if dir, err := os.Getwd(); err == nil {
		for ; ; dir = filepath.Dir(dir) {
			cand := filepath.Join(dir, "shared")
			if _, err := os.Stat(filepath.Join(cand, "corpus")); err == nil {
				return cand
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if strict || os.Getenv("CI") != "" {
		tb.Fatal("shared directory not found: set DWSHIM_SHARED (required under CI and for benchmarks)")
	}
	tb.Skip("shared directory not found (set DWSHIM_SHARED)")
	return ""
}

// RequireDocker checks that the docker daemon answers and that image is
// present (scripts/test-env.sh builds the test images). Missing: fail under
// CI, skip elsewhere.
func RequireDocker(tb testing.TB, image string) {
	tb.Helper()
	miss := func(why string) {
		if os.Getenv("CI") != "" {
			tb.Fatalf("docker needed in CI: %s", why)
		}
		tb.Skip(why)
	}
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		miss("no docker daemon: " + strings.TrimSpace(string(out)))
	}
	if image == "" {
		return
	}
	if err := exec.Command("docker", "image", "inspect", image).Run(); err != nil {
		miss(image + " missing: run scripts/test-env.sh")
	}
}

// EnvInt reads a positive integer test size from the environment variable
// name, def when unset; anything else fails the test.
func EnvInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
