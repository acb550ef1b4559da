package tctemplate

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"sort"
	"strings"

	"github.com/dwshim/dwshim/internal/lazyre"
)

// Repo names the repository the made-up events come from.
type Repo struct{ Owner, Name string }

// DefaultRepo is used when Options.Repo is empty and the template names no
// github.com repository.
var DefaultRepo = Repo{Owner: "example-org", Name: "example-repo"}

var githubURL = lazyre.New(`https://github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)`)

// guessRepo returns the github.com repository the template names most
// often: templates compare the event's repository with their own to pick
// a trust level or to run at all.
func guessRepo(text string) Repo {
	count := map[Repo]int{}
	best, n := DefaultRepo, 0
	for _, m := range githubURL().FindAllStringSubmatch(text, -1) {
		r := Repo{m[1], strings.TrimSuffix(m[2], ".git")}
		if r.Name == "" || strings.ContainsAny(r.Owner, ".") {
			continue
		}
		count[r]++
		if c := count[r]; c > n || c == n && r.Owner+"/"+r.Name < best.Owner+"/"+best.Name {
			best, n = r, c
		}
	}
	return best
}

// Event is one context a template is rendered with.
type Event struct {
	// Name is what --event selects: "push", "push:refs/heads/dev", "tag",
	// "pull_request.opened", "pull_request.synchronize", "release",
	// "issue_comment", "pull_request-untrusted.opened", "cron", "action",
	// "pr-action", "hg-push".
	Name string
	// Context is the JSON-e context (as_slugid is added when rendering).
	Context map[string]any
}

const (
	sha1 = "1111111111111111111111111111111111111111"
	sha2 = "2222222222222222222222222222222222222222"
	sha3 = "3333333333333333333333333333333333333333"
)

func repoObject(r Repo, api bool) map[string]any {
	html := "https://github.com/" + r.Owner + "/" + r.Name
	url := html
	if api {
		url = "https://api.github.com/repos/" + r.Owner + "/" + r.Name
	}
	return map[string]any{
		"id": 1, "name": r.Name, "full_name": r.Owner + "/" + r.Name,
		"html_url": html, "url": url, "clone_url": html + ".git",
		"git_url":        "git://github.com/" + r.Owner + "/" + r.Name + ".git",
		"ssh_url":        "git@github.com:" + r.Owner + "/" + r.Name + ".git",
		"default_branch": "main", "private": false, "fork": false,
		"owner": map[string]any{"login": r.Owner, "name": r.Owner, "email": r.Owner + "@example.com", "id": 2, "type": "Organization"},
	}
}

func user(login string) map[string]any {
	return map[string]any{"login": login, "id": 3, "type": "User", "email": login + "@example.com",
		"html_url": "https://github.com/" + login}
}

func pushEvent(r Repo, ref, baseRef string) map[string]any {
	commit := map[string]any{
		"id": sha2, "message": "A change", "timestamp": "2026-01-01T00:00:00Z",
		"url":       "https://github.com/" + r.Owner + "/" + r.Name + "/commit/" + sha2,
		"author":    map[string]any{"name": "Octo Cat", "email": "octocat@example.com", "username": "octocat"},
		"committer": map[string]any{"name": "Octo Cat", "email": "octocat@example.com", "username": "octocat"},
	}
	var base any
	if baseRef != "" {
		base = baseRef
	}
	return map[string]any{
		"ref": ref, "before": sha1, "after": sha2, "base_ref": base,
		"created": baseRef != "", "deleted": false, "forced": false,
		"compare":    "https://github.com/" + r.Owner + "/" + r.Name + "/compare/" + sha1[:12] + "..." + sha2[:12],
		"repository": repoObject(r, false), "pusher": map[string]any{"name": "octocat", "email": "octocat@example.com"},
		"sender": user("octocat"), "head_commit": commit, "commits": []any{commit},
		"organization": map[string]any{"login": r.Owner},
	}
}

func pullRequestEvent(r Repo, action string) map[string]any {
	repo := repoObject(r, true)
	pr := map[string]any{
		"number": 1, "title": "A change", "body": "Please review.", "state": "open",
		"url":      "https://api.github.com/repos/" + r.Owner + "/" + r.Name + "/pulls/1",
		"html_url": "https://github.com/" + r.Owner + "/" + r.Name + "/pull/1",
		"user":     user("contributor"), "draft": false, "merged": false,
		"head": map[string]any{"ref": "feature", "sha": sha2, "label": "contributor:feature", "user": user("contributor"), "repo": repo},
		"base": map[string]any{"ref": "main", "sha": sha1, "label": r.Owner + ":main", "user": user(r.Owner), "repo": repo},
	}
	ev := map[string]any{"action": action, "number": 1, "pull_request": pr, "repository": repo, "sender": user("contributor")}
	if action == "synchronize" {
		ev["before"], ev["after"] = sha1, sha2
	}
	return ev
}

func releaseEvent(r Repo) map[string]any {
	return map[string]any{
		"action": "published",
		"release": map[string]any{
			"id": 4, "tag_name": "v1.0.0", "target_commitish": "main", "name": "v1.0.0", "body": "Release notes",
			"draft": false, "prerelease": false, "author": user("octocat"),
			"html_url": "https://github.com/" + r.Owner + "/" + r.Name + "/releases/tag/v1.0.0",
			"url":      "https://api.github.com/repos/" + r.Owner + "/" + r.Name + "/releases/4",
		},
		"repository": repoObject(r, true), "sender": user("octocat"),
	}
}

// issueCommentEvent is what Taskcluster-GitHub renders a "/taskcluster"
// comment on a pull request with: the pull request event, the comment and
// taskcluster_comment (the text after the command).
func issueCommentEvent(r Repo) map[string]any {
	ev := pullRequestEvent(r, "created")
	for k, v := range map[string]any{
		"issue": map[string]any{"number": 1, "title": "A change", "user": user("contributor"),
			"pull_request": map[string]any{"url": "https://api.github.com/repos/" + r.Owner + "/" + r.Name + "/pulls/1"}},
		"comment":             map[string]any{"id": 5, "body": "/taskcluster test", "user": user("octocat")},
		"taskcluster_comment": "test",
	} {
		ev[k] = v
	}
	return ev
}

// inTreeContext is what taskgraph's cron and action hooks (and Gecko's
// hg-push) give .taskcluster.yml.
func inTreeContext(r Repo, tasksFor string) map[string]any {
	url := "https://github.com/" + r.Owner + "/" + r.Name
	c := map[string]any{
		"tasks_for": tasksFor,
		"push": map[string]any{
			"owner": "mozilla-taskcluster-maintenance@mozilla.com", "revision": sha2, "base_revision": sha1,
			"branch": "main", "base_branch": "main", "pushlog_id": "0", "pushdate": 0, "comment": "",
		},
		"repository": map[string]any{"url": url, "base_url": url, "project": r.Name, "level": "3"},
		"ownTaskId":  slugFor(tasksFor + ":ownTaskId"),
		"taskId":     nil,
		"clientId":   "static/taskcluster/" + tasksFor,
	}
	switch tasksFor {
	case "cron":
		c["cron"] = map[string]any{"task_id": slugFor("cron:task"), "job_name": "nightly", "job_symbol": "N", "quoted_args": ""}
	case "action", "pr-action":
		c["action"] = map[string]any{
			"name": "retrigger", "title": "Retrigger", "description": "Retrigger a task", "taskGroupId": slugFor("action:group"),
			"cb_name": "retrigger_action", "symbol": "rt", "repo_scope": "assume:repo:github.com/" + r.Owner + "/" + r.Name + ":action:generic",
			"action_perm": "generic", "kind": "hook", "hookGroupId": "project-" + r.Name, "hookId": "in-tree-action-3-generic",
		}
		c["input"] = map[string]any{}
		c["parameters"] = map[string]any{}
		c["taskGroupId"] = slugFor("action:group")
	}
	return c
}

var (
	refLiteral = lazyre.New(`refs/heads/[A-Za-z0-9_./-]*`)
	// tasks_for compared with a literal, either way round, or tested
	// against a list of them.
	tasksForCmp  = lazyre.New(`tasks_for\s*(?:\[[^\]]*\])?\s*[!=]=\s*["']([\w-]+)["']`)
	tasksForCmp2 = lazyre.New(`["']([\w-]+)["']\s*[!=]=\s*tasks_for\b`)
	tasksForIn   = lazyre.New(`tasks_for\s+in\s*\[([^\]]*)\]`)
	quoted       = lazyre.New(`["']([\w-]+)["']`)
)

// declared returns the tasks_for values the template tests for.
func declared(text string) map[string]bool {
	out := map[string]bool{}
	for _, re := range []*regexp.Regexp{tasksForCmp(), tasksForCmp2()} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			out[m[1]] = true
		}
	}
	for _, m := range tasksForIn().FindAllStringSubmatch(text, -1) {
		for _, q := range quoted().FindAllStringSubmatch(m[1], -1) {
			out[q[1]] = true
		}
	}
	return out
}

// events returns the contexts a v1 template is rendered with: push to each
// branch it compares refs/heads/… against (main when none), a tag push,
// pull_request opened and synchronize (Taskcluster-GitHub sends these to
// every repository), and release, issue_comment, untrusted pull requests,
// cron, action, pr-action and hg-push when the template tests tasks_for
// against them.
func events(text string, r Repo) []Event {
	branches := map[string]bool{}
	for _, m := range refLiteral().FindAllString(text, -1) {
		b := strings.TrimPrefix(m, "refs/heads/")
		switch {
		case b == "":
			continue
		case strings.HasSuffix(b, "/") || strings.HasSuffix(b, "-"):
			b += "x"
		}
		branches[b] = true
	}
	branches["main"] = true
	names := make([]string, 0, len(branches))
	for b := range branches {
		names = append(names, b)
	}
	sort.Strings(names)
	var evs []Event
	gh := func(name, tasksFor string, ev map[string]any) {
		evs = append(evs, Event{Name: name, Context: map[string]any{"tasks_for": tasksFor, "event": ev}})
	}
	for i, b := range names {
		name := "push"
		if b != "main" {
			name = "push:refs/heads/" + b
		}
		if i >= maxEvents/2 {
			break
		}
		gh(name, "github-push", pushEvent(r, "refs/heads/"+b, ""))
	}
	gh("tag", "github-push", pushEvent(r, "refs/tags/v1.0.0", "refs/heads/main"))
	gh("pull_request.opened", "github-pull-request", pullRequestEvent(r, "opened"))
	gh("pull_request.synchronize", "github-pull-request", pullRequestEvent(r, "synchronize"))
	declared := declared(text)
	if declared["github-release"] {
		gh("release", "github-release", releaseEvent(r))
	}
	if declared["github-pull-request-untrusted"] {
		gh("pull_request-untrusted.opened", "github-pull-request-untrusted", pullRequestEvent(r, "opened"))
	}
	if declared["github-issue-comment"] {
		gh("issue_comment", "github-issue-comment", issueCommentEvent(r))
	}
	for _, tf := range []string{"cron", "action", "pr-action", "hg-push"} {
		if declared[tf] {
			evs = append(evs, Event{Name: tf, Context: inTreeContext(r, tf)})
		}
	}
	return evs
}

// slugFor returns a slugid (the "nice" form, first character A–f) derived
// from label, so renders are deterministic.
func slugFor(label string) string {
	h := sha256.Sum256([]byte(label))
	var u [16]byte
	copy(u[:], h[:16])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	u[0] &= 0x7f            // nice: no leading '-'
	return base64.RawURLEncoding.EncodeToString(u[:])
}
