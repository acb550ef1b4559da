package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

func TestPullRetries(t *testing.T) {
	e := newTestEngine(t)
	var slept []time.Duration
	e.opts.Pull = RetryPolicy{Attempts: 3, Base: time.Second, Rand: func() float64 { return 0.5 }}
	e.opts.Sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	// Nothing listens on port 1: a transient failure, retried.
	task := &runner.Task{Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: "127.0.0.1:1/nothing:latest"}}, Key: "pull-retry", WorkerID: testWorker}
	defer e.Destroy(context.Background(), task)
	var log bytes.Buffer
	err := e.Prepare(context.Background(), task, &log)
	if err == nil || errors.Is(err, runner.ErrImageNotFound) {
		t.Fatalf("err = %v, want a transient pull error", err)
	}
	if fmt.Sprint(slept) != "[1s 2s]" {
		t.Errorf("slept %v, want [1s 2s]\nlog:\n%s", slept, log.String())
	}
	// The registry's "not found" is final.
	slept = nil
	task.Plan.Image.Ref = "127.0.0.1:5000/dwshim-test/missing:latest"
	if err := e.Prepare(context.Background(), task, io.Discard); !errors.Is(err, runner.ErrImageNotFound) || len(slept) != 0 {
		t.Errorf("missing image: err %v, slept %v", err, slept)
	}
}

func TestEngineUnavailable(t *testing.T) {
	e, err := New(Options{Host: "unix:///nonexistent/docker.sock"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	task := &runner.Task{Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: "busybox"}}, Key: "x", WorkerID: "w"}
	if err := e.Prepare(context.Background(), task, io.Discard); !errors.Is(err, runner.ErrEngineUnavailable) {
		t.Errorf("Prepare: %v", err)
	}
	if err := e.Ping(context.Background()); !errors.Is(err, runner.ErrEngineUnavailable) {
		t.Errorf("Ping: %v", err)
	}
}

// TestSweep leaves two workers' tasks behind and sweeps one worker.
func TestSweep(t *testing.T) {
	cli := requireDocker(t)
	e := newTestEngine(t)
	ctx := context.Background()
	suffix := fmt.Sprint(os.Getpid())
	mk := func(worker, key string) *runner.Task {
		task := &runner.Task{
			Plan: &plan.Plan{
				Image:     plan.Image{Kind: plan.ImageNamed, Ref: testimages.RegistryImage},
				Command:   []string{"true"},
				Caches:    []plan.Cache{{Name: "sweep-cache-" + suffix, MountPath: "/c"}},
				Artifacts: []plan.Artifact{{Name: "v", Path: "/v", Kind: plan.ArtifactVolume}},
			},
			Key: key + "-" + suffix, WorkerID: worker + "-" + suffix, IsolatedNetwork: true,
		}
		t.Cleanup(func() {
			e.Destroy(ctx, task)
			e.PurgeCaches(ctx, task)
		})
		if err := e.Prepare(ctx, task, io.Discard); err != nil {
			t.Fatal(err)
		}
		n, err := e.TaskNetwork(ctx, task)
		if err != nil {
			t.Fatal(err)
		}
		if gw, sub := net.ParseIP(n.Gateway), mustCIDR(t, n.Subnet); n.Name != NetworkName(task.Key) || gw == nil || !sub.Contains(gw) {
			t.Errorf("task network %+v", n)
		}
		if _, err := e.Run(ctx, task, io.Discard); err != nil {
			t.Fatal(err)
		}
		return task
	}
	a, b := mk("sweep-a", "sweep-task-a"), mk("sweep-b", "sweep-task-b")
	if err := e.Sweep(ctx, a.WorkerID); err != nil {
		t.Fatal(err)
	}
	exists := func(what string, err error) bool {
		if err == nil {
			return true
		}
		if !cerrdefs.IsNotFound(err) {
			t.Fatalf("%s: %v", what, err)
		}
		return false
	}
	_, err := cli.ContainerInspect(ctx, ContainerName(a.Key), client.ContainerInspectOptions{})
	if exists("container a", err) {
		t.Error("worker a's container survived the sweep")
	}
	_, err = cli.VolumeInspect(ctx, taskVolumeName(a.Key, "/v"), client.VolumeInspectOptions{})
	if exists("volume a", err) {
		t.Error("worker a's task volume survived the sweep")
	}
	vols, err := e.CacheVolumes(ctx, a.Plan.Caches[0].Name)
	if err != nil || len(vols) != 2 {
		t.Fatalf("cache instances of the two tasks: %v %v", vols, err)
	}
	for _, v := range vols {
		_, err = cli.VolumeInspect(ctx, v, client.VolumeInspectOptions{})
		if !exists("cache", err) {
			t.Error("the sweep removed a cache volume")
		}
	}
	_, err = cli.NetworkInspect(ctx, NetworkName(a.Key), client.NetworkInspectOptions{})
	if exists("network a", err) {
		t.Error("worker a's task network survived the sweep")
	}
	_, err = cli.ContainerInspect(ctx, ContainerName(b.Key), client.ContainerInspectOptions{})
	if !exists("container b", err) {
		t.Error("the sweep removed worker b's container")
	}
	_, err = cli.NetworkInspect(ctx, NetworkName(b.Key), client.NetworkInspectOptions{})
	if !exists("network b", err) {
		t.Error("the sweep removed worker b's network")
	}
	if err := e.Destroy(ctx, b); err != nil {
		t.Fatal(err)
	}
	_, err = cli.NetworkInspect(ctx, NetworkName(b.Key), client.NetworkInspectOptions{})
	if exists("network b", err) {
		t.Error("Destroy left the task network")
	}
	if err := e.Sweep(ctx, ""); err == nil {
		t.Error("Sweep with an empty worker id succeeded")
	}
}

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatalf("subnet %q: %v", s, err)
	}
	return n
}

// TestGC loads three artifact images with a bound of two: the most recently
// used and the one a prepared task holds are kept.
func TestGC(t *testing.T) {
	cli := requireDocker(t)
	e := newTestEngine(t)
	e.opts.ImageRepo = fmt.Sprintf("dwshim-test/gc-%d", os.Getpid())
	e.opts.MaxImages = 2
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.opts.Now = func() time.Time { now = now.Add(time.Minute); return now }
	ctx := context.Background()
	var tasks []*runner.Task
	for i := range 3 {
		f := &countingFetcher{path: artifactFile(t, "none"), id: fmt.Sprintf("%s/%d", t.Name(), i)}
		task := artifactTask(t, fmt.Sprintf("gc-%d-%d", os.Getpid(), i), f)
		t.Cleanup(func() { e.Destroy(ctx, task) })
		if err := e.Prepare(ctx, task, io.Discard); err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, task)
	}
	// Task 0 stays prepared; tasks 1 and 2 are done, 2 used last.
	for _, task := range tasks[1:] {
		if err := e.Destroy(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.GC(ctx); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true} {
		tag := artifactTag(e.opts.ImageRepo, fmt.Sprintf("%s/%d", t.Name(), i))
		_, err := cli.ImageInspect(ctx, tag)
		if got := err == nil; got != want {
			t.Errorf("image %d present = %v, want %v (err %v)", i, got, want, err)
		}
	}
}

// TestLocalOnlyImage runs a named image that no reachable registry has but
// the daemon does (dwshim local with images built on the machine).
func TestLocalOnlyImage(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.BaseImage)
	for _, pol := range []PullPolicy{PullAlways, PullIfMissing} {
		e := newTestEngine(t)
		e.opts.PullPolicy = pol
		e.opts.Sleep = func(context.Context, time.Duration) error { t.Error("retried a pull with a local copy"); return nil }
		task := &runner.Task{Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: testimages.BaseImage}, Command: []string{"echo", "ok"}}, Key: "local-only-" + string(pol), WorkerID: testWorker}
		t.Cleanup(func() { e.Destroy(context.Background(), task) })
		var log, out bytes.Buffer
		if err := e.Prepare(context.Background(), task, &log); err != nil {
			t.Fatalf("%s: %v", pol, err)
		}
		want := map[PullPolicy]string{PullAlways: "using the copy present locally", PullIfMissing: "(present locally)"}[pol]
		if !strings.Contains(log.String(), want) {
			t.Errorf("%s: log %q lacks %q", pol, log.String(), want)
		}
		if ex, err := e.Run(context.Background(), task, &out); err != nil || ex.Code != 0 || out.String() != "ok\n" {
			t.Errorf("%s: exit %+v err %v out %q", pol, ex, err, out.String())
		}
	}
}

// TestPullProgress pulls an image whose layer the daemon lacks and checks
// the task log gets one line per layer status change, not one per chunk.
func TestPullProgress(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.RegistryImage)
	e := newTestEngine(t)
	ctx := context.Background()
	ref := "127.0.0.1:5000/dwshim-test/progress:latest"
	// A fresh layer (random filler, new seed each run) pushed to the registry.
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(testimages.Build(pw, testimages.Options{
			Tags: []string{ref}, FillerBytes: 2 << 20, FillerSeed: uint64(time.Now().UnixNano()),
			Labels: map[string]string{testLabel: labelValue(t)},
		}))
	}()
	res, err := cli.ImageLoad(ctx, pr)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res)
	res.Close()
	push, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: "e30="})
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	removeTestImages(t, cli, labelValue(t))
	task := &runner.Task{Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: ref}, Command: []string{"true"}}, Key: "progress", WorkerID: testWorker}
	defer e.Destroy(ctx, task)
	var log bytes.Buffer
	if err := e.Prepare(ctx, task, &log); err != nil {
		t.Fatal(err)
	}
	t.Logf("pull log:\n%s", log.String())
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("line %q repeated", l)
		}
		seen[l] = true
	}
	if len(lines) > 20 || !strings.Contains(log.String(), "Pull complete") {
		t.Errorf("%d progress lines:\n%s", len(lines), log.String())
	}
}

// TestPullNotFoundWithLocalCopy: under PullAlways, a registry that
// answers "not found" for an image the daemon has never fails the task:
// the local copy runs, said so in the log.
func TestPullNotFoundWithLocalCopy(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.RegistryImage)
	ref := fmt.Sprintf("127.0.0.1:5000/dwshim-test/local-only-%d:latest", os.Getpid())
	if _, err := cli.ImageTag(context.Background(), client.ImageTagOptions{Source: testimages.BaseImage, Target: ref}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{}) })
	e := newTestEngine(t)
	e.opts.PullPolicy = PullAlways
	task := &runner.Task{Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: ref}, Command: []string{"echo", "ok"}}, Key: "not-found-local", WorkerID: testWorker}
	t.Cleanup(func() { e.Destroy(context.Background(), task) })
	var log, out bytes.Buffer
	if err := e.Prepare(context.Background(), task, &log); err != nil {
		t.Fatalf("Prepare: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "using the copy present locally") {
		t.Errorf("log %q", log.String())
	}
	if ex, err := e.Run(context.Background(), task, &out); err != nil || ex.Code != 0 || out.String() != "ok\n" {
		t.Errorf("exit %+v err %v out %q", ex, err, out.String())
	}
}
