package translate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/schemas/validator"
)

// parityDocs are payloads at the edges of the schema.
var parityDocs = []string{
	`{"image":"u","maxRunTime":1}`,
	`{"image":"u","maxRunTime":1.0}`,
	`{"image":"u","maxRunTime":1.5}`,
	`{"image":"u","maxRunTime":0}`,
	`{"image":"u","maxRunTime":"1"}`,
	`{"image":"u"}`,
	`{"maxRunTime":1}`,
	`{}`, `[]`, `"x"`, `null`, `1`,
	`{"image":null,"maxRunTime":1}`,
	`{"image":{"type":"docker-image"},"maxRunTime":1}`,
	`{"image":{"type":"docker-image","name":"x","path":"p"},"maxRunTime":1}`,
	`{"image":{"type":"indexed-image","namespace":"n","path":"p"},"maxRunTime":1}`,
	`{"image":{"type":"oci","name":"x"},"maxRunTime":1}`,
	`{"image":{"name":"x"},"maxRunTime":1}`,
	`{"image":"u","maxRunTime":1,"features":{"dind":true}}`,
	`{"image":"u","maxRunTime":1,"features":null}`,
	`{"image":"u","maxRunTime":1,"env":{"A":1}}`,
	`{"image":"u","maxRunTime":1,"env":[]}`,
	`{"image":"u","maxRunTime":1,"command":"ls"}`,
	`{"image":"u","maxRunTime":1,"command":[1]}`,
	`{"image":"u","maxRunTime":1,"onExitStatus":{"retry":[1,"2"]}}`,
	`{"image":"u","maxRunTime":1,"onExitStatus":{"retry":[1.0,-3]}}`,
	`{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"dir","path":"/a"}}}`,
	`{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"file"}}}`,
	`{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"file","path":"/a","expires":"soon"}}}`,
	`{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"file","path":"/a","expires":"2026-01-01T00:00:00.5+01:30"}}}`,
	`{"image":"u","maxRunTime":1,"capabilities":{"devices":{"gpu":true}}}`,
	`{"image":"u","maxRunTime":1,"capabilities":{"privileged":1}}`,
	`{"image":"u","maxRunTime":1,"log":null}`,
	`{"image":"u","maxRunTime":1,"mounts":[]}`,
}

// checkSchemaParity compares the schema-only decoder with the schema.
func checkSchemaParity(t *testing.T, raw []byte) {
	t.Helper()
	if !jsontext.Value(raw).IsValid() {
		// Not I-JSON (RFC 7493): invalid UTF-8, an unpaired surrogate
		// escape or a duplicate name, which encoding/json (the schema
		// validator's reader) takes in, as U+FFFD or the last value; the
		// decoder refuses them (TestDecodePayloadErrors).
		return
	}
	w := newWalker(raw)
	w.schemaOnly = true
	w.payload()
	w.end()
	ours := w.probs
	w.release()
	doc, err := validator.DecodeJSON(raw)
	if err != nil {
		return
	}
	theirs := validator.ValidateDockerWorkerPayload(doc)
	if (len(ours) == 0) != (len(theirs) == 0) {
		if len(ours) == 1 && strings.Contains(ours[0].Message, "±2^62") {
			return // integers beyond int64: the schema allows any size
		}
		t.Errorf("%s:\n decoder: %v\n schema:  %v", raw, ours, theirs)
	}
}

// TestDecodeMatchesSchema: the corpus payloads, each broken in every way
// of parityMutations, and the edge documents get the schema's verdict.
func TestDecodeMatchesSchema(t *testing.T) {
	for _, d := range parityDocs {
		checkSchemaParity(t, []byte(d))
	}
	shared := testenv.Shared(t, false)
	files, _ := filepath.Glob(filepath.Join(shared, "corpus", "real", "payloads", "*.json"))
	ins, _ := filepath.Glob(filepath.Join("..", "testdata", "translate", "*", "in.json"))
	n := 0
	for _, f := range append(files, ins...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if json.Unmarshal(b, &p) != nil {
			continue
		}
		if pl, ok := p["payload"].(map[string]any); ok {
			p = pl
		}
		for _, m := range parityMutations {
			q := deepCopyJSON(p).(map[string]any)
			m(q)
			b, _ := json.Marshal(q)
			checkSchemaParity(t, b)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no corpus payloads found")
	}
	t.Logf("%d mutated payloads", n)
}

func deepCopyJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func subObj(m map[string]any, key string) map[string]any {
	if s, ok := m[key].(map[string]any); ok {
		return s
	}
	s := map[string]any{}
	m[key] = s
	return s
}

// parityMutations change a payload in one way each (most break it).
var parityMutations = []func(p map[string]any){
	func(p map[string]any) {},
	func(p map[string]any) { delete(p, "image") },
	func(p map[string]any) { delete(p, "maxRunTime") },
	func(p map[string]any) { subObj(p, "features")["dind"] = true },
	func(p map[string]any) { p["dockerSave"] = true },
	func(p map[string]any) { subObj(p, "capabilities")["containerEngine"] = "podman" },
	func(p map[string]any) { subObj(p, "env")["N"] = 1 },
	func(p map[string]any) { p["maxRunTime"] = "600" },
	func(p map[string]any) { p["maxRunTime"] = 0 },
	func(p map[string]any) { p["maxRunTime"] = 1.5 },
	func(p map[string]any) { p["command"] = "ls" },
	func(p map[string]any) { p["image"] = 1 },
	func(p map[string]any) { p["image"] = map[string]any{"type": "oci", "name": "x"} },
	func(p map[string]any) { p["image"] = map[string]any{"type": "docker-image"} },
	func(p map[string]any) {
		p["image"] = map[string]any{"type": "task-image", "taskId": "t", "path": "p", "x": "y"}
	},
	func(p map[string]any) { subObj(p, "artifacts")["a"] = map[string]any{"type": "dir", "path": "/a"} },
	func(p map[string]any) {
		subObj(p, "artifacts")["a"] = map[string]any{"type": "file", "path": "/a", "expires": "soon"}
	},
	func(p map[string]any) { subObj(p, "onExitStatus")["retry"] = []any{"1"} },
	func(p map[string]any) { subObj(p, "features")["chainOfTrust"] = "yes" },
	func(p map[string]any) { subObj(subObj(p, "capabilities"), "devices")["gpu"] = true },
	func(p map[string]any) { subObj(p, "cache")["c"] = 1 },
	func(p map[string]any) { p["mounts"] = []any{} },
	func(p map[string]any) { p["features"] = nil },
	func(p map[string]any) { p["Image"] = p["image"]; delete(p, "image") },
}
