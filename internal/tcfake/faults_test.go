package tcfake_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v3"
	"github.com/taskcluster/httpbackoff/v3"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// faultTrace runs n claimWork calls through client-go (which retries 5xx and
// resets) against a fake faulting 20% of them, and returns the fault log.
func faultTrace(t *testing.T, seed uint64, n int) []string {
	e := newEnv(t, tcfake.Options{Seed: seed})
	for i := 0; i < n; i++ {
		if err := e.fake.AddTask(fmt.Sprintf("F%03d", i), tcfake.MinimalTask(queueID, nil)); err != nil {
			t.Fatal(err)
		}
	}
	e.fake.SetFaults(tcfake.Faults{Routes: []string{"queue.claimWork"}, Rate: 0.2, ResetRate: 0.05})
	q := e.queue(e.worker)
	for i := 0; i < n; i++ {
		resp, err := q.ClaimWork(queueID, claimReq())
		if err != nil || len(resp.Tasks) != 1 {
			t.Fatalf("claim %d through faults: %+v %v", i, resp, err)
		}
		if want := fmt.Sprintf("F%03d", i); resp.Tasks[0].Status.TaskID != want {
			t.Fatalf("claim %d got %s: a faulted request changed state", i, resp.Tasks[0].Status.TaskID)
		}
	}
	var trace []string
	for _, c := range e.fake.Calls() {
		if c.Route == "queue.claimWork" {
			trace = append(trace, fmt.Sprintf("%s/%d", c.Fault, c.Status))
		}
	}
	if c := e.fake.Claims(); c.TasksClaimed != n {
		t.Fatalf("claimed %d tasks, want %d", c.TasksClaimed, n)
	}
	return trace
}

func TestFaultsBeforeAreDeterministicAndHarmless(t *testing.T) {
	const n = 40
	a, b := faultTrace(t, 7, n), faultTrace(t, 7, n)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	faults := map[string]int{}
	for _, s := range a {
		faults[s]++
	}
	injected := len(a) - faults["/200"]
	if faults["/200"] != n || injected == 0 {
		t.Fatalf("trace %v: want %d successes and some faults", faults, n)
	}
	if c := faultTrace(t, 8, n); reflect.DeepEqual(a, c) {
		t.Fatalf("seeds 7 and 8 gave identical fault traces %v", a)
	}
}

// noRetry makes client-go give up after the first 5xx.
func noRetry() *httpbackoff.Client {
	return &httpbackoff.Client{BackOffSettings: &backoff.ExponentialBackOff{
		InitialInterval: time.Millisecond, Multiplier: 1, MaxInterval: time.Millisecond,
		MaxElapsedTime: time.Nanosecond, Clock: backoff.SystemClock,
	}}
}

func TestFaultAfterStateChangeThenIdempotentRetry(t *testing.T) {
	e := newEnv(t, tcfake.Options{})
	claim := e.claimOne(t, "R1", nil)
	e.fake.SetFaults(tcfake.Faults{Routes: []string{"queue.report*"}, AfterRate: 1})
	q := tcqueue.New(taskCreds(claim.Credentials), e.fake.RootURL())
	q.HTTPBackoffClient = noRetry()
	_, err := q.ReportCompleted("R1", "0")
	wantStatus(t, err, http.StatusInternalServerError, "response lost after resolving")
	if ts, _ := e.fake.Task("R1"); ts.State != "completed" {
		t.Fatalf("state after lost response = %s, want completed", ts.State)
	}
	e.fake.SetFaults(tcfake.Faults{})
	if _, err := q.ReportCompleted("R1", "0"); err != nil {
		t.Fatalf("retry of the same resolution: %v", err)
	}
	_, err = q.ReportException("R1", "0", &tcqueue.TaskExceptionRequest{Reason: "internal-error"})
	wantStatus(t, err, http.StatusConflict, "different resolution")
	ts, _ := e.fake.Task("R1")
	r := ts.Runs[0]
	if r.Resolutions() != 1 || len(r.ResolveAttempts) != 3 || r.ResolveAttempts[1].Outcome != tcfake.OutcomeIdempotent {
		t.Fatalf("attempts = %+v", r.ResolveAttempts)
	}
	var faulted int
	for _, c := range e.fake.Calls() {
		if c.Fault == "after" {
			faulted++
		}
	}
	if faulted != 1 {
		t.Fatalf("%d after-faults logged, want 1", faulted)
	}
}

func TestFaultsWithClientRetriesResolveOnce(t *testing.T) {
	e := newEnv(t, tcfake.Options{Seed: 3})
	var claims []tcqueue.TaskClaim
	for i := 0; i < 10; i++ {
		claims = append(claims, e.claimOne(t, fmt.Sprintf("Q%d", i), nil))
	}
	e.fake.SetFaults(tcfake.Faults{Routes: []string{"queue.*"}, Rate: 0.2, AfterRate: 0.2})
	for i, c := range claims {
		id := fmt.Sprintf("Q%d", i)
		if _, err := e.queue(taskCreds(c.Credentials)).ReportFailed(id, "0"); err != nil {
			t.Fatalf("reportFailed %s: %v", id, err)
		}
		ts, _ := e.fake.Task(id)
		if ts.State != "failed" || ts.Runs[0].Resolutions() != 1 {
			t.Fatalf("%s: %+v", id, ts.Runs[0])
		}
	}
}

func TestReclaim409Fault(t *testing.T) {
	e := newEnv(t, tcfake.Options{Faults: tcfake.Faults{Reclaim409: []string{"X1"}}})
	claim := e.claimOne(t, "X1", nil)
	_, err := e.queue(taskCreds(claim.Credentials)).ReclaimTask("X1", "0")
	wantStatus(t, err, http.StatusConflict, "injected reclaim conflict")
	if ts, _ := e.fake.Task("X1"); ts.State != "running" || ts.Runs[0].Reclaims != 0 {
		t.Fatalf("state after injected 409 = %+v", ts)
	}
}
