package tcfake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"

	"github.com/dwshim/dwshim/internal/tcfake"
)

func TestClaimReclaimResolve(t *testing.T) {
	e := newEnv(t, tcfake.Options{ClaimDuration: 10 * time.Minute})
	def := json.RawMessage(`{"taskQueueId":"` + queueID + `","scopes":["docker-worker:cache:x"],"payload":{"command":["true"]},"metadata":{"name":"t1","description":"d","owner":"o@example.com","source":"https://example.com"}}`)
	claim := e.claimOne(t, "T1", def)

	if claim.RunID != 0 || claim.Task.TaskQueueID != queueID || claim.Task.ProvisionerID != "proj-dwshim" {
		t.Fatalf("claim = run %d queue %q prov %q", claim.RunID, claim.Task.TaskQueueID, claim.Task.ProvisionerID)
	}
	if string(claim.Task.Payload) != `{"command":["true"]}` {
		t.Fatalf("payload = %s", claim.Task.Payload)
	}
	wantClient := "task-client/T1/0/on/wg/w1"
	if claim.Credentials.ClientID != wantClient || claim.Credentials.Certificate == "" {
		t.Fatalf("credentials = %+v", claim.Credentials)
	}
	if got := time.Time(claim.TakenUntil).Sub(e.clock.Now()); got < 9*time.Minute || got > 11*time.Minute {
		t.Fatalf("takenUntil in %v, want ~10m", got)
	}

	q0 := e.queue(taskCreds(claim.Credentials))
	e.clock.Add(5 * time.Minute)
	rec, err := q0.ReclaimTask("T1", "0")
	if err != nil {
		t.Fatalf("reclaim: %v", err)
	}
	if rec.Credentials.AccessToken == claim.Credentials.AccessToken {
		t.Fatal("reclaim did not rotate the access token")
	}
	q1 := e.queue(taskCreds(rec.Credentials))
	if _, err := q1.ReportCompleted("T1", "0"); err != nil {
		t.Fatalf("reportCompleted: %v", err)
	}
	// The old credentials still work until they expire: repeating the same
	// resolution is idempotent, a different one conflicts.
	st, err := q0.ReportCompleted("T1", "0")
	if err != nil || st.Status.State != "completed" {
		t.Fatalf("repeat reportCompleted: %v %+v", err, st)
	}
	_, err = q1.ReportFailed("T1", "0")
	wantStatus(t, err, http.StatusConflict, "reportFailed after completed")
	_, err = q1.ReclaimTask("T1", "0")
	wantStatus(t, err, http.StatusConflict, "reclaim after completed")

	ts, _ := e.fake.Task("T1")
	r := ts.Runs[0]
	if r.State != "completed" || r.Resolutions() != 1 || len(r.ResolveAttempts) != 3 || r.Reclaims != 1 {
		t.Fatalf("run state = %+v", r)
	}
	outcomes := [3]string{r.ResolveAttempts[0].Outcome, r.ResolveAttempts[1].Outcome, r.ResolveAttempts[2].Outcome}
	if outcomes != [3]string{tcfake.OutcomeResolved, tcfake.OutcomeIdempotent, tcfake.OutcomeConflict} {
		t.Fatalf("outcomes = %v", outcomes)
	}
	// Which credentials were used where: reclaim by generation 0, first
	// resolve by generation 1.
	gens := map[string][]int{}
	for _, c := range e.fake.Calls() {
		if c.Status < 400 {
			gens[c.Route] = append(gens[c.Route], c.CredGen)
		}
	}
	if g := gens["queue.reclaimTask"]; len(g) != 1 || g[0] != 0 {
		t.Fatalf("reclaim credential generations = %v", g)
	}
	if g := gens["queue.reportCompleted"]; len(g) != 2 || g[0] != 1 || g[1] != 0 {
		t.Fatalf("reportCompleted credential generations = %v", g)
	}
	if g := gens["queue.claimWork"]; len(g) != 1 || g[0] != -1 {
		t.Fatalf("claimWork credential generations = %v", g)
	}

	got, err := e.queue(e.worker).Task("T1")
	if err != nil || got.Metadata.Name != "t1" || len(got.Scopes) != 1 {
		t.Fatalf("queue.task = %+v, %v", got, err)
	}
	if c := e.fake.Claims(); c.TasksClaimed != 1 || c.Reclaims != 1 {
		t.Fatalf("claims = %+v", c)
	}
}

func TestWorkerShutdownRetriesAndEmptyClaims(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	claim := e.claimOne(t, "T2", nil)
	q := e.queue(taskCreds(claim.Credentials))
	if _, err := q.ReportException("T2", "0", &tcqueue.TaskExceptionRequest{Reason: "worker-shutdown"}); err != nil {
		t.Fatal(err)
	}
	_, err := q.ReportException("T2", "0", &tcqueue.TaskExceptionRequest{Reason: "no-such-reason"})
	wantStatus(t, err, http.StatusBadRequest, "unknown reason")

	resp, err := e.queue(e.worker).ClaimWork(queueID, &tcqueue.ClaimWorkRequest{Tasks: 4, WorkerGroup: workerGroup, WorkerID: workerID})
	if err != nil || len(resp.Tasks) != 1 || resp.Tasks[0].RunID != 1 {
		t.Fatalf("reclaim of retried task: %+v %v", resp, err)
	}
	if rc := resp.Tasks[0].Status.Runs[1].ReasonCreated; rc != "retry" {
		t.Fatalf("reasonCreated = %q", rc)
	}
	resp, err = e.queue(e.worker).ClaimWork(queueID, &tcqueue.ClaimWorkRequest{Tasks: 4, WorkerGroup: workerGroup, WorkerID: workerID})
	if err != nil || len(resp.Tasks) != 0 {
		t.Fatalf("empty queue claim: %+v %v", resp, err)
	}
	ts, _ := e.fake.Task("T2")
	if len(ts.Runs) != 2 || ts.Runs[0].ReasonResolved != "worker-shutdown" || ts.RetriesLeft != 4 {
		t.Fatalf("task = %+v", ts)
	}
}

func TestClaimExpiryAndCancel(t *testing.T) {
	e := newEnv(t, tcfake.Options{ClaimDuration: time.Minute})
	claim := e.claimOne(t, "T3", nil)
	q := e.queue(taskCreds(claim.Credentials))
	e.clock.Add(2 * time.Minute)
	_, err := q.ReclaimTask("T3", "0")
	wantStatus(t, err, http.StatusConflict, "reclaim after claim expired")
	ts, _ := e.fake.Task("T3")
	if ts.Runs[0].ReasonResolved != "claim-expired" || len(ts.Runs) != 2 || ts.Runs[1].State != "pending" {
		t.Fatalf("after expiry = %+v", ts)
	}
	// Cancelling the retried (pending) run keeps it from being claimed.
	if err := e.fake.CancelTask("T3"); err != nil {
		t.Fatal(err)
	}
	if ts, _ = e.fake.Task("T3"); ts.Runs[1].ReasonResolved != "canceled" {
		t.Fatalf("after cancel = %+v", ts)
	}

	claim = e.claimOne(t, "T4", nil)
	q = e.queue(taskCreds(claim.Credentials))
	if err := e.fake.CancelTask("T4"); err != nil {
		t.Fatal(err)
	}
	_, err = q.ReclaimTask("T4", "0")
	wantStatus(t, err, http.StatusConflict, "reclaim after cancel")
	_, err = q.ReportCompleted("T4", "0")
	wantStatus(t, err, http.StatusConflict, "resolve after cancel")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := e.fake.WaitResolved(ctx, "T4")
	if err != nil || st.State != "exception" || st.Runs[0].ReasonResolved != "canceled" {
		t.Fatalf("WaitResolved = %+v, %v", st, err)
	}
}

func TestWaitResolvedWakesUp(t *testing.T) {
	e := newEnv(t, tcfake.Options{ClaimWait: 2 * time.Second})
	done := make(chan tcqueue.TaskClaim, 1)
	go func() {
		resp, err := e.queue(e.worker).ClaimWork(queueID, &tcqueue.ClaimWorkRequest{Tasks: 1, WorkerGroup: workerGroup, WorkerID: workerID})
		if err != nil || len(resp.Tasks) != 1 {
			t.Errorf("long-poll claim: %+v %v", resp, err)
			close(done)
			return
		}
		done <- resp.Tasks[0]
	}()
	time.Sleep(20 * time.Millisecond) // let the claim start waiting (not an assertion)
	if err := e.fake.AddTask("T5", tcfake.MinimalTask(queueID, nil)); err != nil {
		t.Fatal(err)
	}
	claim, okc := <-done
	if !okc {
		return
	}
	go func() {
		_, _ = e.queue(taskCreds(claim.Credentials)).ReportFailed("T5", "0")
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := e.fake.WaitResolved(ctx, "T5")
	if err != nil || st.State != "failed" {
		t.Fatalf("WaitResolved = %+v, %v", st, err)
	}
}
