package runner_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
)

const testWorkerID = "runner-test"

// requireDocker: see testenv.RequireDocker.
func requireDocker(t *testing.T) {
	t.Helper()
	testenv.RequireDocker(t, testImage)
}

// testRegistry is the local registry scripts/test-env.sh starts.
const testRegistry = "127.0.0.1:5000"

// requireRegistry fails in CI and skips elsewhere when the test registry
// is not running.
func requireRegistry(t *testing.T) {
	t.Helper()
	resp, err := http.Get("http://" + testRegistry + "/v2/")
	if err == nil {
		resp.Body.Close()
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("test registry needed in CI: %v", err)
	}
	t.Skipf("test registry not running (scripts/test-env.sh): %v", err)
}

// testLabel is the dwshim.test label value of t's Docker objects.
func testLabel(t *testing.T) string {
	return "runner-" + strings.NewReplacer("/", "-", "=", "-", " ", "-").Replace(t.Name())
}

// newDockerEngine returns an engine labelling what it creates for t, and
// removes whatever is left of it when t ends.
func newDockerEngine(t *testing.T) *docker.Engine {
	t.Helper()
	requireDocker(t)
	e, err := docker.New(docker.Options{
		ExtraLabels: map[string]string{"dwshim.test": testLabel(t)},
		Pull:        docker.RetryPolicy{Attempts: 1, Base: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Sweep(context.Background(), testWorkerID)
		e.Close()
	})
	return e
}

func newDockerRunner(t *testing.T) *runner.Runner {
	t.Helper()
	r, err := runner.New(runner.Config{Engine: newDockerEngine(t), Worker: runner.WorkerInfo{WorkerID: testWorkerID}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requireGone fails t when a container of t is still there.
func requireGone(t *testing.T, _ *runner.Task) {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=dwshim.test="+testLabel(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("docker ps: %v: %s", err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("containers left: %s", s)
	}
}
