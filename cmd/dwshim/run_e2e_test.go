package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/testenv"

	"github.com/taskcluster/taskcluster/v44/tools/workerproto"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/worker"
)

const runTestImage = "dwshim-test/busybox:latest"

func requireDockerRun(t *testing.T) {
	t.Helper()
	testenv.RequireDocker(t, runTestImage)
}

// TestRunWithWorkerRunner drives `dwshim run --with-worker-runner` as
// worker-runner does: protocol over pipes, new credentials, a docker task
// using the taskcluster proxy, then graceful termination.
func TestRunWithWorkerRunner(t *testing.T) {
	requireDockerRun(t)
	fake := tcfake.New(tcfake.Options{})
	fake.Start()
	t.Cleanup(fake.Close)
	const queue, group, id = "dwshim-run/e2e", "grp", "run-e2e"
	fake.AddClient("worker/old", "old-token", tcfake.WorkerScopes(queue, group, id)...)
	fake.AddClient("worker/new", "new-token", tcfake.WorkerScopes(queue, group, id)...)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := map[string]any{
		"rootURL": fake.RootURL(), "clientId": "worker/old", "accessToken": "old-token",
		"provisionerId": "dwshim-run", "workerType": "e2e", "workerGroup": group, "workerId": id,
		"tasksDir": filepath.Join(dir, "tasks"), "cachesDir": filepath.Join(dir, "caches"), "downloadsDir": filepath.Join(dir, "dl"),
		"enableChainOfTrust": false, "d2gConfig": map[string]any{"enableD2G": true},
		"taskclusterProxyPort": proxyPort, "livelogExposePort": 0, "publicIP": "127.0.0.1",
		"deploymentId": "unknown keys are fine",
	}
	b, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "worker.yaml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}

	toWorkerR, toWorkerW := io.Pipe()
	toRunnerR, toRunnerW := io.Pipe()
	runner := workerproto.NewProtocol(workerproto.NewPipeTransport(toRunnerR, toWorkerW))
	for _, c := range worker.Capabilities {
		runner.AddCapability(c)
	}
	var mu sync.Mutex
	var logs []string
	runner.Register("log", func(m workerproto.Message) {
		body, _ := m.Properties["body"].(map[string]any)
		line, _ := body["textPayload"].(string)
		mu.Lock()
		logs = append(logs, line)
		mu.Unlock()
	})
	type result struct {
		code worker.ExitCode
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := runWorker(context.Background(), runFlags{config: cfgPath, withWorkerRunner: true, claimInterval: 50 * time.Millisecond, pullAttempts: 1,
			labels: map[string]string{"dwshim.test": "run-e2e"}},
			toWorkerR, toRunnerW, io.Discard, nil)
		done <- result{code, err}
	}()
	runner.Start(false)
	runner.WaitUntilInitialized()
	t.Cleanup(func() { toWorkerW.Close(); toRunnerW.Close() })
	runner.Send(workerproto.Message{Type: "new-credentials", Properties: map[string]any{"client-id": "worker/new", "access-token": "new-token"}})

	payload := map[string]any{
		"image": runTestImage, "maxRunTime": 60, "features": map[string]any{"taskclusterProxy": true},
		// busybox-static's wget crashes resolving names; nc to the address
		// that /etc/hosts gives "taskcluster" does the same request.
		"command": []string{"sh", "-c", `host=$(awk '$2=="taskcluster"{print $1}' /etc/hosts); port=${TASKCLUSTER_PROXY_URL##*:}; ` +
			`printf "GET /api/queue/v1/task/$TASK_ID/status HTTP/1.0\r\nHost: taskcluster\r\n\r\n" | nc "$host" "$port" > /resp.txt; ` +
			`cat /resp.txt; grep -o '{.*}' /resp.txt > /status.json`},
		"artifacts": map[string]any{"public/status.json": map[string]any{"type": "file", "path": "/status.json"}},
	}
	def, _ := json.Marshal(map[string]any{"taskQueueId": queue, "payload": payload, "retries": 0})
	if err := fake.AddTask("proxytask", def); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := fake.WaitResolved(ctx, "proxytask")
	if err != nil {
		mu.Lock()
		t.Fatalf("%v\nworker log:\n%s", err, strings.Join(logs, "\n"))
	}
	r := st.Runs[0]
	bl, _ := r.Artifact("public/logs/live_backing.log")
	if r.State != "completed" {
		t.Fatalf("run %s/%s\n%s", r.State, r.ReasonResolved, bl.Data)
	}
	if a, _ := r.Artifact("public/status.json"); !strings.Contains(string(a.Data), `"taskId":"proxytask"`) {
		t.Errorf("status fetched through the proxy: %s\nlog:\n%s", a.Data, bl.Data)
	}
	runner.Send(workerproto.Message{Type: "graceful-termination", Properties: map[string]any{"finish-tasks": true}})
	select {
	case res := <-done:
		if res.code != worker.ExitWorkerShutdown {
			t.Errorf("exit %d (%v), want 72", res.code, res.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dwshim run did not exit after graceful-termination")
	}
	newClaims := 0
	for _, c := range fake.Calls() {
		if c.Route == "queue.claimWork" && c.ClientID == "worker/new" {
			newClaims++
		}
		if c.Route == "queue.status" && c.TaskID == "proxytask" && !strings.HasPrefix(c.ClientID, "task-client/proxytask/0/") {
			t.Errorf("proxied call signed by %q, want the task credentials", c.ClientID)
		}
	}
	for _, kind := range [][]string{{"ps", "-a"}, {"volume", "ls"}, {"network", "ls"}} {
		out, err := exec.Command("docker", append(kind, "-q", "--filter", "label=dwshim.test=run-e2e")...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("docker %s objects left labelled dwshim.test=run-e2e: %s %v", kind[0], out, err)
		}
	}
	if newClaims == 0 {
		t.Error("claimWork never used the credentials from new-credentials")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(logs, "\n"), "worker started") {
		t.Errorf("worker log lines did not reach worker-runner: %q", logs)
	}
}
