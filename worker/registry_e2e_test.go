package worker

import (
	"context"
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
	testenv.PushPrivate(t, addr, user, pass, e2eImage, ref)
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
