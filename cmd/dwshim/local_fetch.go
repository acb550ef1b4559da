package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/url"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"

	"github.com/dwshim/dwshim/worker"
)

// localFetchRetry is how long local retries the queue (an unreachable
// root URL, a 5xx): someone is waiting at the terminal.
var localFetchRetry = worker.RetryPolicy{Initial: 200 * time.Millisecond, Max: 2 * time.Second, MaxElapsed: 10 * time.Second}

// fetchTask reads task taskID's definition and latest run from the queue
// of rootURL: the run dwshim local reproduces, retrying as retry says. creds may be nil
// (anonymous; queue.task and queue.status need no scopes).
func fetchTask(rootURL string, creds *tcclient.Credentials, taskID string, retry worker.RetryPolicy) (*localInput, error) {
	q := tcqueue.New(creds, rootURL)
	q.HTTPBackoffClient = retry.HTTPBackoff()
	// httpbackoff logs every failed attempt on the standard logger; the
	// error returned says what failed, once.
	defer log.SetOutput(log.Writer())
	log.SetOutput(io.Discard)
	cd := tcclient.Client(*q)
	res, _, err := (&cd).APICall(nil, "GET", "/task/"+url.QueryEscape(taskID), new(json.RawMessage), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch task %s from %s: %w", taskID, rootURL, shortAPIError(err))
	}
	in, err := decodeInput(*res.(*json.RawMessage))
	if err != nil {
		return nil, fmt.Errorf("task %s from %s: %w", taskID, rootURL, err)
	}
	if !in.IsTask {
		return nil, fmt.Errorf("task %s from %s: the queue's answer has no payload", taskID, rootURL)
	}
	st, err := q.Status(taskID)
	if err != nil {
		return nil, fmt.Errorf("fetch the status of task %s from %s: %w", taskID, rootURL, shortAPIError(err))
	}
	if n := len(st.Status.Runs); n > 0 {
		in.RunID = int(st.Status.Runs[n-1].RunID)
	}
	in.TaskID, in.Name = taskID, "task "+taskID
	in.fillIDs()
	return in, nil
}

// apiError is a Taskcluster API failure in one line: the HTTP status and
// the service's message, not client-go's multi-line call summary.
type apiError struct {
	status int
	msg    string
	err    error
}

func (e *apiError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.status, e.msg)
}

func (e *apiError) Unwrap() error { return e.err }

// shortAPIError returns err as an *apiError when it is a client-go API
// call failure with a response, else err.
func shortAPIError(err error) error {
	var ae *tcclient.APICallException
	if !errors.As(err, &ae) || ae.CallSummary == nil {
		return err
	}
	if ae.CallSummary.HTTPResponse == nil {
		// No answer (unreachable, refused, timed out): the cause, not
		// the multi-line call summary.
		if ae.RootCause == nil {
			return err
		}
		return fmt.Errorf("%w (%d attempts)", ae.RootCause, ae.CallSummary.Attempts)
	}
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal([]byte(ae.CallSummary.HTTPResponseBody), &body) == nil && body.Message != "" {
		msg = body.Code + ": " + body.Message
	}
	return &apiError{status: ae.CallSummary.HTTPResponse.StatusCode, msg: msg, err: err}
}
