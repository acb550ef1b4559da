package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"

	"github.com/dwshim/dwshim/plan"
)

// queueImages fetches image artifacts (task-image, indexed-image) from the
// queue with the run's credentials, as generic-worker's mounts feature
// does: non-public artifacts need queue:get-artifact:<name> in the task's
// scopes.
type queueImages struct {
	run    *TaskRun
	client *http.Client
}

func (q *queueImages) httpClient() *http.Client {
	if q.client != nil {
		return q.client
	}
	return &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 5 {
			return fmt.Errorf("too many redirects")
		}
		req.Header.Del("Authorization") // signed for the queue only
		return nil
	}}
}

// get GETs route of service with Hawk, following redirects.
func (q *queueImages) get(ctx context.Context, service, route string) (*http.Response, error) {
	u := strings.TrimRight(q.run.Config.RootURL, "/") + "/api/" + service + "/v1" + route
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	c := q.run.Credentials()
	tc := &tcclient.Credentials{ClientID: c.ClientID, AccessToken: c.AccessToken, Certificate: c.Certificate}
	if err := tc.SignRequest(req); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	resp, err := q.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s %s: HTTP %d: %s", service, route, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return resp, nil
}

// Fetch implements runner.ImageFetcher.
func (q *queueImages) Fetch(ctx context.Context, img plan.Image) (io.ReadCloser, string, error) {
	taskID := img.TaskID
	if img.Kind == plan.ImageIndexed {
		resp, err := q.get(ctx, "index", "/task/"+url.PathEscape(img.Namespace))
		if err != nil {
			return nil, "", fmt.Errorf("find indexed image %s: %w", img, err)
		}
		var found struct {
			TaskID string `json:"taskId"`
		}
		err = json.NewDecoder(resp.Body).Decode(&found)
		resp.Body.Close()
		if err != nil || found.TaskID == "" {
			return nil, "", fmt.Errorf("find indexed image %s: bad index response: %v", img, err)
		}
		taskID = found.TaskID
	}
	resp, err := q.get(ctx, "queue", "/task/"+url.PathEscape(taskID)+"/artifacts/"+url.PathEscape(img.Path))
	if err != nil {
		return nil, "", fmt.Errorf("download image %s: %w", img, err)
	}
	return resp.Body, "task/" + taskID + "/" + img.Path, nil
}
