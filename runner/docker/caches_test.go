package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

func TestCachePool(t *testing.T) {
	p := newCachePool()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	n := 0
	newVol := func() string { n++; return fmt.Sprintf("v%d", n) }
	a, newA := p.acquire("c", at(1), newVol)
	b, newB := p.acquire("c", at(2), newVol)
	if !newA || !newB || a.volume == b.volume {
		t.Fatalf("two running tasks share an instance: %+v %+v", a, b)
	}
	p.release(b, at(3))
	p.release(a, at(4))
	if c, isNew := p.acquire("c", at(5), newVol); isNew || c != a {
		t.Fatalf("want the most recently released instance %s, got %+v new=%v", a.volume, c, isNew)
	}
	// a is in use: a purge of everything before minute 2 removes nothing
	// now, and a once released; b (created at 2) stays.
	if rm := p.purge("c", at(2)); len(rm) != 0 {
		t.Fatalf("purge removed %v while in use", rm)
	}
	if !p.release(a, at(6)) {
		t.Fatal("purged instance not removed at release")
	}
	if d := cmp.Diff([]string{"v2"}, p.volumes("c")); d != "" {
		t.Fatalf("volumes after purge (-want +got):\n%s", d)
	}
	if rm := p.purge("c", at(7)); !cmp.Equal(rm, []string{"v2"}) || len(p.volumes("c")) != 0 {
		t.Fatalf("purge of a free instance: removed %v, left %v", rm, p.volumes("c"))
	}
	p.add("old", "dwshim-cache-old", at(0))
	if c, isNew := p.acquire("old", at(8), newVol); isNew || c.volume != "dwshim-cache-old" {
		t.Fatalf("an instance found at start is not reused: %+v", c)
	}
}

// TestCacheInstancesNotShared is docker-worker's "mounted cached volumes
// are not reused between tasks" on the engine: two tasks prepared at once
// get instances of their own; a later task reuses the instance released
// last; a purge removes every instance, the one in use once it is free.
func TestCacheInstancesNotShared(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.RegistryImage)
	e := newTestEngine(t)
	ctx := context.Background()
	name := fmt.Sprintf("cache-instances-%d", os.Getpid())
	mk := func(i int) *runner.Task {
		task := &runner.Task{
			Plan: &plan.Plan{
				Image:   plan.Image{Kind: plan.ImageNamed, Ref: testimages.RegistryImage},
				Command: []string{"sh", "-c", fmt.Sprintf("echo foo > /c/file%d.txt; ls /c", i)},
				Caches:  []plan.Cache{{Name: name, MountPath: "/c"}},
			},
			Key: fmt.Sprintf("cache-inst-%d-%d", os.Getpid(), i), WorkerID: testWorker,
		}
		t.Cleanup(func() { e.Destroy(ctx, task) })
		if err := e.Prepare(ctx, task, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		return task
	}
	t.Cleanup(func() { e.PurgeCaches(ctx, &runner.Task{Plan: &plan.Plan{Caches: []plan.Cache{{Name: name}}}}) })
	runOut := func(task *runner.Task) string {
		var out bytes.Buffer
		if ex, err := e.Run(ctx, task, &out); err != nil || ex.Code != 0 {
			t.Fatalf("run %s: %+v %v\n%s", task.Key, ex, err, out.String())
		}
		return strings.Join(strings.Fields(out.String()), " ")
	}
	a, b := mk(0), mk(1)
	if got := runOut(a); got != "file0.txt" {
		t.Errorf("task 0 sees %q", got)
	}
	if got := runOut(b); got != "file1.txt" {
		t.Errorf("task 1 shares task 0's cache: it sees %q", got)
	}
	for _, task := range []*runner.Task{a, b} { // b released last
		if err := e.Destroy(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	c := mk(2)
	if got := runOut(c); got != "file1.txt file2.txt" {
		t.Errorf("task 2 did not reuse the instance released last: it sees %q", got)
	}
	vols, err := e.CacheVolumes(ctx, name)
	if err != nil || len(vols) != 2 {
		t.Fatalf("instances %v %v, want 2", vols, err)
	}
	if err := e.PurgeCache(ctx, name, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.CacheVolumes(ctx, name); len(got) != 1 {
		t.Errorf("after the purge the instances are %v: want only task 2's, still mounted", got)
	}
	if err := e.Destroy(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, v := range vols {
		if _, err := cli.VolumeInspect(ctx, v, client.VolumeInspectOptions{}); err == nil {
			t.Errorf("purged volume %s still exists", v)
		}
	}
	if got := runOut(mk(3)); got != "file3.txt" {
		t.Errorf("after the purge a task sees %q, want a new empty instance", got)
	}
}
