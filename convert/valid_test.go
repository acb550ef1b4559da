package convert

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/schemas/validator"
	"github.com/dwshim/dwshim/taskfile"
	"github.com/dwshim/dwshim/translate"
)

// The converted payload is valid by construction: convert does not check
// it against generic-worker's schema at run time, these tests do, with the
// schema as the oracle.

// checkValid converts every item of the input raw with both targets and
// fails t when an accepted item's payload breaks generic-worker's schema,
// or when the d2g target accepts what the native one refuses (native
// refuses a subset: it leaves out the onExitStatus values d2g refuses). It
// returns how many items both targets converted.
func checkValid(t *testing.T, label string, raw []byte) int {
	t.Helper()
	r, err := taskfile.Open("in.json", bytes.NewReader(raw))
	if err != nil {
		return 0
	}
	defer r.Close()
	cfg := translate.OfflineConfig()
	cfg.AllowGPUs, cfg.NvidiaDevices = true, []string{"nvidia0"}
	n := 0
	for {
		it, err := r.Next()
		if err != nil {
			if err != io.EOF {
				return n // unreadable input: nothing was accepted
			}
			return n
		}
		if it.Format != taskfile.DockerWorker || taskfile.MayHaveRefs(it.Raw) {
			continue // references are resolved by taskgraph, not here
		}
		accepted := map[bool]bool{}
		for _, native := range []bool{false, true} {
			c := &converter{cfg: cfg, native: native, taskDef: it.Kind == taskfile.TaskDefinition}
			res := c.convert(it)
			if res.doc == nil || len(res.problems) > 0 {
				continue
			}
			accepted[native] = true
			pl := []byte(res.doc)
			if it.Kind == taskfile.TaskDefinition {
				var td struct{ Payload json.RawMessage }
				if err := json.Unmarshal(res.doc, &td); err != nil {
					t.Fatalf("%s: converted task is not JSON: %v", label, err)
				}
				pl = td.Payload
			}
			probs, err := validator.ValidateGenericWorkerPayloadJSON(pl)
			if err != nil || len(probs) > 0 {
				t.Errorf("%s (native %v): the converted payload breaks generic-worker's schema: %v %v\ninput: %.300s", label, native, err, probs, it.Raw)
			}
		}
		if accepted[false] && !accepted[true] {
			t.Errorf("%s: the d2g target converts it, the native target refuses it\ninput: %.300s", label, it.Raw)
		}
		if accepted[false] && accepted[true] {
			n++
		}
	}
}

// gwMutations change a payload where generic-worker's schema is stricter
// than docker-worker's, or at the edges of what translation emits. Each
// payload of the corpus gets each one.
var gwMutations = map[string]func(p map[string]any){
	"task-image empty path":     func(p map[string]any) { p["image"] = taskImage(slug, "") },
	"task-image long path":      func(p map[string]any) { p["image"] = taskImage(slug, strings.Repeat("p", 1025)) },
	"task-image 1024 é path":    func(p map[string]any) { p["image"] = taskImage(slug, strings.Repeat("é", 1024)) },
	"task-image not a slugid":   func(p map[string]any) { p["image"] = taskImage("abc", "public/i.tar") },
	"task-image empty taskId":   func(p map[string]any) { p["image"] = taskImage("", "public/i.tar") },
	"indexed empty namespace":   func(p map[string]any) { p["image"] = indexed("", "public/i.tar.lz4") },
	"indexed empty path":        func(p map[string]any) { p["image"] = indexed("a.b", "") },
	"indexed long namespace":    func(p map[string]any) { p["image"] = indexed(strings.Repeat("n", 256), "p.tar.zst") },
	"indexed 255 ü namespace":   func(p map[string]any) { p["image"] = indexed(strings.Repeat("ü", 255), "p") },
	"expires year 10000 in UTC": func(p map[string]any) { artifact(p, "9999-12-31T23:59:59-01:00") },
	"expires year -1 in UTC":    func(p map[string]any) { artifact(p, "0000-01-01T00:00:00+01:00") },
	"expires year 0":            func(p map[string]any) { artifact(p, "0000-01-01T00:00:00Z") },
	"expires nanoseconds":       func(p map[string]any) { artifact(p, "9999-12-31T23:59:59.999999999Z") },
	"expires zero time":         func(p map[string]any) { artifact(p, "0001-01-01T00:00:00Z") },
	"retry 0 twice":             func(p map[string]any) { p["onExitStatus"] = map[string]any{"retry": []any{0, 0, 5, 5}} },
	"purgeCaches -1":            func(p map[string]any) { p["onExitStatus"] = map[string]any{"purgeCaches": []any{-1, 3, 3}} },
	"maxRunTime max":            func(p map[string]any) { p["maxRunTime"] = int64(1<<62 - 1) },
	"maxRunTime 1":              func(p map[string]any) { p["maxRunTime"] = 1 },
	"command empty":             func(p map[string]any) { p["command"] = []any{} },
	"command empty arg":         func(p map[string]any) { p["command"] = []any{""} },
	"log empty":                 func(p map[string]any) { p["log"] = "" },
	"log odd":                   func(p map[string]any) { p["log"] = "a/.b" },
	"env edges": func(p map[string]any) {
		p["env"] = map[string]any{"E": "", "M": "a\nb", "PATH": "x\ny", "HOME": "/h", "TASK_ID": "t", "L": strings.Repeat("v", 140000)}
	},
	"cache edges": func(p map[string]any) { p["cache"] = map[string]any{"": "/c", "x": "/a:b", "y": "/y"} },
	"artifacts every kind": func(p map[string]any) {
		p["artifacts"] = map[string]any{
			"public/f": map[string]any{"type": "file", "path": "/f.tar.gz"},
			"public/d": map[string]any{"type": "directory", "path": "/d"},
			"public/v": map[string]any{"type": "volume", "path": "/v"},
			"public/c": map[string]any{"type": "volume", "path": "/v:ro"},
		}
	},
	"artifacts off": func(p map[string]any) { p["features"] = map[string]any{"artifacts": false, "bulkLog": false} },
	"everything on": func(p map[string]any) {
		p["features"] = map[string]any{"taskclusterProxy": true, "chainOfTrust": true, "interactive": true, "allowPtrace": true}
		p["capabilities"] = map[string]any{"privileged": true, "disableSeccomp": true, "devices": map[string]any{
			"kvm": true, "hostSharedMemory": true, "loopbackAudio": true, "loopbackVideo": true}}
	},
	"supersederUrl": func(p map[string]any) { p["supersederUrl"] = "not a url" },
}

const slug = "2JGiKFtpRnGbVczc6-OJ1Q"

func taskImage(id, path string) map[string]any {
	return map[string]any{"type": "task-image", "taskId": id, "path": path}
}

func indexed(ns, path string) map[string]any {
	return map[string]any{"type": "indexed-image", "namespace": ns, "path": path}
}

func artifact(p map[string]any, expires string) {
	p["artifacts"] = map[string]any{"public/a": map[string]any{"type": "file", "path": "/a", "expires": expires}}
}

// validInputs are the golden cases' inputs and the real corpus's
// payloads and task definitions.
func validInputs(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "translate", "*", "in.json"))
	shared := testenv.Shared(t, false)
	for _, dir := range []string{"payloads", "task-definitions"} {
		more, _ := filepath.Glob(filepath.Join(shared, "corpus", "real", dir, "*.json"))
		files = append(files, more...)
	}
	return files
}

// TestConvertValidOnCorpus: every corpus input, and each of gwMutations
// applied to it, converts (when it converts) with both targets to a
// payload generic-worker's schema accepts.
func TestConvertValidOnCorpus(t *testing.T) {
	files := validInputs(t)
	if len(files) < 40 {
		t.Fatalf("only %d inputs", len(files))
	}
	converted, mutated := 0, 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		converted += checkValid(t, f, raw)
		for name, m := range gwMutations {
			in, ok := mutate(raw, m)
			if !ok {
				continue
			}
			mutated++
			converted += checkValid(t, f+" + "+name, in)
		}
	}
	t.Logf("%d inputs, %d mutations, %d converted by both targets", len(files), mutated, converted)
	if converted < len(files)*len(gwMutations)/3 {
		t.Errorf("only %d of %d inputs and mutations converted", converted, mutated+len(files))
	}
}

// mutate applies m to raw's payload (a bare payload or a task
// definition's).
func mutate(raw []byte, m func(map[string]any)) ([]byte, bool) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, false
	}
	p := doc
	if pl, ok := doc["payload"].(map[string]any); ok {
		p = pl
	} else if _, ok := doc["image"]; !ok {
		return nil, false
	}
	m(p)
	out, err := json.Marshal(doc)
	return out, err == nil
}

// TestMutationsRefusedEverywhere: the mutations whose converted payload
// generic-worker's schema would reject are refused, not converted, by
// both targets (the test above cannot fail on a mutation convert
// refuses; this one fails when convert accepts it).
func TestMutationsRefusedEverywhere(t *testing.T) {
	base := []byte(`{"image": "ubuntu:24.04", "maxRunTime": 60}`)
	for _, name := range []string{"task-image empty path", "task-image long path", "task-image not a slugid",
		"task-image empty taskId", "indexed empty namespace", "indexed empty path", "indexed long namespace",
		"expires year 10000 in UTC", "expires year -1 in UTC"} {
		in, _ := mutate(base, gwMutations[name])
		for _, native := range []bool{false, true} {
			r, err := taskfile.Open("in.json", bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			it, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			res := (&converter{cfg: translate.OfflineConfig(), native: native}).convert(it)
			if res.doc != nil || len(res.problems) == 0 || !strings.HasPrefix(res.problems[0].Pointer, "/image") && !strings.HasPrefix(res.problems[0].Pointer, "/artifacts") {
				t.Errorf("%s (native %v): converted, problems %q", name, native, res.problems)
			}
			r.Close()
		}
	}
}

// FuzzConvertValid: whatever translate accepts, both targets turn into a
// payload generic-worker's schema accepts.
func FuzzConvertValid(f *testing.F) {
	for _, s := range []string{
		`{"image":"ubuntu","maxRunTime":1}`,
		`{"image":{"type":"indexed-image","namespace":"a.b","path":"p.tar.lz4"},"maxRunTime":3,"cache":{"x":"/x","y":"/y:z"}}`,
		`{"image":{"type":"task-image","taskId":"2JGiKFtpRnGbVczc6-OJ1Q","path":"public/i.tar.zst"},"maxRunTime":9223372036854775807}`,
		`{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"file","path":"/a","expires":"9999-12-31T23:59:59+01:00"},"v":{"type":"volume","path":"/v"}}}`,
		`{"image":"u","maxRunTime":1,"onExitStatus":{"retry":[1,1],"purgeCaches":[0,-1]},"env":{"A":"a\nb","PATH":"p"}}`,
		`{"taskQueueId":"p/w","scopes":[],"payload":{"image":"u","maxRunTime":1,"features":{"taskclusterProxy":true}}}`,
	} {
		f.Add([]byte(s))
	}
	base := []byte(`{"image": "ubuntu:24.04", "maxRunTime": 60}`)
	for _, m := range gwMutations {
		if in, ok := mutate(base, m); ok {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 1<<16 {
			return
		}
		checkValid(t, "fuzz", raw)
	})
}
