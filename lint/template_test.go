package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/tctemplate"
)

const templatesDir = "../testdata/lint/templates"

func templateOptions() Options {
	o := DefaultOptions()
	o.Template.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return o
}

// TestTemplateV1: a .taskcluster.yml is rendered for each event; a problem
// in a task all events share is reported once, at the template's line,
// naming the events; a task only a release renders is linted for release.
func TestTemplateV1(t *testing.T) {
	probs, sum := lintFiles(t, templateOptions(), filepath.Join(templatesDir, ".taskcluster.yml"))
	if len(probs) != 2 {
		t.Fatalf("want 2 problems, got %+v", probs)
	}
	dind, img := probs[0], probs[1]
	if dind.Rule != RuleRemovedField || dind.Line != 21 || dind.Column != 17 ||
		dind.Task != "tests (push, tag, pull_request.opened, pull_request.synchronize, release)" {
		t.Errorf("dind problem %+v", dind)
	}
	if img.Rule != RuleImageReference || img.Line != 28 || img.Task != "publish (release)" {
		t.Errorf("image problem %+v", img)
	}
	if sum.Tasks != 6 || sum.Skipped != 0 {
		t.Errorf("summary %+v: want 6 tasks (5 events, release has 2)", sum)
	}
}

// TestTemplateEventAndContext: --event picks contexts; --context with
// tasks_for renders only that context.
func TestTemplateEventAndContext(t *testing.T) {
	o := templateOptions()
	o.Template.Events = []string{"pull_request"}
	probs, sum := lintFiles(t, o, filepath.Join(templatesDir, ".taskcluster.yml"))
	if sum.Tasks != 2 || len(probs) != 1 || !strings.HasSuffix(probs[0].Task, "(pull_request.opened, pull_request.synchronize)") {
		t.Errorf("--event pull_request: %+v %+v", sum, probs)
	}
	o = templateOptions()
	o.Template.Context = map[string]any{"tasks_for": "github-release", "event": map[string]any{"release": map[string]any{"tag_name": "v2"}}}
	probs, sum = lintFiles(t, o, filepath.Join(templatesDir, ".taskcluster.yml"))
	if sum.Tasks != 2 || len(probs) != 2 || probs[1].Task != "publish (context)" {
		t.Errorf("--context: %+v %+v", sum, probs)
	}
	o = templateOptions()
	o.Template.Context = map[string]any{"tasks_for": "github-push"}
	o.Template.Events = nil
	probs, _ = lintFiles(t, o, filepath.Join(templatesDir, ".taskcluster.yml"))
	for _, p := range probs {
		if p.Rule == RuleTemplate && p.Severity != Error {
			t.Errorf("a chosen context that fails must be an error: %+v", p)
		}
	}
}

// TestTemplateV0: version 0 renders {{ }} and $fromNow, keeps the tasks
// for the event, adds the GITHUB_ env, and lints clean.
func TestTemplateV0(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(templatesDir, "v0.taskcluster.yml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tctemplate.Render(data, templateOptions().Template)
	if err != nil || res.Kind != tctemplate.V0 || len(res.Problems) != 0 {
		t.Fatalf("render: %v %+v", err, res)
	}
	if len(res.Tasks) != 2 {
		t.Fatalf("want the task for push and pull_request.opened, got %d", len(res.Tasks))
	}
	raw := string(res.Tasks[0].Raw)
	for _, want := range []string{`"deadline":"2026-01-02T00:00:00.000Z"`, `"GITHUB_EVENT":"push"`, `git clone https://github.com/`} {
		if !strings.Contains(raw, want) {
			t.Errorf("rendered v0 task lacks %s: %s", want, raw)
		}
	}
	probs, sum := lintFiles(t, templateOptions(), filepath.Join(templatesDir, "v0.taskcluster.yml"))
	if len(probs) != 0 || sum.Tasks != 2 {
		t.Errorf("%+v %+v", sum, probs)
	}
}

// TestTemplateStdin: a template on stdin is recognised too.
func TestTemplateStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(rulesDir, "template-bad.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	if _, err := New(templateOptions()).Run(context.Background(), []string{"-"}, strings.NewReader(string(data)), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.probs) != 1 || c.probs[0].Rule != RuleTemplate || c.probs[0].Line != 6 || c.probs[0].Pointer != "/task/payload/maxRunTime/$eval" {
		t.Fatalf("%+v", c.probs)
	}
}

// TestRealTemplates: every .taskcluster.yml and hook of the corpus lints
// with no docker-worker task skipped; the only errors are real ones: the
// taskgraph tutorial's $if that is not an expression, fuzzing-tc's
// features.dind and code-review's pulse hook putting a number (runId) in
// env, which d2g's string-only env rejects.
func TestRealTemplates(t *testing.T) {
	shared := sharedDir(t, false)
	probs, sum := lintFiles(t, templateOptions(), filepath.Join(shared, "corpus/real/taskcluster-yml"), filepath.Join(shared, "corpus/real/hooks"))
	var errs []string
	for _, p := range probs {
		if p.Severity == Error {
			errs = append(errs, filepath.Base(p.File)+" "+p.Rule+" "+p.Pointer)
		}
	}
	want := []string{
		"MozillaSecurity__fuzzing-tc.taskcluster.yml removed-field /payload/features/dind",
		"taskcluster__taskgraph__docs__tutorials__example-taskcluster.yml template /tasks/0/in/$if",
		"mozilla__code-review__bot__taskcluster-hook.json schema /payload/env/TRY_RUN_ID",
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	// The skipped tasks are the generic-worker ones (orion, and
	// rust-code-analysis' Windows tasks).
	if sum.Files != 33 || sum.Tasks < 300 || sum.Skipped != 9 {
		t.Errorf("summary %+v", sum)
	}
}
