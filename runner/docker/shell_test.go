package docker

import (
	"context"
	"io"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// TestShellSnapshotSweptWhenOwnerGone: the image ShellContainer commits
// for a shell after the task (dwshim local --shell) carries the task's
// labels, so when the run is killed before the session's Close, the next
// run's SweepOrphans removes it with the shell container.
func TestShellSnapshotSweptWhenOwnerGone(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.RegistryImage)
	e := newTestEngine(t)
	ctx := context.Background()
	task := namedTask(t, "sh", "-c", "echo made > /made")
	defer func() {
		if err := e.Destroy(ctx, task); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	}()
	if err := e.Prepare(ctx, task, io.Discard); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if ex, err := e.Run(ctx, task, io.Discard); err != nil || ex.Code != 0 {
		t.Fatalf("Run = %+v, %v", ex, err)
	}
	sess, err := e.ShellContainer(ctx, task, runner.ShellOptions{Snapshot: true})
	if err != nil {
		t.Fatalf("ShellContainer: %v", err)
	}
	defer sess.Close()
	cs := sess.(*containerSession)
	img, err := cli.ImageInspect(ctx, cs.snapshot)
	if err != nil {
		t.Fatalf("inspect snapshot: %v", err)
	}
	labels := img.Config.Labels
	for k, want := range map[string]string{LabelKind: kindSnapshot, LabelTask: task.Key, testLabel: labelValue(t)} {
		if labels[k] != want {
			t.Errorf("snapshot label %s = %q, want %q (labels %v)", k, labels[k], want, labels)
		}
	}

	// The run is killed here: nobody closes the session. The next run
	// sweeps what its dead owner left.
	err = e.SweepOrphans(ctx, testLabel, func(v string) bool { return v == labelValue(t) })
	if err != nil {
		t.Fatalf("SweepOrphans: %v", err)
	}
	if _, err := cli.ImageInspect(ctx, cs.snapshot); err == nil {
		t.Errorf("snapshot image %s left after the sweep", shortID(cs.snapshot))
	}
	if _, err := cli.ContainerInspect(ctx, cs.id, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("shell container %s left after the sweep", shortID(cs.id))
	}
}
