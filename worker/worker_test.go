package worker

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
)

func TestMixedOutcomes(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.Capacity = 2
	want := map[string]string{
		"ok": "completed/completed", "fail": "failed/failed", "retry": "exception/intermittent-task",
		"bad": "exception/malformed-payload", "cot": "completed/completed",
	}
	env.addTask(t, "ok", map[string]any{"result": "completed", "artifact": "data"}, nil)
	env.addTask(t, "fail", map[string]any{"result": "failed"}, nil)
	env.addTask(t, "retry", map[string]any{"result": "retry"}, nil)
	env.addTask(t, "bad", map[string]any{"result": "malformed"}, nil)
	env.addTask(t, "cot", map[string]any{"result": "completed", "artifact": "x", "chainOfTrust": true}, nil)
	env.cfg.NumberOfTasksToRun = len(want)
	w := env.newWorker(t, testOptions(t, newFakeExec()))
	if code := runWorker(context.Background(), w)(t); code != ExitTasksComplete {
		t.Fatalf("exit %d, want 0", code)
	}
	for id, res := range want {
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		if got := r.State + "/" + r.ReasonResolved; got != res {
			t.Errorf("%s: %s, want %s", id, got, res)
		}
		if n := r.Resolutions(); n != 1 {
			t.Errorf("%s: %d resolutions", id, n)
		}
		bl, ok := r.Artifact(backingLogName)
		if !ok || !bl.Present || bl.ContentEncoding != "gzip" || !strings.Contains(string(bl.Data), "hello from "+id) ||
			!strings.Contains(string(bl.Data), "Task ID: "+id) {
			t.Errorf("%s: backing log %+v", id, bl)
		}
		if ll, ok := r.Artifact(liveLogName); !ok || ll.StorageType != "link" || ll.LinkTarget != backingLogName {
			t.Errorf("%s: live log %+v", id, ll)
		}
	}
	st, _ := env.fake.Task("bad")
	if bl, _ := st.Runs[0].Artifact(backingLogName); !strings.Contains(string(bl.Data), "[taskcluster:error] /payload/command: expected array") {
		t.Errorf("malformed payload problems not in log:\n%s", bl.Data)
	}
	st, _ = env.fake.Task("ok")
	if a, _ := st.Runs[0].Artifact("public/out.txt"); string(a.Data) != "data" || a.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("artifact %+v", a)
	}
	if a, _ := st.Runs[0].Artifact("public/missing.txt"); a.StorageType != "error" || a.ErrorReason != "file-missing-on-worker" {
		t.Errorf("error artifact %+v", a)
	}
	checkChainOfTrust(t, env, "cot")
}

func checkChainOfTrust(t *testing.T, env *testEnv, id string) {
	t.Helper()
	st, _ := env.fake.Task(id)
	r := st.Runs[0]
	cert, ok1 := r.Artifact("public/chain-of-trust.json")
	sig, ok2 := r.Artifact("public/chain-of-trust.json.sig")
	cl, ok3 := r.Artifact("public/logs/certified.log")
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("chain-of-trust artifacts missing: %v %v %v", ok1, ok2, ok3)
	}
	if !ed25519.Verify(env.pub, cert.Data, sig.Data) {
		t.Error("chain-of-trust signature does not verify")
	}
	var c struct {
		Version     int                          `json:"chainOfTrustVersion"`
		Artifacts   map[string]map[string]string `json:"artifacts"`
		Task        map[string]any               `json:"task"`
		TaskID      string                       `json:"taskId"`
		WorkerID    string                       `json:"workerId"`
		Environment map[string]any               `json:"environment"`
	}
	if err := json.Unmarshal(cert.Data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 || c.TaskID != id || c.WorkerID != testID || c.Environment["imageHash"] != "sha256:abc" || c.Task["payload"] == nil {
		t.Errorf("certificate: %s", cert.Data)
	}
	for _, n := range []string{"public/out.txt", backingLogName, "public/logs/certified.log"} {
		if c.Artifacts[n]["sha256"] == "" {
			t.Errorf("certificate lacks hash of %s", n)
		}
	}
	if string(cl.Data) == "" {
		t.Error("certified.log empty")
	}
}

func TestCancelDuringTask(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{ClaimDuration: 2 * time.Second})
	env.addTask(t, "c1", map[string]any{"result": "block"}, nil)
	env.cfg.NumberOfTasksToRun = 1
	ex := newFakeExec()
	w := env.newWorker(t, testOptions(t, ex))
	wait := runWorker(context.Background(), w)
	<-ex.started
	if err := env.fake.CancelTask("c1"); err != nil {
		t.Fatal(err)
	}
	if code := wait(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}
	if err := ex.cause("c1"); !errors.Is(err, errClaimLost) {
		t.Errorf("task context cause = %v, want claim lost", err)
	}
	st, _ := env.fake.Task("c1")
	if r := st.Runs[0]; r.ReasonResolved != "canceled" || len(r.ResolveAttempts) != 0 {
		t.Errorf("run %+v", r)
	}
}

func TestCredentialRotation(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{ClaimDuration: 1 * time.Second})
	env.fake.AddClient("worker/new", "new-token", tcfake.WorkerScopes(testQueue, testGroup, testID)...)
	env.addTask(t, "r1", map[string]any{"sleepMs": 1500}, nil)
	env.cfg.NumberOfTasksToRun = 2
	w := env.newWorker(t, testOptions(t, newFakeExec()))
	wait := runWorker(context.Background(), w)
	waitResolved(t, env.fake, "r1")
	w.SetCredentials(Credentials{ClientID: "worker/new", AccessToken: "new-token"})
	env.addTask(t, "r2", map[string]any{}, nil)
	if code := wait(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}
	var claimsNew, resolveGen int
	for _, c := range env.fake.Calls() {
		switch {
		case c.Route == "queue.claimWork" && c.ClientID == "worker/new" && c.Status == 200:
			claimsNew++
		case c.Route == "queue.reportCompleted" && c.TaskID == "r1":
			resolveGen = c.CredGen
		}
	}
	if claimsNew == 0 {
		t.Error("claimWork never used the new credentials")
	}
	st, _ := env.fake.Task("r1")
	if st.Runs[0].Reclaims == 0 || resolveGen < 1 {
		t.Errorf("reclaims %d, resolve credentials generation %d (want ≥1)", st.Runs[0].Reclaims, resolveGen)
	}
}

func TestGracefulTermination(t *testing.T) {
	for _, finish := range []bool{true, false} {
		t.Run(fmt.Sprintf("finish-tasks=%v", finish), func(t *testing.T) {
			env := newTestEnv(t, tcfake.Options{})
			env.addTask(t, "g1", map[string]any{"sleepMs": 800}, nil)
			ex := newFakeExec()
			w := env.newWorker(t, testOptions(t, ex))
			wait := runWorker(context.Background(), w)
			<-ex.started
			w.Terminate(finish)
			if code := wait(t); code != ExitWorkerShutdown {
				t.Fatalf("exit %d, want 72", code)
			}
			st, _ := env.fake.Task("g1")
			want := "completed"
			if !finish {
				want = "worker-shutdown"
			}
			if r := st.Runs[0]; r.ReasonResolved != want || r.Resolutions() != 1 {
				t.Errorf("run %+v, want %s", r, want)
			}
		})
	}
}

func TestInterrupt(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.addTask(t, "i1", map[string]any{"result": "block"}, nil)
	ex := newFakeExec()
	w := env.newWorker(t, testOptions(t, ex))
	ctx, cancel := context.WithCancel(context.Background())
	wait := runWorker(ctx, w)
	<-ex.started
	cancel()
	if code := wait(t); code != ExitWorkerStopped {
		t.Fatalf("exit %d, want 71", code)
	}
	st, _ := env.fake.Task("i1")
	if r := st.Runs[0]; r.ReasonResolved != "worker-shutdown" || r.Resolutions() != 1 {
		t.Errorf("run %+v", r)
	}
}

func TestIdleTimeout(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.IdleTimeoutSecs = 1
	w := env.newWorker(t, testOptions(t, newFakeExec()))
	if code := runWorker(context.Background(), w)(t); code != ExitIdleTimeout {
		t.Fatalf("exit %d, want 68", code)
	}
}

// advisorFunc is a TerminationAdvisor.
type advisorFunc func() (bool, error)

func (f advisorFunc) ShouldWorkerTerminate(context.Context, Credentials, string, string, string) (bool, error) {
	return f()
}

// TestWorkerManagerTerminate: asked on every loop, also while a task runs;
// yes lets the running task finish, then exit 70 (generic-worker's
// WORKER_MANAGER_SHUTDOWN); the idle timeout does not ask (68).
func TestWorkerManagerTerminate(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.addTask(t, "wm1", map[string]any{"sleepMs": 1500}, nil)
	ex := newFakeExec()
	opts := testOptions(t, ex)
	opts.WorkerManager = opts.Queue.(*TCQueue)
	w := env.newWorker(t, opts)
	env.fake.SetShouldTerminate(false)
	wait := runWorker(context.Background(), w)
	<-ex.started
	env.fake.SetShouldTerminate(true)
	if code := wait(t); code != ExitWorkerManagerShutdown {
		t.Fatalf("exit %d, want 70", code)
	}
	st, _ := env.fake.Task("wm1")
	if r := st.Runs[0]; r.State != "completed" || r.Resolutions() != 1 {
		t.Errorf("run %+v: want completed (a worker-manager termination lets tasks finish)", r)
	}
	if ex.cause("wm1") != nil {
		t.Errorf("task was cancelled: %v", ex.cause("wm1"))
	}
}

// TestWorkerManagerUnreachableKeepsRunning: when shouldWorkerTerminate
// cannot be asked the worker goes on claiming (generic-worker), and its
// idle timeout still applies.
func TestWorkerManagerUnreachableKeepsRunning(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	ex := newFakeExec()
	opts := testOptions(t, ex)
	var asked atomic.Int32
	opts.WorkerManager = advisorFunc(func() (bool, error) {
		asked.Add(1)
		return false, errors.New("worker-manager: connection refused")
	})
	w := env.newWorker(t, opts)
	wait := runWorker(context.Background(), w)
	for asked.Load() < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	env.addTask(t, "wm2", map[string]any{}, nil)
	if st := waitResolved(t, env.fake, "wm2"); st.Runs[0].State != "completed" {
		t.Errorf("run %+v", st.Runs[0])
	}
	w.Terminate(true)
	if code := wait(t); code != ExitWorkerShutdown {
		t.Fatalf("exit %d, want 72", code)
	}
}

// TestCompletedJustBeforeShutdownKeepsResult: a run whose executor
// finished by itself keeps its resolution even when an abort arrives
// before the worker resolved it.
func TestCompletedJustBeforeShutdownKeepsResult(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.addTask(t, "k1", map[string]any{}, nil)
	var w *Worker
	opts := testOptions(t, ExecutorFunc(func(ctx context.Context, tr *TaskRun) Outcome {
		w.Terminate(false) // the shutdown lands as the task ends by itself
		<-ctx.Done()
		return Outcome{Resolution: Completed}
	}))
	w = env.newWorker(t, opts)
	if code := runWorker(context.Background(), w)(t); code != ExitWorkerShutdown {
		t.Fatalf("exit %d, want 72", code)
	}
	st, _ := env.fake.Task("k1")
	if r := st.Runs[0]; r.State != "completed" || r.Resolutions() != 1 {
		t.Errorf("run %+v: want completed, kept", r)
	}
}

// TestStopKeepsGrantedClaims: a claimWork the queue has granted but not yet
// answered when the worker stops is not abandoned to claim-expired: its
// runs are resolved exception/worker-shutdown (retried by the queue).
func TestStopKeepsGrantedClaims(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.addTask(t, "c1", map[string]any{}, map[string]any{"retries": 1})
	env.fake.SetFaults(tcfake.Faults{Routes: []string{"queue.claimWork"}, ReplyDelay: 700 * time.Millisecond})
	ex := newFakeExec()
	w := env.newWorker(t, testOptions(t, ex))
	wait := runWorker(context.Background(), w)
	// Stop while the granting claimWork's answer is on its way.
	for {
		st, _ := env.fake.Task("c1")
		if st.Runs[0].State == "running" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Terminate(false)
	if code := wait(t); code != ExitWorkerShutdown {
		t.Fatalf("exit %d, want 72", code)
	}
	st, _ := env.fake.Task("c1")
	if r := st.Runs[0]; r.State != "exception" || r.ReasonResolved != "worker-shutdown" || r.Resolutions() != 1 {
		t.Fatalf("run 0 %+v: want exception/worker-shutdown reported by the worker", r)
	}
	if len(st.Runs) != 2 || st.Runs[1].State != "pending" {
		t.Errorf("runs %+v: want a retry pending", st.Runs)
	}
	select {
	case id := <-ex.started:
		t.Errorf("task %s was started after the abort", id)
	default:
	}
}

func TestLiveLogServesRunningTask(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.addTask(t, "l1", map[string]any{"result": "block"}, nil)
	ex := newFakeExec()
	w := env.newWorker(t, testOptions(t, ex))
	ctx, cancel := context.WithCancel(context.Background())
	wait := runWorker(ctx, w)
	<-ex.started
	st, _ := env.fake.Task("l1")
	ref, ok := st.Runs[0].Artifact(liveLogName)
	if !ok || ref.StorageType != "reference" {
		t.Fatalf("live log artifact %+v", ref)
	}
	resp, err := http.Get(ref.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 0, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(buf), "hello from l1") && time.Now().Before(deadline) {
		tmp := make([]byte, 1024)
		n, err := resp.Body.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err == io.EOF {
			break
		}
	}
	if !strings.Contains(string(buf), "Task ID: l1") || !strings.Contains(string(buf), "hello from l1") {
		t.Errorf("live log: %q", buf)
	}
	cancel()
	wait(t)
}

func TestObjectArtifacts(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.CreateObjectArtifacts = true
	env.cfg.NumberOfTasksToRun = 1
	env.addTask(t, "o1", map[string]any{"artifact": "object data"}, nil)
	w := env.newWorker(t, testOptions(t, newFakeExec()))
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("o1")
	a, _ := st.Runs[0].Artifact("public/out.txt")
	if a.StorageType != "object" || !a.Present || string(a.Data) != "object data" {
		t.Errorf("object artifact %+v", a)
	}
	if st.Runs[0].State != "completed" {
		t.Errorf("run %+v", st.Runs[0])
	}
}

// soakFaults are 20% injected failures on every call a task run makes
// (claimWork is left alone: a lost claimWork response leaves a run
// claimed that the worker never saw, which only the queue's claim expiry
// can recover).
var soakFaults = tcfake.Faults{
	Routes: []string{"queue.reclaimTask", "queue.reportCompleted", "queue.reportFailed", "queue.reportException",
		"queue.createArtifact", "queue.finishArtifact", "s3.put"},
	Rate: 0.10, AfterRate: 0.05, ResetRate: 0.05,
}

func TestSoakWithQueueFaults(t *testing.T) {
	n := envInt(t, "DWSHIM_SOAK_TASKS", 200)
	env := newTestEnv(t, tcfake.Options{Seed: 42, Faults: soakFaults})
	env.cfg.Capacity = 4
	env.cfg.NumberOfTasksToRun = n
	results := []string{"completed", "failed", "retry"}
	for i := 0; i < n; i++ {
		env.addTask(t, fmt.Sprintf("s%03d", i), map[string]any{"result": results[i%3], "artifact": fmt.Sprintf("data %d", i)}, nil)
	}
	w := env.newWorker(t, testOptions(t, newFakeExec()))
	start := time.Now()
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	t.Logf("%d tasks with 20%% queue faults in %v", n, time.Since(start).Round(time.Millisecond))
	want := map[string]string{"completed": "completed", "failed": "failed", "retry": "intermittent-task"}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("s%03d", i)
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		if r.ReasonResolved != want[results[i%3]] || r.Resolutions() != 1 {
			t.Errorf("%s: %s/%s resolved %d times", id, r.State, r.ReasonResolved, r.Resolutions())
		}
		if a, ok := r.Artifact("public/out.txt"); !ok || !a.Present || string(a.Data) != fmt.Sprintf("data %d", i) {
			t.Errorf("%s: artifact %+v", id, a)
		}
		if a, ok := r.Artifact(backingLogName); !ok || !a.Present {
			t.Errorf("%s: backing log missing", id)
		}
	}
	faults := 0
	for _, c := range env.fake.Calls() {
		if c.Fault != "" {
			faults++
		}
	}
	t.Logf("injected faults: %d", faults)
}
