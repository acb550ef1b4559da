package tctemplate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwshim/dwshim/internal/lazyre"
	"github.com/dwshim/dwshim/jsone"
)

// Kind is what kind of template a file holds.
type Kind string

// Template kinds.
const (
	// None: not a template (lint reads the file as tasks).
	None Kind = ""
	// V1 is a .taskcluster.yml with version: 1 (JSON-e).
	V1 Kind = "taskcluster.yml v1"
	// V0 is a legacy .taskcluster.yml with version: 0 ({{ }} substitution).
	V0 Kind = "taskcluster.yml v0"
	// Hook is a hook definition whose task is a JSON-e template.
	Hook Kind = "hook"
)

// Options configure rendering.
type Options struct {
	// Events selects contexts by name (Event.Name; "push" also selects
	// every "push:refs/heads/…"); empty renders all of them.
	Events []string
	// Context is merged over each context (objects merged key by key,
	// anything else replaced). When it sets tasks_for (v1), firedBy (hooks)
	// or event.type (v0), it is the only context rendered, named "context".
	Context map[string]any
	// Now is the render time (zero: time.Now()).
	Now time.Time
	// RootURL is taskcluster_root_url (default https://tc.example.com).
	RootURL string
	// Repo is the repository of the made-up events (default: the
	// github.com repository the template names most, else DefaultRepo).
	Repo Repo
}

// Task is one task a template rendered to.
type Task struct {
	// Event is the context's name.
	Event string
	// Index is the task's position in what that context rendered.
	Index int
	// Raw is the task definition as JSON.
	Raw json.RawMessage
	// Locate maps a pointer into Raw to the template's line and column;
	// ok is false when the value came from an expression, or did not exist,
	// and the position is that of the template node that made it.
	Locate func(pointer string) (line, col int, ok bool)
}

// Problem is a template that failed to render in a context.
type Problem struct {
	Event string
	// Warning is set when the context is one the repository may never
	// get (release, issue comments, cron, actions, hg-push, schedule,
	// pulse messages) and the caller did not choose it: whether it does is
	// configuration the template cannot show. Failing to render a push or
	// a pull request, or a chosen context, is an error.
	Warning bool
	// Pointer is the template node at fault.
	Pointer   string
	Line, Col int
	Message   string
}

// Result is what Render produced.
type Result struct {
	chosen bool // the caller chose the contexts
	Kind   Kind
	// Events are the contexts rendered, in order.
	Events   []string
	Tasks    []Task
	Problems []Problem
}

var (
	versionLine = lazyre.New(`(?m)^["']?version["']?\s*:\s*["']?([01])["']?\s*(#.*)?$`)
	tasksLine   = lazyre.New(`(?m)^["']?tasks["']?\s*:`)
	hookKeys    = lazyre.New(`"(triggerSchema|schedule|bindings|hookId)"\s*:`)
	taskKey     = lazyre.New(`"task"\s*:\s*\{`)
)

// Detect says whether data (a file's first bytes suffice) looks like a
// template. It is a cheap sniff; Render decides for sure.
func Detect(data []byte) Kind {
	if m := versionLine().FindSubmatch(data); m != nil && tasksLine().Match(data) {
		if m[1][0] == '0' {
			return V0
		}
		return V1
	}
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '{' && taskKey().Match(data) && hookKeys().Match(data) {
		return Hook
	}
	return None
}

// Render renders the template in data for every selected context. An
// error means data is not a template of any kind (or is malformed YAML);
// templates that fail to render are Problems.
func Render(data []byte, opt Options) (*Result, error) {
	doc, err := parse(data)
	if err != nil {
		return nil, err
	}
	m, _ := doc.value.(map[string]any)
	if m == nil {
		return nil, errors.New("not a template: the document is not an object")
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.RootURL == "" {
		opt.RootURL = "https://tc.example.com"
	}
	if opt.Repo.Owner == "" || opt.Repo.Name == "" {
		opt.Repo = guessRepo(string(data))
	}
	_, hasTasks := m["tasks"]
	task, hasTask := m["task"].(map[string]any)
	switch v := m["version"]; {
	case hasTasks && (v == 1.0 || v == "1"):
		return renderV1(doc, string(data), opt), nil
	case hasTasks && (v == 0.0 || v == "0"):
		return renderV0(doc, m, opt), nil
	case hasTask && !hasTasks && m["payload"] == nil && isHook(m):
		return renderHook(doc, m, task, opt), nil
	}
	return nil, errors.New("not a template: no version 0/1 with tasks, and not a hook definition")
}

func isHook(m map[string]any) bool {
	for _, k := range []string{"triggerSchema", "schedule", "bindings", "hookId"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// selected reports whether the event named name is selected.
func selected(opt Options, name string) bool {
	if len(opt.Events) == 0 {
		return true
	}
	for _, e := range opt.Events {
		if e == name || strings.HasPrefix(name, e+":") || e == "pull_request" && strings.HasPrefix(name, "pull_request.") {
			return true
		}
	}
	return false
}

func overlay(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = overlay(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// contexts picks the events to render: the selected defaults with
// opt.Context over them, or opt.Context alone when it names its own event
// (key).
func contexts(defaults []Event, opt Options, key string) []Event {
	if _, own := opt.Context[key]; own {
		base := map[string]any{}
		if len(defaults) > 0 {
			base = defaults[0].Context
		}
		return []Event{{Name: "context", Context: overlay(base, opt.Context)}}
	}
	var out []Event
	for _, e := range defaults {
		if selected(opt, e.Name) {
			out = append(out, Event{Name: e.Name, Context: overlay(e.Context, opt.Context)})
		}
	}
	return out
}

func (r *Result) problem(doc *document, event, ptr, msg string) {
	p, _ := doc.locate(ptr)
	r.Problems = append(r.Problems, Problem{Event: event, Pointer: ptr, Line: p.Line, Col: p.Col, Message: msg,
		Warning: !r.chosen && !always(event)})
}

// always reports whether every repository gets the event.
func always(event string) bool {
	return event == "push" || event == "tag" || event == "triggerHook" || event == "" ||
		strings.HasPrefix(event, "push:") || strings.HasPrefix(event, "pull_request.")
}

func renderError(err error) (ptr, msg string) {
	var je *jsone.Error
	if errors.As(err, &je) {
		return je.Pointer(), je.Error()
	}
	return "", err.Error()
}

// asSlugid is Taskcluster-GitHub's as_slugid: one slugid per label.
func asSlugid(event string) jsone.Func {
	return func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, errors.New("as_slugid takes one label")
		}
		label, ok := args[0].(string)
		if !ok {
			return nil, errors.New("as_slugid takes a string label")
		}
		return slugFor(event + ":" + label), nil
	}
}

// tasksOf renders template (at prefix in doc) in ctx and adds the tasks it
// produces: get picks the task list out of the rendered value.
func (r *Result) renderTasks(doc *document, template any, prefix string, ev Event, opt Options, get func(v any) (any, string, error)) {
	r.Events = append(r.Events, ev.Name)
	v, origin, err := jsone.RenderTraced(template, ev.Context, jsone.Options{Now: opt.Now})
	if err != nil {
		ptr, msg := renderError(err)
		r.problem(doc, ev.Name, prefix+ptr, msg)
		return
	}
	list, listPtr, err := get(v)
	if err != nil {
		tp, _ := origin.Lookup(listPtr)
		r.problem(doc, ev.Name, prefix+tp, err.Error())
		return
	}
	add := func(i int, t any, ptr string) {
		tm, ok := t.(map[string]any)
		if !ok {
			tp, _ := origin.Lookup(ptr)
			r.problem(doc, ev.Name, prefix+tp, fmt.Sprintf("task %d rendered to %s, not an object", i, jsonKind(t)))
			return
		}
		raw, err := json.Marshal(tm)
		if err != nil {
			tp, _ := origin.Lookup(ptr)
			r.problem(doc, ev.Name, prefix+tp, "cannot encode the rendered task: "+err.Error())
			return
		}
		r.Tasks = append(r.Tasks, Task{Event: ev.Name, Index: i, Raw: raw, Locate: func(p string) (int, int, bool) {
			full := ptr + p
			tp, exact := origin.Lookup(full)
			pos, ok := doc.locate(prefix + tp)
			return pos.Line, pos.Col, ok && exact == strings.Count(full, "/")
		}})
	}
	switch l := list.(type) {
	case []any:
		for i, t := range l {
			if len(r.Tasks) >= maxTasks {
				r.problem(doc, ev.Name, prefix, fmt.Sprintf("more than %d tasks", maxTasks))
				return
			}
			add(i, t, listPtr+"/"+strconv.Itoa(i))
		}
	default:
		add(0, l, listPtr)
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}

func renderV1(doc *document, text string, opt Options) *Result {
	r := &Result{Kind: V1, chosen: len(opt.Events) > 0 || len(opt.Context) > 0}
	evs := events(text, opt.Repo)
	for i := range evs {
		evs[i].Context["taskcluster_root_url"] = opt.RootURL
	}
	for _, ev := range contexts(evs, opt, "tasks_for") {
		ev.Context["as_slugid"] = asSlugid(ev.Name)
		r.renderTasks(doc, doc.value, "", ev, opt, func(v any) (any, string, error) {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, "", fmt.Errorf("the template rendered to %s, not an object", jsonKind(v))
			}
			tasks, ok := m["tasks"]
			if !ok || tasks == nil {
				return []any{}, "/tasks", nil
			}
			if _, ok := tasks.([]any); !ok {
				return nil, "/tasks", fmt.Errorf("tasks rendered to %s, not an array", jsonKind(tasks))
			}
			return tasks, "/tasks", nil
		})
	}
	return r
}

func renderHook(doc *document, m, task map[string]any, opt Options) *Result {
	r := &Result{Kind: Hook, chosen: len(opt.Events) > 0 || len(opt.Context) > 0}
	var evs []Event
	payload := example(m["triggerSchema"], opt.Now, 0)
	evs = append(evs, Event{Name: "triggerHook", Context: map[string]any{"firedBy": "triggerHook", "taskId": slugFor("hook:triggerHook"), "payload": payload}})
	if s, _ := m["schedule"].([]any); len(s) > 0 {
		evs = append(evs, Event{Name: "schedule", Context: map[string]any{"firedBy": "schedule", "taskId": slugFor("hook:schedule")}})
	}
	if b, _ := m["bindings"].([]any); len(b) > 0 {
		evs = append(evs, Event{Name: "pulseMessage", Context: map[string]any{"firedBy": "pulseMessage", "taskId": slugFor("hook:pulseMessage"), "payload": pulseMessage(opt.Now)}})
	}
	for _, ev := range contexts(evs, opt, "firedBy") {
		r.renderTasks(doc, task, "/task", ev, opt, func(v any) (any, string, error) { return v, "", nil })
	}
	return r
}

// pulseMessage is a queue task message (task-completed), what hooks bound
// to queue exchanges receive.
func pulseMessage(now time.Time) map[string]any {
	tid, gid := slugFor("pulse:task"), slugFor("pulse:group")
	ts := now.UTC().Format(jsone.TimeFormat)
	return map[string]any{
		"version": 1, "runId": 0, "workerGroup": "us-east1", "workerId": "worker-1",
		"status": map[string]any{
			"taskId": tid, "taskGroupId": gid, "provisionerId": "proj-example", "workerType": "ci",
			"taskQueueId": "proj-example/ci", "schedulerId": "-", "projectId": "none", "state": "completed",
			"retriesLeft": 5, "deadline": ts, "expires": ts,
			"runs": []any{map[string]any{"runId": 0, "state": "completed", "reasonCreated": "scheduled", "reasonResolved": "completed",
				"workerGroup": "us-east1", "workerId": "worker-1", "scheduled": ts, "started": ts, "resolved": ts}},
		},
		"task": map[string]any{"tags": map[string]any{}},
	}
}

// example makes a value that satisfies a JSON schema well enough for a
// template to render: enums and consts take their first value, objects
// get every property.
func example(schema any, now time.Time, depth int) any {
	s, _ := schema.(map[string]any)
	if s == nil || depth > 20 {
		return map[string]any{}
	}
	if v, ok := s["const"]; ok {
		return v
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	if v, ok := s["default"]; ok {
		return v
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if alts, ok := s[k].([]any); ok && len(alts) > 0 {
			return example(alts[0], now, depth+1)
		}
	}
	typ, _ := s["type"].(string)
	if ts, ok := s["type"].([]any); ok && len(ts) > 0 {
		typ, _ = ts[0].(string)
	}
	if typ == "" {
		if _, ok := s["properties"]; ok {
			typ = "object"
		}
	}
	switch typ {
	case "string":
		if s["format"] == "date-time" {
			return now.UTC().Format(jsone.TimeFormat)
		}
		return "example"
	case "integer", "number":
		if min, ok := s["minimum"].(float64); ok {
			return min
		}
		return 1.0
	case "boolean":
		return true
	case "null":
		return nil
	case "array":
		return []any{}
	}
	out := map[string]any{}
	props, _ := s["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = example(props[k], now, depth+1)
	}
	return out
}
