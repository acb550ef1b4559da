package tcfake

import (
	"encoding/json"
	"net/http"
)

var workerRoutes = []route{
	{"workerManager.shouldWorkerTerminate", "GET", "worker-manager", []string{"workers", ":pool", ":group", ":worker", "should-terminate"}, (*Server).shouldTerminate},
	{"workerManager.reportWorkerError", "POST", "worker-manager", []string{"worker-pool-errors", ":pool"}, (*Server).reportWorkerError},
	{"workerManager.removeWorker", "DELETE", "worker-manager", []string{"workers", ":pool", ":group", ":worker"}, (*Server).removeWorker},
}

// WorkerError is a workerManager.reportWorkerError call.
type WorkerError struct {
	WorkerPoolID, WorkerGroup, WorkerID string
	Kind, Title, Description            string
	Extra                               json.RawMessage
	ClientID                            string
}

// SetShouldTerminate sets the answer of workerManager.shouldWorkerTerminate.
func (s *Server) SetShouldTerminate(terminate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.terminate = terminate
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
