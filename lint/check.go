package lint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/schemas"
	"github.com/dwshim/dwshim/taskfile"
	"github.com/dwshim/dwshim/translate"
)

// Linter checks tasks. It is not safe for concurrent use (it caches scope
// expansions).
type Linter struct {
	opts     Options
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

// taskFields are the parts of a task definition the checks need.
type taskFields struct {
	Payload       json.RawMessage `json:"payload"`
	Scopes        json.RawMessage `json:"scopes"`
	Dependencies  json.RawMessage `json:"dependencies"`
	TaskQueueID   json.RawMessage `json:"taskQueueId"`
	ProvisionerID json.RawMessage `json:"provisionerId"`
	WorkerType    json.RawMessage `json:"workerType"`
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
	refs    map[string]ref
	badRefs map[string]bool // malformed references, already reported
	probs   []Problem
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
	if mayHaveRefs(raw) {
		out, refs, rp, err := replaceRefs(raw)
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
	if !t.isDef {
		t.payload = raw
	} else if !t.decodeTask(raw) {
		return t.probs, false
	}
	p := l.checkPayload(t)
	if p != nil {
		l.checkTyped(ctx, t, p)
	}
	return t.probs, false
}

// decodeTask fills the task fields, reporting malformed ones.
func (t *task) decodeTask(raw []byte) bool {
	var f taskFields
	ok := topMembers(raw, func(key, val []byte) {
		switch string(key) {
		case `"payload"`:
			f.Payload = val
		case `"scopes"`:
			f.Scopes = val
		case `"dependencies"`:
			f.Dependencies = val
		case `"taskQueueId"`:
			f.TaskQueueID = val
		case `"provisionerId"`:
			f.ProvisionerID = val
		case `"workerType"`:
			f.WorkerType = val
		}
	})
	if !ok {
		t.add(RuleTaskDefinition, Error, "", "the task definition must be a JSON object")
		return false
	}
	t.payload = f.Payload
	if len(f.Payload) == 0 {
		t.add(RuleTaskDefinition, Error, "", `the task definition has no "payload": expected a docker-worker payload object`)
		return false
	}
	if len(f.Scopes) > 0 && string(f.Scopes) != "null" && json.Unmarshal(f.Scopes, &t.scopes) != nil {
		t.add(RuleTaskDefinition, Error, "/scopes", "scopes must be an array of strings")
	}
	if len(f.Dependencies) > 0 && string(f.Dependencies) != "null" && json.Unmarshal(f.Dependencies, &t.deps) != nil {
		t.add(RuleTaskDefinition, Error, "/dependencies", "dependencies must be an array of taskId strings")
	}
	var q, prov, wt string
	_ = json.Unmarshal(f.TaskQueueID, &q)
	_ = json.Unmarshal(f.ProvisionerID, &prov)
	_ = json.Unmarshal(f.WorkerType, &wt)
	t.queue = q
	if q == "" && prov != "" && wt != "" {
		t.queue = prov + "/" + wt
	}
	return true
}

// checkPayload validates the payload against the schema and returns it
// decoded, or nil when it is invalid.
func (l *Linter) checkPayload(t *task) *translate.DockerWorkerPayload {
	if fastValid(t.payload) {
		if p, err := translate.DecodePayload(t.payload); err == nil {
			return p
		}
	}
	doc, err := schemas.DecodeJSON(t.payload)
	if err != nil {
		t.add(RuleSchema, Error, t.prefix, fmt.Sprintf("the payload is not valid JSON: %v", err))
		return nil
	}
	probs := schemas.ValidateDockerWorkerPayload(doc)
	seen := map[string]bool{}
	for _, sp := range probs {
		ptr := t.prefix + sp.Pointer
		if hint, ok := removedHint(sp.Pointer); ok {
			if !seen[ptr] {
				seen[ptr] = true
				t.add(RuleRemovedField, Error, ptr, hint)
			}
			continue
		}
		if t.badRefs[ptr] {
			continue
		}
		if r, ok := t.refs[ptr]; ok {
			t.add(RuleUnresolvedReference, Error, ptr, fmt.Sprintf("a %s resolves to a string, but here the value %s", r.Kind, sp.Message))
			continue
		}
		t.add(RuleSchema, Error, ptr, sp.Message)
	}
	if len(probs) > 0 {
		return nil
	}
	p, err := translate.DecodePayload(t.payload)
	if err != nil {
		var te *translate.Error
		if errors.As(err, &te) {
			for _, tp := range te.Problems {
				t.add(RuleSchema, Error, t.prefix+tp.Pointer, tp.Message)
			}
		} else {
			t.add(RuleSchema, Error, t.prefix, err.Error())
		}
		return nil
	}
	return p
}

// removed lists fields docker-worker or d2g removed, by payload pointer,
// with what to do instead.
var removed = map[string]string{
	"/features/dind":                "features.dind was removed in docker-worker v89 and d2g never supported it: build images in a docker-image task (e.g. with kaniko or taskboot and capabilities.privileged) instead of running a Docker daemon in the task",
	"/features/dockerSave":          "features.dockerSave was removed in docker-worker v89: save what you need from the container as an artifact (artifacts type file, directory or volume)",
	"/dockerSave":                   "dockerSave was removed in docker-worker v89: publish what you need as artifacts",
	"/encryptedEnv":                 "encryptedEnv is not supported by docker-worker v1 or d2g: fetch secrets from the secrets service through features.taskclusterProxy",
	"/capabilities/containerEngine": "capabilities.containerEngine was removed in v80 when podman support was dropped: remove it (d2g always uses docker)",
	"/features/relengAPIProxy":      "features.relengAPIProxy is no longer supported: use features.taskclusterProxy",
	"/features/balrogVPNProxy":      "features.balrogVPNProxy is no longer supported: call the service through features.taskclusterProxy",
	"/features/balrogStageVPNProxy": "features.balrogStageVPNProxy is no longer supported: call the service through features.taskclusterProxy",
}

func removedHint(ptr string) (string, bool) {
	h, ok := removed[ptr]
	return h, ok
}

// checkTyped runs the checks that need the decoded payload.
func (l *Linter) checkTyped(ctx context.Context, t *task, p *translate.DockerWorkerPayload) {
	l.checkConfig(t, p)
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
		t.checkTaskImage(im.TaskID)
		t.checkLength("/image/path", "image artifact path", im.Path, 1024)
	case translate.ImageIndexed:
		t.checkLength("/image/namespace", "index namespace", im.Namespace, 255)
		t.checkLength("/image/path", "image artifact path", im.Path, 1024)
	}
}

// checkLength reports image fields longer than generic-worker's mount
// content schema allows (spec §9.14).
func (t *task) checkLength(ptr, what, v string, limit int) {
	if len(v) > limit {
		t.add(RuleImageReference, Error, t.prefix+ptr, fmt.Sprintf(
			"%s is %d characters long: generic-worker accepts at most %d, so d2g's output would be rejected", what, len(v), limit))
	}
}

func (t *task) checkTaskImage(taskID string) {
	ptr := t.prefix + "/image/taskId"
	if r, isRef := t.refs[ptr]; isRef {
		t.checkRefDependency(ptr, r)
		return
	}
	if !isSlugID(taskID) {
		t.add(RuleTaskImageDependency, Error, ptr, fmt.Sprintf("image taskId %q is not a slugid: d2g requires a 22-character slugid of the task that built the image", taskID))
		return
	}
	if !t.isDef {
		return
	}
	for _, d := range t.deps {
		if d == taskID {
			return
		}
	}
	t.add(RuleTaskImageDependency, Error, ptr, fmt.Sprintf("image taskId %s is not among the task's dependencies: d2g requires it; add %q to dependencies", taskID, taskID))
}

// checkRefDependency checks a referenced image taskId against the graph
// entry's dependencies (edge name → label).
func (t *task) checkRefDependency(ptr string, r ref) {
	name, ok := refLabel(r.Text)
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

func isSlugID(s string) bool {
	if len(s) != 22 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return strings.IndexByte("AQgw", s[21]) >= 0
}

func (t *task) checkOnExitStatus(p *translate.DockerWorkerPayload) {
	check := func(name string, vals []int64, min int64) {
		seen := make(map[int64]int, len(vals))
		for i, v := range vals {
			ptr := t.prefix + "/onExitStatus/" + name + "/" + strconv.Itoa(i)
			if v < min {
				t.add(RuleOnExitStatus, Error, ptr, fmt.Sprintf("onExitStatus.%s value %d is rejected by generic-worker: expected an integer >= %d", name, v, min))
			}
			if j, dup := seen[v]; dup {
				t.add(RuleOnExitStatus, Error, ptr, fmt.Sprintf("onExitStatus.%s value %d repeats item %d: generic-worker requires unique values", name, v, j))
				continue
			}
			seen[v] = i
		}
	}
	check("retry", p.OnExitStatus.Retry, 1)
	check("purgeCaches", p.OnExitStatus.PurgeCaches, 0)
}
