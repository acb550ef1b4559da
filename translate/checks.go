package translate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dwshim/dwshim/internal/jsonptr"
)

// checkPayload reports what the schema allows but a worker refuses at run
// time, so that lint, convert, local and run refuse it up front, alike
// (issue 9): NUL bytes (no process can receive them), env names the
// docker --env-file d2g writes cannot carry, artifact names the queue or
// the artifact upload refuse, cache names docker-worker refused, a
// task-image taskId that is not a slugid, and what generic-worker's
// schema rejects in either target's payload (an empty cache name, image
// artifact path or index namespace, over-long ones, an expiry outside
// Taskcluster's years). at is the payload's pointer.
func (w *walker) checkPayload(at string, p *DockerWorkerPayload) {
	w.kind = ProblemRunTime
	defer func() { w.kind = ProblemSchema }()
	for i, a := range p.Command {
		if strings.IndexByte(a, 0) >= 0 {
			w.problem(fmt.Sprintf("%s/command/%d", at, i), "contains a NUL byte, which no process can receive as an argument: remove it")
		}
	}
	// Sorted (for a stable order of problems) only when something is wrong.
	envBad := false
	for n, v := range p.Env {
		envBad = envBad || envNameProblem(n, inEnvFile(n, v)) != "" || strings.IndexByte(v, 0) >= 0
	}
	for _, n := range sortedKeysIf(envBad, p.Env) {
		ptr := at + "/env/" + jsonptr.Escape(n)
		if msg := envNameProblem(n, inEnvFile(n, p.Env[n])); msg != "" {
			w.problem(ptr, msg)
		}
		if strings.IndexByte(p.Env[n], 0) >= 0 {
			w.problem(ptr, "the value contains a NUL byte, which no process can receive in its environment: remove it")
		}
	}
	cacheBad := false
	for n := range p.Cache {
		cacheBad = cacheBad || n == "" || strings.Contains(n, "::")
	}
	for _, n := range sortedKeysIf(cacheBad, p.Cache) {
		if n == "" {
			w.problem(at+"/cache/", "a cache needs a name, which generic-worker's writable directory cache requires: name the cache")
		}
		if strings.Contains(n, "::") {
			w.problem(at+"/cache/"+jsonptr.Escape(n), `the cache name contains "::", which docker-worker refused (it separates a cache from its instance): rename the cache`)
		}
	}
	w.checkArtifactNames(at, p)
	w.checkImage(at, p)
	w.checkExpiryYears(at, p)
}

// checkImage refuses a task-image taskId that is not a slugid (no task
// can have produced the image, and generic-worker's schema rejects the
// mount), and an image artifact path or index namespace that is empty or
// too long (imageFaults): the queue and the index cannot serve it, and
// generic-worker's schema rejects the mount of either target. A taskgraph
// task-reference there was replaced by a slugid placeholder
// (taskfile.ReplaceRefs), so references pass.
func (w *walker) checkImage(at string, p *DockerWorkerPayload) {
	if p.Image.Kind == ImageTask && !isSlugID(p.Image.TaskID) {
		w.problem(at+"/image/taskId", fmt.Sprintf(
			"the image taskId %s is not a slugid (22 characters, as Taskcluster gives every task), so no task can have produced the image and generic-worker refuses it: name the image task's taskId", quoteShort(p.Image.TaskID)))
	}
	for _, f := range imageFaults(p) {
		if f.Length == 0 {
			w.problem(at+f.Pointer, fmt.Sprintf("the %s is empty, which generic-worker and Taskcluster refuse: name the image's %s", f.What, f.What))
			continue
		}
		w.problem(at+f.Pointer, fmt.Sprintf("the %s is %d characters long, but generic-worker and Taskcluster accept at most %d: shorten it", f.What, f.Length, f.Max))
	}
}

// checkExpiryYears refuses an artifact expiry outside years 0000–9999 in
// UTC ("9999-12-31T23:59:59-01:00"): RFC 3339 allows the offset, but the
// time is sent in UTC, which a Taskcluster date-time cannot then hold.
func (w *walker) checkExpiryYears(at string, p *DockerWorkerPayload) {
	bad := false
	for _, a := range p.Artifacts {
		bad = bad || a.Expires != "" && !expiryInRange(a.Expires)
	}
	for _, n := range sortedKeysIf(bad, p.Artifacts) {
		if e := p.Artifacts[n].Expires; e != "" && !expiryInRange(e) {
			t, _ := parseDateTime(e)
			w.problem(at+"/artifacts/"+jsonptr.Escape(n)+"/expires", fmt.Sprintf(
				"the expiry %s is in year %d in UTC, which Taskcluster's date-times cannot hold (years 0000 to 9999): use a date in range", e, t.UTC().Year()))
		}
	}
}

// expiryInRange: s (already validated) is in years 0000–9999 in UTC; an
// unparsable s is the schema check's problem, not this one's.
func expiryInRange(s string) bool {
	t, err := parseDateTime(s)
	if err != nil {
		return true
	}
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// sortedKeysIf is sortedKeys(m) when cond, else nil.
func sortedKeysIf[V any](cond bool, m map[string]V) []string {
	if !cond {
		return nil
	}
	return sortedKeys(m)
}

// IsSlugID reports whether s is a v4 slugid, as Taskcluster's schemas
// require of a taskId (the one slugid check).
func IsSlugID(s string) bool { return isSlugID(s) }

// isSlugID reports whether s matches the Taskcluster slugid pattern
// ^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$.
func isSlugID(s string) bool {
	if len(s) != 22 {
		return false
	}
	for i := 0; i < 22; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	in := func(c byte, set string) bool { return slices.Contains([]byte(set), c) }
	return s[8] >= 'Q' && s[8] <= 'T' && in(s[10], "CGKOSWaeimquy26-") && in(s[21], "AQgw")
}

// envNameProblem explains why name cannot be an environment variable
// name, or returns "". envFile: d2g writes the variable to the env file
// that docker's --env-file reads (which rejects names with white space and
// drops names starting with "#").
func envNameProblem(name string, envFile bool) string {
	switch {
	case name == "":
		return "an environment variable needs a name"
	case envFile && strings.ContainsAny(strings.TrimLeft(name, " \t"), " \t\r\n\v\f"):
		return "the variable name contains white space, which docker's --env-file (used by d2g) rejects: rename the variable"
	case strings.ContainsRune(name, '='):
		return `the variable name contains "=", so the variable would get another name and value: rename the variable`
	case strings.IndexByte(name, 0) >= 0:
		return "the variable name contains a NUL byte: rename the variable"
	case envFile && strings.TrimLeft(name, " \t")[0] == '#':
		return `the variable name starts with "#", which docker's --env-file reads as a comment, dropping the variable: rename the variable`
	}
	return ""
}

// checkArtifactNames refuses artifact names the upload would fail on after
// the task ran: absolute names, ".." or empty segments, and a name that
// of a file artifact is also the directory of another ("a" and "a/b").
func (w *walker) checkArtifactNames(at string, p *DockerWorkerPayload) {
	names := sortedKeys(p.Artifacts)
	for _, n := range names {
		ptr := at + "/artifacts/" + jsonptr.Escape(n)
		switch {
		case n == "":
			w.problem(ptr, "an artifact needs a name")
			continue
		case strings.HasPrefix(n, "/"):
			w.problem(ptr, `the artifact name is absolute: artifact names are relative, like "public/build/target.tar.gz"`)
			continue
		case slices.Contains(strings.Split(n, "/"), ".."):
			w.problem(ptr, `the artifact name has a ".." segment, which the artifact upload refuses: name it without ".."`)
			continue
		}
		for j := range len(n) {
			if n[j] == '/' {
				if a, ok := p.Artifacts[n[:j]]; ok && a.Type == "file" {
					w.problem(at+"/artifacts/"+jsonptr.Escape(n[:j]), fmt.Sprintf(
						"file artifact %q would also be a directory holding artifact %q: rename one", n[:j], n))
				}
			}
		}
	}
}

// checkArtifactExpiry refuses artifacts that expire after their task: the
// queue refuses to create such an artifact, so docker-worker failed the
// task after it ran.
func (w *walker) checkArtifactExpiry(at string, p *DockerWorkerPayload, taskExpires time.Time) {
	w.kind = ProblemRunTime
	defer func() { w.kind = ProblemSchema }()
	for _, n := range sortedKeys(p.Artifacts) {
		e := p.Artifacts[n].Expires
		if e == "" {
			continue
		}
		t, err := parseDateTime(e)
		if err == nil && t.After(taskExpires) {
			w.problem(at+"/artifacts/"+jsonptr.Escape(n)+"/expires", fmt.Sprintf(
				"the artifact expires (%s) after the task does (%s), which the queue refuses: remove expires or make it earlier",
				e, taskExpires.UTC().Format(time.RFC3339)))
		}
	}
}

// GenericWorkerRefusals lists what in p makes a converted payload of
// target (TargetD2G or TargetNative) one that generic-worker's schema
// rejects although the docker-worker schema allows it and dwshim's Plan
// runs it: for d2g, onExitStatus values below the minimum or repeated
// (which the native target leaves out with a warning). Everything else
// generic-worker's schema rejects is refused by the decoder for every
// command (checks.go), so the converted payload is valid by construction.
// Pointers are relative to the payload.
func GenericWorkerRefusals(p *DockerWorkerPayload, target Target) []Problem {
	var out []Problem
	add := func(ptr, msg string) {
		out = append(out, Problem{Pointer: ptr, Message: "generic-worker would reject the converted payload: " + msg, Kind: ProblemGenericWorker})
	}
	if target&TargetD2G != 0 {
		for _, f := range ExitStatusFaults(p) {
			if f.Below {
				add(f.Pointer(), fmt.Sprintf("onExitStatus.%s value %d must be at least %d", f.List, f.Value, f.Minimum))
			} else {
				add(f.Pointer(), fmt.Sprintf("onExitStatus.%s value %d is listed twice (items must be unique)", f.List, f.Value))
			}
		}
	}
	return out
}
