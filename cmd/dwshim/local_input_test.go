package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/runner"
)

func TestDecodeInput(t *testing.T) {
	def, err := decodeInput([]byte(`
taskId: abc
taskQueueId: prov/wt
expires: "2030-01-01T00:00:00.000Z"
payload:
  image: x
  maxRunTime: 10
`))
	if err != nil {
		t.Fatal(err)
	}
	if !def.IsTask || def.TaskID != "abc" || def.TaskGroupID != "" || def.ProvisionerID != "prov" ||
		def.WorkerType != "wt" || def.Payload["image"] != "x" || def.Expires.Year() != 2030 {
		t.Errorf("task definition: %+v", def)
	}
	pl, err := decodeInput([]byte(`{"image": {"type": "task-image", "taskId": "IMGTASK0QACAAAAAAAAAAA", "path": "p"}, "maxRunTime": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if pl.IsTask || pl.TaskID != "" || pl.Payload["maxRunTime"] != float64(1) {
		t.Errorf("payload: %+v", pl)
	}
	for _, bad := range []string{`[1]`, `{"foo": 1}`, `{"payload": 3}`, `: :`, ``} {
		if _, err := decodeInput([]byte(bad)); err == nil {
			t.Errorf("decodeInput(%q) succeeded", bad)
		}
	}
}

func TestLoadD2GConfig(t *testing.T) {
	cfg, _, err := loadD2GConfig("")
	if err != nil || !cfg.EnableD2G || !cfg.AllowPrivileged {
		t.Fatalf("offline config: %+v %v", cfg, err)
	}
	f := filepath.Join(t.TempDir(), "gw.json")
	os.WriteFile(f, []byte(`{"d2gConfig": {"enableD2G": false, "allowPrivileged": false}, "other": 1}`), 0o644)
	cfg, warns, err := loadD2GConfig(f)
	if err != nil || !cfg.EnableD2G || cfg.AllowPrivileged || !cfg.AllowPtrace {
		t.Fatalf("file config: %+v %v", cfg, err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "ignoring keys dwshim does not read: other") {
		t.Errorf("warnings %q", warns)
	}
	if _, _, err := loadD2GConfig(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("missing config file accepted")
	}
}

func TestExitCodeFor(t *testing.T) {
	for _, tc := range []struct {
		res  runner.Result
		err  error
		want int
	}{
		{runner.Result{Resolution: runner.Completed, Reason: runner.ReasonCompleted}, nil, 0},
		{runner.Result{Resolution: runner.Failed, Reason: runner.ReasonFailed, ExitCode: 3}, nil, 3},
		{runner.Result{Resolution: runner.Exception, Reason: runner.ReasonIntermittentTask, ExitCode: 36}, nil, 36},
		{runner.Result{Resolution: runner.Failed, Reason: runner.ReasonFailed, ExitCode: 137, TimedOut: true}, nil, exitMaxRunTime},
		{runner.Result{Resolution: runner.Exception, Reason: runner.ReasonWorkerShutdown, ExitCode: 137, Cancelled: true}, nil, exitCancelled},
		{runner.Result{Resolution: runner.Failed, Reason: runner.ReasonFailed, ExitCode: -1}, runner.ErrImageNotFound, exitImageNotFound},
		{runner.Result{Resolution: runner.Exception, Reason: runner.ReasonInternalError, ExitCode: -1}, runner.ErrEngineUnavailable, exitEngineUnavailable},
		{runner.Result{Resolution: runner.Exception, Reason: runner.ReasonInternalError, ExitCode: 0}, errors.New("sink"), exitInternal},
		{runner.Result{Resolution: runner.Exception, Reason: runner.ReasonInternalError, ExitCode: -1}, fmt.Errorf("prepare: %w", runner.ErrImageUnavailable), exitImageNotFound},
	} {
		if got := exitCodeFor(&tc.res, tc.err); got != tc.want {
			t.Errorf("exitCodeFor(%+v, %v) = %d, want %d", tc.res, tc.err, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	var b strings.Builder
	summarize(&b, "T", &runner.Result{Resolution: runner.Failed, Reason: runner.ReasonFailed, ExitCode: 2, Message: "task failed with exit code 2",
		Artifacts: []runner.ArtifactRecord{{Name: "public/a", Kind: "file"}, {Name: "public/m", Kind: "error", Reason: "file-missing-on-worker", Message: "gone"}}}, "arts", true)
	want := "dwshim: artifact public/m: file-missing-on-worker: gone\ndwshim: task T failed/failed, exit code 2, 1 artifact files in arts, 0s: task failed with exit code 2\n"
	if b.String() != want {
		t.Errorf("got %q", b.String())
	}
}
