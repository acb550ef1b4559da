package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v3"
	"github.com/taskcluster/httpbackoff/v3"
	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
)

// RetryPolicy bounds client-go's retries of 5xx responses and network
// errors: exponential from Initial, at most Max apart, given up after
// MaxElapsed. 4xx responses are never retried.
type RetryPolicy struct {
	Initial, Max, MaxElapsed time.Duration
}

// DefaultRetryPolicy: 100 ms doubling to 10 s, for at most 2 minutes.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Initial: 100 * time.Millisecond, Max: 10 * time.Second, MaxElapsed: 2 * time.Minute}
}

// HTTPBackoff is the policy as client-go's retrying HTTP client (whose
// default retries for 15 minutes).
func (p RetryPolicy) HTTPBackoff() *httpbackoff.Client {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = p.Initial, p.Max, p.MaxElapsed
	b.RandomizationFactor, b.Multiplier = 0.25, 2
	return &httpbackoff.Client{BackOffSettings: b}
}

// TCQueue implements Queue (and ObjectService) with client-go.
type TCQueue struct {
	RootURL string
	Retry   RetryPolicy
	// HTTPClient defaults to a client that does not follow redirects.
	HTTPClient *http.Client
}

// NewTCQueue returns a client-go backed Queue for rootURL.
func NewTCQueue(rootURL string, retry RetryPolicy) *TCQueue {
	return &TCQueue{RootURL: rootURL, Retry: retry, HTTPClient: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (q *TCQueue) call(ctx context.Context, creds Credentials, service, method, route string, payload, result any) error {
	c := &tcclient.Client{
		Credentials: &tcclient.Credentials{ClientID: creds.ClientID, AccessToken: creds.AccessToken, Certificate: creds.Certificate},
		RootURL:     q.RootURL, ServiceName: service, APIVersion: "v1",
		Authenticate: true, HTTPClient: q.HTTPClient, Context: ctx, HTTPBackoffClient: q.Retry.HTTPBackoff(),
	}
	_, cs, err := c.APICall(payload, method, route, result, nil)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s %s: %w", service, method, route, ctx.Err())
	}
	ae := &APIError{Method: method, Route: service + route, Err: err}
	if cs != nil {
		ae.Attempts = cs.Attempts
		if cs.HTTPResponse != nil {
			ae.Status = cs.HTTPResponse.StatusCode
		}
		var bad httpbackoff.BadHttpResponseCode
		if errors.As(err, &bad) {
			ae.Status = bad.HttpResponseCode
		}
		if cs.HTTPResponseBody != "" {
			var body struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			if json.Unmarshal([]byte(cs.HTTPResponseBody), &body) == nil && body.Code != "" {
				ae.Err = fmt.Errorf("%s: %s", body.Code, firstLine(body.Message))
			}
		}
	}
	return ae
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

type credsJSON struct {
	ClientID    string `json:"clientId"`
	AccessToken string `json:"accessToken"`
	Certificate string `json:"certificate"`
}

func (c credsJSON) creds() Credentials { return Credentials(c) }

// ClaimWork calls queue.claimWork.
func (q *TCQueue) ClaimWork(ctx context.Context, creds Credentials, taskQueueID string, req ClaimWorkRequest) ([]Claim, error) {
	var resp struct {
		Tasks []struct {
			RunID  int `json:"runId"`
			Status struct {
				TaskID string `json:"taskId"`
			} `json:"status"`
			Task        json.RawMessage `json:"task"`
			TakenUntil  time.Time       `json:"takenUntil"`
			Credentials credsJSON       `json:"credentials"`
		} `json:"tasks"`
	}
	if err := q.call(ctx, creds, "queue", "POST", "/claim-work/"+url.PathEscape(taskQueueID), &req, &resp); err != nil {
		return nil, err
	}
	out := make([]Claim, 0, len(resp.Tasks))
	for _, t := range resp.Tasks {
		out = append(out, Claim{TaskID: t.Status.TaskID, RunID: t.RunID, Definition: t.Task,
			TakenUntil: t.TakenUntil, Credentials: t.Credentials.creds()})
	}
	return out, nil
}

func runRoute(taskID string, runID int, rest string) string {
	return "/task/" + url.PathEscape(taskID) + "/runs/" + strconv.Itoa(runID) + rest
}

// ReclaimTask calls queue.reclaimTask.
func (q *TCQueue) ReclaimTask(ctx context.Context, creds Credentials, taskID string, runID int) (Reclaim, error) {
	var resp struct {
		TakenUntil  time.Time `json:"takenUntil"`
		Credentials credsJSON `json:"credentials"`
	}
	if err := q.call(ctx, creds, "queue", "POST", runRoute(taskID, runID, "/reclaim"), nil, &resp); err != nil {
		return Reclaim{}, err
	}
	return Reclaim{TakenUntil: resp.TakenUntil, Credentials: resp.Credentials.creds()}, nil
}

// Resolve calls reportCompleted, reportFailed or reportException.
func (q *TCQueue) Resolve(ctx context.Context, creds Credentials, taskID string, runID int, r Resolution) error {
	var payload any
	switch r.State {
	case "completed", "failed":
	case "exception":
		payload = &struct {
			Reason string `json:"reason"`
		}{r.Reason}
	default:
		return fmt.Errorf("resolve %s/%d: unknown state %q", taskID, runID, r.State)
	}
	return q.call(ctx, creds, "queue", "POST", runRoute(taskID, runID, "/"+r.State), payload, nil)
}

// CreateArtifact calls queue.createArtifact.
func (q *TCQueue) CreateArtifact(ctx context.Context, creds Credentials, taskID string, runID int, name string, req any) (json.RawMessage, error) {
	var resp json.RawMessage
	err := q.call(ctx, creds, "queue", "POST", runRoute(taskID, runID, "/artifacts/"+url.PathEscape(name)), req, &resp)
	return resp, err
}

// FinishArtifact calls queue.finishArtifact.
func (q *TCQueue) FinishArtifact(ctx context.Context, creds Credentials, taskID string, runID int, name, uploadID string) error {
	body := &struct {
		UploadID string `json:"uploadId"`
	}{uploadID}
	return q.call(ctx, creds, "queue", "PUT", runRoute(taskID, runID, "/artifacts/"+url.PathEscape(name)), body, nil)
}

// ExpandScopes calls auth.expandScopes.
func (q *TCQueue) ExpandScopes(ctx context.Context, creds Credentials, scopes []string) ([]string, error) {
	var resp struct {
		Scopes []string `json:"scopes"`
	}
	req := &struct {
		Scopes []string `json:"scopes"`
	}{scopes}
	if err := q.call(ctx, creds, "auth", "POST", "/scopes/expand", req, &resp); err != nil {
		return nil, err
	}
	return resp.Scopes, nil
}

// ShouldWorkerTerminate calls workerManager.shouldWorkerTerminate (v96+;
// not in the v44 client, so by route).
func (q *TCQueue) ShouldWorkerTerminate(ctx context.Context, creds Credentials, workerPoolID, workerGroup, workerID string) (bool, error) {
	var resp struct {
		Terminate bool `json:"terminate"`
	}
	route := "/workers/" + url.PathEscape(workerPoolID) + "/" + url.PathEscape(workerGroup) + "/" + url.PathEscape(workerID) + "/should-terminate"
	if err := q.call(ctx, creds, "worker-manager", "GET", route, nil, &resp); err != nil {
		return false, err
	}
	return resp.Terminate, nil
}
