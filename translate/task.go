package translate

import (
	"encoding/json"
	"fmt"

	"github.com/dwshim/dwshim/plan"
)

// TaskOptions tunes TranslateTask.
type TaskOptions struct {
	// ExpandScopes expands assume: scopes (the auth service's
	// expandScopes). Nil uses the scopes as given, with a warning when some
	// start with "assume:".
	ExpandScopes func(scopes []string) ([]string, error)
}

// TaskResult is a translated task definition.
type TaskResult struct {
	Result
	// TaskQueueID is taskQueueId, or provisionerId/workerType; empty when
	// the definition has neither and no scopes.
	TaskQueueID string
	// HasScopes says whether the definition had a scopes key; without one
	// upstream skips scope validation and conversion (and so do we, with a
	// warning).
	HasScopes bool
	// Scopes are the converted generic-worker scopes (§3.2); nil without
	// a scopes key.
	Scopes []string
	// Dependencies are the task's dependencies as given.
	Dependencies []string
	// Task is the decoded definition.
	Task *Task

	raw []byte
}

// TranslateTask translates a whole task definition (JSON): its payload as
// TranslatePayload does (pointers get a /payload prefix), then, when the
// definition has a scopes key, validates and converts the scopes as
// upstream's ConvertTaskDefinition does. Task problems are an *Error with
// Reason MalformedPayload.
func TranslateTask(task []byte, cfg Config, opts TaskOptions) (*TaskResult, error) {
	h, err := DecodeTask(task)
	if err != nil {
		return nil, err
	}
	p := h.Payload
	res, err := TranslatePayload(p, cfg)
	if err != nil {
		return nil, prefixPointers(err, "/payload")
	}
	for i := range res.Warnings {
		res.Warnings[i].Pointer = "/payload" + res.Warnings[i].Pointer
	}
	tr := &TaskResult{Result: *res, Dependencies: h.Dependencies, raw: task, Task: h}
	tr.TaskQueueID = h.QueueID()
	tr.Warnings = append(tr.Warnings, ImageDependencyWarnings(p, h.Dependencies)...)
	if !h.HasScopes {
		// The queue gives such a task scopes [] and the worker checks
		// those; upstream's offline CLI skips the check (§9.17). One
		// verdict everywhere: checked as [].
		if err := Verdict(p, cfg, &Scopes{TaskQueueID: tr.TaskQueueID}, "/payload"); err != nil {
			return nil, err
		}
		tr.Warnings = append(tr.Warnings, Warning{Pointer: "/scopes", Code: WarnNoScopesKey,
			Message: "the task definition has no scopes key: checked as [] (the queue's default); the converted definition gets no scopes, as upstream d2g's"})
		return tr, nil
	}
	tr.HasScopes = true
	if tr.TaskQueueID == "" {
		return nil, &Error{Reason: MalformedPayload, Problems: []Problem{{Pointer: "/taskQueueId", Message: "taskQueueId ('provisionerId/workerType') is required", Kind: ProblemTaskDefinition}}}
	}
	scopes, expanded := h.Scopes, h.Scopes
	if opts.ExpandScopes != nil {
		if expanded, err = opts.ExpandScopes(scopes); err != nil {
			return nil, fmt.Errorf("error expanding scopes: %w", err)
		}
	} else if NeedsExpansion(scopes) {
		// Offline: what the roles grant is unknown, so a missing scope is
		// a warning, not a verdict (the worker always expands).
		tr.Warnings = append(tr.Warnings, Warning{Pointer: "/scopes", Code: WarnScopesNotExpanded,
			Message: "assume: scopes cannot be expanded offline: scopes were validated and converted as given"})
		if err := Verdict(p, cfg, nil, "/payload"); err != nil {
			return nil, err
		}
		tr.Warnings = append(tr.Warnings, UnverifiableScopeWarnings(p, tr.TaskQueueID, scopes)...)
		tr.Scopes = ConvertScopes(scopes, expanded, tr.TaskQueueID)
		return tr, nil
	}
	if err := Verdict(p, cfg, &Scopes{TaskQueueID: tr.TaskQueueID, Expanded: expanded}, "/payload"); err != nil {
		return nil, err
	}
	tr.Warnings = append(tr.Warnings, CacheScopeWarnings(p, tr.TaskQueueID, expanded)...)
	tr.Scopes = ConvertScopes(scopes, expanded, tr.TaskQueueID)
	return tr, nil
}

// PlanForTask adapts TranslateTask to the worker's TranslateFunc shape:
// the Plan and warnings of a task definition (scopes used as given).
func PlanForTask(task json.RawMessage, cfg Config) (*plan.Plan, []Warning, error) {
	r, err := TranslateTask(task, cfg, TaskOptions{})
	if err != nil {
		return nil, nil, err
	}
	return r.Plan, r.Warnings, nil
}

// Definition returns the converted task definition as upstream's CLI
// writes it (§2.12): the original object with payload (and scopes, when
// present) replaced, other keys kept, keys sorted, 2-space indent.
func (r *TaskResult) Definition() ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		return nil, fmt.Errorf("cannot parse task definition: %w", err)
	}
	m["payload"] = r.Payload
	if r.HasScopes {
		m["scopes"] = r.Scopes
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode task definition: %w", err)
	}
	return out, nil
}

func prefixPointers(err error, prefix string) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	probs := make([]Problem, len(e.Problems))
	for i, p := range e.Problems {
		probs[i] = Problem{Pointer: prefix + p.Pointer, Message: p.Message, Kind: p.Kind}
	}
	return &Error{Reason: e.Reason, Problems: probs}
}

// ImageDependencyWarnings flags a task-image whose task is not among the
// task's dependencies: docker-worker ran such a task, generic-worker
// rejects d2g's conversion of it. Pointers are into the task definition.
func ImageDependencyWarnings(p *DockerWorkerPayload, dependencies []string) []Warning {
	id := p.Image.TaskID
	if p.Image.Kind != ImageTask || containsString(dependencies, id) {
		return nil
	}
	return []Warning{{Pointer: "/payload/image/taskId", Code: WarnTaskImageDependency,
		Message: fmt.Sprintf("image taskId %s is not among the task's dependencies: d2g requires it; add %q to dependencies", id, id)}}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
