package main

import (
	"encoding/json"
	"fmt"
	"net/url"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"

	"github.com/dwshim/dwshim/worker"
)

// fetchTask reads task taskID's definition and latest run from the queue
// of rootURL (the run dwshim local reproduces), retrying as retry says.
// creds may be nil (anonymous; queue.task and queue.status need no
// scopes).
func fetchTask(rootURL string, creds *tcclient.Credentials, taskID string, retry worker.RetryPolicy) (*localInput, error) {
	q := tcqueue.New(creds, rootURL)
	q.HTTPBackoffClient = retry.HTTPBackoff()
	defer quietRetries()()
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
