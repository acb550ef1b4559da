package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

// The test binary doubles as dwshim when worker-runner starts it: the
// worker-runner tests set DWSHIM_RUN_TEST_MAIN in start-worker's
// environment, which passes it on to the worker it starts.
func init() {
	if os.Getenv("DWSHIM_RUN_TEST_MAIN") == "1" {
		runTestFlags = runFlags{claimInterval: 100 * time.Millisecond, pullAttempts: 1,
			labels: map[string]string{"dwshim.test": os.Getenv("DWSHIM_RUN_TEST_LABEL")}}
		os.Exit(execute(os.Args[1:]))
	}
}

// uniqueID makes a task id (and so a container name, which the daemon
// holds host-wide) or label unique to this test process.
func uniqueID(name string) string { return fmt.Sprintf("%s-%d", name, os.Getpid()) }

// startWorkerPath is the real worker-runner built by `make tools`.
func startWorkerPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DWSHIM_START_WORKER")
	if p == "" {
		p, _ = filepath.Abs("../../.tools/bin/start-worker")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("start-worker missing (%v): run make tools", err)
		}
		t.Skipf("start-worker missing (%v): run make tools", err)
	}
	return p
}

// peer is one start-worker (standalone provider) running the test binary
// as dwshim, with tcfake as Taskcluster.
type peer struct {
	t     *testing.T
	fake  *tcfake.Server
	label string
	queue string
	cmd   *exec.Cmd
	out   *testenv.Buffer
	done  chan struct{}
}

// startPeer writes the runner config (as deploy/systemd/worker-runner.yaml
// does, with the standalone provider) and starts start-worker in its own
// process group, as systemd runs it in its own cgroup.
func startPeer(t *testing.T, name string, workerConfig map[string]any) *peer {
	t.Helper()
	return startPeerWith(t, name, workerConfig, "", false)
}

// startPeerEnv is startPeer with one more environment variable ("K=V")
// for start-worker and so for dwshim.
func startPeerEnv(t *testing.T, name string, workerConfig map[string]any, env string) *peer {
	t.Helper()
	return startPeerWith(t, name, workerConfig, env, false)
}

// startPeerWith: static keeps the template's static provider (the worker
// registers with tcfake's worker-manager using its staticSecret) instead
// of the standalone one.
func startPeerWith(t *testing.T, name string, workerConfig map[string]any, env string, static bool) *peer {
	t.Helper()
	testenv.RequireDocker(t, runTestImage)
	sw := startWorkerPath(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fake := tcfake.New(tcfake.Options{})
	fake.Start()
	t.Cleanup(fake.Close)
	p := &peer{t: t, fake: fake, label: uniqueID("wr-" + name), queue: "dwshim-wr/" + name, out: &testenv.Buffer{}, done: make(chan struct{})}
	const group = "grp"
	id := "wr-" + name
	fake.AddClient("worker/"+name, "wr-token", tcfake.WorkerScopes(p.queue, group, id)...)
	dir := t.TempDir()
	// The shipped template, with this host's provider and paths.
	tmpl, err := os.ReadFile("../../deploy/systemd/worker-runner.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var runnerCfg map[string]any
	if err := yaml.Unmarshal(tmpl, &runnerCfg); err != nil {
		t.Fatalf("deploy/systemd/worker-runner.yaml: %v", err)
	}
	wc, _ := runnerCfg["workerConfig"].(map[string]any)
	wk, _ := runnerCfg["worker"].(map[string]any)
	if wc == nil || wk == nil || wk["implementation"] != "generic-worker" {
		t.Fatalf("deploy/systemd/worker-runner.yaml: want worker.implementation generic-worker and workerConfig, got %v", runnerCfg)
	}
	wk["path"], wk["configPath"] = self, filepath.Join(dir, "worker-config.json")
	for k, v := range map[string]any{
		"tasksDir": filepath.Join(dir, "tasks"), "cachesDir": filepath.Join(dir, "caches"), "downloadsDir": filepath.Join(dir, "dl"),
		"enableChainOfTrust": false, "enableTaskclusterProxy": false, "livelogExposePort": 0, "publicIP": "127.0.0.1",
	} {
		wc[k] = v
	}
	for k, v := range workerConfig {
		wc[k] = v
	}
	if static {
		prov, _ := runnerCfg["provider"].(map[string]any)
		if prov == nil || prov["providerType"] != "static" {
			t.Fatalf("deploy/systemd/worker-runner.yaml: want the static provider, got %v", runnerCfg["provider"])
		}
		prov["rootURL"], prov["workerPoolID"], prov["workerGroup"], prov["workerID"] = fake.RootURL(), p.queue, group, id
		prov["staticSecret"] = "static-secret-" + name
		fake.AddStaticWorker(p.queue, group, id, "static-secret-"+name)
		fake.SetStaticCredentialsTTL(staticTTL)
	} else {
		runnerCfg["provider"] = map[string]any{"providerType": "standalone", "rootURL": fake.RootURL(),
			"clientID": "worker/" + name, "accessToken": "wr-token", "workerPoolID": p.queue,
			"workerGroup": group, "workerID": id}
	}
	b, err := json.Marshal(runnerCfg) // JSON is YAML
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "runner.yaml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(sw, cfgPath)
	p.cmd.Env = append(os.Environ(), "DWSHIM_RUN_TEST_MAIN=1", "DWSHIM_RUN_TEST_LABEL="+p.label)
	if env != "" {
		p.cmd.Env = append(p.cmd.Env, env)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		p.removeContainers()
	})
	return p
}

func (p *peer) containers() []string {
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=dwshim.test="+p.label).Output()
	return strings.Fields(string(out))
}

func (p *peer) removeContainers() {
	if ids := p.containers(); len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-fv"}, ids...)...).Run()
	}
}

func (p *peer) addTask(id string, command string) {
	p.t.Helper()
	def, _ := json.Marshal(map[string]any{"taskQueueId": p.queue, "retries": 1,
		"payload": map[string]any{"image": runTestImage, "maxRunTime": 600, "command": []string{"sh", "-c", command}}})
	if err := p.fake.AddTask(id, def); err != nil {
		p.t.Fatal(err)
	}
}

// waitRunning waits until the task's container runs (its output says so).
func (p *peer) waitRunning(id string) {
	p.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		st, _ := p.fake.Task(id)
		if len(st.Runs) > 0 && st.Runs[0].State == "running" {
			out, _ := exec.Command("docker", "ps", "-q", "--filter", "label=dwshim.test="+p.label, "--filter", "status=running").Output()
			if len(strings.Fields(string(out))) > 0 {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("start-worker exited before task %s ran\n%s", id, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("task %s never ran\n%s", id, p.out.String())
}

// dwshimPID is the worker start-worker started (its child).
func (p *peer) dwshimPID() int {
	p.t.Helper()
	// Each thread lists the children it forked: read them all.
	paths, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p.cmd.Process.Pid))
	var f []string
	for _, path := range paths {
		b, _ := os.ReadFile(path)
		f = append(f, strings.Fields(string(b))...)
	}
	if len(f) != 1 {
		p.t.Fatalf("start-worker children %q, want the worker", f)
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}

// gone reports whether pid has exited (gone, or a zombie nobody reaped).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

// stopLikeSystemd stops the unit's processes as systemd does with
// deploy/systemd/dwshim-worker.service (KillMode=control-group): SIGTERM
// to every process of the group, and SIGKILL to what is left after
// TimeoutStopSec, here the 10 s the worker promises to be done in. It
// reports whether the worker (pid) exited before the SIGKILL.
func stopLikeSystemd(t *testing.T, pgid, pid int, sig syscall.Signal) bool {
	t.Helper()
	if sig == syscall.SIGTERM {
		if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	} else if err := syscall.Kill(pgid, sig); err != nil { // the parent only
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if gone(pid) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return false
}

// TestWorkerRunnerStoppedLikeSystemd runs dwshim under the real
// start-worker and stops it the ways a host does: SIGTERM to the whole
// process group (systemctl stop), and the parent's death (start-worker
// SIGKILLed). Each time the claimed run is resolved exception/worker-shutdown
// by the worker itself (not left to claim-expired), its container is
// removed, and the worker exits within the 10 s before the SIGKILL.
func TestWorkerRunnerStoppedLikeSystemd(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"sigterm-group", syscall.SIGTERM}, {"parent-killed", syscall.SIGKILL}} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPeer(t, tc.name, nil)
			quick, long := uniqueID("quick"), uniqueID("long")
			p.addTask(quick, "echo hello")
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			st, err := p.fake.WaitResolved(ctx, quick)
			if err != nil || st.Runs[0].State != "completed" {
				t.Fatalf("quick task: %v %+v\n%s", err, st.Runs, p.out.String())
			}
			p.addTask(long, "echo started; exec sleep 600")
			p.waitRunning(long)
			pid := p.dwshimPID()
			exited := stopLikeSystemd(t, p.cmd.Process.Pid, pid, tc.sig)
			if !exited {
				t.Errorf("the worker did not exit within 10 s of the stop\n%s", p.out.String())
			}
			st, _ = p.fake.Task(long)
			r := st.Runs[0]
			if r.State != "exception" || r.ReasonResolved != "worker-shutdown" || r.Resolutions() != 1 {
				t.Errorf("run 0 %s/%s (%d resolutions): want exception/worker-shutdown reported by the worker\n%s",
					r.State, r.ReasonResolved, r.Resolutions(), p.out.String())
			}
			if ids := p.containers(); len(ids) > 0 {
				t.Errorf("containers left: %v\n%s", ids, p.out.String())
			}
		})
	}
}

// TestWorkerRunnerWorkerManagerShutdown: worker-manager says terminate
// while a task runs: the task finishes, dwshim sends the protocol's
// shutdown (start-worker acts on it) and exits 70, as generic-worker.
func TestWorkerRunnerWorkerManagerShutdown(t *testing.T) {
	p := startPeer(t, "wm-shutdown", nil)
	t1 := uniqueID("t1")
	p.addTask(t1, "echo started; sleep 2; echo done")
	p.waitRunning(t1)
	p.fake.SetShouldTerminate(true)
	select {
	case <-p.done:
	case <-time.After(90 * time.Second):
		t.Fatalf("start-worker did not exit\n%s", p.out.String())
	}
	out := p.out.String()
	st, _ := p.fake.Task(t1)
	if r := st.Runs[0]; r.State != "completed" {
		t.Errorf("run %s/%s: want completed (tasks finish)\n%s", r.State, r.ReasonResolved, out)
	}
	// start-worker's answer to the protocol's shutdown on a static or
	// standalone host; then it reports the worker's exit status.
	if !strings.Contains(out, "Host is not dynamically provisioned; exiting") {
		t.Errorf("start-worker never handled a shutdown message\n%s", out)
	}
	if !strings.Contains(out, "exit status 70") {
		t.Errorf("worker exit status 70 not reported by start-worker\n%s", out)
	}
}

// TestSystemdUnitStopsAsTested: deploy/systemd/dwshim-worker.service
// stops the way TestWorkerRunnerStoppedLikeSystemd stops the worker:
// SIGTERM to every process of the unit, SIGKILL only after at least the
// 10 s the worker needs, start-worker run on the shipped config.
func TestSystemdUnitStopsAsTested(t *testing.T) {
	b, err := os.ReadFile("../../deploy/systemd/dwshim-worker.service")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = v
		}
	}
	for k, want := range map[string]string{
		"KillMode": "control-group", "KillSignal": "SIGTERM", "SendSIGKILL": "yes", "SendSIGHUP": "no",
		"ExecStart": "/usr/local/bin/start-worker /etc/dwshim/worker-runner.yaml",
	} {
		if keys[k] != want {
			t.Errorf("%s=%q, want %q", k, keys[k], want)
		}
	}
	d, err := time.ParseDuration(keys["TimeoutStopSec"])
	if err != nil || d < 10*time.Second {
		t.Errorf("TimeoutStopSec=%q: want a duration of at least 10s (%v)", keys["TimeoutStopSec"], err)
	}
}

// TestRunSignals: `dwshim run` as a process, signalled directly: SIGINT
// lets the running task finish and exits 71; SIGTERM resolves it
// exception/worker-shutdown, removes its container and exits 72 (as
// generic-worker's WORKER_STOPPED and WORKER_SHUTDOWN).
func TestRunSignals(t *testing.T) {
	testenv.RequireDocker(t, runTestImage)
	for _, tc := range []struct {
		name          string
		sig           syscall.Signal
		code          int
		state, reason string
		command       string
	}{
		{"sigint", syscall.SIGINT, 71, "completed", "completed", "echo started; sleep 2; echo done"},
		{"sigterm", syscall.SIGTERM, 72, "exception", "worker-shutdown", "echo started; exec sleep 600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := tcfake.New(tcfake.Options{})
			fake.Start()
			t.Cleanup(fake.Close)
			queue, id := "dwshim-sig/"+tc.name, "sig-"+tc.name
			fake.AddClient("worker/sig", "tok", tcfake.WorkerScopes(queue, "grp", id)...)
			dir := t.TempDir()
			cfg, _ := json.Marshal(map[string]any{
				"rootURL": fake.RootURL(), "clientId": "worker/sig", "accessToken": "tok",
				"provisionerId": "dwshim-sig", "workerType": tc.name, "workerGroup": "grp", "workerId": id,
				"tasksDir": filepath.Join(dir, "tasks"), "cachesDir": filepath.Join(dir, "caches"), "downloadsDir": filepath.Join(dir, "dl"),
				"enableChainOfTrust": false, "enableTaskclusterProxy": false, "livelogExposePort": 0, "publicIP": "127.0.0.1",
				"d2gConfig": map[string]any{"enableD2G": true},
			})
			cfgPath := filepath.Join(dir, "worker.json")
			if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			self, _ := os.Executable()
			label := uniqueID("sig-" + tc.name)
			cmd := exec.Command(self, "run", "--config", cfgPath)
			cmd.Env = append(os.Environ(), "DWSHIM_RUN_TEST_MAIN=1", "DWSHIM_RUN_TEST_LABEL="+label)
			out := &testenv.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			p := &peer{t: t, fake: fake, label: label, out: out, done: done}
			t1 := uniqueID("t1")
			t.Cleanup(func() { _ = cmd.Process.Kill(); <-done; p.removeContainers() })
			def, _ := json.Marshal(map[string]any{"taskQueueId": queue, "retries": 1,
				"payload": map[string]any{"image": runTestImage, "maxRunTime": 600, "command": []string{"sh", "-c", tc.command}}})
			if err := fake.AddTask(t1, def); err != nil {
				t.Fatal(err)
			}
			p.waitRunning(t1)
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("dwshim run did not exit\n%s", out.String())
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Errorf("exit %d, want %d\n%s", got, tc.code, out.String())
			}
			st, _ := fake.Task(t1)
			if r := st.Runs[0]; r.State != tc.state || r.ReasonResolved != tc.reason || r.Resolutions() != 1 {
				t.Errorf("run %s/%s (%d resolutions), want %s/%s\n%s", r.State, r.ReasonResolved, r.Resolutions(), tc.state, tc.reason, out.String())
			}
			if ids := p.containers(); len(ids) > 0 {
				t.Errorf("containers left: %v", ids)
			}
		})
	}
}

// TestWorkerRunnerShutdownMachineOn: with shutdownMachineOnIdle, the idle
// exit (68) sends the protocol's shutdown first; with
// shutdownMachineOnInternalError, so does an internal error (69: here
// Docker unreachable); without the keys neither does, as generic-worker.
func TestWorkerRunnerShutdownMachineOn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      map[string]any
		env      string
		code     string
		shutdown bool
	}{
		{"idle", map[string]any{"idleTimeoutSecs": 1, "shutdownMachineOnIdle": true}, "", "exit status 68", true},
		{"idle-no-key", map[string]any{"idleTimeoutSecs": 1}, "", "exit status 68", false},
		{"internal-error", map[string]any{"shutdownMachineOnInternalError": true}, "DOCKER_HOST=unix:///nonexistent/docker.sock", "exit status 69", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPeerEnv(t, tc.name, tc.cfg, tc.env)
			select {
			case <-p.done:
			case <-time.After(90 * time.Second):
				t.Fatalf("start-worker did not exit\n%s", p.out.String())
			}
			out := p.out.String()
			if !strings.Contains(out, tc.code) {
				t.Errorf("want %s reported by start-worker\n%s", tc.code, out)
			}
			if got := strings.Contains(out, "Host is not dynamically provisioned; exiting"); got != tc.shutdown {
				t.Errorf("shutdown message handled: %v, want %v\n%s", got, tc.shutdown, out)
			}
		})
	}
}

// staticTTL is how long a static worker's credentials last in these tests:
// worker-runner renews them 30 s before they expire.
const staticTTL = 36 * time.Second

// TestWorkerRunnerStaticProvider runs the shipped template with its own
// provider, static: start-worker registers the host with worker-manager
// (tcfake) using the staticSecret, dwshim claims with the temporary
// credentials it got, runs a task, and ends with 70 when worker-manager
// says so.
func TestWorkerRunnerStaticProvider(t *testing.T) {
	p := startPeerWith(t, "static", nil, "", true)
	t1 := uniqueID("t1")
	p.addTask(t1, "echo hello")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := p.fake.WaitResolved(ctx, t1)
	if err != nil || st.Runs[0].State != "completed" {
		t.Fatalf("task: %v %+v\n%s", err, st.Runs, p.out.String())
	}
	if n := p.fake.Registrations(p.queue, "grp", "wr-static"); n < 1 {
		t.Errorf("registerWorker calls %d, want 1", n)
	}
	claimedAs := ""
	for _, c := range p.fake.Calls() {
		if c.Route == "queue.claimWork" && c.Status == 200 {
			claimedAs = c.ClientID
		}
	}
	if claimedAs != "worker/"+p.queue+"/grp/wr-static" {
		t.Errorf("claimWork signed by %q, want the registered worker's credentials", claimedAs)
	}
	// The first credentials last staticTTL: start-worker reregisters 30 s
	// before that and passes new-credentials on; dwshim claims with them.
	deadline := time.Now().Add(90 * time.Second)
	for p.fake.Registrations(p.queue, "grp", "wr-static") < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := p.fake.Registrations(p.queue, "grp", "wr-static"); n < 2 {
		t.Fatalf("reregisterWorker never called (%d registrations)\n%s", n, p.out.String())
	}
	t2 := uniqueID("t2")
	p.addTask(t2, "echo hello again")
	if st, err := p.fake.WaitResolved(ctx, t2); err != nil || st.Runs[0].State != "completed" {
		t.Fatalf("task after reregistration: %v %+v\n%s", err, st.Runs, p.out.String())
	}
	renewed := false
	for _, c := range p.fake.Calls() {
		renewed = renewed || (c.Route == "queue.claimWork" && c.Status == 200 && c.CredGen >= 1)
	}
	if !renewed {
		t.Errorf("no claimWork signed with the reregistered credentials (new-credentials not applied)")
	}
	p.fake.SetShouldTerminate(true)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("start-worker did not exit\n%s", p.out.String())
	}
	if out := p.out.String(); !strings.Contains(out, "exit status 70") {
		t.Errorf("want exit status 70 reported by start-worker\n%s", out)
	}
}
