package worker

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
	"github.com/dwshim/dwshim/translate"
)

const e2eImage = "dwshim-test/busybox:latest"

// requireDocker: see testenv.RequireDocker.
func requireDocker(t *testing.T) {
	t.Helper()
	testenv.RequireDocker(t, e2eImage)
}

// e2eLabel marks every Docker object these tests make.
func e2eLabel(t *testing.T) string {
	return "worker-" + strings.NewReplacer("/", "-", "=", "-", " ", "-").Replace(t.Name())
}

func planForTask(task json.RawMessage, cfg translate.Config, expand func([]string) ([]string, error)) (*plan.Plan, []translate.Warning, error) {
	r, err := translate.TranslateTask(task, cfg, translate.TaskOptions{ExpandScopes: expand})
	if err != nil {
		return nil, nil, err
	}
	return r.Plan, r.Warnings, nil
}

// dockerWorker is a Worker running tasks in real containers.
func (e *testEnv) dockerWorker(t *testing.T) *Worker {
	t.Helper()
	label := e2eLabel(t)
	eng, err := docker.New(docker.Options{ExtraLabels: map[string]string{"dwshim.test": label},
		Pull: docker.RetryPolicy{Attempts: 1, Base: time.Millisecond}, ImageRepo: e2eImageRepo})
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.WorkerID = "e2e-" + fmt.Sprint(os.Getpid())
	e.cfg.D2GConfig.EnableD2G = true
	e.fake.AddClient("worker/wkr", "worker-token", tcfake.WorkerScopes(testQueue, testGroup, e.cfg.WorkerID)...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := eng.Sweep(ctx, e.cfg.WorkerID); err != nil {
			t.Errorf("sweep: %v", err)
		}
		_ = eng.Close()
		assertNoLeaks(t, label)
		untagLoadedImages(t)
	})
	rn, err := runner.New(runner.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t, &D2GExecutor{Runner: rn, Translate: planForTask, Proxy: &TaskclusterProxy{Port: freePort(t)}})
	opts.Shells = eng // used only with enableInteractive
	return e.newWorker(t, opts)
}

// e2eImageRepo is where the engine tags image artifacts these tests load.
const e2eImageRepo = "dwshim-test/worker-e2e-artifacts"

// untagLoadedImages removes the tags the tests' image artifacts got (by
// tag, so the image shared with the test image stays).
func untagLoadedImages(t *testing.T) {
	out, err := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference="+e2eImageRepo).Output()
	if err != nil {
		t.Errorf("list loaded images: %v", err)
		return
	}
	for _, tag := range strings.Fields(string(out)) {
		if err := exec.Command("docker", "rmi", tag).Run(); err != nil {
			t.Errorf("untag %s: %v", tag, err)
		}
	}
}

// assertNoLeaks checks that no container, volume or network with the
// test's label is left.
func assertNoLeaks(t *testing.T, label string) {
	t.Helper()
	for _, kind := range [][]string{{"ps", "-a"}, {"volume", "ls"}, {"network", "ls"}} {
		args := append(append([]string{}, kind...), "-q", "--filter", "label=dwshim.test="+label)
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Errorf("docker %v: %v %s", args, err, out)
			continue
		}
		if s := strings.TrimSpace(string(out)); s != "" {
			t.Errorf("leaked %s objects labelled dwshim.test=%s: %s", kind[0], label, s)
			rm := map[string][]string{"ps": {"rm", "-f", "-v"}, "volume": {"volume", "rm", "-f"}, "network": {"network", "rm"}}[kind[0]]
			_ = exec.Command("docker", append(rm, strings.Fields(s)...)...).Run()
		}
	}
}

func dwPayload(script string, extra map[string]any) map[string]any {
	p := map[string]any{"image": e2eImage, "command": []string{"sh", "-c", script}, "maxRunTime": 120}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func TestE2EMixedOutcomes(t *testing.T) {
	requireDocker(t)
	n := envInt(t, "DWSHIM_E2E_TASKS", 50)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.Capacity = 2
	env.cfg.NumberOfTasksToRun = n
	w := env.dockerWorker(t)
	kinds := []string{"completed", "failed", "intermittent-task", "malformed-payload"}
	for i := 0; i < n; i++ {
		var p map[string]any
		switch kinds[i%4] {
		case "completed":
			p = dwPayload(fmt.Sprintf("echo hello $TASK_ID; echo data-%d > /out.txt", i), map[string]any{
				"artifacts": map[string]any{"public/out.txt": map[string]any{"type": "file", "path": "/out.txt"},
					"public/missing.txt": map[string]any{"type": "file", "path": "/nope.txt"}}})
		case "failed":
			p = dwPayload("echo failing; exit 3", nil)
		case "intermittent-task":
			p = dwPayload("exit 7", map[string]any{"onExitStatus": map[string]any{"retry": []int{7}}})
		default:
			p = map[string]any{"image": e2eImage, "command": "not an array"} // two problems
		}
		env.addTask(t, fmt.Sprintf("e%03d", i), p, nil)
	}
	start := time.Now()
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	t.Logf("%d docker tasks at capacity 2 in %v", n, time.Since(start).Round(time.Millisecond))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("e%03d", i)
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		bl, _ := r.Artifact(backingLogName)
		if r.ReasonResolved != kinds[i%4] || r.Resolutions() != 1 {
			t.Errorf("%s: %s/%s (%d resolutions), want %s\n%s", id, r.State, r.ReasonResolved, r.Resolutions(), kinds[i%4], bl.Data)
			continue
		}
		switch kinds[i%4] {
		case "completed":
			if a, _ := r.Artifact("public/out.txt"); string(a.Data) != fmt.Sprintf("data-%d\n", i) {
				t.Errorf("%s: artifact %q", id, a.Data)
			}
			if a, _ := r.Artifact("public/missing.txt"); a.StorageType != "error" || a.ErrorReason != "file-missing-on-worker" {
				t.Errorf("%s: missing artifact %+v", id, a)
			}
			if !strings.Contains(string(bl.Data), "hello "+id) {
				t.Errorf("%s: log lacks container output:\n%s", id, bl.Data)
			}
		case "malformed-payload":
			for _, want := range []string{"[taskcluster:error]   /payload/command: ", `[taskcluster:error]   /payload: required property "maxRunTime" is missing`} {
				if !strings.Contains(string(bl.Data), want) {
					t.Errorf("%s: log lacks %q:\n%s", id, want, bl.Data)
				}
			}
		}
	}
}

func TestE2ECancelKillsContainer(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{ClaimDuration: 4 * time.Second})
	env.cfg.NumberOfTasksToRun = 1
	w := env.dockerWorker(t)
	env.addTask(t, "cancel", dwPayload("echo started; sleep 100", nil), nil)
	wait := runWorker(context.Background(), w)
	waitForLog(t, w, env, "cancel", "started")
	if err := env.fake.CancelTask("cancel"); err != nil {
		t.Fatal(err)
	}
	if code := wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("cancel")
	if r := st.Runs[0]; r.ReasonResolved != "canceled" || len(r.ResolveAttempts) != 0 {
		t.Errorf("run %+v", r)
	}
}

func TestE2EGracefulTermination(t *testing.T) {
	requireDocker(t)
	for _, finish := range []bool{true, false} {
		t.Run(fmt.Sprintf("finish-tasks=%v", finish), func(t *testing.T) {
			env := newTestEnv(t, tcfake.Options{})
			w := env.dockerWorker(t)
			script := "echo started; sleep 2; echo done"
			if !finish {
				script = "echo started; sleep 100"
			}
			env.addTask(t, "g", dwPayload(script, nil), nil)
			wait := runWorker(context.Background(), w)
			waitForLog(t, w, env, "g", "started")
			w.Terminate(finish)
			if code := wait(t); code != ExitWorkerShutdown {
				t.Fatalf("exit %d", code)
			}
			st, _ := env.fake.Task("g")
			want := map[bool]string{true: "completed", false: "worker-shutdown"}[finish]
			if r := st.Runs[0]; r.ReasonResolved != want || r.Resolutions() != 1 {
				t.Errorf("run %+v, want %s", r, want)
			}
		})
	}
}

func TestE2EInterrupt(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	w := env.dockerWorker(t)
	env.addTask(t, "int", dwPayload("echo started; sleep 100", nil), nil)
	ctx, cancel := context.WithCancel(context.Background())
	wait := runWorker(ctx, w)
	waitForLog(t, w, env, "int", "started")
	cancel()
	if code := wait(t); code != ExitWorkerStopped {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("int")
	if r := st.Runs[0]; r.ReasonResolved != "worker-shutdown" || r.Resolutions() != 1 {
		t.Errorf("run %+v", r)
	}
}

func TestE2ESoakWithFaults(t *testing.T) {
	requireDocker(t)
	n := envInt(t, "DWSHIM_E2E_SOAK_TASKS", 24)
	env := newTestEnv(t, tcfake.Options{Seed: 7, Faults: soakFaults})
	env.cfg.Capacity = 2
	env.cfg.NumberOfTasksToRun = n
	w := env.dockerWorker(t)
	for i := 0; i < n; i++ {
		env.addTask(t, fmt.Sprintf("k%03d", i), dwPayload(fmt.Sprintf("echo %d > /a.txt", i), map[string]any{
			"artifacts": map[string]any{"public/a.txt": map[string]any{"type": "file", "path": "/a.txt"}}}), nil)
	}
	start := time.Now()
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	faults := 0
	for _, c := range env.fake.Calls() {
		if c.Fault != "" {
			faults++
		}
	}
	t.Logf("%d docker tasks with 20%% queue faults (%d injected) in %v", n, faults, time.Since(start).Round(time.Millisecond))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("k%03d", i)
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		if r.ReasonResolved != "completed" || r.Resolutions() != 1 {
			t.Errorf("%s: %s/%s resolved %d times", id, r.State, r.ReasonResolved, r.Resolutions())
		}
		if a, ok := r.Artifact("public/a.txt"); !ok || string(a.Data) != fmt.Sprintf("%d\n", i) {
			t.Errorf("%s: artifact %+v", id, a)
		}
	}
}

// waitForLog waits until the running task's live log contains s.
func waitForLog(t *testing.T, w *Worker, env *testEnv, taskID, s string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		var rs *runState
		for _, r := range w.running {
			if r.claim.TaskID == taskID {
				rs = r
			}
		}
		w.mu.Unlock()
		if rs != nil {
			if b, err := os.ReadFile(liveLogPath(env, rs)); err == nil && strings.Contains(string(b), s) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("task %s never logged %q", taskID, s)
}

func liveLogPath(env *testEnv, rs *runState) string {
	return fmt.Sprintf("%s/%s-%d/live_backing.log", env.cfg.TasksDir, rs.claim.TaskID, rs.claim.RunID)
}

func TestE2EChainOfTrust(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 1
	w := env.dockerWorker(t)
	env.addTask(t, "cot", dwPayload("echo x > /out.txt", map[string]any{
		"features":  map[string]any{"chainOfTrust": true},
		"artifacts": map[string]any{"public/out.txt": map[string]any{"type": "file", "path": "/out.txt"}}}), nil)
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("cot")
	r := st.Runs[0]
	cert, _ := r.Artifact("public/chain-of-trust.json")
	sig, _ := r.Artifact("public/chain-of-trust.json.sig")
	if r.State != "completed" || !ed25519.Verify(env.pub, cert.Data, sig.Data) {
		t.Fatalf("run %s, certificate %s", r.State, cert.Data)
	}
	var c struct {
		Artifacts map[string]map[string]string `json:"artifacts"`
		Task      struct {
			Payload map[string]any `json:"payload"`
		} `json:"task"`
		Environment map[string]any `json:"environment"`
	}
	if err := json.Unmarshal(cert.Data, &c); err != nil {
		t.Fatal(err)
	}
	wantID, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", e2eImage).Output()
	if err != nil {
		t.Fatalf("docker image inspect: %v", err)
	}
	if got := c.Environment["imageHash"]; got != strings.TrimSpace(string(wantID)) {
		t.Errorf("environment.imageHash = %v, want %s", got, wantID)
	}
	sum := sha256.Sum256([]byte("x\n"))
	if c.Artifacts["public/out.txt"]["sha256"] != hex.EncodeToString(sum[:]) || c.Task.Payload["image"] != e2eImage {
		t.Errorf("certificate %s", cert.Data)
	}
}

// TestE2EImageArtifacts runs task-image and indexed-image tasks whose
// image is a `docker save` tarball uploaded as an artifact: fetched from
// the queue with the task credentials, loaded once, then reused.
func TestE2EImageArtifacts(t *testing.T) {
	requireDocker(t)
	tarball, err := exec.Command("docker", "save", e2eImage).Output()
	if err != nil {
		t.Fatalf("docker save: %v", err)
	}
	env := newTestEnv(t, tcfake.Options{})
	if err := env.fake.UploadArtifact("IMGTASK0QACAAAAAAAAAAA", "public/image.tar", tarball); err != nil {
		t.Fatal(err)
	}
	env.fake.InsertIndex("project.dwshim.images.busybox", "IMGTASK0QACAAAAAAAAAAA")
	env.cfg.NumberOfTasksToRun = 3
	w := env.dockerWorker(t)
	taskImage := map[string]any{"type": "task-image", "taskId": "IMGTASK0QACAAAAAAAAAAA", "path": "public/image.tar"}
	deps := map[string]any{"dependencies": []string{"IMGTASK0QACAAAAAAAAAAA"}}
	env.addTask(t, "ti1", dwPayload("echo from task image", map[string]any{"image": taskImage}), deps)
	env.addTask(t, "ti2", dwPayload("echo again", map[string]any{"image": taskImage}), deps)
	env.addTask(t, "ix", dwPayload("echo from indexed image", map[string]any{"image": map[string]any{
		"type": "indexed-image", "namespace": "project.dwshim.images.busybox", "path": "public/image.tar"}}), nil)
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	cached := 0
	for id, want := range map[string]string{"ti1": "from task image", "ti2": "again", "ix": "from indexed image"} {
		st, _ := env.fake.Task(id)
		bl, _ := st.Runs[0].Artifact(backingLogName)
		if st.Runs[0].State != "completed" || !strings.Contains(string(bl.Data), want) {
			t.Errorf("%s: %s/%s\n%s", id, st.Runs[0].State, st.Runs[0].ReasonResolved, bl.Data)
		}
		if strings.Contains(string(bl.Data), "Using cached image") {
			cached++
		}
	}
	if cached == 0 {
		t.Error("the image artifact was loaded for every task; want it reused")
	}
	downloads := 0
	for _, c := range env.fake.Calls() {
		if c.Route == "queue.getLatestArtifact" && c.TaskID == "IMGTASK0QACAAAAAAAAAAA" {
			downloads++
		}
	}
	t.Logf("image artifact downloaded %d times for 3 tasks", downloads)
}

// TestE2ECacheScopes: a task without its cache's scope is resolved
// malformed-payload, naming the cache and the scope, and never touches the
// cache: what a task with the scope wrote before is what the next one reads.
func TestE2ECacheScopes(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 3
	w := env.dockerWorker(t)
	cache := fmt.Sprintf("dwshim-test-scopes-%d", os.Getpid())
	t.Cleanup(func() { purgeTestCache(t, cache) }) // before dockerWorker's leak check
	caches := map[string]any{"cache": map[string]any{cache: "/cache"}}
	granted := map[string]any{"scopes": []string{"docker-worker:cache:dwshim-test-scopes-*"}}
	env.addTask(t, "cs1", dwPayload("echo good > /cache/marker", caches), granted)
	env.addTask(t, "cs2", dwPayload("echo poison > /cache/marker", caches), map[string]any{"scopes": []string{"docker-worker:cache:other"}})
	env.addTask(t, "cs3", dwPayload("cat /cache/marker", caches), map[string]any{"scopes": []string{"docker-worker:cache:" + cache + ":" + testQueue}})
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for id, want := range map[string]string{"cs1": "completed", "cs2": "malformed-payload", "cs3": "completed"} {
		st, _ := env.fake.Task(id)
		if r := st.Runs[0]; r.ReasonResolved != want {
			bl, _ := r.Artifact(backingLogName)
			t.Errorf("%s: %s/%s, want %s\n%s", id, r.State, r.ReasonResolved, want, bl.Data)
		}
	}
	st, _ := env.fake.Task("cs2")
	bl, _ := st.Runs[0].Artifact(backingLogName)
	for _, want := range []string{"/payload/cache/" + cache + `: cache "` + cache + `" needs scope docker-worker:cache:` + cache + " "} {
		if !strings.Contains(string(bl.Data), want) {
			t.Errorf("cs2 log lacks %q:\n%s", want, bl.Data)
		}
	}
	if strings.Contains(string(bl.Data), "Task Starting") {
		t.Errorf("cs2 started a container:\n%s", bl.Data)
	}
	st, _ = env.fake.Task("cs3")
	bl, _ = st.Runs[0].Artifact(backingLogName)
	if !strings.Contains(string(bl.Data), "good") || strings.Contains(string(bl.Data), "poison") {
		t.Errorf("cs3 read the cache written by a task without its scope:\n%s", bl.Data)
	}
}

// purgeTestCache removes the volume(s) of cache name.
func purgeTestCache(t *testing.T, name string) {
	e, err := docker.New(docker.Options{})
	if err != nil {
		t.Errorf("purge cache: %v", err)
		return
	}
	defer e.Close()
	if err := e.PurgeCaches(context.Background(), &runner.Task{Plan: &plan.Plan{Caches: []plan.Cache{{Name: name, MountPath: "/c"}}}, Key: "purge"}); err != nil {
		t.Errorf("purge cache %s: %v", name, err)
	}
}

// TestE2EResourceLimits: the pool's per-task limits apply to the container,
// and a task exceeding one is resolved failed (even when its exit code is
// in onExitStatus.retry) with a log line naming the limit and its key.
func TestE2EResourceLimits(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 3
	env.cfg.TaskMemoryLimitBytes = 64 << 20
	env.cfg.TaskPidsLimit = 20
	w := env.dockerWorker(t)
	env.addTask(t, "mem", dwPayload("dd if=/dev/zero of=/dev/null bs=256M count=1; echo survived", map[string]any{
		"onExitStatus": map[string]any{"retry": []int{137}}}), nil)
	// sh, 18 sleeps and "sleep 2": 20 processes for 2 s (one more fork
	// would fail and end the shell at once, too fast to be seen).
	env.addTask(t, "pids", dwPayload("for i in $(seq 18); do sleep 30 & done; sleep 2; exit 7", map[string]any{
		"onExitStatus": map[string]any{"retry": []int{7}}}), nil)
	env.addTask(t, "small", dwPayload("dd if=/dev/zero of=/dev/null bs=8M count=1 && echo small-ok", nil), nil)
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for id, want := range map[string][2]string{
		"mem":   {"failed", "[taskcluster:error] Task exceeded the worker pool's memory limit of 67108864 bytes (taskMemoryLimitBytes)"},
		"pids":  {"failed", "[taskcluster:error] Task reached the worker pool's limit of 20 processes (taskPidsLimit)"},
		"small": {"completed", "small-ok"},
	} {
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		bl, _ := r.Artifact(backingLogName)
		if r.ReasonResolved != want[0] || !strings.Contains(string(bl.Data), want[1]) {
			t.Errorf("%s: %s/%s, want %s and %q in the log:\n%s", id, r.State, r.ReasonResolved, want[0], want[1], bl.Data)
		}
	}
}

// TestE2EWorkerVarsWin: in `run`, a worker variable the worker has no
// value for (no publicIP, no workerLocation) is unset in the container,
// never the payload's; the ones it has win.
func TestE2EWorkerVarsWin(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 1
	env.cfg.PublicIP, env.cfg.WorkerLocation = "", ""
	w := env.dockerWorker(t)
	env.addTask(t, "wv", dwPayload("env | sed 's/^/ENV:/'", map[string]any{"env": map[string]any{
		"TASKCLUSTER_PUBLIC_IP": "6.6.6.6", "TASKCLUSTER_WORKER_LOCATION": "payload-location",
		"TASKCLUSTER_WORKER_TYPE": "payload-type", "TASK_ID": "payload-task", "KEPT": "yes"}}), nil)
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("wv")
	bl, _ := st.Runs[0].Artifact(backingLogName)
	log := string(bl.Data)
	var envLines []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "ENV:") {
			envLines = append(envLines, strings.TrimRight(l, "\r"))
		}
	}
	containerEnv := strings.Join(envLines, "\n")
	for _, bad := range []string{"6.6.6.6", "payload-location", "payload-type", "payload-task", "ENV:TASKCLUSTER_PUBLIC_IP=", "ENV:TASKCLUSTER_WORKER_LOCATION="} {
		if strings.Contains(containerEnv, bad) {
			t.Errorf("container env has %q:\n%s", bad, containerEnv)
		}
	}
	for _, want := range []string{"ENV:KEPT=yes", "ENV:TASK_ID=wv", "ENV:TASKCLUSTER_WORKER_TYPE=" + env.cfg.WorkerType} {
		if !strings.Contains(log, want) {
			t.Errorf("container env lacks %q:\n%s", want, log)
		}
	}
}
