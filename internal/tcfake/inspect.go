package tcfake

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"sort"
	"time"
)

// Resolve outcomes recorded in ResolveAttempt.Outcome.
const (
	OutcomeResolved   = "resolved"   // the run was running and is now resolved
	OutcomeIdempotent = "idempotent" // repeat of the run's resolution: 200, no change
	OutcomeConflict   = "conflict"   // different resolution of a resolved run: 409
)

// ResolveAttempt is one authorized reportCompleted/Failed/Exception call.
type ResolveAttempt struct {
	State    string // completed, failed, exception
	Reason   string // reasonResolved asked for (== State unless exception)
	Outcome  string // OutcomeResolved, OutcomeIdempotent or OutcomeConflict
	ClientID string
	At       time.Time
}

// TaskState is a snapshot of one task for assertions.
type TaskState struct {
	TaskID      string
	TaskQueueID string
	State       string // state of the latest run
	Cancelled   bool
	RetriesLeft int
	Runs        []RunState
}

// RunState is a snapshot of one run.
type RunState struct {
	RunID          int
	State          string
	ReasonCreated  string
	ReasonResolved string
	WorkerGroup    string
	WorkerID       string
	TakenUntil     time.Time
	Reclaims       int
	// Credentials lists the clientId of every credential issued for the run
	// (claim first, then one per reclaim).
	Credentials     []string
	ResolveAttempts []ResolveAttempt
	Artifacts       []ArtifactState // in creation order
}

// Resolutions counts the attempts that actually resolved the run (0 or 1).
func (r RunState) Resolutions() int {
	n := 0
	for _, a := range r.ResolveAttempts {
		if a.Outcome == OutcomeResolved {
			n++
		}
	}
	return n
}

// Artifact returns the named artifact of the run, if any.
func (r RunState) Artifact(name string) (ArtifactState, bool) {
	for _, a := range r.Artifacts {
		if a.Name == name {
			return a, true
		}
	}
	return ArtifactState{}, false
}

// ArtifactState is a snapshot of one artifact.
type ArtifactState struct {
	Name            string
	StorageType     string // s3, object, error, reference, link
	ContentType     string
	ContentEncoding string // from the PUT (s3/object putUrl)
	Expires         time.Time
	Present         bool   // data uploaded (s3), upload finished (object), always for others
	Data            []byte // uploaded bytes, gunzipped when Content-Encoding is gzip
	RawData         []byte // uploaded bytes as sent
	ErrorReason     string
	ErrorMessage    string
	URL             string // reference target
	LinkTarget      string // link target artifact name
	ObjectName      string
	Request         []byte // the createArtifact payload as sent
}

// Call is one request in the log kept by the fake.
type Call struct {
	Seq      int
	Route    string // e.g. queue.reclaimTask, s3.put
	Method   string
	Path     string
	ClientID string // "" when anonymous or rejected before authentication
	// CredGen identifies fake-issued temporary credentials: task
	// credentials 0 = from claimWork, n = from the nth reclaim; a static
	// worker's 0 = from registerWorker, n = from the nth reregisterWorker;
	// -1 for any other credentials.
	CredGen int
	Status  int    // 0 for a reset connection
	Fault   string // "", "before", "after" or "reset"
	TaskID  string
	RunID   int // -1 when the route has none
}

// ClaimStats counts claim activity.
type ClaimStats struct {
	Calls        int // authorized claimWork calls
	EmptyCalls   int // of which returned no task
	TasksClaimed int
	Reclaims     int // successful reclaims
}

// Claims returns claim counters.
func (s *Server) Claims() ClaimStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims
}

// Calls returns a copy of the request log, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Task returns a snapshot of taskID (ok false if unknown). It first applies
// claim expiry and deadlines at the current clock.
func (s *Server) Task(taskID string) (TaskState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	t, ok := s.tasks[taskID]
	if !ok {
		return TaskState{}, false
	}
	return s.snapshot(t), true
}

func (s *Server) snapshot(t *task) TaskState {
	ts := TaskState{TaskID: t.id, TaskQueueID: t.queueID, State: t.state(), Cancelled: t.cancelled, RetriesLeft: t.retriesLeft}
	for _, r := range t.runs {
		rs := RunState{
			RunID: r.id, State: r.state, ReasonCreated: r.reasonCreated, ReasonResolved: r.reasonResolved,
			WorkerGroup: r.workerGroup, WorkerID: r.workerID, TakenUntil: r.takenUntil, Reclaims: r.reclaims,
			Credentials:     append([]string(nil), r.credentials...),
			ResolveAttempts: append([]ResolveAttempt(nil), r.attempts...),
		}
		for _, n := range r.artifactOrder {
			rs.Artifacts = append(rs.Artifacts, s.artifactState(r.artifacts[n]))
		}
		ts.Runs = append(ts.Runs, rs)
	}
	return ts
}

func (s *Server) artifactState(a *artifact) ArtifactState {
	as := ArtifactState{
		Name: a.name, StorageType: a.storageType, ContentType: a.contentType, Expires: a.expires,
		Present: a.present, ErrorReason: a.errReason, ErrorMessage: a.errMessage, URL: a.url,
		LinkTarget: a.linkTarget, ObjectName: a.objectName, Request: append([]byte(nil), a.request...),
	}
	key := a.blobKey
	if a.storageType == "object" {
		if u := s.uploads[a.objectName]; u != nil {
			key = u.blobKey
		}
	}
	if b := s.blobs[key]; b != nil && b.uploaded {
		as.RawData = append([]byte(nil), b.data...)
		as.Data = as.RawData
		as.ContentEncoding = b.contentEncoding
		if b.contentEncoding == "gzip" {
			if zr, err := gzip.NewReader(bytes.NewReader(b.data)); err == nil {
				if d, err := io.ReadAll(zr); err == nil {
					as.Data = d
				}
			}
		}
	}
	return as
}

// WaitResolved waits until taskID's latest run is resolved with no retry
// pending (completed, failed, or exception without a new run) or ctx ends.
func (s *Server) WaitResolved(ctx context.Context, taskID string) (TaskState, error) {
	for {
		s.mu.Lock()
		s.expireLocked()
		t, ok := s.tasks[taskID]
		if !ok {
			s.mu.Unlock()
			return TaskState{}, fmt.Errorf("wait for task %s: no such task", taskID)
		}
		if resolvedState(t.state()) {
			st := s.snapshot(t)
			s.mu.Unlock()
			return st, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			st, _ := s.Task(taskID)
			return st, fmt.Errorf("wait for task %s (state %s): %w", taskID, st.State, ctx.Err())
		case <-ch:
		case <-time.After(50 * time.Millisecond): // injected clocks move without notifying
		}
	}
}

// TaskIDs returns all known task IDs, sorted.
func (s *Server) TaskIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.tasks)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
