package worker

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// PurgeCacheService is the purge-cache service's purgeRequests: the
// caches of workerPoolID to purge, with the time before which their
// instances must go. since zero asks for every request the service keeps.
// Implementations retry transient failures themselves.
type PurgeCacheService interface {
	PurgeRequests(ctx context.Context, creds Credentials, workerPoolID string, since time.Time) ([]PurgeRequest, error)
}

// PurgeRequest is one open purge request.
type PurgeRequest struct {
	CacheName string
	Before    time.Time
}

// PurgeRequests calls purgeCache.purgeRequests.
func (q *TCQueue) PurgeRequests(ctx context.Context, creds Credentials, workerPoolID string, since time.Time) ([]PurgeRequest, error) {
	route := "/purge-cache/" + url.PathEscape(workerPoolID)
	if !since.IsZero() {
		route += "?" + url.Values{"since": {tcTime(since)}}.Encode()
	}
	var resp struct {
		Requests []struct {
			CacheName string    `json:"cacheName"`
			Before    time.Time `json:"before"`
		} `json:"requests"`
	}
	if err := q.call(ctx, creds, "purge-cache", "GET", route, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]PurgeRequest, len(resp.Requests))
	for i, r := range resp.Requests {
		out[i] = PurgeRequest{CacheName: r.CacheName, Before: r.Before}
	}
	return out, nil
}

// purgePoller asks the purge-cache service, with the worker's credentials,
// for the purge requests of the worker pool, as generic-worker does before
// a task mounts its caches (mounts.go purgeCaches): from five minutes
// before the previous query (clock drift), or everything on the first.
// Safe for concurrent use; queries are serialised.
type purgePoller struct {
	service PurgeCacheService
	poolID  string
	creds   func() Credentials
	now     func() time.Time

	mu   sync.Mutex
	last time.Time
}

func (p *purgePoller) requests(ctx context.Context) ([]PurgeRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	since := time.Time{}
	if !p.last.IsZero() {
		since = p.last.Add(-5 * time.Minute)
	}
	now := p.now()
	reqs, err := p.service.PurgeRequests(ctx, p.creds(), p.poolID, since)
	if err != nil {
		return nil, fmt.Errorf("purge-cache purgeRequests for %s: %w", p.poolID, err)
	}
	p.last = now
	return reqs, nil
}

// CachePurger purges a named cache's instances created before a time
// (runner.Runner.PurgeCache).
type CachePurger interface {
	PurgeCache(ctx context.Context, name string, before time.Time) error
}

// applyPurges honours the pool's purge requests before t mounts the
// caches of p: every request is applied (they may name other caches), and
// the task log says which of the task's own caches were purged. When the
// service cannot be reached the caches are used as they are, as
// generic-worker and docker-worker do (a purge-cache outage must not stop
// every task).
func applyPurges(ctx context.Context, t *TaskRun, purger CachePurger, caches map[string]bool) {
	reqs, err := t.PurgeRequests(ctx)
	if err != nil {
		t.Log.Warnf("[purge-cache] could not fetch purge requests; caches are used as they are: %v", err)
		return
	}
	for _, r := range reqs {
		if err := purger.PurgeCache(ctx, r.CacheName, r.Before); err != nil {
			t.Log.Warnf("[purge-cache] purging cache %q failed: %v", r.CacheName, err)
			continue
		}
		if caches[r.CacheName] {
			t.Log.Infof("[purge-cache] cache %q purged: instances created before %s removed (purge request)", r.CacheName, tcTime(r.Before))
		}
	}
}
