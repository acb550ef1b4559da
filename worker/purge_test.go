package worker

import (
	"context"
	"errors"
	"testing"
	"time"
)

type fakePurgeService struct {
	since []time.Time
	err   error
}

func (f *fakePurgeService) PurgeRequests(_ context.Context, _ Credentials, pool string, since time.Time) ([]PurgeRequest, error) {
	f.since = append(f.since, since)
	if f.err != nil {
		return nil, f.err
	}
	return []PurgeRequest{{CacheName: pool + "-c", Before: since}}, nil
}

// TestPurgePollerSince: the first query asks for everything, later ones
// from five minutes before the previous successful query; a failed query
// does not move that time.
func TestPurgePollerSince(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	svc := &fakePurgeService{}
	p := &purgePoller{service: svc, poolID: "p/w", creds: func() Credentials { return Credentials{} }, now: func() time.Time { return now }}
	ctx := context.Background()
	if reqs, err := p.requests(ctx); err != nil || len(reqs) != 1 || reqs[0].CacheName != "p/w-c" {
		t.Fatalf("first: %v %v", reqs, err)
	}
	now = t0.Add(time.Hour)
	svc.err = errors.New("down")
	if _, err := p.requests(ctx); err == nil {
		t.Fatal("want the service's error")
	}
	svc.err = nil
	now = t0.Add(2 * time.Hour)
	if _, err := p.requests(ctx); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{{}, t0.Add(-5 * time.Minute), t0.Add(-5 * time.Minute)}
	for i := range want {
		if !svc.since[i].Equal(want[i]) {
			t.Errorf("query %d since %v, want %v", i, svc.since[i], want[i])
		}
	}
}
