package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// TestClaimLostWhileUploading: the task is done and its log is being
// uploaded when the queue becomes unreachable; once takenUntil passes
// without a reclaim the run is the queue's again, so the worker stops its
// uploads and never tries to resolve it, however long the upload retries
// would have gone on.
func TestClaimLostWhileUploading(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{ClaimDuration: 2 * time.Second})
	env.addTask(t, "lost", map[string]any{"result": "completed"}, nil)
	env.cfg.NumberOfTasksToRun = 1
	ex := newFakeExec()
	opts := testOptions(t, ex)
	// Uploads alone would retry for longer than the claim lasts.
	opts.Retry = RetryPolicy{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond, MaxElapsed: 20 * time.Second}
	opts.Queue.(*TCQueue).Retry = opts.Retry
	w := env.newWorker(t, opts)
	wait := runWorker(context.Background(), w)
	<-ex.started
	env.fake.SetFaults(tcfake.Faults{Rate: 1, Routes: []string{
		"queue.reclaimTask", "queue.createArtifact", "queue.report*", "s3.*", "object.*"}})
	if code := wait(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}
	for _, c := range env.fake.Calls() {
		if c.TaskID == "lost" && strings.HasPrefix(c.Route, "queue.report") {
			t.Errorf("the worker tried to resolve a run whose claim it had lost: %+v", c)
		}
	}
	env.fake.SetFaults(tcfake.Faults{})
	st, _ := env.fake.Task("lost")
	if r := st.Runs[0]; r.State != "exception" || r.ReasonResolved != "claim-expired" {
		t.Errorf("run 0: %s/%s, want exception/claim-expired by the queue", r.State, r.ReasonResolved)
	}
}
