package lint

import "testing"

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
