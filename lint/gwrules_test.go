package lint

import (
	"path/filepath"
	"testing"
)

// TestFeatureDisabled: d2g output needing a feature the pool disables is
// an error only when the pool's config says so; the keys are read at the
// top level and under a worker-manager wrapper.
func TestFeatureDisabled(t *testing.T) {
	for _, doc := range []string{
		`{"enableTaskclusterProxy": false, "enableMounts": false}`,
		`{"genericWorker": {"config": {"enableTaskclusterProxy": false, "enableMounts": false}}}`,
	} {
		o, err := ParseWorkerConfig([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		probs, _ := lintFiles(t, o, filepath.Join(rulesDir, "feature-disabled-bad.json"))
		if len(probs) != 2 || probs[0].Rule != RuleFeatureDisabled || probs[1].Rule != RuleFeatureDisabled || probs[0].Pointer != "/payload/image" {
			t.Errorf("%s: %+v", doc, probs)
		}
	}
	probs, _ := lintFiles(t, DefaultOptions(), filepath.Join(rulesDir, "feature-disabled-bad.json"))
	if len(probs) != 0 {
		t.Errorf("without a config: %+v", probs)
	}
	o, _ := ParseWorkerConfig([]byte(`{"enableOSGroups": false}`))
	probs, _ = lintFiles(t, o, filepath.Join(rulesDir, "feature-disabled-good.json"))
	if len(probs) != 1 || probs[0].Pointer != "/payload" {
		t.Errorf("enableOSGroups false: %+v", probs)
	}
}
