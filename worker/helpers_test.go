package worker

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

const (
	testQueue = "dwshim-test/wt"
	testGroup = "grp"
	testID    = "wkr"
)

// testEnv is a tcfake plus a config pointing at it.
type testEnv struct {
	fake *tcfake.Server
	cfg  Config
	pub  ed25519.PublicKey
}

func newTestEnv(t testing.TB, fo tcfake.Options) *testEnv {
	t.Helper()
	fake := tcfake.New(fo)
	fake.Start()
	t.Cleanup(fake.Close)
	fake.AddClient("worker/wkr", "worker-token", tcfake.WorkerScopes(testQueue, testGroup, testID)...)
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "ed25519.key")
	if err := os.WriteFile(keyPath, []byte(base64.StdEncoding.EncodeToString(priv.Seed())), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.RootURL, cfg.ClientID, cfg.AccessToken = fake.RootURL(), "worker/wkr", "worker-token"
	cfg.ProvisionerID, cfg.WorkerType, cfg.WorkerGroup, cfg.WorkerID = "dwshim-test", "wt", testGroup, testID
	cfg.TasksDir, cfg.CachesDir, cfg.DownloadsDir = filepath.Join(dir, "tasks"), filepath.Join(dir, "caches"), filepath.Join(dir, "downloads")
	cfg.Ed25519SigningKeyLocation = keyPath
	return &testEnv{fake: fake, cfg: cfg, pub: pub}
}

// testOptions: fast polling and retries.
func testOptions(t *testing.T, exec Executor) Options {
	return Options{
		Queue:         NewTCQueue("", RetryPolicy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, MaxElapsed: 5 * time.Second}),
		Executor:      exec,
		Logger:        slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ClaimInterval: 20 * time.Millisecond,
		ShutdownGrace: 3 * time.Second,
		Retry:         RetryPolicy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, MaxElapsed: 5 * time.Second},
		LiveLogHost:   "127.0.0.1",
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (e *testEnv) newWorker(t *testing.T, opts Options) *Worker {
	t.Helper()
	q := opts.Queue.(*TCQueue)
	q.RootURL = e.cfg.RootURL
	opts.Objects = q
	if opts.PurgeCache == nil {
		opts.PurgeCache = q
	}
	w, err := New(e.cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return w
}

// addTasks adds tasks with the given payloads (retries 0 unless set).
func (e *testEnv) addTask(t *testing.T, id string, payload map[string]any, extra map[string]any) {
	t.Helper()
	def := map[string]any{"taskQueueId": testQueue, "payload": payload, "retries": 0}
	for k, v := range extra {
		def[k] = v
	}
	b, _ := json.Marshal(def)
	if err := e.fake.AddTask(id, b); err != nil {
		t.Fatal(err)
	}
}

// fakeExec is an Executor driven by the payload: {"result": completed |
// failed | retry | malformed | block, "sleepMs": n, "artifact": "text"}.
type fakeExec struct {
	mu        sync.Mutex
	cancelled map[string]error // taskId → context cause seen
	started   chan string
}

func newFakeExec() *fakeExec {
	return &fakeExec{cancelled: map[string]error{}, started: make(chan string, 1000)}
}

func (f *fakeExec) Execute(ctx context.Context, t *TaskRun) Outcome {
	select {
	case f.started <- t.TaskID:
	default:
	}
	var p struct {
		Result   string `json:"result"`
		SleepMs  int    `json:"sleepMs"`
		Artifact string `json:"artifact"`
		CoT      bool   `json:"chainOfTrust"`
	}
	if err := json.Unmarshal(t.Task.Payload, &p); err != nil {
		t.Log.Errorf("payload: %v", err)
		return Outcome{Resolution: Exception("malformed-payload")}
	}
	t.Log.Infof("fake executor running %s", t.TaskID)
	_, _ = fmt.Fprintf(t.Log, "hello from %s\n", t.TaskID)
	if p.SleepMs > 0 {
		select {
		case <-time.After(time.Duration(p.SleepMs) * time.Millisecond):
		case <-ctx.Done():
		}
	}
	if p.Result == "block" {
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		f.mu.Lock()
		f.cancelled[t.TaskID] = context.Cause(ctx)
		f.mu.Unlock()
		return Outcome{Resolution: Failed, Aborted: true}
	}
	if p.Artifact != "" {
		if err := t.Artifacts.Upload(ctx, "public/out.txt", "", time.Time{}, strings.NewReader(p.Artifact)); err != nil {
			t.Log.Errorf("upload: %v", err)
			return Outcome{Resolution: Exception("internal-error")}
		}
		if err := t.Artifacts.Error(ctx, "public/missing.txt", "file-missing-on-worker", "Could not read file '/missing.txt'", time.Time{}); err != nil {
			return Outcome{Resolution: Exception("internal-error")}
		}
	}
	out := Outcome{ChainOfTrust: p.CoT, Environment: map[string]any{"imageHash": "sha256:abc"}}
	switch p.Result {
	case "completed", "":
		out.Resolution = Completed
	case "failed":
		out.Resolution = Failed
	case "retry":
		out.Resolution = Exception("intermittent-task")
	case "malformed":
		t.Log.Errorf("/payload/image: is required\n/payload/command: expected array")
		out.Resolution = Exception("malformed-payload")
	default:
		out.Resolution = Exception("internal-error")
	}
	return out
}

func (f *fakeExec) cause(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancelled[id]
}

// runWorker runs w in the background; the returned func waits for it.
func runWorker(ctx context.Context, w *Worker) func(t *testing.T) ExitCode {
	limit := 60*time.Second + time.Duration(w.cfg.NumberOfTasksToRun)*2*time.Second
	type res struct {
		code ExitCode
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := w.Run(ctx)
		ch <- res{c, err}
	}()
	return func(t *testing.T) ExitCode {
		t.Helper()
		select {
		case r := <-ch:
			if r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			return r.code
		case <-time.After(limit):
			t.Fatalf("worker did not exit within %v", limit)
			return -1
		}
	}
}

func waitResolved(t *testing.T, fake *tcfake.Server, id string) tcfake.TaskState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := fake.WaitResolved(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	return testenv.EnvInt(t, name, def)
}
