package lint

import (
	"context"
	"strings"
	"testing"
)

// TestWarningRulesAreRules: every translate warning lint reports maps to
// a rule it documents.
func TestWarningRulesAreRules(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rules {
		ids[r.ID] = true
	}
	for code, id := range warningRules {
		if !ids[id] {
			t.Errorf("warning %s maps to %q, which is not in Rules", code, id)
		}
	}
}

// TestTaskImageNotSlugID: lint reports translate's warning that a
// task-image's taskId is not a slugid (convert and generic-worker reject
// the task) under task-image-dependency, an error.
func TestTaskImageNotSlugID(t *testing.T) {
	in := `{"image": {"type": "task-image", "taskId": "abc", "path": "public/image.tar"}, "maxRunTime": 60}`
	var c collect
	if _, err := New(DefaultOptions()).Run(context.Background(), []string{"-"}, strings.NewReader(in), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.probs) != 1 || c.probs[0].Rule != RuleTaskImageDependency || c.probs[0].Severity != Error || c.probs[0].Pointer != "/image/taskId" {
		t.Fatalf("got %+v", c.probs)
	}
}
