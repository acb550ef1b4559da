package lint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/dwshim/dwshim/schemas"
)

// parityCorpus returns payloads to compare fastValid with the schema on:
// the real corpus payloads, the rule cases' payloads, and mutations of each.
func parityCorpus(t testing.TB) [][]byte {
	var docs [][]byte
	add := func(b []byte) { docs = append(docs, b) }
	files, _ := filepath.Glob(filepath.Join(rulesDir, "*.json"))
	if shared := sharedDir(t, false); shared != "" {
		more, _ := filepath.Glob(filepath.Join(shared, "corpus/real/payloads/*.json"))
		files = append(files, more...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		if p, ok := m["payload"].(map[string]any); ok {
			m = p
		}
		for _, mut := range mutations(m) {
			out, _ := json.Marshal(mut)
			add(out)
		}
	}
	for _, s := range []string{
		`{"image": "x", "maxRunTime": 1}`, `{"image": "x", "maxRunTime": 1.0}`, `{"image": "x", "maxRunTime": 0}`,
		`{"image": "x", "maxRunTime": 1, "maxRunTime": 2}`, `{"im\u0061ge": "x", "maxRunTime": 1}`,
		`{"image": null, "maxRunTime": 1}`, `{"image": "x", "maxRunTime": 1, "capabilities": {"devices": true}}`,
		`{"image": "x", "maxRunTime": 1, "onExitStatus": {"retry": true}}`,
		`{"image": "x", "maxRunTime": 1, "onExitStatus": {"retry": [1, 2.5]}}`,
		`{"image": "x", "maxRunTime": 1, "artifacts": {"a": {"type": "file", "path": "/a", "expires": "2026-01-02T15:04:05.000+24:00"}}}`,
		`{"image": "x", "maxRunTime": 1, "artifacts": {"a": {"type": "fil\u0065", "path": "/a"}}}`,
		`{"image": {"type": "task-image", "taskId": "x", "path": "p", "path": "q"}, "maxRunTime": 1}`,
		`{"image": {"type": "task-image", "taskId": "x"}, "maxRunTime": 1}`,
		`{"image": "x", "maxRunTime": 1, "env": {"A": 1}}`, `{"image": "x", "maxRunTime": 1, "command": ["a", null]}`,
		`[]`, `"x"`, `{}`,
	} {
		add([]byte(s))
	}
	return docs
}

// mutations returns m and variants that break or stress one constraint.
func mutations(m map[string]any) []map[string]any {
	clone := func() map[string]any {
		b, _ := json.Marshal(m)
		var c map[string]any
		_ = json.Unmarshal(b, &c)
		return c
	}
	out := []map[string]any{m}
	for _, f := range []func(c map[string]any){
		func(c map[string]any) { delete(c, "image") },
		func(c map[string]any) { delete(c, "maxRunTime") },
		func(c map[string]any) { c["maxRunTime"] = -1 },
		func(c map[string]any) { c["maxRunTime"] = "60" },
		func(c map[string]any) { c["image"] = map[string]any{"type": "docker-image"} },
		func(c map[string]any) { c["image"] = 5 },
		func(c map[string]any) { c["features"] = map[string]any{"dind": true} },
		func(c map[string]any) { c["features"] = map[string]any{"chainOfTrust": "yes"} },
		func(c map[string]any) { c["capabilities"] = map[string]any{"devices": map[string]any{"kvm": 1}} },
		func(c map[string]any) { c["env"] = map[string]any{"A": true} },
		func(c map[string]any) { c["cache"] = []any{"a"} },
		func(c map[string]any) { c["command"] = "echo" },
		func(c map[string]any) { c["log"] = 3 },
		func(c map[string]any) { c["extra"] = 1 },
		func(c map[string]any) { c["onExitStatus"] = map[string]any{"retry": []any{"1"}} },
		func(c map[string]any) {
			c["artifacts"] = map[string]any{"a": map[string]any{"type": "dir", "path": "/a"}}
		},
		func(c map[string]any) {
			c["artifacts"] = map[string]any{"a": map[string]any{"type": "file", "path": "/a", "expires": "tomorrow"}}
		},
		func(c map[string]any) { c["artifacts"] = map[string]any{"a": map[string]any{"type": "file"}} },
	} {
		c := clone()
		f(c)
		out = append(out, c)
	}
	return out
}

// TestFastValidParity: the byte-level fast path never accepts a payload the
// schema rejects, and accepts the valid real payloads.
func TestFastValidParity(t *testing.T) {
	accepted := 0
	for _, doc := range parityCorpus(t) {
		probs, err := schemas.ValidateDockerWorkerPayloadJSON(doc)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if fastValid(doc) {
			accepted++
			if len(probs) > 0 {
				t.Errorf("fast path accepts a payload the schema rejects (%v):\n%s", probs, doc)
			}
		}
	}
	if accepted < 20 {
		t.Errorf("fast path accepted only %d payloads", accepted)
	}
}

// FuzzFastValid: for any valid JSON, fastValid implies schema validity.
func FuzzFastValid(f *testing.F) {
	for _, doc := range parityCorpus(f) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !fastValid(data) {
			return
		}
		probs, err := schemas.ValidateDockerWorkerPayloadJSON(data)
		if err != nil || len(probs) > 0 {
			t.Fatalf("fast path accepts %s: %v %v", data, probs, err)
		}
	})
}
