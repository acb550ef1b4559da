package validator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// sharedDir locates ../shared; see testenv.Shared.
func sharedDir(t testing.TB) string {
	t.Helper()
	return testenv.Shared(t, false)
}

// readAny decodes a JSON or YAML file into encoding/json values (YAML goes
// through a JSON round trip so numbers, dates and maps look like JSON).
func readAny(t testing.TB, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml") {
		var y any
		if err := yaml.Unmarshal(b, &y); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if b, err = json.Marshal(y); err != nil {
			t.Fatalf("%s: to JSON: %v", path, err)
		}
	}
	doc, err := DecodeJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// upstreamSchema compiles an upstream Taskcluster YAML schema (draft-06)
// with the same validator. pick selects the part to compile (the native
// branch of the generic-worker schema).
func upstreamSchema(t testing.TB, path string, pick func(map[string]any) map[string]any) *jsonschema.Schema {
	t.Helper()
	doc, ok := readAny(t, path).(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object", path)
	}
	if pick != nil {
		doc = pick(doc)
	}
	doc["$schema"] = "http://json-schema.org/draft-06/schema#"
	delete(doc, "$id")
	c := jsonschema.NewCompiler()
	url := "https://upstream.invalid/" + filepath.Base(path) + ".json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func nativeGenericWorker(doc map[string]any) map[string]any {
	branches, _ := doc["oneOf"].([]any)
	native, _ := branches[0].(map[string]any)
	out := map[string]any{"definitions": doc["definitions"]}
	for k, v := range native {
		out[k] = v
	}
	return out
}

type corpusDoc struct {
	name string
	doc  any
}

// corpusDocs gathers the docker-worker and generic-worker payloads of the
// shared corpus.
func corpusDocs(t testing.TB, shared string) (dw, gw []corpusDoc) {
	real := filepath.Join(shared, "corpus", "real")
	glob := func(p string) []string {
		m, err := filepath.Glob(filepath.Join(real, p))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(m)
		return m
	}
	for _, f := range glob("payloads/*.json") {
		dw = append(dw, corpusDoc{"payloads/" + filepath.Base(f), readAny(t, f)})
	}
	addTask := func(name string, task any) {
		p, ok := task.(map[string]any)["payload"].(map[string]any)
		if !ok {
			return
		}
		if _, ok := p["image"]; ok {
			dw = append(dw, corpusDoc{name, p})
		}
	}
	for _, f := range append(glob("task-definitions/*.json"), glob("task-definitions/*.yml")...) {
		addTask("task-definitions/"+filepath.Base(f), readAny(t, f))
	}
	for _, f := range glob("rendered/*.json") {
		tasks, _ := readAny(t, f).(map[string]any)["tasks"].([]any)
		for i, task := range tasks {
			addTask(fmt.Sprintf("rendered/%s#%d", filepath.Base(f), i), task)
		}
	}
	for _, f := range glob("d2g-golden/*.yml") {
		suite, _ := readAny(t, f).(map[string]any)["testSuite"].(map[string]any)
		for _, group := range []string{"payloadTests", "taskDefTests"} {
			cases, _ := suite[group].([]any)
			for i, c := range cases {
				c, _ := c.(map[string]any)
				name := fmt.Sprintf("d2g-golden/%s/%s/%d", filepath.Base(f), group, i)
				if p, ok := c["dockerWorkerTaskPayload"]; ok {
					dw = append(dw, corpusDoc{name + "/in", p})
				}
				if p, ok := c["genericWorkerTaskPayload"]; ok {
					gw = append(gw, corpusDoc{name + "/out", p})
				}
				if td, ok := c["dockerWorkerTaskDefinition"].(map[string]any); ok {
					dw = append(dw, corpusDoc{name + "/in", td["payload"]})
				}
				if td, ok := c["genericWorkerTaskDefinition"].(map[string]any); ok {
					gw = append(gw, corpusDoc{name + "/out", td["payload"]})
				}
			}
		}
	}
	return dw, gw
}

// deepCopy copies encoding/json values.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

func sub(m map[string]any, key string) map[string]any {
	if s, ok := m[key].(map[string]any); ok {
		return s
	}
	s := map[string]any{}
	m[key] = s
	return s
}

// dwMutations break a valid docker-worker payload in one way each.
var dwMutations = map[string]func(p map[string]any){
	"no image":            func(p map[string]any) { delete(p, "image") },
	"no maxRunTime":       func(p map[string]any) { delete(p, "maxRunTime") },
	"dind":                func(p map[string]any) { sub(p, "features")["dind"] = true },
	"dockerSave":          func(p map[string]any) { p["dockerSave"] = true },
	"encryptedEnv":        func(p map[string]any) { p["encryptedEnv"] = []any{"x"} },
	"containerEngine":     func(p map[string]any) { sub(p, "capabilities")["containerEngine"] = "podman" },
	"env number":          func(p map[string]any) { sub(p, "env")["N"] = json.Number("1") },
	"maxRunTime string":   func(p map[string]any) { p["maxRunTime"] = "600" },
	"maxRunTime zero":     func(p map[string]any) { p["maxRunTime"] = json.Number("0") },
	"maxRunTime fraction": func(p map[string]any) { p["maxRunTime"] = json.Number("1.5") },
	"command string":      func(p map[string]any) { p["command"] = "ls" },
	"image number":        func(p map[string]any) { p["image"] = json.Number("1") },
	"image unknown type":  func(p map[string]any) { p["image"] = map[string]any{"type": "oci", "name": "x"} },
	"image missing name":  func(p map[string]any) { p["image"] = map[string]any{"type": "docker-image"} },
	"image extra key": func(p map[string]any) {
		p["image"] = map[string]any{"type": "task-image", "taskId": "t", "path": "p", "x": "y"}
	},
	"artifact bad type": func(p map[string]any) { sub(p, "artifacts")["a"] = map[string]any{"type": "dir", "path": "/a"} },
	"artifact bad expires": func(p map[string]any) {
		sub(p, "artifacts")["a"] = map[string]any{"type": "file", "path": "/a", "expires": "soon"}
	},
	"retry string":          func(p map[string]any) { sub(p, "onExitStatus")["retry"] = []any{"1"} },
	"feature string":        func(p map[string]any) { sub(p, "features")["chainOfTrust"] = "yes" },
	"device unknown":        func(p map[string]any) { sub(sub(p, "capabilities"), "devices")["gpu"] = true },
	"cache number":          func(p map[string]any) { sub(p, "cache")["c"] = json.Number("1") },
	"unknown top-level key": func(p map[string]any) { p["mounts"] = []any{} },
}

// gwMutations break a valid generic-worker payload in one way each.
var gwMutations = map[string]func(p map[string]any){
	"no command":      func(p map[string]any) { delete(p, "command") },
	"flat command":    func(p map[string]any) { p["command"] = []any{"bash", "-c", "x"} },
	"retry zero":      func(p map[string]any) { sub(p, "onExitStatus")["retry"] = []any{json.Number("0")} },
	"retry duplicate": func(p map[string]any) { sub(p, "onExitStatus")["retry"] = []any{json.Number("2"), json.Number("2")} },
	"purge negative":  func(p map[string]any) { sub(p, "onExitStatus")["purgeCaches"] = []any{json.Number("-1")} },
	"image":           func(p map[string]any) { p["image"] = "ubuntu" },
	"mount no format": func(p map[string]any) {
		p["mounts"] = []any{map[string]any{"directory": "d", "content": map[string]any{"raw": "x"}}}
	},
	"mount bad taskId": func(p map[string]any) {
		p["mounts"] = []any{map[string]any{"file": "f", "content": map[string]any{"taskId": "x", "artifact": "a"}}}
	},
	"volume artifact": func(p map[string]any) { p["artifacts"] = []any{map[string]any{"type": "volume", "path": "p"}} },
	"proxy interface": func(p map[string]any) { p["taskclusterProxyInterface"] = "eth0" },
	"feature unknown": func(p map[string]any) { sub(p, "features")["dind"] = true },
}

func checkParity(t *testing.T, upstream *jsonschema.Schema, ours func(any) []Problem, name string, doc any) bool {
	t.Helper()
	upErr := upstream.Validate(doc)
	got := ours(doc)
	if (upErr == nil) != (len(got) == 0) {
		t.Errorf("%s: upstream valid=%v, ours valid=%v\nupstream: %v\nours: %v", name, upErr == nil, len(got) == 0, upErr, got)
	}
	return len(got) == 0
}

func TestParityWithUpstream(t *testing.T) {
	shared := sharedDir(t)
	schemasDir := filepath.Join(shared, "corpus", "schemas")
	upDW := upstreamSchema(t, filepath.Join(schemasDir, "docker-worker-payload.v106.yml"), nil)
	upGW := upstreamSchema(t, filepath.Join(schemasDir, "generic-worker-multiuser_posix.v106.yml"), nativeGenericWorker)
	dw, gw := corpusDocs(t, shared)
	if len(dw) < 100 || len(gw) < 15 {
		t.Fatalf("corpus too small: %d docker-worker, %d generic-worker payloads", len(dw), len(gw))
	}
	var dwValid, gwValid, mutated int
	for _, d := range dw {
		if checkParity(t, upDW, ValidateDockerWorkerPayload, d.name, d.doc) {
			dwValid++
			for mname, m := range dwMutations {
				p := deepCopy(d.doc).(map[string]any)
				m(p)
				if checkParity(t, upDW, ValidateDockerWorkerPayload, d.name+" + "+mname, p) {
					t.Errorf("%s + %s: mutated payload still valid", d.name, mname)
				}
				mutated++
			}
		}
	}
	for _, d := range gw {
		if checkParity(t, upGW, ValidateGenericWorkerPayload, d.name, d.doc) {
			gwValid++
			for mname, m := range gwMutations {
				p := deepCopy(d.doc).(map[string]any)
				m(p)
				if checkParity(t, upGW, ValidateGenericWorkerPayload, d.name+" + "+mname, p) {
					t.Errorf("%s + %s: mutated payload still valid", d.name, mname)
				}
				mutated++
			}
		}
	}
	t.Logf("docker-worker: %d/%d valid; generic-worker: %d/%d valid; %d mutated documents agree", dwValid, len(dw), gwValid, len(gw), mutated)
}

// TestRecordedVerdicts checks our verdicts against the corpus' record of
// which payloads pass the upstream docker-worker schema.
func TestRecordedVerdicts(t *testing.T) {
	shared := sharedDir(t)
	real := filepath.Join(shared, "corpus", "real")
	var recorded map[string][]struct {
		Task   string   `json:"task"`
		Format string   `json:"format"`
		Errors []string `json:"errors"`
	}
	b, err := os.ReadFile(filepath.Join(real, "validation-vs-docker-worker-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	files := make([]string, 0, len(recorded))
	for f := range recorded {
		files = append(files, f)
	}
	sort.Strings(files)
	var checked, failing int
	for _, file := range files {
		var payloads []any
		for _, dir := range []string{"rendered", "payloads", "task-definitions"} {
			path := filepath.Join(real, dir, file)
			if _, err := os.Stat(path); err != nil {
				continue
			}
			switch doc := readAny(t, path).(map[string]any); dir {
			case "payloads":
				payloads = []any{doc}
			case "task-definitions":
				payloads = []any{doc["payload"]}
			default:
				tasks, _ := doc["tasks"].([]any)
				for _, task := range tasks {
					p, _ := task.(map[string]any)["payload"].(map[string]any)
					if _, ok := p["image"]; ok {
						payloads = append(payloads, p)
					}
				}
			}
		}
		var entries []int
		for i, e := range recorded[file] {
			if e.Format == "docker-worker" {
				entries = append(entries, i)
			}
		}
		if len(payloads) != len(entries) {
			t.Errorf("%s: %d docker-worker payloads, %d recorded verdicts", file, len(payloads), len(entries))
			continue
		}
		for j, i := range entries {
			e := recorded[file][i]
			got := ValidateDockerWorkerPayload(payloads[j])
			if (len(e.Errors) == 0) != (len(got) == 0) {
				t.Errorf("%s %q: recorded errors %q, ours %v", file, e.Task, e.Errors, got)
			}
			if len(e.Errors) > 0 {
				failing++
				if strings.Contains(strings.Join(e.Errors, " "), "'dind'") &&
					!bytes.Contains([]byte(fmt.Sprint(got)), []byte("/features/dind")) {
					t.Errorf("%s %q: want a /features/dind problem, got %v", file, e.Task, got)
				}
			}
			checked++
		}
	}
	if checked < 100 || failing != 1 {
		t.Errorf("checked %d recorded verdicts (%d failing); want >= 100 with exactly 1 failing", checked, failing)
	}
}

// TestTableCasesParity checks the hand-written table cases against the
// upstream schemas too: same verdict for every document.
func TestTableCasesParity(t *testing.T) {
	shared := sharedDir(t)
	schemasDir := filepath.Join(shared, "corpus", "schemas")
	upDW := upstreamSchema(t, filepath.Join(schemasDir, "docker-worker-payload.v106.yml"), nil)
	upGW := upstreamSchema(t, filepath.Join(schemasDir, "generic-worker-multiuser_posix.v106.yml"), nativeGenericWorker)
	for _, c := range dwCases {
		checkParity(t, upDW, ValidateDockerWorkerPayload, "docker-worker "+c.name, decode(t, c.doc))
	}
	for _, c := range gwCases {
		checkParity(t, upGW, ValidateGenericWorkerPayload, "generic-worker "+c.name, decode(t, c.doc))
	}
}
