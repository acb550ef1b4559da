package tcfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

var queueRoutes = []route{
	{"queue.claimWork", "POST", "queue", []string{"claim-work", ":taskQueueId"}, (*Server).claimWork},
	{"queue.reclaimTask", "POST", "queue", []string{"task", ":taskId", "runs", ":runId", "reclaim"}, (*Server).reclaimTask},
	{"queue.reportCompleted", "POST", "queue", []string{"task", ":taskId", "runs", ":runId", "completed"}, resolveHandler("completed")},
	{"queue.reportFailed", "POST", "queue", []string{"task", ":taskId", "runs", ":runId", "failed"}, resolveHandler("failed")},
	{"queue.reportException", "POST", "queue", []string{"task", ":taskId", "runs", ":runId", "exception"}, resolveHandler("exception")},
	{"queue.task", "GET", "queue", []string{"task", ":taskId"}, (*Server).getTask},
	{"queue.status", "GET", "queue", []string{"task", ":taskId", "status"}, (*Server).getStatus},
	{"queue.cancelTask", "POST", "queue", []string{"task", ":taskId", "cancel"}, (*Server).cancelTaskAPI},
	{"queue.pendingTasks", "GET", "queue", []string{"pending", ":taskQueueId"}, (*Server).pendingTasks},
}

// exceptionReasons a worker may report (the queue adds canceled,
// claim-expired and deadline-exceeded itself).
var exceptionReasons = map[string]bool{
	"worker-shutdown": true, "malformed-payload": true, "resource-unavailable": true,
	"internal-error": true, "superseded": true, "intermittent-task": true,
}

type taskClaimJSON struct {
	Status      statusJSON      `json:"status"`
	RunID       int             `json:"runId"`
	WorkerGroup string          `json:"workerGroup"`
	WorkerID    string          `json:"workerId"`
	TakenUntil  string          `json:"takenUntil"`
	Task        json.RawMessage `json:"task"`
	Credentials Credentials     `json:"credentials"`
}

// claimWork pops up to `tasks` pending tasks of the queue. With
// Options.ClaimWait it long-polls, releasing s.mu while it waits.
func (s *Server) claimWork(c *call) reply {
	tq := c.p["taskQueueId"]
	var req struct {
		Tasks       int    `json:"tasks"`
		WorkerGroup string `json:"workerGroup"`
		WorkerID    string `json:"workerId"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badInput("claimWork payload: " + err.Error())
	}
	if req.Tasks < 1 || req.Tasks > 32 || req.WorkerGroup == "" || req.WorkerID == "" {
		return badInput("claimWork payload needs tasks in 1..32, workerGroup and workerId")
	}
	if rp, okz := authorize(c, WorkerScopes(tq, req.WorkerGroup, req.WorkerID)); !okz {
		return rp
	}
	s.claims.Calls++
	deadline := time.Now().Add(s.opts.ClaimWait)
	for {
		claims := s.claimLocked(tq, req.Tasks, req.WorkerGroup, req.WorkerID)
		wait := time.Until(deadline)
		if len(claims) > 0 || wait <= 0 {
			if len(claims) == 0 {
				s.claims.EmptyCalls++
			}
			return ok(map[string]any{"tasks": claims})
		}
		ch := s.changed
		s.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-ch:
		case <-timer.C:
		case <-c.r.Context().Done():
		}
		timer.Stop()
		s.mu.Lock()
		if c.r.Context().Err() != nil {
			return ok(map[string]any{"tasks": []taskClaimJSON{}})
		}
		s.expireLocked()
	}
}

// claimLocked claims up to n tasks. Caller holds s.mu.
func (s *Server) claimLocked(tq string, n int, group, worker string) []taskClaimJSON {
	claims := []taskClaimJSON{}
	now := s.now()
	for len(claims) < n && len(s.pending[tq]) > 0 {
		id := s.pending[tq][0]
		s.pending[tq] = s.pending[tq][1:]
		t := s.tasks[id]
		r := t.last()
		if r.state != "pending" {
			continue // cancelled or otherwise resolved while queued
		}
		r.state, r.started, r.workerGroup, r.workerID = "running", now, group, worker
		r.takenUntil = now.Add(s.opts.ClaimDuration)
		creds := s.runCredentials(t, r, 0)
		s.claims.TasksClaimed++
		claims = append(claims, taskClaimJSON{
			Status: t.status(), RunID: r.id, WorkerGroup: group, WorkerID: worker,
			TakenUntil: fmtTime(r.takenUntil), Task: t.def, Credentials: creds,
		})
	}
	if len(claims) > 0 {
		s.notify()
	}
	return claims
}

// runCredentials issues the temporary task credentials of generation gen
// (0 at claim, n at the nth reclaim). Caller holds s.mu.
func (s *Server) runCredentials(t *task, r *run, gen int) Credentials {
	tr := t.id + "/" + strconv.Itoa(r.id)
	scopes := append(append([]string{}, t.scopes...),
		"queue:reclaim-task:"+tr, "queue:resolve-task:"+tr, "queue:create-artifact:"+tr)
	clientID := "task-client/" + tr + "/on/" + r.workerGroup + "/" + r.workerID
	creds := s.issueTemp(clientID, s.now(), r.takenUntil.Add(s.opts.CredentialsSlack), scopes)
	var cert certificate
	_ = json.Unmarshal([]byte(creds.Certificate), &cert) // we just made it
	s.credGen[cert.Seed] = gen
	r.credentials = append(r.credentials, clientID)
	return creds
}

// taskRun finds the task and run named by the call. Caller holds s.mu.
func (s *Server) taskRun(c *call) (*task, *run, reply, bool) {
	t, okt := s.tasks[c.p["taskId"]]
	if !okt {
		return nil, nil, notFound("task " + c.p["taskId"] + " not found"), false
	}
	n, err := strconv.Atoi(c.p["runId"])
	if err != nil || n < 0 || n >= len(t.runs) {
		return nil, nil, notFound(fmt.Sprintf("run %s of task %s not found", c.p["runId"], t.id)), false
	}
	return t, t.runs[n], reply{}, true
}

// runScopes: the task credentials' scope for verb, or the claiming worker's id.
func runScopes(verb string, t *task, r *run) [][]string {
	alts := [][]string{{"queue:" + verb + ":" + t.id + "/" + strconv.Itoa(r.id)}}
	if r.workerGroup != "" {
		alts = append(alts, []string{"queue:worker-id:" + r.workerGroup + "/" + r.workerID})
	}
	return alts
}

func (s *Server) reclaimTask(c *call) reply {
	t, r, rp, okr := s.taskRun(c)
	if !okr {
		return rp
	}
	if rp, oka := authorize(c, runScopes("reclaim-task", t, r)...); !oka {
		return rp
	}
	if s.faults.reclaimConflict(t.id) {
		return conflict("tcfake: injected reclaim conflict for task " + t.id)
	}
	if r.state != "running" {
		return conflict(fmt.Sprintf("run %d of task %s is %s (%s), not running", r.id, t.id, r.state, r.reasonResolved))
	}
	r.takenUntil = s.now().Add(s.opts.ClaimDuration)
	r.reclaims++
	s.claims.Reclaims++
	creds := s.runCredentials(t, r, r.reclaims)
	return ok(map[string]any{
		"status": t.status(), "runId": r.id, "workerGroup": r.workerGroup, "workerId": r.workerID,
		"takenUntil": fmtTime(r.takenUntil), "credentials": creds,
	})
}

// resolveHandler implements reportCompleted/Failed/Exception. Repeating the
// resolution a run already has is an idempotent 200; any other resolution of
// a resolved run is 409. Every attempt is recorded.
func resolveHandler(state string) func(*Server, *call) reply {
	return func(s *Server, c *call) reply {
		t, r, rp, okr := s.taskRun(c)
		if !okr {
			return rp
		}
		reason := state
		if state == "exception" {
			var req struct {
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal(c.body, &req); err != nil {
				return badInput("reportException payload: " + err.Error())
			}
			if !exceptionReasons[req.Reason] {
				return badInput(fmt.Sprintf("reportException: reason %q is not one a worker may report", req.Reason))
			}
			reason = req.Reason
		}
		if rp, oka := authorize(c, runScopes("resolve-task", t, r)...); !oka {
			return rp
		}
		att := ResolveAttempt{State: state, Reason: reason, At: s.now()}
		if c.who != nil {
			att.ClientID = c.who.clientID
		}
		switch {
		case r.state == "running":
			att.Outcome = OutcomeResolved
			s.resolveRun(t, r, state, reason)
			rp = ok(map[string]any{"status": t.status()})
		case r.state == state && r.reasonResolved == reason:
			att.Outcome = OutcomeIdempotent
			rp = ok(map[string]any{"status": t.status()})
		default:
			att.Outcome = OutcomeConflict
			rp = conflict(fmt.Sprintf("run %d of task %s is %s (%s); cannot resolve it as %s (%s)",
				r.id, t.id, r.state, r.reasonResolved, state, reason))
		}
		r.attempts = append(r.attempts, att)
		return rp
	}
}

func (s *Server) getTask(c *call) reply {
	t, okt := s.tasks[c.p["taskId"]]
	if !okt {
		return notFound("task " + c.p["taskId"] + " not found")
	}
	return reply{status: http.StatusOK, body: t.def}
}

func (s *Server) getStatus(c *call) reply {
	t, okt := s.tasks[c.p["taskId"]]
	if !okt {
		return notFound("task " + c.p["taskId"] + " not found")
	}
	return ok(map[string]any{"status": t.status()})
}

func (s *Server) cancelTaskAPI(c *call) reply {
	t, okt := s.tasks[c.p["taskId"]]
	if !okt {
		return notFound("task " + c.p["taskId"] + " not found")
	}
	if rp, oka := authorize(c, []string{"queue:cancel-task:" + t.schedulerID + "/" + t.taskGroupID + "/" + t.id}); !oka {
		return rp
	}
	t.cancelled = true
	if r := t.last(); !resolvedState(r.state) {
		s.resolveRun(t, r, "exception", "canceled")
	}
	return ok(map[string]any{"status": t.status()})
}

func (s *Server) pendingTasks(c *call) reply {
	tq := c.p["taskQueueId"]
	n := 0
	for _, id := range s.pending[tq] {
		if s.tasks[id].last().state == "pending" {
			n++
		}
	}
	return ok(map[string]any{"taskQueueId": tq, "pendingTasks": n})
}
