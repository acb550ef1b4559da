package worker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/runner/docker"
)

// proxyProbe is a shell script that asks the proxy at $1 (host) and $2
// (port) for the status of task $3 and prints the response. busybox's
// wget crashes resolving names, so nc does the request.
const proxyProbe = `printf "GET /api/queue/v1/task/$3/status HTTP/1.0\r\nHost: taskcluster\r\n\r\n" | nc -w 5 "$1" "$2"; echo "probe-exit=$?"`

// TestE2ETaskclusterProxyIsolation runs a task with the taskcluster proxy
// and checks that its container, attached only to the task's own network,
// reaches the queue through the proxy; that containers on another network
// and on the default bridge cannot use it; and that the network is gone
// after the task.
func TestE2ETaskclusterProxyIsolation(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 1
	w := env.dockerWorker(t)
	label := e2eLabel(t)
	script := `host=$(awk '$2=="taskcluster"{print $1}' /etc/hosts); port=${TASKCLUSTER_PROXY_URL##*:}; ` +
		`echo "proxy=$TASKCLUSTER_PROXY_URL host=$host"; set -- "$host" "$port" "$TASK_ID"; { ` + proxyProbe + `; } > /resp.txt; cat /resp.txt` +
		`; grep -q '"taskId":"px"' /resp.txt && echo PROXY-OK; while [ ! -f /tmp/go ]; do sleep 0.1; done`
	env.addTask(t, "px", dwPayload(script, map[string]any{"features": map[string]any{"taskclusterProxy": true}}), nil)
	wait := runWorker(context.Background(), w)
	b := waitForLogText(t, w, env, "px", "PROXY-OK")

	netName, ctr := docker.NetworkName("px-0"), docker.ContainerName("px-0")
	if got := dockerOut(t, "inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", ctr); got != netName {
		t.Errorf("task container networks %q, want only %q", got, netName)
	}
	if got := dockerOut(t, "network", "inspect", "--format", `{{index .Labels "dwshim.test"}}`, netName); got != label {
		t.Errorf("task network label dwshim.test=%q, want %q", got, label)
	}
	gw := dockerOut(t, "network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}", netName)
	gw = strings.Fields(gw + " ")[0]
	m := regexp.MustCompile(`proxy=http://taskcluster:(\d+) host=(\S+)`).FindStringSubmatch(string(b))
	if m == nil || m[2] != gw {
		t.Fatalf("proxy URL and host in the task (gateway %s):\n%s", gw, b)
	}
	port := m[1]

	other := fmt.Sprintf("dwshim-test-other-%d", os.Getpid())
	dockerOut(t, "network", "create", "--label", "dwshim.test="+label, other)
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", other).Run() })
	for _, n := range []string{other, "bridge"} {
		out, _ := exec.Command("docker", "run", "--rm", "--label", "dwshim.test="+label, "--network", n, e2eImage,
			"sh", "-c", proxyProbe, "probe", gw, port, "px").CombinedOutput()
		refused := strings.Contains(string(out), "403 Forbidden") || !strings.Contains(string(out), "HTTP/")
		if !refused || strings.Contains(string(out), `"taskId"`) || !strings.Contains(string(out), "probe-exit=") {
			t.Errorf("container on network %s used the task's proxy at %s:%s:\n%s", n, gw, port, out)
		}
		t.Logf("from network %s: %s", n, out)
	}

	dockerOut(t, "exec", ctr, "touch", "/tmp/go")
	if code := wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("px")
	if r := st.Runs[0]; r.State != "completed" {
		bl, _ := r.Artifact(backingLogName)
		t.Fatalf("run %s/%s\n%s", r.State, r.ReasonResolved, bl.Data)
	}
	if out, err := exec.Command("docker", "network", "inspect", netName).CombinedOutput(); err == nil {
		t.Errorf("network %s still exists after the task: %s", netName, out)
	}
	for _, c := range env.fake.Calls() {
		if c.Route == "queue.status" && c.TaskID == "px" && !strings.HasPrefix(c.ClientID, "task-client/px/0/") {
			t.Errorf("proxied call signed by %q, want the task credentials", c.ClientID)
		}
	}
}

// dockerOut runs the docker CLI and returns its trimmed output.
func dockerOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// waitForLogText waits until the live log of the running task id
// contains want and returns it; it fails, showing the log, once the task
// stopped running or after a minute.
func waitForLogText(t *testing.T, w *Worker, env *testEnv, id, want string) []byte {
	t.Helper()
	var b []byte
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		w.mu.Lock()
		var rs *runState
		for _, r := range w.running {
			if r.claim.TaskID == id {
				rs = r
			}
		}
		w.mu.Unlock()
		if rs == nil {
			continue
		}
		b, _ = os.ReadFile(liveLogPath(env, rs))
		if strings.Contains(string(b), want) {
			return b
		}
		if strings.Contains(string(b), "=== Task Finished ===") {
			break
		}
	}
	t.Fatalf("task %s never logged %q:\n%s", id, want, b)
	return nil
}
