package tctemplate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dwshim/dwshim/internal/testenv"
)

var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// knownBroken are the corpus templates that really fail to render, and in
// which contexts: the tutorial's $if holds "${event.action}" (not an
// expression) for every event; the others fail only for contexts they name
// but may never get, which are warnings.
var knownBroken = map[string]map[string]bool{
	"taskcluster__taskgraph__docs__tutorials__example-taskcluster.yml": {"push": false, "tag": false, "pull_request.opened": false, "pull_request.synchronize": false, "release": true},
	"mozilla-mobile__reference-browser.taskcluster.yml":                {"release": true},
	"mozilla__translations.taskcluster.yml":                            {"release": true},
	"taskcluster__taskcluster.taskcluster.yml":                         {"cron": true, "action": true, "pr-action": true},
	"taskcluster__taskcluster@v44.23.4.taskcluster.yml":                {"cron": true, "action": true},
}

// TestCorpus renders every .taskcluster.yml and hook of the corpus: each is
// recognised, renders in every context but the known broken ones, and
// produces tasks.
func TestCorpus(t *testing.T) {
	root := filepath.Join(testenv.Shared(t, false), "corpus", "real")
	var files []string
	for _, dir := range []string{"taskcluster-yml", "hooks"} {
		m, _ := filepath.Glob(filepath.Join(root, dir, "*"))
		files = append(files, m...)
	}
	if len(files) != 33 {
		t.Fatalf("%d corpus templates, want 33", len(files))
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		kind := Detect(data)
		if kind == None {
			t.Errorf("%s: not detected as a template", name)
			continue
		}
		res, err := Render(data, Options{Now: testNow})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if res.Kind != kind {
			t.Errorf("%s: Detect says %s, Render %s", name, kind, res.Kind)
		}
		got := map[string]bool{}
		for _, p := range res.Problems {
			got[p.Event] = p.Warning
		}
		want := knownBroken[name]
		if want == nil {
			want = map[string]bool{}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: problems by context, warning? (-want +got):\n%s", name, d)
			for _, p := range res.Problems {
				t.Logf("%s:%d:%d: %s: %s", name, p.Line, p.Col, p.Event, p.Message)
			}
		}
		if len(res.Tasks) == 0 && len(want) == 0 {
			t.Errorf("%s: no tasks in %s", name, strings.Join(res.Events, ", "))
		}
		perEvent := map[string]int{}
		for _, tk := range res.Tasks {
			perEvent[tk.Event]++
		}
		t.Logf("%s (%s): %d tasks %v", name, res.Kind, len(res.Tasks), perEvent)
		total += len(res.Tasks)
	}
	t.Logf("%d tasks rendered from %d templates", total, len(files))
}
