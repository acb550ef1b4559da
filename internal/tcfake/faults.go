package tcfake

import (
	"hash/fnv"
	"net/http"
	"strings"
	"time"
)

// Faults describes injected failures. Decisions are drawn from a stream seeded
// by Options.Seed and keyed by route name and the route's request count, so a
// given sequence of calls to a route always fails the same way, whatever other
// routes do concurrently.
type Faults struct {
	// Routes limits faults to these route names ("queue.reportCompleted") or
	// prefix patterns ending in `*` ("queue.*", "s3.*"). Empty: every route.
	Routes []string
	// Rate is the fraction of requests answered 500 or 503 BEFORE any state
	// changes: the request did nothing.
	Rate float64
	// AfterRate is the fraction of successful requests whose state change is
	// kept but whose response is replaced by a 500: the response was lost.
	AfterRate float64
	// ResetRate is the fraction of requests whose connection is closed without
	// a response, before any state changes.
	ResetRate float64
	// Latency delays every matching request, before it is handled.
	Latency time.Duration
	// ReplyDelay delays every matching response after its state change is
	// made (a claim granted, a run resolved): a client that gives up
	// within it loses the answer but not the change.
	ReplyDelay time.Duration
	// Reclaim409 lists task IDs whose reclaimTask answers 409 (as if the task
	// had been cancelled) without changing state.
	Reclaim409 []string
}

const (
	faultBefore = "before"
	faultAfter  = "after"
	faultReset  = "reset"
)

type faultDecision struct {
	kind       string
	status     int
	latency    time.Duration
	replyDelay time.Duration
}

// SetFaults replaces the fault configuration (e.g. after test setup).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

func (f *Faults) matches(route string) bool {
	if len(f.Routes) == 0 {
		return true
	}
	for _, p := range f.Routes {
		if p == route || (strings.HasSuffix(p, "*") && strings.HasPrefix(route, p[:len(p)-1])) {
			return true
		}
	}
	return false
}

// drawFault decides the fate of the next request to route. Caller holds s.mu.
func (s *Server) drawFault(route string) faultDecision {
	f := &s.faults
	if !f.matches(route) || (f.Rate == 0 && f.AfterRate == 0 && f.ResetRate == 0 && f.Latency == 0 && f.ReplyDelay == 0) {
		return faultDecision{}
	}
	n := s.faultN[route]
	s.faultN[route] = n + 1
	h := fnv.New64a()
	h.Write([]byte(route))
	base := s.opts.Seed ^ h.Sum64()
	u := func(stream uint64) float64 {
		return float64(mix(base+(n*4+stream)*0x9e3779b97f4a7c15)>>11) / (1 << 53)
	}
	d := faultDecision{latency: f.Latency, replyDelay: f.ReplyDelay}
	switch {
	case u(0) < f.ResetRate:
		d.kind = faultReset
	case u(1) < f.Rate:
		d.kind, d.status = faultBefore, http.StatusInternalServerError
		if u(3) < 0.5 {
			d.status = http.StatusServiceUnavailable
		}
	case u(2) < f.AfterRate:
		d.kind = faultAfter
	}
	return d
}

func (f *Faults) reclaimConflict(taskID string) bool {
	for _, id := range f.Reclaim409 {
		if id == taskID {
			return true
		}
	}
	return false
}

// afterReal waits on the wall clock: latency is about real sockets, not the
// injected task clock.
func afterReal(d time.Duration) <-chan time.Time { return time.After(d) }
