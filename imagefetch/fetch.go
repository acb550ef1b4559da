package imagefetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"

	"github.com/dwshim/dwshim/internal/ctxwait"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

// Fetcher fetches image artifacts. The zero value of every field but
// RootURL works.
type Fetcher struct {
	// RootURL is the deployment, e.g. "https://tc.example.com".
	RootURL string
	// Credentials signs each request (Hawk), asked anew for every attempt
	// (a run's credentials are rotated at reclaim). Nil, or a nil result:
	// anonymous requests (public artifacts only).
	Credentials func() *tcclient.Credentials
	// Client makes the requests. Default: follows at most 5 redirects and
	// drops Authorization on them (it is signed for the queue only).
	Client *http.Client
	// Attempts per request, default 5; Base the first wait, default 15 s.
	Attempts int
	Base     time.Duration
	// Sleep waits d or until ctx ends. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logf receives one line per retry and resume (no credentials, ever).
	Logf func(format string, args ...any)
}

// Identity names the artifact of img without downloading it:
// "task/<taskId>/<path>" (for indexed-image, of the task the index names
// now). runner/docker reuses an image it loaded under this identity.
func (f *Fetcher) Identity(ctx context.Context, img plan.Image) (string, error) {
	taskID, err := f.TaskID(ctx, img)
	if err != nil {
		return "", err
	}
	return "task/" + taskID + "/" + img.Path, nil
}

// TaskID is the task holding img's artifact: the payload's for task-image,
// the index's for indexed-image.
func (f *Fetcher) TaskID(ctx context.Context, img plan.Image) (string, error) {
	if img.Kind != plan.ImageIndexed {
		return img.TaskID, nil
	}
	resp, err := f.get(ctx, f.api("index", "/task/"+url.PathEscape(img.Namespace)), 0)
	if err != nil {
		return "", fmt.Errorf("find %q in the index of %s: %w", img.Namespace, f.RootURL, err)
	}
	defer resp.Body.Close()
	var found struct {
		TaskID string `json:"taskId"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&found); err != nil || found.TaskID == "" {
		return "", fmt.Errorf("find %q in the index of %s: bad answer (%v)", img.Namespace, f.RootURL, err)
	}
	return found.TaskID, nil
}

// Fetch implements runner.ImageFetcher: the artifact's bytes, resumed
// across broken connections, and its identity.
func (f *Fetcher) Fetch(ctx context.Context, img plan.Image) (io.ReadCloser, string, error) {
	taskID, err := f.TaskID(ctx, img)
	if err != nil {
		return nil, "", err
	}
	r, err := f.Open(ctx, taskID, img.Path)
	if err != nil {
		return nil, "", err
	}
	return r, "task/" + taskID + "/" + img.Path, nil
}

// Open streams artifact name of the latest run of taskID.
func (f *Fetcher) Open(ctx context.Context, taskID, name string) (io.ReadCloser, error) {
	u := f.api("queue", "/task/"+url.PathEscape(taskID)+"/artifacts/"+url.PathEscape(name))
	resp, err := f.get(ctx, u, 0)
	if err != nil {
		return nil, fmt.Errorf("download artifact %q of task %s: %w", name, taskID, err)
	}
	return &resumer{f: f, ctx: ctx, url: u, what: fmt.Sprintf("artifact %q of task %s", name, taskID), resp: resp}, nil
}

func (f *Fetcher) api(service, route string) string {
	return strings.TrimRight(f.RootURL, "/") + "/api/" + service + "/v1" + route
}

func (f *Fetcher) attempts() int {
	if f.Attempts > 0 {
		return f.Attempts
	}
	return 5
}

// delay is the wait after failed attempt n (1-based): docker-worker's
// 2^(n-1)·15 s ±25 %.
func (f *Fetcher) delay(n int) time.Duration {
	base := f.Base
	if base <= 0 {
		base = 15 * time.Second
	}
	d := base << (n - 1)
	return d + time.Duration(float64(d)*0.25*(2*rand.Float64()-1))
}

func (f *Fetcher) sleep(ctx context.Context, d time.Duration) error {
	if f.Sleep != nil {
		return f.Sleep(ctx, d)
	}
	return ctxwait.Sleep(ctx, d)
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Logf != nil {
		f.Logf(format, args...)
	}
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 5 {
			return errors.New("too many redirects")
		}
		req.Header.Del("Authorization")
		return nil
	}}
}

// statusError is an HTTP answer other than 2xx.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.body) }

// final reports whether err must not be retried.
func final(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code == 401 || se.code == 403 || se.code == 404 || se.code == 424 || (se.code >= 400 && se.code < 500 && se.code != 408 && se.code != 429)
	}
	return false
}

// get GETs u from offset (Range when > 0), with the retry policy. A 404
// wraps runner.ErrImageNotFound.
func (f *Fetcher) get(ctx context.Context, u string, offset int64) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := f.getOnce(ctx, u, offset)
		if err == nil {
			return resp, nil
		}
		if final(err) || attempt >= f.attempts() || ctx.Err() != nil {
			var se *statusError
			if errors.As(err, &se) && se.code == http.StatusNotFound {
				return nil, fmt.Errorf("%w: %w", runner.ErrImageNotFound, err)
			}
			return nil, err
		}
		d := f.delay(attempt)
		f.logf("Download failed (attempt %d of %d): %v; retrying in %s", attempt, f.attempts(), err, d.Round(100*time.Millisecond))
		if serr := f.sleep(ctx, d); serr != nil {
			return nil, errors.Join(err, serr)
		}
	}
}

func (f *Fetcher) getOnce(ctx context.Context, u string, offset int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	if f.Credentials != nil {
		if c := f.Credentials(); c != nil && c.ClientID != "" {
			if err := c.SignRequest(req); err != nil {
				return nil, fmt.Errorf("sign request: %w", err)
			}
		}
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		resp.Body.Close()
		return nil, &statusError{resp.StatusCode, strings.TrimSpace(string(body))}
	}
	return resp, nil
}

// resumer is the artifact's byte stream across reconnections.
type resumer struct {
	f       *Fetcher
	ctx     context.Context
	url     string
	what    string
	resp    *http.Response
	n       int64 // bytes delivered
	resumes int
	broken  error // the error that broke the current response
}

func (r *resumer) Read(p []byte) (int, error) {
	for {
		if r.broken == nil {
			n, err := r.resp.Body.Read(p)
			r.n += int64(n)
			if errors.Is(err, io.EOF) && r.short() {
				err = io.ErrUnexpectedEOF
			}
			if err == nil || errors.Is(err, io.EOF) {
				return n, err
			}
			r.broken = err
			if n > 0 {
				return n, nil // the bytes first; the next Read resumes
			}
		}
		err := r.broken
		if r.ctx.Err() != nil || r.resumes >= r.f.attempts()-1 {
			return 0, fmt.Errorf("download %s: %w (after %d bytes)", r.what, err, r.n)
		}
		r.resumes++
		r.f.logf("Download of %s broke after %d bytes (%v); resuming (%d of %d)", r.what, r.n, err, r.resumes, r.f.attempts()-1)
		if serr := r.f.sleep(r.ctx, r.f.delay(r.resumes)); serr != nil {
			return 0, errors.Join(err, serr)
		}
		if rerr := r.reopen(); rerr != nil {
			return 0, fmt.Errorf("resume download of %s at byte %d: %w", r.what, r.n, rerr)
		}
		r.broken = nil
	}
}

// short reports whether the server announced more bytes than came.
func (r *resumer) short() bool {
	want := r.resp.ContentLength
	if want < 0 || r.resp.Uncompressed {
		return false
	}
	if r.resp.StatusCode == http.StatusPartialContent {
		start, _ := rangeStart(r.resp.Header.Get("Content-Range"))
		return start+want > r.n
	}
	return want > r.n
}

// reopen asks again from byte r.n: a 206 from there continues; anything
// else is read from the start with the delivered bytes skipped.
func (r *resumer) reopen() error {
	r.resp.Body.Close()
	resp, err := r.f.get(r.ctx, r.url, r.n)
	if err != nil {
		return err
	}
	r.resp = resp
	if start, ok := rangeStart(resp.Header.Get("Content-Range")); resp.StatusCode == http.StatusPartialContent && ok && start == r.n && !resp.Uncompressed {
		return nil
	}
	if resp.StatusCode == http.StatusPartialContent {
		resp.Body.Close()
		return errors.New("the server answered an unexpected range")
	}
	if _, err := io.CopyN(io.Discard, resp.Body, r.n); err != nil {
		return fmt.Errorf("skip the %d bytes already read: %w", r.n, err)
	}
	return nil
}

// rangeStart reads the first byte position of "bytes <start>-<end>/<size>".
func rangeStart(h string) (int64, bool) {
	v, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, false
	}
	s, _, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func (r *resumer) Close() error { return r.resp.Body.Close() }
