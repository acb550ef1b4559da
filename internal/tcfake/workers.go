package tcfake

import (
	"encoding/json"
	"net/http"
	"time"
)

var workerRoutes = []route{
	{"workerManager.shouldWorkerTerminate", "GET", "worker-manager", []string{"workers", ":pool", ":group", ":worker", "should-terminate"}, (*Server).shouldTerminate},
	{"workerManager.reportWorkerError", "POST", "worker-manager", []string{"worker-pool-errors", ":pool"}, (*Server).reportWorkerError},
	{"workerManager.removeWorker", "DELETE", "worker-manager", []string{"workers", ":pool", ":group", ":worker"}, (*Server).removeWorker},
	{"purgeCache.purgeRequests", "GET", "purge-cache", []string{"purge-cache", ":pool"}, (*Server).purgeRequests},
}

// WorkerError is a workerManager.reportWorkerError call.
type WorkerError struct {
	WorkerPoolID, WorkerGroup, WorkerID string
	Kind, Title, Description            string
	Extra                               json.RawMessage
	ClientID                            string
}

type purgeRequest struct {
	pool, cacheName string
	before          time.Time
}

// SetShouldTerminate sets the answer of workerManager.shouldWorkerTerminate.
func (s *Server) SetShouldTerminate(terminate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.terminate = terminate
}

// AddPurgeRequest asks workers of workerPoolID to purge cacheName (caches
// created before now).
func (s *Server) AddPurgeRequest(workerPoolID, cacheName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purges = append(s.purges, purgeRequest{pool: workerPoolID, cacheName: cacheName, before: s.now()})
}

// WorkerErrors returns the reported worker errors, in order.
func (s *Server) WorkerErrors() []WorkerError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WorkerError(nil), s.workerErrors...)
}

// RemovedWorkers returns "<pool>/<group>/<id>" of each removeWorker call.
func (s *Server) RemovedWorkers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.removed...)
}

func requireAuth(c *call) (reply, bool) {
	if c.who == nil {
		return errReply(http.StatusForbidden, "InsufficientScopes", "tcfake: "+c.route+" needs credentials"), false
	}
	return reply{}, true
}

func (s *Server) shouldTerminate(c *call) reply {
	if rp, oka := requireAuth(c); !oka {
		return rp
	}
	return ok(map[string]any{"terminate": s.terminate, "reason": "tcfake"})
}

func (s *Server) reportWorkerError(c *call) reply {
	if rp, oka := requireAuth(c); !oka {
		return rp
	}
	var req struct {
		Kind, Title, Description string
		WorkerGroup              string `json:"workerGroup"`
		WorkerID                 string `json:"workerId"`
		Extra                    json.RawMessage
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("reportWorkerError payload: " + err.Error())
	}
	s.workerErrors = append(s.workerErrors, WorkerError{WorkerPoolID: c.p["pool"], WorkerGroup: req.WorkerGroup,
		WorkerID: req.WorkerID, Kind: req.Kind, Title: req.Title, Description: req.Description,
		Extra: req.Extra, ClientID: c.who.clientID})
	return ok(map[string]any{"workerPoolId": c.p["pool"], "errorId": s.slug(), "kind": req.Kind,
		"title": req.Title, "description": req.Description, "extra": req.Extra, "reported": fmtTime(s.now())})
}

func (s *Server) removeWorker(c *call) reply {
	if rp, oka := requireAuth(c); !oka {
		return rp
	}
	s.removed = append(s.removed, c.p["pool"]+"/"+c.p["group"]+"/"+c.p["worker"])
	return ok(nil)
}

func (s *Server) purgeRequests(c *call) reply {
	since := time.Time{}
	if v := c.r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return badInput("purgeRequests: since " + v + ": " + err.Error())
		}
		since = t
	}
	list := []map[string]any{}
	for _, p := range s.purges {
		if p.pool != c.p["pool"] || !p.before.After(since) {
			continue
		}
		prov, wt := p.pool, ""
		for i := 0; i < len(p.pool); i++ {
			if p.pool[i] == '/' {
				prov, wt = p.pool[:i], p.pool[i+1:]
				break
			}
		}
		list = append(list, map[string]any{"provisionerId": prov, "workerType": wt,
			"cacheName": p.cacheName, "before": fmtTime(p.before)})
	}
	return ok(map[string]any{"requests": list})
}
