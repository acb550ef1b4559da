package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dwshim/dwshim/convert"
	"github.com/dwshim/dwshim/schemas/validator"
	"github.com/dwshim/dwshim/translate"
)

// convertCLI runs dwshim with args and stdin; it returns the exit code,
// stdout and stderr.
func convertCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := executeIO(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const helloPayload = `{"image": "ubuntu:24.04", "command": ["sh", "-c", "echo hi && exit 0"], "maxRunTime": 600,
 "env": {"A": "1", "MULTI": "x\ny"}, "cache": {"c": "/c"},
 "artifacts": {"public/x": {"type": "file", "path": "/x.txt"}}}`

func TestConvertPayloadD2GMatchesTranslate(t *testing.T) {
	code, out, errs := convertCLI(t, helloPayload, "convert")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	p, err := translate.DecodePayload([]byte(helloPayload))
	if err != nil {
		t.Fatal(err)
	}
	cfg := translate.OfflineConfig()
	cfg.ContainerName = func() string { return "taskcontainer_" + convert.StableSlug([]byte(helloPayload)) }
	res, err := translate.TranslatePayload(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(res.Payload, "", "  ")
	if out != string(want)+"\n" {
		t.Errorf("d2g output differs from translate's encoding:\n got %s\nwant %s", out, want)
	}
	// Deterministic: same input, same bytes.
	if _, again, _ := convertCLI(t, helloPayload, "convert"); again != out {
		t.Error("two conversions of the same payload differ")
	}
}

func TestConvertNativeIsValidGenericWorker(t *testing.T) {
	code, out, errs := convertCLI(t, helloPayload, "convert", "--target", "native")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if probs := validator.ValidateGenericWorkerPayload(doc); len(probs) > 0 {
		t.Errorf("native payload fails the generic-worker schema: %v", probs)
	}
	for _, bad := range []string{"__TASK_DIR__", "__D2G_IMAGE_ID__", "env.list"} {
		if strings.Contains(out, bad) {
			t.Errorf("native output contains %q", bad)
		}
	}
	if !strings.Contains(out, `"MULTI": "x\ny"`) || !strings.Contains(out, `"--env=MULTI"`) {
		t.Errorf("multi-line env should be in payload env and passed by name:\n%s", out)
	}
}

func TestConvertTaskDefinitionYAML(t *testing.T) {
	in := "taskQueueId: proj/docker\nscopes: [assume:project:x, docker-worker:cache:c]\nmetadata: {name: t}\npayload:\n  image: ubuntu\n  maxRunTime: 60\n  cache: {c: /c}\n  command: [\"true\"]\n"
	f := writeFile(t, "task.yml", in)
	code, out, errs := convertCLI(t, "", "convert", "-t", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "warning: /scopes: assume: scopes cannot be expanded offline") {
		t.Errorf("no assume: warning on stderr:\n%s", errs)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	scopes, _ := doc["scopes"].([]any)
	if doc["taskQueueId"] != "proj/docker" || len(scopes) < 3 {
		t.Errorf("task definition keys lost or scopes not converted: %v", doc)
	}
	// -o json turns it into JSON.
	code, out, _ = convertCLI(t, "", "convert", "-t", "-o", "json", f)
	if code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("-o json: exit %d, %s", code, out)
	}
}

func TestConvertGraphStreamsAndReportsEveryProblem(t *testing.T) {
	in := `{
  "build": {"kind": "build", "label": "build", "dependencies": {"img": "docker-image"}, "task": {"payload": {"image": "ubuntu", "maxRunTime": 5}}},
  "bad-1": {"kind": "test", "task": {"payload": {"image": "--privileged", "maxRunTime": 5}}},
  "windows": {"kind": "test", "task": {"payload": {"command": ["dir"], "maxRunTime": 5, "mounts": []}}},
  "bad-2": {"kind": "test", "task": {"payload": {"image": "ubuntu", "maxRunTime": 5, "features": {"dind": true}}}}
}`
	for _, target := range []string{"d2g", "native"} {
		code, out, errs := convertCLI(t, in, "convert", "--graph", "--target", target)
		if code != 1 {
			t.Fatalf("%s: exit %d, want 1", target, code)
		}
		for _, want := range []string{"bad-1: /payload/image: invalid image name \"--privileged\"", "bad-2: /payload/features/dind: ", "warning: windows: not a docker-worker payload"} {
			if !strings.Contains(errs, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", target, want, errs)
			}
		}
		var graph map[string]map[string]any
		if err := json.Unmarshal([]byte(out), &graph); err != nil {
			t.Fatalf("%s: output is not a graph: %v\n%s", target, err, out)
		}
		if len(graph) != 2 || graph["build"]["kind"] != "build" || graph["build"]["dependencies"] == nil || graph["windows"] == nil {
			t.Errorf("%s: graph = %v", target, graph)
		}
		pl := graph["build"]["task"].(map[string]any)["payload"].(map[string]any)
		if pl["osGroups"] == nil {
			t.Errorf("%s: build task not converted: %v", target, pl)
		}
	}
}

func TestConvertStreamsAndFormats(t *testing.T) {
	lines := "{\"image\": \"a\", \"maxRunTime\": 1}\n{\"image\": \"b\", \"maxRunTime\": 1}\n"
	code, out, errs := convertCLI(t, lines, "convert")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.HasPrefix(out, `{"command":`) {
		t.Errorf("JSON lines: exit %d, %q, %s", code, out, errs)
	}
	code, out, _ = convertCLI(t, lines, "convert", "-o", "yaml")
	if code != 0 || strings.Count(out, "\n---\n") != 1 {
		t.Errorf("YAML documents: exit %d\n%s", code, out)
	}
	code, out, _ = convertCLI(t, `[{"image": "a", "maxRunTime": 1}]`, "convert")
	if code != 0 || !strings.HasPrefix(out, "[\n  {") {
		t.Errorf("array: exit %d\n%s", code, out)
	}
}

func TestConvertConfig(t *testing.T) {
	cfg := writeFile(t, "gw.json", `{"rootURL": "x", "unknownKey": 1, "d2gConfig": {"enableD2G": true, "allowPrivileged": false}}`)
	priv := `{"image": "a", "maxRunTime": 1, "capabilities": {"privileged": true}}`
	// A capability the pool refuses fails the conversion, as it fails the
	// task in run and local (one verdict), naming field and config key.
	code, out, errs := convertCLI(t, priv, "convert", "--config", cfg)
	if code != 1 || strings.Contains(out, "--privileged") || !strings.Contains(errs, "/capabilities/privileged: capabilities.privileged is refused") ||
		!strings.Contains(errs, "d2gConfig.allowPrivileged") {
		t.Errorf("allowPrivileged false: exit %d, %s\n%s", code, errs, out)
	}
	code, out, _ = convertCLI(t, priv, "convert")
	if code != 0 || !strings.Contains(out, "--privileged") {
		t.Errorf("default config should allow privileged: %s", out)
	}
	off := writeFile(t, "off.json", `{"d2gConfig": {}}`)
	if _, _, errs := convertCLI(t, priv, "convert", "--config", off); !strings.Contains(errs, "enableD2G is false") {
		t.Errorf("no enableD2G warning: %s", errs)
	}
	if !strings.Contains(errs, "ignoring keys dwshim does not read: unknownKey") {
		t.Errorf("no warning for the unknown key: %s", errs)
	}
	typo := writeFile(t, "typo.json", `{"d2gConfig": {"enableD2G": true, "allowPrivilged": false}}`)
	if code, _, errs := convertCLI(t, priv, "convert", "--config", typo); code != 1 || !strings.Contains(errs, `key "d2gConfig.allowPrivilged": not a d2gConfig key`) {
		t.Errorf("misspelt d2gConfig key: exit %d %s", code, errs)
	}
	if code, _, errs := convertCLI(t, priv, "convert", "--config", filepath.Join(t.TempDir(), "missing.json")); code != 1 || errs == "" {
		t.Errorf("missing config: exit %d %s", code, errs)
	}
}

func TestConvertErrorsAndExitCodes(t *testing.T) {
	payload := `{"image": "a", "maxRunTime": 1}`
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string
	}{
		{"bad target", payload, []string{"convert", "--target", "x"}, 2, "--target must be d2g or native"},
		{"bad output", payload, []string{"convert", "-o", "xml"}, 2, "-o must be json or yaml"},
		{"two files", payload, []string{"convert", "a", "b"}, 2, "accepts at most 1 arg"},
		{"graph flag on a payload", payload, []string{"convert", "--graph"}, 2, "is a document, not a task graph"},
		{"-t on a payload", payload, []string{"convert", "-t"}, 2, "is a bare payload, not a task definition"},
		{"unknown flag", payload, []string{"convert", "--nope"}, 2, "unknown flag"},
		{"syntax", "{\n  \"image\": \"a\",\n}", []string{"convert"}, 1, "-:2:15: invalid character ',' at start of value"},
		{"bad image", `{"image": "--privileged", "maxRunTime": 1}`, []string{"convert"}, 1, "/image: invalid image name \"--privileged\""},
		{"schema", `{"image": "a", "maxRunTime": 1, "env": {"A": 1}}`, []string{"convert"}, 1, "/env/A: "},
		{"task problem pointer", `{"payload": {"image": "a", "maxRunTime": 0}}`, []string{"convert", "-t"}, 1, "/payload/maxRunTime: "},
		{"not a task", `{"foo": 1}`, []string{"convert"}, 1, "not a docker-worker payload"},
		{"output rejected (d2g)", `{"image": "a", "maxRunTime": 1, "onExitStatus": {"retry": [0]}}`, []string{"convert"}, 1,
			"/onExitStatus/retry/0: generic-worker would reject the converted payload"},
		{"image taskId not a slugid (native)", `{"payload": {"image": {"type": "task-image", "taskId": "not-a-slug", "path": "public/i.tar"}, "maxRunTime": 1}}`, []string{"convert", "--target", "native"}, 1,
			`/payload/image/taskId: the image taskId "not-a-slug" is not a slugid`},
		{"missing file", "", []string{"convert", "/nonexistent/task.json"}, 1, "open task file"},
		{"native generic-worker payload", `{"command": [["ls"]], "maxRunTime": 1}`, []string{"convert"}, 0, "warning: not a docker-worker payload (no \"image\"): left unchanged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := convertCLI(t, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.code, errs, tc.stderr)
			}
		})
	}
}

// TestConvertGroupsRepeatedWarnings: a warning many tasks share is printed
// once, with a count and an example at the end; -v prints each, -q none.
func TestConvertGroupsRepeatedWarnings(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 5 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"t%d": {"task": {"payload": {"image": "ubuntu", "maxRunTime": 5}}}`, i)
	}
	b.WriteString("}")
	count := func(s, sub string) int { return strings.Count(s, sub) }
	_, _, errs := convertCLI(t, b.String(), "convert", "--graph")
	if count(errs, "no scopes key") != 2 || !strings.Contains(errs, "warning: 5 tasks (e.g. t0): /scopes: ") ||
		!strings.Contains(errs, "summary: 5 tasks, 5 converted, 0 with problems; 5 warnings, 0 problems (1 distinct)") {
		t.Errorf("default:\n%s", errs)
	}
	if _, _, errs := convertCLI(t, b.String(), "convert", "--graph", "-v"); count(errs, "no scopes key") != 5 {
		t.Errorf("-v:\n%s", errs)
	}
	if _, _, errs := convertCLI(t, b.String(), "convert", "--graph", "-q"); count(errs, "no scopes key") != 0 || !strings.Contains(errs, "summary: ") {
		t.Errorf("-q:\n%s", errs)
	}
}

// TestConvertTruncatedGraphIsNotADocument: a graph cut short converts what
// it can, exits 1, and its output does not parse as JSON.
func TestConvertTruncatedGraphIsNotADocument(t *testing.T) {
	in := `{"a": {"task": {"payload": {"image": "ubuntu", "maxRunTime": 5}}}, "b": {"task": {"payload": {"ima`
	code, out, errs := convertCLI(t, in, "convert", "--graph")
	if code != 1 || !strings.Contains(errs, "unexpected end of input") {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	if !strings.Contains(out, `"a"`) || json.Valid([]byte(out)) {
		t.Errorf("partial output should hold task a and not be valid JSON:\n%s", out)
	}
}

// TestConvertKeepsTaskgraphReferences: a full (unresolved) task graph's
// task-reference objects survive conversion where taskgraph resolves
// them, and lint accepts the same graph.
func TestConvertKeepsTaskgraphReferences(t *testing.T) {
	f := filepath.Join("..", "..", "testdata", "convert", "refs-graph.json")
	code, out, errs := convertCLI(t, "", "convert", "--graph", f)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	var graph map[string]struct {
		Task struct {
			Dependencies []any `json:"dependencies"`
			Payload      struct {
				Command [][]any `json:"command"`
				Mounts  []struct {
					Content map[string]any `json:"content"`
				} `json:"mounts"`
			} `json:"payload"`
		} `json:"task"`
	}
	if err := json.Unmarshal([]byte(out), &graph); err != nil {
		t.Fatal(err)
	}
	ref := map[string]any{"task-reference": "<docker-image>"}
	b := graph["build"].Task
	if len(b.Payload.Mounts) != 1 || !reflect.DeepEqual(b.Payload.Mounts[0].Content["taskId"], ref) ||
		!reflect.DeepEqual(b.Dependencies, []any{ref}) {
		t.Errorf("references lost: %+v", b)
	}
	if cmd := b.Payload.Command[0]; !reflect.DeepEqual(cmd[len(cmd)-1], map[string]any{"task-reference": "<decision>"}) {
		t.Errorf("command reference lost: %v", cmd)
	}
	if code, out, errs := convertCLI(t, "", "lint", f); code != 0 {
		t.Errorf("lint: exit %d\n%s%s", code, out, errs)
	}
}
