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

// resolve returns the task that holds the image artifact: the payload's
// for task-image, the index's for indexed-image.
func (q *queueImages) resolve(ctx context.Context, img plan.Image) (string, error) {
	if img.Kind != plan.ImageIndexed {
		return img.TaskID, nil
	}
	resp, err := q.get(ctx, "index", "/task/"+url.PathEscape(img.Namespace))
	if err != nil {
		return "", fmt.Errorf("find indexed image %s: %w", img, err)
	}
	defer resp.Body.Close()
	var found struct {
		TaskID string `json:"taskId"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&found); err != nil || found.TaskID == "" {
		return "", fmt.Errorf("find indexed image %s: bad index response: %v", img, err)
	}
	return found.TaskID, nil
}

// Identity names the artifact without downloading it, so the engine can
// reuse an image it already loaded (runner/docker.Identifier).
func (q *queueImages) Identity(ctx context.Context, img plan.Image) (string, error) {
	taskID, err := q.resolve(ctx, img)
	if err != nil {
		return "", err
	}
	return "task/" + taskID + "/" + img.Path, nil
}

// Fetch implements runner.ImageFetcher.
func (q *queueImages) Fetch(ctx context.Context, img plan.Image) (io.ReadCloser, string, error) {
	taskID, err := q.resolve(ctx, img)
	if err != nil {
		return nil, "", err
	}
	resp, err := q.get(ctx, "queue", "/task/"+url.PathEscape(taskID)+"/artifacts/"+url.PathEscape(img.Path))
	if err != nil {
		return nil, "", fmt.Errorf("download image %s: %w", img, err)
	}
	return resp.Body, "task/" + taskID + "/" + img.Path, nil
}
