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
	{"workerManager.registerWorker", "POST", "worker-manager", []string{"worker", "register"}, (*Server).registerWorker},
	{"workerManager.reregisterWorker", "POST", "worker-manager", []string{"worker", "reregister"}, (*Server).reregisterWorker},
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

// staticWorker is a worker of a static worker-manager pool.
type staticWorker struct {
	secret       string // the staticSecret in its identity proof
	registration string // the secret reregisterWorker checks; "" until registered
	registered   int
}

// StaticWorkerCredentialsTTL is how long the credentials registerWorker and
// reregisterWorker hand out stay valid, unless SetStaticCredentialsTTL.
const StaticWorkerCredentialsTTL = 96 * time.Hour

// SetStaticCredentialsTTL changes how long the credentials of later
// (re)registrations last: short, worker-runner reregisters soon and sends
// the worker new-credentials.
func (s *Server) SetStaticCredentialsTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staticTTL = d
}

// AddStaticWorker lets workerPoolID/workerGroup/workerID register with
// staticSecret, as a worker of a worker-manager "static" pool does through
// worker-runner's static provider. Its credentials are temporary, with the
// scopes to claim from the pool as that worker.
func (s *Server) AddStaticWorker(workerPoolID, workerGroup, workerID, staticSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.static == nil {
		s.static = map[string]*staticWorker{}
	}
	s.static[workerPoolID+"/"+workerGroup+"/"+workerID] = &staticWorker{secret: staticSecret}
}

// Registrations returns how many times the static worker registered or
// reregistered.
func (s *Server) Registrations(workerPoolID, workerGroup, workerID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.static[workerPoolID+"/"+workerGroup+"/"+workerID]; w != nil {
		return w.registered
	}
	return 0
}

func (s *Server) staticCredentials(w *staticWorker, pool, group, id string) reply {
	now := s.now()
	ttl := StaticWorkerCredentialsTTL
	if s.staticTTL > 0 {
		ttl = s.staticTTL
	}
	w.registration = s.slug()
	w.registered++
	creds := s.issueTemp("worker/"+pool+"/"+group+"/"+id, now, now.Add(ttl), WorkerScopes(pool, group, id))
	var cert certificate
	_ = json.Unmarshal([]byte(creds.Certificate), &cert) // we just made it
	s.credGen[cert.Seed] = w.registered - 1              // Call.CredGen: 0 registered, n the nth reregistration
	return ok(map[string]any{"credentials": creds, "expires": fmtTime(now.Add(ttl)), "secret": w.registration})
}

// registerWorker needs no credentials, only the worker's identity proof.
func (s *Server) registerWorker(c *call) reply {
	var req struct {
		WorkerPoolID string `json:"workerPoolId"`
		ProviderID   string `json:"providerId"`
		WorkerGroup  string `json:"workerGroup"`
		WorkerID     string `json:"workerId"`
		Proof        struct {
			StaticSecret string `json:"staticSecret"`
		} `json:"workerIdentityProof"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("registerWorker payload: " + err.Error())
	}
	w := s.static[req.WorkerPoolID+"/"+req.WorkerGroup+"/"+req.WorkerID]
	if w == nil || req.Proof.StaticSecret == "" || w.secret != req.Proof.StaticSecret {
		return errReply(http.StatusBadRequest, "InputError", "tcfake: registerWorker: unknown static worker or wrong staticSecret")
	}
	return s.staticCredentials(w, req.WorkerPoolID, req.WorkerGroup, req.WorkerID)
}

func (s *Server) reregisterWorker(c *call) reply {
	if rp, oka := requireAuth(c); !oka {
		return rp
	}
	var req struct {
		WorkerPoolID string `json:"workerPoolId"`
		WorkerGroup  string `json:"workerGroup"`
		WorkerID     string `json:"workerId"`
		Secret       string `json:"secret"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("reregisterWorker payload: " + err.Error())
	}
	w := s.static[req.WorkerPoolID+"/"+req.WorkerGroup+"/"+req.WorkerID]
	if w == nil || w.registration == "" || req.Secret != w.registration {
		return errReply(http.StatusBadRequest, "InputError", "tcfake: reregisterWorker: not registered, or wrong secret")
	}
	return s.staticCredentials(w, req.WorkerPoolID, req.WorkerGroup, req.WorkerID)
}
