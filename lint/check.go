package lint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/dwshim/dwshim/taskfile"
	"github.com/dwshim/dwshim/translate"
)

// Linter checks tasks. It is safe for concurrent use (Run lints on every
// CPU); scope expansions are cached under a lock.
type Linter struct {
	opts     Options
	mu       sync.Mutex
	expanded map[string]expansion
}

type expansion struct {
	scopes []string
	err    error
}

// New returns a Linter for opts.
func New(opts Options) *Linter {
	if opts.MaxTaskRunTime <= 0 {
		opts.MaxTaskRunTime = DefaultMaxTaskRunTime
	}
	return &Linter{opts: opts, expanded: map[string]expansion{}}
}

// task is one docker-worker task being checked.
type task struct {
	it      *taskfile.Item
	prefix  string // pointer of the payload in the document ("" or "/payload")
	isDef   bool
	payload []byte
	scopes  []string
	deps    []string
	queue   string
	refs    map[string]taskfile.Ref
	// deadline is the task definition's deadline as given.
	deadline string
	badRefs  map[string]bool // malformed references, already reported
	probs    []Problem
}

// addWarnings reports translate's warnings (pointers into a task
// definition) under the rule of their code, the message with suffix.
func (t *task) addWarnings(ws []translate.Warning, suffix string) {
	for _, w := range ws {
		rule, ok := warningRules[w.Code]
		if !ok {
			continue // a warning no rule reports
		}
		t.add(rule, severityOf(rule), t.prefix+strings.TrimPrefix(w.Pointer, "/payload"), w.Message+suffix)
	}
}

func (t *task) add(rule string, sev Severity, ptr, msg string) {
	p := Problem{File: t.it.File, Task: t.it.Name(), Pointer: ptr, Rule: rule, Severity: sev, Message: msg}
	p.Line, p.Column, _ = t.it.Locate(ptr)
	t.probs = append(t.probs, p)
}

// Lint checks one item. skipped is true for items that are not
// docker-worker tasks (generic-worker payloads, other documents): they get
// no problems.
func (l *Linter) Lint(ctx context.Context, it *taskfile.Item) (probs []Problem, skipped bool) {
	if it.Format != taskfile.DockerWorker {
		return nil, true
	}
	t := &task{it: it, prefix: it.Pointer, isDef: it.Kind == taskfile.TaskDefinition}
	raw := []byte(it.Raw)
	if taskfile.MayHaveRefs(raw) {
		out, refs, rp, err := taskfile.ReplaceRefs(raw, false)
		if err != nil {
			t.add(RuleSchema, Error, "", fmt.Sprintf("cannot decode the task: %v", err))
			return t.probs, false
		}
		for _, p := range rp {
			t.add(RuleUnresolvedReference, Error, p.Pointer, p.Message)
			if t.badRefs == nil {
				t.badRefs = map[string]bool{}
			}
			t.badRefs[p.Pointer] = true
		}
		if out != nil {
			raw, t.refs = out, refs
		}
	}
	var p *translate.DockerWorkerPayload
	var err error
	if !t.isDef {
		p, err = translate.DecodePayload(raw)
	} else {
		var td *translate.Task
		if td, err = translate.DecodeTask(raw); err == nil {
			p, t.scopes, t.deps, t.queue = td.Payload, td.Scopes, td.Dependencies, td.QueueID()
			t.deadline = td.Deadline
		}
	}
	if err != nil {
		t.decodeProblems(err)
		return t.probs, false
	}
	l.checkTyped(ctx, t, p)
	return t.probs, false
}

// decodeProblems reports the problems of the one decoder (translate),
// each under the rule of its kind.
func (t *task) decodeProblems(err error) {
	var te *translate.Error
	if !errors.As(err, &te) {
		t.add(RuleSchema, Error, "", err.Error())
		return
	}
	for _, tp := range te.Problems {
		ptr := tp.Pointer
		if !t.isDef {
			ptr = t.prefix + ptr
		}
		if t.badRefs[ptr] {
			continue
		}
		rule := RuleSchema
		switch tp.Kind {
		case translate.ProblemRemovedField:
			rule = RuleRemovedField
		case translate.ProblemRunTime:
			rule = RuleRunTimeRefusal
		case translate.ProblemTaskDefinition:
			rule = RuleTaskDefinition
		}
		if r, ok := t.refs[ptr]; ok && rule == RuleSchema {
			t.add(RuleUnresolvedReference, Error, ptr, fmt.Sprintf("a %s resolves to a string, but here the value %s", r.Kind, tp.Message))
			continue
		}
		t.add(rule, Error, ptr, tp.Message)
	}
}

// checkTyped runs the checks that need the decoded payload.
func (l *Linter) checkTyped(ctx context.Context, t *task, p *translate.DockerWorkerPayload) {
	l.checkConfig(t, p)
	l.checkGenericWorker(t, p)
	t.checkImage(p)
	t.checkOnExitStatus(p)
	if p.MaxRunTime > l.opts.MaxTaskRunTime {
		t.add(RuleMaxRunTime, Error, t.prefix+"/maxRunTime", fmt.Sprintf(
			"maxRunTime %d exceeds the worker pool's maxTaskRunTime %d: generic-worker would fail the task; use at most %d",
			p.MaxRunTime, l.opts.MaxTaskRunTime, l.opts.MaxTaskRunTime))
	}
	if t.isDef {
		l.checkScopes(ctx, t, p)
	}
}

func (l *Linter) checkConfig(t *task, p *translate.DockerWorkerPayload) {
	for _, r := range translate.Refusals(p, l.opts.Config) {
		t.add(RuleConfigDisallowed, Error, t.prefix+r.Pointer, r.Message())
	}
}

func (t *task) checkImage(p *translate.DockerWorkerPayload) {
	im := p.Image
	switch im.Kind {
	case translate.ImageString, translate.ImageDockerImage:
		ptr := t.prefix + "/image"
		if im.Kind == translate.ImageDockerImage {
			ptr += "/name"
		}
		if _, isRef := t.refs[ptr]; isRef {
			return
		}
		if err := translate.ValidateImageReference(im.Name); err != nil {
			t.add(RuleImageReference, Error, ptr, err.Error()+`: expected a docker image reference such as "ubuntu:24.04" or "repo/name@sha256:<digest>"`)
		}
	case translate.ImageTask:
		t.checkTaskImage(p)
	}
}

func (t *task) checkTaskImage(p *translate.DockerWorkerPayload) {
	ptr := t.prefix + "/image/taskId"
	if r, isRef := t.refs[ptr]; isRef {
		t.checkRefDependency(ptr, r)
		return
	}
	if t.isDef {
		t.addWarnings(translate.ImageDependencyWarnings(p, t.deps), "")
	}
}

// checkRefDependency checks a referenced image taskId against the graph
// entry's dependencies (edge name → label).
func (t *task) checkRefDependency(ptr string, r taskfile.Ref) {
	name, ok := taskfile.RefLabel(r.Text)
	if !ok {
		t.add(RuleUnresolvedReference, Error, ptr, fmt.Sprintf("%s %q names no task: expected \"<edge-name>\"", r.Kind, r.Text))
		return
	}
	var entry struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if len(t.it.Entry) > 0 {
		_ = json.Unmarshal(t.it.Entry, &entry)
	}
	for edge, label := range entry.Dependencies {
		if edge == name || label == name {
			return
		}
	}
	t.add(RuleTaskImageDependency, Error, ptr, fmt.Sprintf(
		"image taskId refers to %q, which is not among the graph entry's dependencies: d2g requires the image task to be a dependency; add it to the task's dependencies", name))
}

// checkOnExitStatus reports translate's onExitStatus faults (the one
// statement of what generic-worker rejects there).
func (t *task) checkOnExitStatus(p *translate.DockerWorkerPayload) {
	for _, f := range translate.ExitStatusFaults(p) {
		ptr := t.prefix + f.Pointer()
		if f.Below {
			t.add(RuleOnExitStatus, Error, ptr, fmt.Sprintf("onExitStatus.%s value %d is rejected by generic-worker: expected an integer >= %d", f.List, f.Value, f.Minimum))
		}
		if f.RepeatOf >= 0 {
			t.add(RuleOnExitStatus, Error, ptr, fmt.Sprintf("onExitStatus.%s value %d repeats item %d: generic-worker requires unique values", f.List, f.Value, f.RepeatOf))
		}
	}
}
