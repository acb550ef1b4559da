package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const rulesDir = "../testdata/lint/rules"

func lintFiles(t *testing.T, opts Options, paths ...string) ([]Problem, Summary) {
	t.Helper()
	var c collect
	sum, err := New(opts).Run(context.Background(), paths, nil, &c)
	if err != nil {
		t.Fatalf("lint %v: %v", paths, err)
	}
	return c.probs, sum
}

type collect struct{ probs []Problem }

func (c *collect) Problem(p Problem) error { c.probs = append(c.probs, p); return nil }

func poolOptions(t *testing.T) Options {
	t.Helper()
	b, err := os.ReadFile("../testdata/lint/pool-config.json")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseWorkerConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestRules runs every rule's bad and good case: the bad one reports the
// rule, the good one nothing.
func TestRules(t *testing.T) {
	seen := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(rulesDir, "*.json"))
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		rule, kind, _ := strings.Cut(base[:strings.LastIndexByte(base, '-')]+"|"+base[strings.LastIndexByte(base, '-')+1:], "|")
		t.Run(base, func(t *testing.T) {
			opts := DefaultOptions()
			if rule == RuleConfigDisallowed || rule == RuleFeatureDisabled {
				opts = poolOptions(t)
			}
			probs, _ := lintFiles(t, opts, f)
			switch kind {
			case "bad":
				seen[rule] = true
				found := false
				for _, p := range probs {
					found = found || p.Rule == rule
				}
				if !found {
					t.Errorf("no %s problem; got %+v", rule, probs)
				}
			case "good":
				if len(probs) > 0 {
					t.Errorf("want no problems, got %+v", probs)
				}
			}
		})
	}
	for _, r := range Rules {
		if !seen[r.ID] && r.ID != RuleInput { // input: see TestInputEveryFormat
			t.Errorf("rule %s has no bad case in %s", r.ID, rulesDir)
		}
	}
}

func TestConfigDisallowedPointers(t *testing.T) {
	probs, _ := lintFiles(t, poolOptions(t), filepath.Join(rulesDir, "config-disallowed-bad.json"))
	if len(probs) != 1 || probs[0].Pointer != "/payload/capabilities/privileged" || probs[0].Line == 0 {
		t.Fatalf("got %+v", probs)
	}
}

func TestParseWorkerConfig(t *testing.T) {
	o := poolOptions(t)
	if o.MaxTaskRunTime != 7200 || o.Config.AllowPrivileged || !o.Config.AllowKVM {
		t.Fatalf("got %+v", o)
	}
	if _, err := ParseWorkerConfig([]byte(`{"maxTaskRunTime": 0}`)); err == nil {
		t.Fatal("maxTaskRunTime 0 accepted")
	}
	nested, err := ParseWorkerConfig([]byte(`{"genericWorker": {"config": {"d2gConfig": {"allowKVM": false}}}}`))
	if err != nil || nested.Config.AllowKVM || !nested.Config.AllowPrivileged {
		t.Fatalf("nested: %+v %v", nested, err)
	}
}

type fakeExpander map[string][]string

func (f fakeExpander) ExpandScopes(_ context.Context, scopes []string) ([]string, error) {
	var out []string
	for _, s := range scopes {
		out = append(out, s)
		out = append(out, f[s]...)
	}
	return out, nil
}

// TestExpander: with expansion available, assume: roles are resolved and
// the answer is definite.
func TestExpander(t *testing.T) {
	f := filepath.Join(rulesDir, "scopes-unverifiable-bad.json")
	opts := DefaultOptions()
	opts.Expander = fakeExpander{"assume:repo:github.com/example/repo:branch:main": {"docker-worker:cache:*"}}
	if probs, _ := lintFiles(t, opts, f); len(probs) != 0 {
		t.Fatalf("granted by role: %+v", probs)
	}
	opts.Expander = fakeExpander{}
	probs, _ := lintFiles(t, opts, f)
	if len(probs) != 1 || probs[0].Rule != RuleMissingScopes {
		t.Fatalf("not granted: %+v", probs)
	}
}

// TestRealCorpus: every real rendered task, payload and task definition
// lints without errors, but the fuzzing-tc task using features.dind.
func TestRealCorpus(t *testing.T) {
	shared := sharedDir(t, false)
	var paths []string
	for _, d := range []string{"rendered", "payloads", "task-definitions"} {
		paths = append(paths, filepath.Join(shared, "corpus/real", d))
	}
	probs, sum := lintFiles(t, DefaultOptions(), paths...)
	var errs []Problem
	for _, p := range probs {
		if p.Severity == Error {
			errs = append(errs, p)
		}
	}
	if len(errs) != 1 || errs[0].Rule != RuleRemovedField || errs[0].Pointer != "/payload/features/dind" ||
		!strings.Contains(errs[0].File, "fuzzing-tc") {
		t.Fatalf("want only the fuzzing-tc dind error, got %+v", errs)
	}
	if sum.Skipped == 0 || sum.Tasks < 100 {
		t.Errorf("summary %+v: expected generic-worker tasks skipped and over 100 tasks", sum)
	}
	for _, p := range probs {
		if p.Severity == Warning && p.Rule != RuleScopesUnverifiable {
			t.Errorf("unexpected warning %+v", p)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	got := SummaryLine(Summary{Problems: 3, Errors: 2, Warnings: 1, Tasks: 120, TasksWithProblems: 2, Skipped: 5})
	if want := "3 problems (2 errors, 1 warning) in 2 of 120 tasks; 5 skipped"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

// TestYAMLAndJSONLines: YAML documents and JSON lines are linted one by
// one, with lines pointing into the file.
func TestYAMLAndJSONLines(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		lines    []int
	}{
		{"yaml", "taskQueueId: proj/ci\npayload:\n  image: ubuntu\n  maxRunTime: 60\n  features:\n    dind: true\n---\npayload:\n  image: Bad Name\n  maxRunTime: 60\n", []int{6, 9}},
		{"jsonl", `{"payload": {"image": "ubuntu", "maxRunTime": 60, "features": {"dind": true}}}` + "\n" +
			`{"payload": {"image": "Bad Name", "maxRunTime": 60}}` + "\n", []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c collect
			sum, err := New(DefaultOptions()).Run(context.Background(), []string{"-"}, strings.NewReader(tc.in), &c)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Tasks != 2 || len(c.probs) != 2 {
				t.Fatalf("summary %+v problems %+v", sum, c.probs)
			}
			want := []string{RuleRemovedField, RuleImageReference}
			for i, p := range c.probs {
				if p.Rule != want[i] || p.Line != tc.lines[i] {
					t.Errorf("problem %d: %+v, want rule %s at line %d", i, p, want[i], tc.lines[i])
				}
			}
		})
	}
}

func TestImageFieldLengths(t *testing.T) {
	in := `{"image": {"type": "indexed-image", "namespace": "` + strings.Repeat("a", 256) + `", "path": "public/image.tar"}, "maxRunTime": 60}`
	var c collect
	if _, err := New(DefaultOptions()).Run(context.Background(), []string{"-"}, strings.NewReader(in), &c); err != nil {
		t.Fatal(err)
	}
	// The decoder refuses it (every command does), so it is a run-time
	// refusal, not an image-reference problem of lint's own.
	if len(c.probs) != 1 || c.probs[0].Rule != RuleRunTimeRefusal || c.probs[0].Pointer != "/image/namespace" {
		t.Fatalf("got %+v", c.probs)
	}
}

// TestGraphReferences: a referenced image taskId must name a dependency
// edge (or label) of the graph entry; graphs keyed by taskId work too.
func TestGraphReferences(t *testing.T) {
	entry := func(deps string) string {
		return `{"label": "test-a", "dependencies": ` + deps + `, "task": {"taskQueueId": "p/w", "payload": {"image": {"type": "task-image", "taskId": {"task-reference": "<docker-image>"}, "path": "public/image.tar.zst"}, "maxRunTime": 60}}}`
	}
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"edge", `{"test-a": ` + entry(`{"docker-image": "docker-image-ubuntu"}`) + `}`, nil},
		{"label", `{"test-a": ` + entry(`{"image": "docker-image"}`) + `}`, nil},
		{"missing", `{"test-a": ` + entry(`{"build": "build-linux"}`) + `}`, []string{RuleTaskImageDependency}},
		{"by taskId", `{"fUbnMNH6Q5kStIRh2P_g1w": {"task_id": "fUbnMNH6Q5kStIRh2P_g1w", "task": {"dependencies": ["IeGdHYcIQdinxVt2eXWZ8w"], "payload": {"image": {"type": "task-image", "taskId": "IeGdHYcIQdinxVt2eXWZ8w", "path": "p"}, "maxRunTime": 60}}}}`, nil},
		{"malformed ref", `{"test-a": {"task": {"payload": {"image": "x", "maxRunTime": 60, "env": {"A": {"task-reference": 1}}}}}}`, []string{RuleUnresolvedReference}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c collect
			if _, err := New(DefaultOptions()).Run(context.Background(), []string{"-"}, strings.NewReader(tc.in), &c); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range c.probs {
				got = append(got, p.Rule)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("rules %v, want %v: %+v", got, tc.want, c.probs)
			}
		})
	}
}
