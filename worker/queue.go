package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Credentials are Taskcluster credentials (permanent or temporary).
type Credentials struct {
	ClientID    string `json:"clientId"`
	AccessToken string `json:"accessToken"`
	Certificate string `json:"certificate,omitempty"`
}

// ClaimWorkRequest is the body of queue.claimWork.
type ClaimWorkRequest struct {
	Tasks       int    `json:"tasks"`
	WorkerGroup string `json:"workerGroup"`
	WorkerID    string `json:"workerId"`
}

// Claim is one claimed task run.
type Claim struct {
	TaskID string
	RunID  int
	// Definition is the task definition exactly as the queue sent it.
	Definition  json.RawMessage
	TakenUntil  time.Time
	Credentials Credentials
}

// Reclaim is the answer to queue.reclaimTask.
type Reclaim struct {
	TakenUntil  time.Time
	Credentials Credentials
}

// Queue is the subset of the Taskcluster queue a worker uses. Every call
// takes the credentials to sign with, since they change (worker-runner's
// new-credentials; task credentials that rotate on reclaim).
//
// Contract: implementations retry transient failures (5xx, network errors)
// with a bounded backoff and return when ctx ends. A final HTTP error is an
// *APIError. Calls are safe for concurrent use.
type Queue interface {
	ClaimWork(ctx context.Context, creds Credentials, taskQueueID string, req ClaimWorkRequest) ([]Claim, error)
	ReclaimTask(ctx context.Context, creds Credentials, taskID string, runID int) (Reclaim, error)
	// Resolve reports the run completed, failed or exception(reason).
	Resolve(ctx context.Context, creds Credentials, taskID string, runID int, r Resolution) error
	// CreateArtifact posts an artifact request (post-artifact-request.yml)
	// and returns the response body.
	CreateArtifact(ctx context.Context, creds Credentials, taskID string, runID int, name string, req any) (json.RawMessage, error)
	// FinishArtifact completes an object artifact.
	FinishArtifact(ctx context.Context, creds Credentials, taskID string, runID int, name string, uploadID string) error
}

// APIError is a Taskcluster API call that failed with an HTTP status (or
// without one: Status 0 for network errors).
type APIError struct {
	Method, Route string
	Status        int
	// Attempts is how many HTTP requests were made for the call. A 409 on a
	// resolve after more than one attempt means an earlier attempt whose
	// response was lost took effect.
	Attempts int
	Err      error
}

func (e *APIError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s %s after %d attempts: %v", e.Method, e.Route, e.Attempts, e.Err)
	}
	return fmt.Sprintf("%s %s: HTTP %d after %d attempts: %v", e.Method, e.Route, e.Status, e.Attempts, e.Err)
}

func (e *APIError) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of a failed call, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// Resolution is how a run ends: State completed, failed or exception, and
// for exceptions the queue's reason.
type Resolution struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// Resolutions used by the worker.
var (
	Completed = Resolution{"completed", "completed"}
	Failed    = Resolution{"failed", "failed"}
)

// Exception returns exception/reason.
func Exception(reason string) Resolution { return Resolution{"exception", reason} }

func (r Resolution) String() string { return r.State + "/" + r.Reason }
