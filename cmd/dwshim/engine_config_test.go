package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/runner/docker"
	"github.com/dwshim/dwshim/worker"
)

func TestWorkerEngineOptions(t *testing.T) {
	cfg := worker.DefaultConfig()
	if o := workerEngineOptions(cfg); o.PullPolicy != docker.PullIfMissing || o.RecordsDir != "downloads/image-records" {
		t.Errorf("default: %+v", o)
	}
	cfg.ImagePullPolicy = "always"
	if o := workerEngineOptions(cfg); o.PullPolicy != docker.PullAlways {
		t.Errorf("always: %+v", o)
	}
	cfg.ImagePullPolicy = "sometimes"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `imagePullPolicy "sometimes"`) {
		t.Errorf("Validate: %v", err)
	}
}

// TestLocalPullFlag: a named image present locally is used as it is, and
// --pull pulls it first (here the registry does not know it: the local
// copy still runs, with a warning).
func TestLocalPullFlag(t *testing.T) {
	labelLocal(t)
	ref := fmt.Sprintf("127.0.0.1:5000/dwshim-test/local-pull-%d:latest", os.Getpid())
	if out, err := exec.Command("docker", "tag", localTestImage, ref).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", ref).Run() })
	payload := `{"image": "` + ref + `", "maxRunTime": 60, "command": ["echo", "ran"]}`
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "(present locally)"},
		{[]string{"--pull"}, "using the copy present locally"},
	} {
		args := append(append([]string{"local", "--artifacts", t.TempDir()}, c.args...), "-")
		code, out, stderr := runCLI(t, payload, args...)
		if code != 0 || !strings.Contains(out, "ran") || !strings.Contains(out+stderr, c.want) {
			t.Errorf("%v: exit %d, want %q in\n%s\n%s", c.args, code, c.want, out, stderr)
		}
	}
}
