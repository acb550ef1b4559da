package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/translate"
)

var t0 = time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)

func fixedClock() func() time.Time { return func() time.Time { return t0 } }

func newTestTask() *Task {
	return &Task{
		Plan: &plan.Plan{
			Image:      plan.Image{Kind: plan.ImageNamed, Ref: "dwshim-test/busybox:latest"},
			Command:    []string{"true"},
			Caches:     []plan.Cache{{Name: "c1", MountPath: "/cache"}},
			MaxRunTime: plan.Duration(time.Hour),
			OnExit:     plan.ExitPolicy{Retry: []int{36}, PurgeCaches: []int{0, 72}},
			Features:   plan.Features{UploadArtifacts: true},
		},
		Identity: plan.Identity{TaskID: "TASKID", RunID: 0},
		Key:      "TASKID-0",
		WorkerID: "w1",
	}
}

func run(t *testing.T, e *memEngine, task *Task, ctx context.Context, sink ArtifactSink) (*Result, string, error) {
	t.Helper()
	r, err := New(Config{Engine: e, Now: fixedClock(), Worker: WorkerInfo{WorkerID: "local-h", Hostname: "h"}})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := r.Run(ctx, task, RunOptions{Log: &log, Artifacts: sink, Expires: t0.Add(time.Hour)})
	if res == nil {
		t.Fatal("nil result")
	}
	return res, log.String(), err
}

func exitWith(code int, out string) func(context.Context, io.Writer) (Exit, error) {
	return func(_ context.Context, w io.Writer) (Exit, error) {
		io.WriteString(w, out)
		return Exit{Code: code}, nil
	}
}

func TestRunLogFormat(t *testing.T) {
	e := &memEngine{run: exitWith(0, "hello\nno newline")}
	res, log, err := run(t, e, newTestTask(), context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `[taskcluster 2026-11-25 22:00:00.000Z] Task ID: TASKID
[taskcluster 2026-11-25 22:00:00.000Z] Worker ID: local-h
[taskcluster 2026-11-25 22:00:00.000Z] Hostname: h
[taskcluster 2026-11-25 22:00:00.000Z] Image: dwshim-test/busybox:latest
[taskcluster 2026-11-25 22:00:00.000Z] using cache "c1" -> /cache
preparing image
[taskcluster 2026-11-25 22:00:00.000Z] === Task Starting ===
hello
no newline
[taskcluster 2026-11-25 22:00:00.000Z] === Task Finished ===
[taskcluster 2026-11-25 22:00:00.000Z] Purging caches since last command had exit code 0 which is listed in task.payload.onExitStatus.purgeCaches
[taskcluster 2026-11-25 22:00:00.000Z] Successful task run with exit code: 0 completed in 0 seconds
`
	if log != want {
		t.Errorf("log:\n%s\nwant:\n%s", log, want)
	}
	if res.Resolution != Completed || res.Reason != ReasonCompleted || res.ExitCode != 0 || !res.PurgedCaches {
		t.Errorf("result %+v", res)
	}
	if e.called("destroy") != 1 || e.called("purge") != 1 {
		t.Errorf("calls %v", e.calls)
	}
}

func TestExitPolicy(t *testing.T) {
	for _, tc := range []struct {
		code   int
		res    Resolution
		reason Reason
		purge  bool
		footer string
	}{
		{0, Completed, ReasonCompleted, true, "Successful task run with exit code: 0"},
		{1, Failed, ReasonFailed, false, "Unsuccessful task run with exit code: 1"},
		{36, Exception, ReasonIntermittentTask, false, "Unsuccessful task run with exit code: 36"},
		{72, Failed, ReasonFailed, true, "Unsuccessful task run with exit code: 72"},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			e := &memEngine{run: exitWith(tc.code, "")}
			res, log, _ := run(t, e, newTestTask(), context.Background(), nil)
			if res.Resolution != tc.res || res.Reason != tc.reason || res.ExitCode != tc.code || res.PurgedCaches != tc.purge {
				t.Errorf("got %+v", res)
			}
			if !strings.Contains(log, tc.footer) {
				t.Errorf("log lacks %q:\n%s", tc.footer, log)
			}
		})
	}
}

func TestOOMKilled(t *testing.T) {
	e := &memEngine{run: func(context.Context, io.Writer) (Exit, error) { return Exit{Code: 137, OOMKilled: true}, nil }}
	res, log, _ := run(t, e, newTestTask(), context.Background(), nil)
	if res.Resolution != Failed || !res.Exit.OOMKilled || !strings.Contains(log, "[taskcluster:error] The container was killed: out of memory.") {
		t.Errorf("got %+v\n%s", res, log)
	}
}

// A task exceeding the pool's limits fails naming the limit, even with
// exit 0 (only a child was OOM-killed) or an exit code listed in retry.
func TestPoolLimitsFailTheTask(t *testing.T) {
	for _, tc := range []struct {
		name string
		exit Exit
		want string
	}{
		{"memory exit 0", Exit{Code: 0, OOMKilled: true}, "Task exceeded the worker pool's memory limit of 67108864 bytes (taskMemoryLimitBytes)"},
		{"memory retried code", Exit{Code: 36, OOMKilled: true}, "(taskMemoryLimitBytes)"},
		{"pids", Exit{Code: 36, PidsLimitReached: true}, "Task reached the worker pool's limit of 20 processes (taskPidsLimit)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &memEngine{run: func(context.Context, io.Writer) (Exit, error) { return tc.exit, nil }}
			task := newTestTask()
			task.Plan.Limits = plan.Limits{MemoryBytes: 64 << 20, Pids: 20}
			task.Plan.OnExit.Retry = []int{36}
			res, log, _ := run(t, e, task, context.Background(), nil)
			if res.Resolution != Failed || res.Reason != ReasonFailed || !strings.Contains(log, "[taskcluster:error] "+tc.want) && !strings.Contains(log, tc.want) {
				t.Errorf("got %s/%s\n%s", res.Resolution, res.Reason, log)
			}
		})
	}
	// A pids count at the limit with exit 0 is a task that coped: completed.
	e := &memEngine{run: func(context.Context, io.Writer) (Exit, error) { return Exit{PidsLimitReached: true}, nil }}
	task := newTestTask()
	task.Plan.Limits.Pids = 20
	if res, _, _ := run(t, e, task, context.Background(), nil); res.Resolution != Completed {
		t.Errorf("pids at the limit, exit 0: %s", res.Resolution)
	}
}

func blockUntilDone(ctx context.Context, w io.Writer) (Exit, error) {
	io.WriteString(w, "sleeping")
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Exit{Code: 137, TimedOut: true}, nil
	}
	return Exit{Code: 137, Cancelled: true}, nil
}

func TestMaxRunTime(t *testing.T) {
	task := newTestTask()
	task.Plan.MaxRunTime = plan.Duration(20 * time.Millisecond)
	task.Plan.Artifacts = []plan.Artifact{{Name: "public/a.txt", Path: "/a.txt", Kind: plan.ArtifactFile}}
	e := &memEngine{run: blockUntilDone, fs: map[string]memFile{"/a.txt": {data: "partial"}}}
	dir := t.TempDir()
	sink, _ := NewDirSink(dir)
	res, log, _ := run(t, e, task, context.Background(), sink)
	if res.Resolution != Failed || !res.TimedOut || !res.PurgedCaches {
		t.Errorf("got %+v", res)
	}
	if !strings.Contains(log, "sleeping\n[taskcluster:error] Task timeout after 0.02 seconds. Force killing container.\n") {
		t.Errorf("log:\n%s", log)
	}
	// Artifacts are collected after maxRunTime (our choice, as d2g).
	if b, err := os.ReadFile(filepath.Join(dir, "public/a.txt")); err != nil || string(b) != "partial" {
		t.Errorf("artifact: %q %v", b, err)
	}
}

func TestCancel(t *testing.T) {
	task := newTestTask()
	task.Plan.Artifacts = []plan.Artifact{{Name: "public/a.txt", Path: "/a.txt", Kind: plan.ArtifactFile}}
	ctx, cancel := context.WithCancel(context.Background())
	e := &memEngine{run: func(c context.Context, w io.Writer) (Exit, error) {
		cancel()
		return blockUntilDone(c, w)
	}, fs: map[string]memFile{"/a.txt": {data: "x"}}}
	res, _, _ := run(t, e, task, ctx, &recordSink{})
	if res.Resolution != Exception || res.Reason != ReasonWorkerShutdown || !res.Cancelled || res.TimedOut {
		t.Errorf("got %+v", res)
	}
	if e.called("copyout") != 0 || e.called("destroy") != 1 || e.called("purge") != 1 {
		t.Errorf("calls %v", e.calls)
	}
}

func TestPrepareErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		res    Resolution
		reason Reason
	}{
		{fmt.Errorf("pull: %w", ErrImageNotFound), Failed, ReasonFailed},
		{fmt.Errorf("ping: %w", ErrEngineUnavailable), Exception, ReasonInternalError},
		{errors.New("disk full"), Exception, ReasonInternalError},
	} {
		e := &memEngine{prepareErr: tc.err}
		res, log, err := run(t, e, newTestTask(), context.Background(), nil)
		if !errors.Is(err, tc.err) || res.Resolution != tc.res || res.Reason != tc.reason || res.ExitCode != -1 {
			t.Errorf("%v: got %+v, %v", tc.err, res, err)
		}
		if e.called("run") != 0 || e.called("destroy") != 1 || e.called("purge") != 0 {
			t.Errorf("calls %v", e.calls)
		}
		if !strings.Contains(log, "\n\n[taskcluster:error] prepare dwshim-test/busybox:latest: ") ||
			!strings.HasSuffix(log, "Unsuccessful task run with exit code: -1 completed in 0 seconds\n") {
			t.Errorf("log:\n%s", log)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err    error
		res    Resolution
		reason Reason
	}{
		{nil, Completed, ReasonCompleted},
		{fmt.Errorf("x: %w", &translate.Error{Reason: translate.MalformedPayload}), Exception, ReasonMalformedPayload},
		{&translate.Error{Reason: translate.InternalError}, Exception, ReasonInternalError},
		{ErrImageNotFound, Failed, ReasonFailed},
		{context.Canceled, Exception, ReasonWorkerShutdown},
		{ErrEngineUnavailable, Exception, ReasonInternalError},
	} {
		res, reason := Classify(tc.err)
		if res != tc.res || reason != tc.reason {
			t.Errorf("Classify(%v) = %s/%s", tc.err, res, reason)
		}
	}
}

func TestMultiLineError(t *testing.T) {
	var b bytes.Buffer
	l := newTaskLog(&b, fixedClock())
	l.Write([]byte("out"))
	l.Errorf("a\nb")
	l.Infof("c")
	want := "out\n[taskcluster:error] a\n[taskcluster:error] b\n[taskcluster 2026-11-25 22:00:00.000Z] c\n"
	if b.String() != want {
		t.Errorf("got %q", b.String())
	}
}

// recordSink keeps what it is given, in memory (small test data only).
type recordSink struct {
	files  map[string]string
	errors []string
}

func (s *recordSink) PutFile(_ context.Context, name string, r io.Reader, size int64, _ time.Time) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if int64(len(b)) != size {
		return fmt.Errorf("size %d != %d", len(b), size)
	}
	if s.files == nil {
		s.files = map[string]string{}
	}
	s.files[name] = string(b)
	return nil
}

func (s *recordSink) PutError(_ context.Context, name, reason, message string, _ time.Time) error {
	s.errors = append(s.errors, name+" "+reason+" "+message)
	return nil
}
