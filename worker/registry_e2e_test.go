package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

// TestE2EPrivateRegistry: the worker pulls a task's image from a registry
// with htpasswd auth using the registries config, and the password is in
// no task log.
func TestE2EPrivateRegistry(t *testing.T) {
	requireDocker(t)
	const user, pass = "dwshim", "worker-registry-pass"
	addr := testenv.StartAuthRegistry(t, user, pass)
	ref := addr + "/dwshim-test/worker-private:latest"
	cfgDir := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{addr: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}}})
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"tag", e2eImage, ref}, {"push", ref}, {"rmi", ref}} {
		if out, err := exec.Command("docker", append([]string{"--config", cfgDir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("docker %v: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", ref).Run() })
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 1
	env.cfg.Registries = map[string]RegistryCredentials{addr: {Username: user, Password: pass}}
	w := env.dockerWorker(t)
	env.addTask(t, "private", dwPayload("echo from-private", map[string]any{"image": ref}), nil)
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("private")
	bl, _ := st.Runs[0].Artifact(backingLogName)
	if st.Runs[0].State != "completed" || !strings.Contains(string(bl.Data), "from-private") {
		t.Errorf("%s/%s\n%s", st.Runs[0].State, st.Runs[0].ReasonResolved, bl.Data)
	}
	if strings.Contains(string(bl.Data), pass) {
		t.Errorf("the password is in the task log:\n%s", bl.Data)
	}
}
