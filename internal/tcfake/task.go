package tcfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

type task struct {
	id, queueID             string
	def                     json.RawMessage // normalized definition, served by queue.task
	scopes                  []string
	projectID, schedulerID  string
	taskGroupID             string
	provisionerID, workerTy string
	deadline, expires       time.Time
	retriesLeft             int
	cancelled               bool
	runs                    []*run
}

type run struct {
	id                            int
	state                         string // pending, running, completed, failed, exception
	reasonCreated, reasonResolved string
	scheduled, started, resolved  time.Time
	takenUntil                    time.Time
	workerGroup, workerID         string
	reclaims                      int
	credentials                   []string // issued clientIds (claim, then each reclaim)
	attempts                      []ResolveAttempt
	artifacts                     map[string]*artifact
	artifactOrder                 []string
}

func (t *task) last() *run { return t.runs[len(t.runs)-1] }

func (t *task) state() string {
	if len(t.runs) == 0 {
		return "unscheduled"
	}
	return t.last().state
}

func resolvedState(st string) bool {
	return st == "completed" || st == "failed" || st == "exception"
}

const tcTime = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(tcTime) }

// AddTask defines and schedules taskID with run 0 pending on its task queue.
// def is a task definition as JSON; it needs `taskQueueId` (or
// `provisionerId` and `workerType`) and may omit everything else: created,
// deadline (+24h), expires (+1y), retries (5), scopes, payload, metadata… get
// the queue's defaults.
func (s *Server) AddTask(taskID string, def json.RawMessage) error {
	var m map[string]any
	if err := json.Unmarshal(def, &m); err != nil {
		return fmt.Errorf("task %s: definition is not a JSON object: %w", taskID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.tasks[taskID]; dup {
		return fmt.Errorf("task %s: already exists", taskID)
	}
	t, err := s.normalizeTask(taskID, m)
	if err != nil {
		return err
	}
	now := s.now()
	t.runs = []*run{{id: 0, state: "pending", reasonCreated: "scheduled", scheduled: now, artifacts: map[string]*artifact{}}}
	s.tasks[taskID] = t
	s.live[taskID] = true
	s.pending[t.queueID] = append(s.pending[t.queueID], taskID)
	s.notify()
	return nil
}

// MinimalTask returns a task definition for AddTask with the given queue and
// payload; everything else takes the queue's defaults.
func MinimalTask(taskQueueID string, payload any) json.RawMessage {
	b, err := json.Marshal(map[string]any{"taskQueueId": taskQueueID, "payload": payload})
	if err != nil {
		b, _ = json.Marshal(map[string]any{"taskQueueId": taskQueueID})
	}
	return b
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

func (s *Server) normalizeTask(taskID string, m map[string]any) (*task, error) {
	now := s.now()
	tq := str(m, "taskQueueId")
	prov, wt := str(m, "provisionerId"), str(m, "workerType")
	switch {
	case tq == "" && prov != "" && wt != "":
		tq = prov + "/" + wt
	case tq != "":
		p, w, okq := strings.Cut(tq, "/")
		if !okq || p == "" || w == "" {
			return nil, fmt.Errorf("task %s: taskQueueId %q is not <provisionerId>/<workerType>", taskID, tq)
		}
		prov, wt = p, w
	default:
		return nil, fmt.Errorf("task %s: definition needs taskQueueId", taskID)
	}
	m["taskQueueId"], m["provisionerId"], m["workerType"] = tq, prov, wt
	times := map[string]time.Time{"created": now, "deadline": now.Add(24 * time.Hour)}
	times["expires"] = times["deadline"].Add(365 * 24 * time.Hour)
	for _, k := range []string{"created", "deadline", "expires"} {
		if v := str(m, k); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, fmt.Errorf("task %s: %s %q: %w", taskID, k, v, err)
			}
			times[k] = t
			if k == "deadline" && str(m, "expires") == "" {
				times["expires"] = t.Add(365 * 24 * time.Hour)
			}
		}
		m[k] = fmtTime(times[k])
	}
	defaults := map[string]any{
		"schedulerId": "-", "taskGroupId": taskID, "projectId": "none", "retries": 5.0,
		"priority": "lowest", "requires": "all-completed", "dependencies": []any{},
		"routes": []any{}, "scopes": []any{}, "tags": map[string]any{}, "extra": map[string]any{},
		"payload": map[string]any{},
		"metadata": map[string]any{"name": "tcfake task " + taskID, "description": "",
			"owner": "tcfake@example.com", "source": "https://example.com/tcfake"},
	}
	for k, v := range defaults {
		if _, has := m[k]; !has {
			m[k] = v
		}
	}
	retries, _ := m["retries"].(float64)
	var scopes []string
	if list, okl := m["scopes"].([]any); okl {
		for _, v := range list {
			if sc, oks := v.(string); oks {
				scopes = append(scopes, sc)
			}
		}
	}
	def, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", taskID, err)
	}
	return &task{
		id: taskID, queueID: tq, def: def, scopes: scopes,
		projectID: str(m, "projectId"), schedulerID: str(m, "schedulerId"),
		taskGroupID: str(m, "taskGroupId"), provisionerID: prov, workerTy: wt,
		deadline: times["deadline"], expires: times["expires"], retriesLeft: int(retries),
	}, nil
}

// statusJSON is the queue's task-status structure.
type statusJSON struct {
	TaskID        string    `json:"taskId"`
	ProvisionerID string    `json:"provisionerId"`
	WorkerType    string    `json:"workerType"`
	TaskQueueID   string    `json:"taskQueueId"`
	SchedulerID   string    `json:"schedulerId"`
	ProjectID     string    `json:"projectId"`
	TaskGroupID   string    `json:"taskGroupId"`
	Deadline      string    `json:"deadline"`
	Expires       string    `json:"expires"`
	RetriesLeft   int       `json:"retriesLeft"`
	State         string    `json:"state"`
	Runs          []runJSON `json:"runs"`
}

type runJSON struct {
	RunID          int    `json:"runId"`
	State          string `json:"state"`
	ReasonCreated  string `json:"reasonCreated"`
	ReasonResolved string `json:"reasonResolved,omitempty"`
	WorkerGroup    string `json:"workerGroup,omitempty"`
	WorkerID       string `json:"workerId,omitempty"`
	TakenUntil     string `json:"takenUntil,omitempty"`
	Scheduled      string `json:"scheduled"`
	Started        string `json:"started,omitempty"`
	Resolved       string `json:"resolved,omitempty"`
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtTime(t)
}

func (t *task) status() statusJSON {
	st := statusJSON{
		TaskID: t.id, ProvisionerID: t.provisionerID, WorkerType: t.workerTy, TaskQueueID: t.queueID,
		SchedulerID: t.schedulerID, ProjectID: t.projectID, TaskGroupID: t.taskGroupID,
		Deadline: fmtTime(t.deadline), Expires: fmtTime(t.expires), RetriesLeft: t.retriesLeft,
		State: t.state(), Runs: []runJSON{},
	}
	for _, r := range t.runs {
		rj := runJSON{
			RunID: r.id, State: r.state, ReasonCreated: r.reasonCreated, ReasonResolved: r.reasonResolved,
			WorkerGroup: r.workerGroup, WorkerID: r.workerID, Scheduled: fmtTime(r.scheduled),
			Started: optTime(r.started), Resolved: optTime(r.resolved),
		}
		if r.state == "running" {
			rj.TakenUntil = fmtTime(r.takenUntil)
		}
		st.Runs = append(st.Runs, rj)
	}
	return st
}

// resolveRun resolves r (running) and, for retryable exceptions with retries
// left, schedules a new pending run. Caller holds s.mu.
func (s *Server) resolveRun(t *task, r *run, state, reason string) {
	now := s.now()
	r.state, r.reasonResolved, r.resolved = state, reason, now
	delete(s.live, t.id)
	if state == "exception" && t.retriesLeft > 0 && !t.cancelled && now.Before(t.deadline) {
		created := ""
		switch reason {
		case "worker-shutdown", "claim-expired":
			created = "retry"
		case "intermittent-task":
			created = "task-retry"
		}
		if created != "" {
			t.retriesLeft--
			t.runs = append(t.runs, &run{id: len(t.runs), state: "pending", reasonCreated: created,
				scheduled: now, artifacts: map[string]*artifact{}})
			s.pending[t.queueID] = append(s.pending[t.queueID], t.id)
			s.live[t.id] = true
		}
	}
	s.notify()
}

// expireLocked applies the queue's background resolutions lazily: expired
// claims become exception/claim-expired (retried), tasks past their deadline
// exception/deadline-exceeded. Caller holds s.mu.
func (s *Server) expireLocked() {
	now := s.now()
	for _, id := range sortedKeys(s.live) {
		t := s.tasks[id]
		r := t.last()
		switch {
		case (r.state == "pending" || r.state == "running") && now.After(t.deadline):
			s.resolveRun(t, r, "exception", "deadline-exceeded")
		case r.state == "running" && now.After(r.takenUntil):
			s.resolveRun(t, r, "exception", "claim-expired")
		}
	}
}

// CancelTask cancels taskID like queue.cancelTask: its current pending or
// running run becomes exception/canceled, so a later reclaim or resolve by
// the worker gets 409.
func (s *Server) CancelTask(taskID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[taskID]
	if !ok {
		return fmt.Errorf("cancel task %s: no such task", taskID)
	}
	t.cancelled = true
	if r := t.last(); !resolvedState(r.state) {
		s.resolveRun(t, r, "exception", "canceled")
	}
	return nil
}
