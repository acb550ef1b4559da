package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

// TestFleet: workers[0] is SIGKILLed mid-task and started again,
// workers[1] is cut off from the network for longer than its claim, the
// others are restarted one by one with SIGTERM, while a batch runs. As on a
// real deployment:
//   - the killed worker's run is resolved exception/claim-expired by the
//     queue and the task re-runs; its restart removes the container,
//     network and volume its earlier life left;
//   - the cut-off worker kills its container, never uploads to or resolves
//     the stale run once it is back, and carries on claiming;
//   - a SIGTERMed worker resolves its run exception/worker-shutdown once, and
//     the task re-runs: nothing is lost;
//   - every task ends completed, every run is resolved at most once, and every
//     completed run has all its artifacts with the right content.
func TestFleet(t *testing.T) {
	n := testenv.EnvInt(t, "DWSHIM_FLEET_WORKERS", 4)
	batch := testenv.EnvInt(t, "DWSHIM_FLEET_TASKS", 12)
	if n < 3 {
		t.Fatalf("DWSHIM_FLEET_WORKERS=%d: need 3 (killed, cut off, restarted)", n)
	}
	f := newFleet(t, n)
	killed, cut, rest := f.workers[0], f.workers[1], f.workers[2:]

	// One long task per worker, so each is mid-task when its turn comes.
	var long []string
	for i := range n {
		id := fmt.Sprintf("long-%02d", i)
		long = append(long, id)
		f.addTask(id, true)
	}
	var onWorker map[string]string
	waitFor(t, "every worker running a long task", 2*time.Minute, func() bool {
		onWorker = f.runningOn(long)
		return len(onWorker) == n
	})

	// generic-worker's `status`, asked inside a busy worker's container.
	if out := docker(t, "exec", rest[0], "/dwshim", "status"); !strings.Contains(out, `"`+onWorker[rest[0]]+`"`) {
		t.Errorf("dwshim status in %s: %s, want its task %s", rest[0], out, onWorker[rest[0]])
	}

	// SIGKILL: the run stays claimed until takenUntil; the task container
	// is orphaned. Leave a network and a task volume behind too, as a worker
	// killed while a proxied task with volumes ran would; then start it again.
	orphans := ids(t, "ps -a", workerLabel+"="+killed)
	if len(orphans) == 0 {
		t.Fatalf("no task container of %s to orphan", killed)
	}
	docker(t, "kill", "-s", "KILL", killed)
	if code := f.exitCode(killed); code != "137" {
		t.Errorf("SIGKILLed worker exit %s, want 137", code)
	}
	leftNet := f.name + "-left"
	docker(t, "network", "create", "--label", f.label, "--label", workerLabel+"="+killed, "--label", "dwshim.kind=network", leftNet)
	docker(t, "volume", "create", "--label", f.label, "--label", workerLabel+"="+killed, "--label", "dwshim.kind=task-volume", leftNet)
	docker(t, "start", killed)

	// Cut off: no queue, no uploads; the Docker socket still answers.
	cutContainers := ids(t, "ps -a", workerLabel+"="+cut)
	cutSeq := f.lastSeq()
	docker(t, "network", "disconnect", f.network, cut)

	var short []string
	for i := range batch {
		id := fmt.Sprintf("short-%03d", i)
		short = append(short, id)
		f.addTask(id, false)
	}

	// Rolling restart with SIGTERM, one by one.
	for _, w := range rest {
		docker(t, "kill", "-s", "TERM", w)
		if code := f.exitCode(w); code != "71" && code != "72" {
			t.Errorf("SIGTERMed worker %s exit %s, want 71 or 72 (generic-worker's stopped/shutdown)", w, code)
		}
		docker(t, "start", w)
		restarted := f.lastSeq()
		waitFor(t, w+" claiming again after its restart", time.Minute, func() bool {
			return len(f.callsAfter(restarted, func(c tcfake.Call) bool {
				return c.Route == "queue.claimWork" && c.ClientID == "worker/"+w && c.Status == 200
			})) > 0
		})
	}

	staleTask := onWorker[cut]
	waitFor(t, "the queue expiring the cut-off worker's claim", time.Minute, func() bool {
		return f.run(staleTask, 0).ReasonResolved == "claim-expired"
	})
	waitFor(t, "the cut-off worker killing its task container", time.Minute, func() bool {
		return !containsAnyLive(t, cutContainers)
	})
	docker(t, "network", "connect", f.network, cut)
	back := f.lastSeq()
	waitFor(t, "the cut-off worker claiming again once back", time.Minute, func() bool {
		return len(f.callsAfter(back, func(c tcfake.Call) bool {
			return c.Route == "queue.claimWork" && c.ClientID == "worker/"+cut && c.Status == 200
		})) > 0
	})
	waitFor(t, "the restarted worker removing what its earlier life left", time.Minute, func() bool {
		return !containsAnyLive(t, orphans) && len(ids(t, "network ls", workerLabel+"="+killed, "dwshim.kind=network")) == 0 &&
			len(ids(t, "volume ls", workerLabel+"="+killed, "dwshim.kind=task-volume")) == 0
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, id := range append(slices.Clone(long), short...) {
		if _, err := f.fake.WaitResolved(ctx, id); err != nil {
			t.Fatalf("task %s: %v", id, err)
		}
	}

	// What the queue shows.
	if r := f.run(onWorker[killed], 0); r.State != "exception" || r.ReasonResolved != "claim-expired" || r.WorkerID != killed {
		t.Errorf("killed worker's run: %s/%s on %s, want exception/claim-expired on %s", r.State, r.ReasonResolved, r.WorkerID, killed)
	}
	if r := f.run(staleTask, 0); r.State != "exception" || r.ReasonResolved != "claim-expired" {
		t.Errorf("cut-off worker's run: %s/%s, want exception/claim-expired", r.State, r.ReasonResolved)
	}
	for _, c := range f.callsAfter(cutSeq, func(c tcfake.Call) bool {
		return c.TaskID == staleTask && c.RunID == 0 && (strings.HasPrefix(c.Route, "queue.report") ||
			c.Route == "queue.createArtifact" || c.Route == "queue.finishArtifact" || strings.HasPrefix(c.Route, "s3.") || strings.HasPrefix(c.Route, "object."))
	}) {
		t.Errorf("cut-off worker touched its stale run once back: %s %s (status %d)", c.Route, c.Path, c.Status)
	}
	for _, w := range rest {
		if r := f.run(onWorker[w], 0); r.State != "exception" || r.ReasonResolved != "worker-shutdown" || r.Resolutions() != 1 {
			t.Errorf("SIGTERMed %s's run: %s/%s resolved %d times, want exception/worker-shutdown once", w, r.State, r.ReasonResolved, r.Resolutions())
		}
	}
	completedBy := map[string]int{}
	for _, id := range append(slices.Clone(long), short...) {
		st, _ := f.fake.Task(id)
		for _, r := range st.Runs {
			if r.Resolutions() > 1 {
				t.Errorf("%s run %d resolved %d times", id, r.RunID, r.Resolutions())
			}
		}
		last := st.Runs[len(st.Runs)-1]
		if last.State != "completed" {
			t.Errorf("%s ended %s/%s after %d runs", id, last.State, last.ReasonResolved, len(st.Runs))
			continue
		}
		completedBy[last.WorkerID]++
		for name, want := range map[string]string{"public/a.txt": id + "/a\n", "public/b.txt": id + "/b\n"} {
			if a, ok := last.Artifact(name); !ok || !a.Present || string(a.Data) != want {
				t.Errorf("%s run %d artifact %s: %q present=%v, want %q", id, last.RunID, name, a.Data, a.Present, want)
			}
		}
		if a, ok := last.Artifact("public/logs/live_backing.log"); !ok || !strings.Contains(string(a.Data), "Worker Version: dwshim "+stampVersion+" (commit "+stampCommit+")") {
			t.Errorf("%s run %d: no task log naming the stamped worker version", id, last.RunID)
		}
	}
	if len(long)+len(short) > 0 && slices.Contains(f.workers, onWorker[killed]) {
		st, _ := f.fake.Task(onWorker[killed])
		if len(st.Runs) < 2 {
			t.Errorf("the killed worker's task did not re-run: %d runs", len(st.Runs))
		}
	}
	t.Logf("completed runs by worker: %v", completedBy)

	// Stopping the fleet leaves nothing of its tasks behind.
	for _, w := range f.workers {
		docker(t, "kill", "-s", "TERM", w)
		f.exitCode(w)
		if left := ids(t, "ps -a", workerLabel+"="+w); len(left) > 0 {
			t.Errorf("worker %s left containers after stopping: %v", w, left)
		}
	}
}

// containsAnyLive reports whether any of the containers still exists.
func containsAnyLive(t *testing.T, containers []string) bool {
	for _, c := range containers {
		if _, err := dockerErr("container", "inspect", c); err == nil {
			return true
		}
	}
	return false
}
