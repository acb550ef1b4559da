package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"

	"github.com/dwshim/dwshim/worker"
)

// cliRetry is how long the commands a person waits for (local's taskId
// fetch, lint's scope expansion) retry a Taskcluster service that does not
// answer or answers 5xx; client-go's default retries for 15 minutes.
var cliRetry = worker.RetryPolicy{Initial: 200 * time.Millisecond, Max: 2 * time.Second, MaxElapsed: 10 * time.Second}

// quietRetries silences the standard logger, on which httpbackoff logs
// every failed attempt (the error returned says what failed, once), and
// returns the function that restores it.
func quietRetries() (restore func()) {
	w := log.Writer()
	log.SetOutput(io.Discard)
	return func() { log.SetOutput(w) }
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
