package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/lint"
)

// repeatGraph is a task graph of n tasks under testdata/lint/pool-config.json
// (allowPrivileged false, maxTaskRunTime 7200): every task is privileged
// (config-disallowed), the even ones run too long, by a different amount
// each (max-run-time), and the odd ones have a cache granted only through
// an assume: role (scopes-unverifiable, a warning).
func repeatGraph(n int) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range n {
		scopes := `["docker-worker:capability:privileged"]`
		extra := fmt.Sprintf(`"maxRunTime": %d`, 60)
		if i%2 == 0 {
			extra = fmt.Sprintf(`"maxRunTime": %d`, 7200+100*(i+1))
		} else {
			scopes = `["docker-worker:capability:privileged", "assume:repo:x"]`
			extra += `, "cache": {"c": "/c"}`
		}
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `"t%d": {"task": {"taskQueueId": "proj/ci", "scopes": %s, "payload": {"image": "ubuntu:24.04", "capabilities": {"privileged": true}, %s}}}`, i, scopes, extra)
	}
	b.WriteString("\n}\n")
	return b.String()
}

var lintPoolConfig = filepath.Join(lintData, "pool-config.json")

// TestLintTextGroupsRepeatedProblems: each distinct problem is printed once
// at its location, the repeated ones again at the end with their count,
// then the table per rule and the summary.
func TestLintTextGroupsRepeatedProblems(t *testing.T) {
	in := repeatGraph(10)
	g := writeFile(t, "graph.json", in)
	code, out, errs := runLintCLI(t, "", "--config", lintPoolConfig, g)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errs)
	}
	// where: file:line:col of the first value after key on line n.
	lines := strings.Split(in, "\n")
	where := func(n int, key string) string {
		i := strings.Index(lines[n-1], key) + len(key)
		return fmt.Sprintf("%s:%d:%d", g, n, i+1)
	}
	priv, mrt, cache := where(2, `"privileged": `), where(2, `"maxRunTime": `), where(3, `"c": `)
	want := strings.Join([]string{
		priv + ": error: t0 /payload/capabilities/privileged: capabilities.privileged is refused",
		mrt + ": error: t0 /payload/maxRunTime: maxRunTime 7300 exceeds the worker pool's maxTaskRunTime 7200",
		cache + ": warning: t1 /payload/cache/c: needs scope docker-worker:cache:c",
		priv + ": error: 10 tasks (e.g. t0) /payload/capabilities/privileged: capabilities.privileged is refused",
		mrt + ": error: 5 tasks (e.g. t0) /payload/maxRunTime: maxRunTime 7300 exceeds",
		cache + ": warning: 5 tasks (e.g. t1) /payload/cache/c: needs scope",
		"rule                  errors warnings distinct",
		"config-disallowed         10        0        1",
		"max-run-time               5        0        1",
		"scopes-unverifiable        0        5        1",
		"20 problems (15 errors, 5 warnings) in 10 of 10 tasks; 0 skipped",
	}, "\n")
	if got := linePrefixes(out, want); got != want {
		t.Errorf("output:\n%s\nwant lines starting:\n%s", out, want)
	}
}

// linePrefixes cuts each line of out to the length of the matching line of
// want, so messages can be compared by their start.
func linePrefixes(out, want string) string {
	ol, wl := strings.Split(strings.TrimSuffix(out, "\n"), "\n"), strings.Split(want, "\n")
	for i := range min(len(ol), len(wl)) {
		if len(ol[i]) > len(wl[i]) {
			ol[i] = ol[i][:len(wl[i])]
		}
	}
	return strings.Join(ol, "\n")
}

// TestLintQuietVerbose: -v prints every problem (as before grouping), -q
// no warning, both keep the table and the summary; together they are a
// usage error. --strict and the exit status do not depend on them.
func TestLintQuietVerbose(t *testing.T) {
	g := writeFile(t, "graph.json", repeatGraph(10))
	_, def, _ := runLintCLI(t, "", "--config", lintPoolConfig, g)
	code, out, _ := runLintCLI(t, "", "-v", "--config", lintPoolConfig, g)
	if code != 1 || strings.Count(out, "[config-disallowed]") != 10 || strings.Count(out, "[max-run-time]") != 5 ||
		strings.Count(out, "[scopes-unverifiable]") != 5 || strings.Contains(out, "(e.g.") || !strings.HasSuffix(out, tail(def, 5)) {
		t.Errorf("-v: exit %d\n%s", code, out)
	}
	code, out, _ = runLintCLI(t, "", "--quiet", "--config", lintPoolConfig, g)
	if code != 1 || strings.Contains(out, "warning:") || strings.Count(out, "[config-disallowed]") != 2 || !strings.HasSuffix(out, tail(def, 5)) {
		t.Errorf("-q: exit %d\n%s", code, out)
	}
	// Warnings only: -q prints no problem line, but --strict still fails
	// and the summary says why.
	clean := writeFile(t, "warn.json", `{"t": {"task": {"taskQueueId": "proj/ci", "scopes": ["assume:repo:x"], "payload": {"image": "ubuntu:24.04", "maxRunTime": 60, "cache": {"c": "/c"}}}}}`)
	code, out, _ = runLintCLI(t, "", "-q", "--strict", clean)
	if code != 1 || strings.Contains(out, "warning:") || !strings.Contains(out, "1 problem (0 errors, 1 warning)") {
		t.Errorf("-q --strict: exit %d\n%s", code, out)
	}
	if code, _, _ := runLintCLI(t, "", "-q", clean); code != 0 {
		t.Errorf("-q, warnings only: exit %d, want 0", code)
	}
	if code, _, errs := runLintCLI(t, "", "-q", "-v", g); code != 2 {
		t.Errorf("-q -v: exit %d, want 2 (%s)", code, errs)
	}
}

func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[max(0, len(lines)-1-n):], "")
}

// TestLintMachineFormatsKeepEveryProblem: the machine formats list every
// problem, the same with -q and -v, and show no grouping.
func TestLintMachineFormatsKeepEveryProblem(t *testing.T) {
	g := writeFile(t, "graph.json", repeatGraph(10))
	for _, format := range lint.Formats {
		if format == "text" {
			continue
		}
		_, want, _ := runLintCLI(t, "", "--format", format, "--config", lintPoolConfig, g)
		for _, flag := range []string{"-q", "-v"} {
			if _, out, _ := runLintCLI(t, "", flag, "--format", format, "--config", lintPoolConfig, g); out != want {
				t.Errorf("%s %s differs from %s alone:\n%s", format, flag, format, out)
			}
		}
		n := strings.Count(want, "privileged is refused")
		if format == "sarif" {
			var doc struct{ Runs []struct{ Results []any } }
			if err := json.Unmarshal([]byte(want), &doc); err != nil || len(doc.Runs) != 1 {
				t.Fatalf("sarif: %v", err)
			}
			n = len(doc.Runs[0].Results) - 10 // the max-run-time and cache results
		}
		if n != 10 || strings.Contains(want, "(e.g.") || strings.Contains(want, "distinct") {
			t.Errorf("%s: %d privileged problems, want 10 (or grouped):\n%s", format, n, want)
		}
	}
}
