package lint

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/translate"
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

// TestTaskImageNotSlugID: lint reports the decoder's refusal of a
// task-image taskId that is not a slugid (every command refuses it) under
// run-time-refusal, an error, in the decoder's words.
func TestTaskImageNotSlugID(t *testing.T) {
	in := `{"image": {"type": "task-image", "taskId": "abc", "path": "public/image.tar"}, "maxRunTime": 60}`
	_, err := translate.DecodePayload([]byte(in))
	var te *translate.Error
	if !errors.As(err, &te) || len(te.Problems) != 1 {
		t.Fatalf("decode: %v", err)
	}
	var c collect
	if _, err := New(DefaultOptions()).Run(context.Background(), []string{"-"}, strings.NewReader(in), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.probs) != 1 || c.probs[0].Rule != RuleRunTimeRefusal || c.probs[0].Severity != Error ||
		c.probs[0].Pointer != "/image/taskId" || c.probs[0].Message != te.Problems[0].Message {
		t.Fatalf("got %+v, want %v", c.probs, te.Problems[0])
	}
}
