package fleet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// docker runs the docker CLI and fails the test on error.
func docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := dockerErr(args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func dockerErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return string(b), fmt.Errorf("%w: %s", err, strings.TrimSpace(string(b)))
	}
	return strings.TrimSpace(string(b)), nil
}

// ids lists the docker objects of kind ("ps -a", "network ls", "volume ls")
// carrying all labels.
func ids(t testing.TB, kind string, labels ...string) []string {
	t.Helper()
	args := append(strings.Fields(kind), "-q")
	for _, l := range labels {
		args = append(args, "--filter", "label="+l)
	}
	return strings.Fields(docker(t, args...))
}

// repoRoot is the dwshim source tree.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// The version and commit the fleet's binary is stamped with, as make dist
// stamps a release; task logs must show them.
const (
	stampVersion = "0.0.0-fleet"
	stampCommit  = "fleetcommit"
)

// buildWorkerImage builds the static dwshim (CGO off, -trimpath, stamped, as
// `make dist`) and commits it at /dwshim into an image on top of base.
func buildWorkerImage(t *testing.T, base, tag, label string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dwshim")
	stamp := "-X github.com/dwshim/dwshim/internal/buildinfo.version=" + stampVersion +
		" -X github.com/dwshim/dwshim/internal/buildinfo.commit=" + stampCommit
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", stamp, "-o", bin, "./cmd/dwshim")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build static dwshim: %v\n%s", err, b)
	}
	c := docker(t, "create", "--label", label, base, "/dwshim")
	defer dockerErr("rm", "-f", c)
	docker(t, "cp", bin, c+":/dwshim")
	docker(t, "commit", "--change", "LABEL "+label, c, tag)
	t.Cleanup(func() { _, _ = dockerErr("rmi", "-f", tag) })
}

// waitFor polls cond until it holds; the bound only keeps a broken worker
// from hanging the suite, it is not what the test measures.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting (%v) for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
