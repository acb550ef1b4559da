package docker

import (
	"bytes"
	"context"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// TestAutoRemovable: the daemon removes a container at its exit only when
// nothing of it is needed afterwards.
func TestAutoRemovable(t *testing.T) {
	base := func() *runner.Task {
		return &runner.Task{Plan: &plan.Plan{Command: []string{"true"}}}
	}
	for _, tc := range []struct {
		name   string
		opt    bool
		change func(*runner.Task)
		want   bool
	}{
		{"trivial", true, func(*runner.Task) {}, true},
		{"option off", false, func(*runner.Task) {}, false},
		{"artifacts", true, func(t *runner.Task) { t.Plan.Artifacts = []plan.Artifact{{Name: "public/x", Path: "/x"}} }, false},
		{"caches", true, func(t *runner.Task) { t.Plan.Caches = []plan.Cache{{Name: "c", MountPath: "/c"}} }, false},
		{"own network", true, func(t *runner.Task) { t.IsolatedNetwork = true }, false},
		{"memory limit", true, func(t *runner.Task) { t.Plan.Limits.MemoryBytes = 16 << 20 }, false},
		{"pids limit", true, func(t *runner.Task) { t.Plan.Limits.Pids = 100 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := base()
			tc.change(task)
			e := &Engine{opts: Options{AutoRemove: tc.opt}}
			if got := e.autoRemovable(task); got != tc.want {
				t.Errorf("autoRemovable = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAutoRemoveEngineTellsOOM: with Options.AutoRemove (dwshim local), a
// task over its memory limit is still reported OOM-killed: its container
// is kept until Destroy, so its state can say so when the daemon's "oom"
// event comes after "die".
func TestAutoRemoveEngineTellsOOM(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.RegistryImage)
	e, err := New(Options{AutoRemove: true, PullPolicy: PullIfMissing,
		ExtraLabels: map[string]string{testLabel: labelValue(t)}, MaxImages: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	task := namedTask(t, "sh", "-c", `x=$(head -c 64000000 /dev/zero | tr '\0' a)`)
	task.Plan.Limits.MemoryBytes = 16 << 20
	ctx := context.Background()
	defer func() {
		if err := e.Destroy(ctx, task); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		if _, err := cli.ContainerInspect(ctx, ContainerName(task.Key), client.ContainerInspectOptions{}); err == nil {
			t.Errorf("container %s still there after Destroy", ContainerName(task.Key))
		}
	}()
	if err := e.Prepare(ctx, task, &bytes.Buffer{}); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	var out bytes.Buffer
	ex, err := e.Run(ctx, task, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ex.Code != 137 || !ex.OOMKilled {
		t.Errorf("exit = %+v (output %q), want 137 and OOMKilled", ex, out.String())
	}
	if _, err := cli.ContainerInspect(ctx, ContainerName(task.Key), client.ContainerInspectOptions{}); err != nil {
		t.Errorf("the container was not kept until Destroy: %v", err)
	}
}
