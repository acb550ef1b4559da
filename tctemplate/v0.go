package tctemplate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwshim/dwshim/internal/lazyre"
	"github.com/dwshim/dwshim/internal/yamljson"
	"github.com/dwshim/dwshim/jsone"
)

// Version 0 .taskcluster.yml, as taskcluster-github's VersionZero rendered
// it: json-parameterization's {{ }} substitution with the event's flat
// details, then the tasks whose extra.github.events match the event.

var mustache = lazyre.New(`{{\s*(.*?)\s*}}`)

// v0Details are the flat parameters of one event.
func v0Details(r Repo, typ, branch string, now time.Time) map[string]any {
	url := "https://github.com/" + r.Owner + "/" + r.Name
	d := map[string]any{
		"event.type":             typ,
		"event.base.repo.branch": branch, "event.head.repo.branch": branch,
		"event.base.repo.name": r.Name, "event.head.repo.name": r.Name,
		"event.base.repo.url": url + ".git", "event.head.repo.url": url + ".git",
		"event.base.user.login": "octocat", "event.head.user.login": "octocat",
		"event.head.user.email": "octocat@example.com",
		"event.base.sha":        sha1, "event.head.sha": sha2,
		"event.base.ref": "refs/heads/" + branch, "event.head.ref": "refs/heads/" + branch,
		"organization": r.Owner, "repository": r.Name,
		"timestamp":                        float64(now.UnixMilli()),
		"taskcluster.docker.provisionerId": "proj-" + r.Name,
		"taskcluster.docker.workerType":    "ci",
	}
	switch {
	case strings.HasPrefix(typ, "pull_request"):
		d["event.pullNumber"] = 1.0
		d["event.title"] = "A change"
		d["event.head.repo.branch"], d["event.head.ref"] = "feature", "refs/heads/feature"
		d["event.head.user.login"] = "contributor"
		d["event.head.sha"] = sha3
	case typ == "tag":
		d["event.head.tag"] = "v1.0.0"
		d["event.version"] = "v1.0.0"
		d["event.head.ref"] = "refs/tags/v1.0.0"
	case typ == "release":
		d["event.version"] = "v1.0.0"
		d["event.head.tag"] = "v1.0.0"
	}
	return d
}

// substitute replaces {{ expr }} in strings; a string that is exactly one
// {{ expr }} takes the expression's value and type.
func substitute(v any, params map[string]any, now time.Time, depth int) (any, error) {
	if depth > yamljson.MaxDepth { // the template's own depth bound
		return nil, fmt.Errorf("nested too deeply")
	}
	switch x := v.(type) {
	case string:
		if m := mustache().FindStringSubmatchIndex(x); m != nil && m[0] == 0 && m[1] == len(x) {
			return evalV0(x[m[2]:m[3]], params, now)
		}
		var err error
		out := mustache().ReplaceAllStringFunc(x, func(s string) string {
			sub := mustache().FindStringSubmatch(s)
			val, e := evalV0(sub[1], params, now)
			if e != nil && err == nil {
				err = e
			}
			if val == nil {
				return ""
			}
			if f, ok := val.(float64); ok {
				return strconv.FormatFloat(f, 'f', -1, 64)
			}
			return fmt.Sprint(val)
		})
		return out, err
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			s, err := substitute(e, params, now, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			s, err := substitute(e, params, now, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	}
	return v, nil
}

// evalV0 evaluates a {{ }} expression: a quoted string or a parameter
// name, then "| $fromNow" filters.
func evalV0(expr string, params map[string]any, now time.Time) (any, error) {
	parts := strings.Split(expr, "|")
	head := strings.TrimSpace(parts[0])
	var val any
	switch {
	case len(head) >= 2 && (head[0] == '\'' || head[0] == '"') && head[len(head)-1] == head[0]:
		val = head[1 : len(head)-1]
	default:
		if f, err := strconv.ParseFloat(head, 64); err == nil {
			val = f
		} else {
			v, ok := params[head]
			if !ok {
				v = "" // an unknown parameter renders as nothing
			}
			val = v
		}
	}
	for _, f := range parts[1:] {
		switch name := strings.TrimSpace(f); name {
		case "$fromNow":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("{{ %s }}: $fromNow needs a string", expr)
			}
			out, err := jsone.RenderOptions(map[string]any{"$fromNow": s}, nil, jsone.Options{Now: now})
			if err != nil {
				return nil, fmt.Errorf("{{ %s }}: %w", expr, err)
			}
			val = out
		default:
			return nil, fmt.Errorf("{{ %s }}: unknown filter %q", expr, name)
		}
	}
	return val, nil
}

// v0Matches is VersionZero's event filter for one task.
func v0Matches(task map[string]any, typ, branch string) bool {
	extra, _ := task["extra"].(map[string]any)
	gh, _ := extra["github"].(map[string]any)
	if gh == nil {
		return false
	}
	evs, _ := gh["events"].([]any)
	inc, _ := gh["branches"].([]any)
	exc, _ := gh["excludeBranches"].([]any)
	has := func(list []any, s string) bool {
		for _, e := range list {
			if e == s {
				return true
			}
		}
		return false
	}
	for _, e := range evs {
		ev, _ := e.(string)
		if !strings.HasPrefix(typ, strings.TrimRight(ev, "*")) {
			continue
		}
		switch {
		case typ != "push":
			return true
		case inc != nil:
			return has(inc, branch)
		case exc != nil:
			return !has(exc, branch)
		}
		return true
	}
	return false
}

// v0Env is what VersionZero added to payload.env when extra.github.env.
func v0Env(d map[string]any) map[string]any {
	env := map[string]any{}
	for k, p := range map[string]string{
		"GITHUB_EVENT": "event.type", "GITHUB_BRANCH": "event.base.repo.branch",
		"GITHUB_PULL_REQUEST": "event.pullNumber", "GITHUB_PULL_TITLE": "event.title",
		"GITHUB_BASE_REPO_NAME": "event.base.repo.name", "GITHUB_BASE_REPO_URL": "event.base.repo.url",
		"GITHUB_BASE_USER": "event.base.user.login", "GITHUB_BASE_SHA": "event.base.sha",
		"GITHUB_BASE_BRANCH": "event.base.repo.branch", "GITHUB_BASE_REF": "event.base.ref",
		"GITHUB_HEAD_REPO_NAME": "event.head.repo.name", "GITHUB_HEAD_REPO_URL": "event.head.repo.url",
		"GITHUB_HEAD_USER": "event.head.user.login", "GITHUB_HEAD_SHA": "event.head.sha",
		"GITHUB_HEAD_BRANCH": "event.head.repo.branch", "GITHUB_HEAD_TAG": "event.head.tag",
		"GITHUB_HEAD_REF": "event.head.ref", "GITHUB_HEAD_USER_EMAIL": "event.head.user.email",
	} {
		switch v := d[p].(type) {
		case string:
			if v != "" {
				env[k] = v
			}
		case float64:
			env[k] = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return env
}

func renderV0(doc *document, m map[string]any, opt Options) *Result {
	r := &Result{Kind: V0, chosen: len(opt.Events) > 0 || len(opt.Context) > 0}
	tasks, ok := m["tasks"].([]any)
	if !ok {
		r.problem(doc, "", "/tasks", "tasks must be an array")
		return r
	}
	// Push to every branch a task filters on (main when none).
	branches := map[string]bool{}
	for _, t := range tasks {
		tm, _ := t.(map[string]any)
		extra, _ := tm["extra"].(map[string]any)
		gh, _ := extra["github"].(map[string]any)
		inc, _ := gh["branches"].([]any)
		for _, b := range inc {
			if s, ok := b.(string); ok && len(branches) < maxEvents/2 {
				branches[s] = true
			}
		}
	}
	if len(branches) == 0 {
		branches["main"] = true
	}
	var names []string
	for b := range branches {
		names = append(names, b)
	}
	sort.Strings(names)
	var evs []Event
	for _, b := range names {
		name := "push"
		if len(names) > 1 || b != "main" {
			name = "push:refs/heads/" + b
		}
		evs = append(evs, Event{Name: name, Context: map[string]any{"event": map[string]any{"type": "push"}, "branch": b}})
	}
	for _, t := range []string{"tag", "pull_request.opened", "pull_request.synchronize", "release"} {
		evs = append(evs, Event{Name: t, Context: map[string]any{"event": map[string]any{"type": t}, "branch": "main"}})
	}
	for _, ev := range contexts(evs, opt, "event") {
		r.Events = append(r.Events, ev.Name)
		evm, _ := ev.Context["event"].(map[string]any)
		typ, _ := evm["type"].(string)
		branch, _ := ev.Context["branch"].(string)
		if branch == "" {
			branch = "main"
		}
		params := v0Details(opt.Repo, typ, branch, opt.Now)
		for k, v := range ev.Context {
			if k != "event" && k != "branch" {
				params[k] = v
			}
		}
		for k, v := range evm {
			params["event."+k] = v
		}
		n := 0
		for i, t := range tasks {
			ptr := "/tasks/" + strconv.Itoa(i)
			rendered, err := substitute(t, params, opt.Now, 0)
			if err != nil {
				r.problem(doc, ev.Name, ptr, err.Error())
				continue
			}
			tm, ok := rendered.(map[string]any)
			if !ok {
				r.problem(doc, ev.Name, ptr, fmt.Sprintf("task %d is %s, not an object", i, jsonKind(rendered)))
				continue
			}
			if !v0Matches(tm, typ, branch) {
				continue
			}
			extra, _ := tm["extra"].(map[string]any)
			gh, _ := extra["github"].(map[string]any)
			if on, _ := gh["env"].(bool); on {
				if pl, ok := tm["payload"].(map[string]any); ok {
					env, _ := pl["env"].(map[string]any)
					if env == nil {
						env = map[string]any{}
					}
					pl["env"] = overlay(env, v0Env(params))
				}
			}
			raw, err := json.Marshal(tm)
			if err != nil {
				r.problem(doc, ev.Name, ptr, "cannot encode the rendered task: "+err.Error())
				continue
			}
			r.Tasks = append(r.Tasks, Task{Event: ev.Name, Index: n, Raw: raw, Locate: func(p string) (int, int, bool) {
				pos, ok := doc.locate(ptr + p)
				return pos.Line, pos.Col, ok
			}})
			n++
		}
	}
	return r
}
