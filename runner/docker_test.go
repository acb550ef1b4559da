package runner_test

// Tests of the runner on the real Docker daemon (runner/docker), with the
// image dwshim-test/busybox:latest that scripts/test-env.sh loads.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

const testImage = "dwshim-test/busybox:latest"

func randID() string {
	var b [5]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// shPlan is a plan running script with sh -c on the test image.
func shPlan(script string) *plan.Plan {
	return &plan.Plan{
		Image:      plan.Image{Kind: plan.ImageNamed, Ref: testImage},
		Command:    []string{"sh", "-c", script},
		MaxRunTime: plan.Duration(time.Minute),
		Features:   plan.Features{UploadArtifacts: true},
		TTY:        true,
	}
}

// dockerTask wraps p in a Task with a unique key.
func dockerTask(t *testing.T, p *plan.Plan) *runner.Task {
	id := "T" + randID()
	return &runner.Task{
		Plan:     p,
		Identity: plan.Identity{TaskID: id, RunID: 0, WorkerGroup: "test", WorkerID: testWorkerID},
		Key:      id + "-0",
		WorkerID: testWorkerID,
	}
}

// runDocker runs task and returns the result and the log with CR removed
// (the container has a TTY).
func runDocker(t *testing.T, ctx context.Context, task *runner.Task, sink runner.ArtifactSink) (*runner.Result, string) {
	t.Helper()
	r := newDockerRunner(t)
	var log bytes.Buffer
	res, err := r.Run(ctx, task, runner.RunOptions{Log: &log, Artifacts: sink, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Logf("run error: %v", err)
	}
	out := strings.ReplaceAll(log.String(), "\r", "")
	if t.Failed() || testing.Verbose() {
		t.Logf("log:\n%s", out)
	}
	return res, out
}

func TestDockerEnv(t *testing.T) {
	// 100 KiB: above d2g's 64 KiB env-file line limit, below Linux's
	// 128 KiB limit for one variable.
	big := strings.Repeat("0123456789abcdef", 100*1024/16)
	p := shPlan(`echo "TASK_ID=$TASK_ID"; echo "FOO=$FOO"; printf %s "$BIG" | wc -c; printf %s "$MULTI" | wc -l; echo "$MULTI" | tail -n 1`)
	p.Env = []plan.EnvVar{
		{Name: "BIG", Value: big},
		{Name: "FOO", Value: "bar baz"},
		{Name: "MULTI", Value: "one\ntwo\n'three' \"$x\""},
		{Name: "TASK_ID", Value: "from-payload"},
	}
	task := dockerTask(t, p)
	res, log := runDocker(t, context.Background(), task, nil)
	if res.Resolution != runner.Completed {
		t.Fatalf("result %+v", res)
	}
	for _, want := range []string{
		"TASK_ID=" + task.Identity.TaskID + "\n", // the worker's value wins
		"FOO=bar baz\n",
		"\n102400\n",
		"\n2\n'three' \"$x\"\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestDockerCachesPersistAndPurge(t *testing.T) {
	name := "dwshim-test-cache-" + randID()
	p := shPlan(`n=$(cat /c/n 2>/dev/null || echo 0); echo "seen=$n"; echo $((n+1)) > /c/n; exit $EXIT`)
	p.Caches = []plan.Cache{{Name: name, MountPath: "/c"}}
	p.OnExit.PurgeCaches = []int{5}
	t.Cleanup(func() { newDockerEngine(t).PurgeCaches(context.Background(), dockerTask(t, p)) })
	for i, step := range []struct {
		exit   string
		seen   string
		purged bool
	}{
		{"0", "seen=0", false},
		{"0", "seen=1", false},
		{"5", "seen=2", true}, // listed in purgeCaches
		{"0", "seen=0", false},
	} {
		p.Env = []plan.EnvVar{{Name: "EXIT", Value: step.exit}}
		res, log := runDocker(t, context.Background(), dockerTask(t, p), nil)
		if !strings.Contains(log, step.seen+"\n") || res.PurgedCaches != step.purged {
			t.Errorf("run %d: want %s purged=%v; got %+v", i, step.seen, step.purged, res)
		}
	}
}

func TestDockerArtifacts(t *testing.T) {
	p := shPlan(`set -e
mkdir -p /out/dir/sub
echo A > /out/a.txt
echo B > /out/dir/b.txt
echo C > /out/dir/sub/c.txt
ln /out/dir/b.txt /out/dir/hard.txt
ln -s /etc /out/dir/etc
ln -s ../../../../../../tmp /out/dir/up
ln -s /etc/passwd /out/dir/passwd
ln -s /etc /out/link
mkfifo /out/dir/fifo
`)
	p.Artifacts = []plan.Artifact{
		{Name: "public/a.txt", Path: "/out/a.txt", Kind: plan.ArtifactFile},
		{Name: "public/dir", Path: "/out/dir", Kind: plan.ArtifactDirectory},
		{Name: "public/isdir", Path: "/out/dir", Kind: plan.ArtifactFile},
		{Name: "public/link", Path: "/out/link", Kind: plan.ArtifactFile},
		{Name: "public/missing.txt", Path: "/out/nope.txt", Kind: plan.ArtifactFile},
	}
	parent := t.TempDir()
	sink, err := runner.NewDirSink(filepath.Join(parent, "art"))
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	res, _ := runDocker(t, context.Background(), dockerTask(t, p), sink)
	if res.Resolution != runner.Completed {
		t.Fatalf("result %+v", res)
	}
	got := map[string]string{}
	filepath.WalkDir(parent, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(parent, path)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t.Errorf("symbolic link written: %s", rel)
		case d.Type().IsRegular():
			b, _ := os.ReadFile(path)
			got[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	want := map[string]string{
		"art/public/a.txt":         "A\n",
		"art/public/dir/b.txt":     "B\n",
		"art/public/dir/hard.txt":  "B\n",
		"art/public/dir/sub/c.txt": "C\n",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	var errs []string
	for _, e := range sink.Errors() {
		errs = append(errs, e.Name+" "+e.Reason+" "+e.Message)
	}
	sort.Strings(errs)
	wantErrs := []string{
		`public/isdir invalid-resource-on-worker Expected artifact "public/isdir" at "/out/dir" in the container to be a file but was a directory`,
		`public/link invalid-resource-on-worker Expected artifact "public/link" at "/out/link" in the container to be a file but was a directory`,
		`public/missing.txt file-missing-on-worker artifact "public/missing.txt" not found at "/out/nope.txt" in the container`,
	}
	if d := cmp.Diff(wantErrs, errs); d != "" {
		t.Errorf("error artifacts (-want +got):\n%s", d)
	}
}

func TestDockerMaxRunTime(t *testing.T) {
	p := shPlan(`mkdir -p /out; echo partial > /out/p.txt; echo started; sleep 100`)
	p.MaxRunTime = plan.Duration(2 * time.Second)
	p.Artifacts = []plan.Artifact{{Name: "public/p.txt", Path: "/out/p.txt", Kind: plan.ArtifactFile}}
	dir := t.TempDir()
	sink, _ := runner.NewDirSink(dir)
	defer sink.Close()
	task := dockerTask(t, p)
	start := time.Now()
	res, log := runDocker(t, context.Background(), task, sink)
	if res.Resolution != runner.Failed || !res.TimedOut {
		t.Errorf("result %+v", res)
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("run took %s", d)
	}
	if !strings.Contains(log, "\n[taskcluster:error] Task timeout after 2 seconds. Force killing container.\n") {
		t.Error("no timeout line in the log")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "public/p.txt")); string(b) != "partial\n" {
		t.Errorf("artifact after maxRunTime: %q %v", b, err)
	}
	requireGone(t, task)
}

func TestDockerCancel(t *testing.T) {
	p := shPlan(`echo started; sleep 100`)
	task := dockerTask(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(2 * time.Second)
		cancel()
	}()
	res, _ := runDocker(t, ctx, task, nil)
	if res.Resolution != runner.Exception || res.Reason != runner.ReasonWorkerShutdown || !res.Cancelled {
		t.Errorf("result %+v", res)
	}
	requireGone(t, task)
}

func TestDockerExitPolicy(t *testing.T) {
	for _, tc := range []struct {
		code   string
		res    runner.Resolution
		reason runner.Reason
		exit   int
	}{
		{"0", runner.Completed, runner.ReasonCompleted, 0},
		{"3", runner.Failed, runner.ReasonFailed, 3},
		{"36", runner.Exception, runner.ReasonIntermittentTask, 36},
	} {
		p := shPlan("exit " + tc.code)
		p.OnExit.Retry = []int{36}
		res, _ := runDocker(t, context.Background(), dockerTask(t, p), nil)
		if res.Resolution != tc.res || res.Reason != tc.reason || res.ExitCode != tc.exit {
			t.Errorf("exit %s: %+v", tc.code, res)
		}
	}
}

func TestDockerImageNotFound(t *testing.T) {
	requireRegistry(t)
	p := shPlan("true")
	p.Image.Ref = testRegistry + "/dwshim-test/no-such-image:" + randID()
	res, log := runDocker(t, context.Background(), dockerTask(t, p), nil)
	if res.Resolution != runner.Failed || res.ExitCode != -1 {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(log, "Unsuccessful task run with exit code: -1") {
		t.Error("no footer with exit code -1")
	}
}
