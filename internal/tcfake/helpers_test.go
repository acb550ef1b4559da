package tcfake_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v3"
	"github.com/taskcluster/httpbackoff/v3"
	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"

	"github.com/dwshim/dwshim/internal/tcfake"
)

const (
	queueID     = "proj-dwshim/linux"
	workerGroup = "wg"
	workerID    = "w1"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	fake   *tcfake.Server
	clock  *clock
	worker *tcclient.Credentials
}

// newEnv starts a fake with a registered worker client; the clock starts at
// the wall clock so client-go's own certificates stay valid.
func newEnv(t *testing.T, o tcfake.Options) *env {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	if o.Now == nil {
		o.Now = c.Now
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	f := tcfake.New(o)
	f.Start()
	t.Cleanup(f.Close)
	w := workerCreds()
	f.AddClient(w.ClientID, w.AccessToken, tcfake.WorkerScopes(queueID, workerGroup, workerID)...)
	return &env{fake: f, clock: c, worker: w}
}

func workerCreds() *tcclient.Credentials {
	return &tcclient.Credentials{ClientID: "worker/" + workerID, AccessToken: "worker-token"}
}

// fastRetry keeps client-go's retries on 5xx but makes them quick.
func fastRetry() *httpbackoff.Client {
	return &httpbackoff.Client{BackOffSettings: &backoff.ExponentialBackOff{
		InitialInterval: time.Millisecond, RandomizationFactor: 0, Multiplier: 1.5,
		MaxInterval: 5 * time.Millisecond, MaxElapsedTime: 5 * time.Second, Clock: backoff.SystemClock,
	}}
}

func (e *env) queue(c *tcclient.Credentials) *tcqueue.Queue {
	q := tcqueue.New(c, e.fake.RootURL())
	q.HTTPBackoffClient = fastRetry()
	return q
}

func taskCreds(c tcqueue.TaskCredentials) *tcclient.Credentials {
	return &tcclient.Credentials{ClientID: c.ClientID, AccessToken: c.AccessToken, Certificate: c.Certificate}
}

// claimOne adds taskID and claims it as the test worker.
func (e *env) claimOne(t *testing.T, taskID string, def []byte) tcqueue.TaskClaim {
	t.Helper()
	if def == nil {
		def = tcfake.MinimalTask(queueID, map[string]any{"image": "busybox"})
	}
	if err := e.fake.AddTask(taskID, def); err != nil {
		t.Fatal(err)
	}
	resp, err := e.queue(e.worker).ClaimWork(queueID, &tcqueue.ClaimWorkRequest{Tasks: 1, WorkerGroup: workerGroup, WorkerID: workerID})
	if err != nil {
		t.Fatalf("claimWork: %v", err)
	}
	if len(resp.Tasks) != 1 || resp.Tasks[0].Status.TaskID != taskID {
		t.Fatalf("claimWork returned %+v, want task %s", resp.Tasks, taskID)
	}
	return resp.Tasks[0]
}

// statusOf extracts the HTTP status from a client-go error (0 if none).
func statusOf(err error) int {
	var apiErr *tcclient.APICallException
	if errors.As(err, &apiErr) && apiErr.CallSummary != nil && apiErr.CallSummary.HTTPResponse != nil {
		return apiErr.CallSummary.HTTPResponse.StatusCode
	}
	return 0
}

func wantStatus(t *testing.T, err error, code int, what string) {
	t.Helper()
	if got := statusOf(err); got != code {
		t.Fatalf("%s: got status %d (err %v), want %d", what, got, err, code)
	}
}
