package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/schemas/validator"
	"github.com/dwshim/dwshim/taskfile"
)

// convertShared locates ../shared; see testenv.Shared.
func convertShared(t *testing.T) string {
	t.Helper()
	return testenv.Shared(t, false)
}

// TestConvertRealCorpus converts every real payload, task definition and
// rendered .taskcluster.yml with both targets: all succeed but the one task
// that uses the removed features.dind, and every converted payload is a
// valid generic-worker payload.
func TestConvertRealCorpus(t *testing.T) {
	root := filepath.Join(convertShared(t), "corpus", "real")
	var files []string
	for _, sub := range []string{"payloads", "task-definitions", "rendered"} {
		fs, err := taskfile.Walk(filepath.Join(root, sub))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) < 50 {
		t.Fatalf("only %d corpus files", len(files))
	}
	for _, target := range []string{"d2g", "native"} {
		converted, skipped := 0, 0
		for _, f := range files {
			code, out, errs := convertCLI(t, "", "convert", "--target", target, "-o", "json", f)
			skipped += strings.Count(errs, "not a docker-worker payload (no \"image\"): left unchanged")
			var problems []string
			if i := strings.Index(errs, "\ncode "); i >= 0 {
				errs = errs[:i] // the table per code and the summary
			}
			for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
				if l != "" && !strings.HasPrefix(l, "warning: ") && !strings.HasPrefix(l, "summary: ") {
					problems = append(problems, l)
				}
			}
			if strings.Contains(f, "fuzzing-tc") {
				if code != 1 || len(problems) != 1 || !strings.Contains(problems[0], "/payload/features/dind: ") {
					t.Errorf("%s %s: exit %d, problems %q; want exactly the features.dind one", target, f, code, problems)
				}
				continue
			}
			if code != 0 {
				t.Errorf("%s %s: exit %d:\n%s", target, f, code, errs)
				continue
			}
			converted += checkConverted(t, f, out)
		}
		t.Logf("%s: %d payloads converted, %d generic-worker ones skipped", target, converted, skipped)
		if converted < 90 || skipped == 0 {
			t.Errorf("%s: %d payloads converted, %d generic-worker ones skipped", target, converted, skipped)
		}
	}
}

// checkConverted validates every converted payload in out against the
// generic-worker schema and returns how many there were.
func checkConverted(t *testing.T, file, out string) int {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Errorf("%s: output is not JSON: %v", file, err)
		return 0
	}
	var payloads []any
	switch {
	case doc["tasks"] != nil:
		for _, task := range doc["tasks"].([]any) {
			payloads = append(payloads, task.(map[string]any)["payload"])
		}
	case doc["payload"] != nil:
		payloads = append(payloads, doc["payload"])
	default:
		payloads = append(payloads, doc)
	}
	n := 0
	for _, p := range payloads {
		if pm, _ := p.(map[string]any); pm["osGroups"] == nil {
			continue // a generic-worker task left unchanged
		}
		n++
		if probs := validator.ValidateGenericWorkerPayload(p); len(probs) > 0 {
			t.Errorf("%s: converted payload fails the generic-worker schema: %v", file, probs)
		}
	}
	return n
}
