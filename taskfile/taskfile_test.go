package taskfile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// summary is what the tests compare for each item.
type summary struct {
	Name, Key, Label, TaskID string
	Kind                     Kind
	Format                   PayloadFormat
	Pointer                  string
	Line, Column             int
}

func readAll(t *testing.T, name, in string) (*Reader, []summary, []*Item) {
	t.Helper()
	r, err := Open(name, strings.NewReader(in))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var got []summary
	var items []*Item
	for {
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !json.Valid(it.Raw) {
			t.Errorf("item %s: Raw is not JSON: %s", it.Name(), it.Raw)
		}
		items = append(items, it)
		got = append(got, summary{it.Name(), it.Key, it.Label, it.TaskID, it.Kind, it.Format, it.Pointer, it.Line, it.Column})
	}
	return r, got, items
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name, file, in string
		format         Format
		shape          Shape
		want           []summary
	}{
		{
			name: "bare payload", file: "p.json",
			in:     "\n  {\"image\": \"ubuntu\", \"maxRunTime\": 1}\n",
			format: JSON, shape: ShapeDocument,
			want: []summary{{Name: "#0", Kind: Payload, Format: DockerWorker, Line: 2, Column: 3}},
		},
		{
			name: "task definition yaml", file: "t.yml",
			in:     "taskId: abc\nmetadata:\n  name: hello\npayload:\n  image: ubuntu\n",
			format: YAML, shape: ShapeDocument,
			want: []summary{{Name: "abc", TaskID: "abc", Kind: TaskDefinition, Format: DockerWorker, Pointer: "/payload", Line: 1, Column: 1}},
		},
		{
			name: "json lines sniffed", file: "-",
			in:     "{\"payload\":{\"image\":\"a\"},\"metadata\":{\"name\":\"one\"}}\n{\"payload\":{\"command\":[[\"x\"]]}}\n{\"image\":\"b\"}\n",
			format: JSONLines, shape: ShapeStream,
			want: []summary{
				{Name: "one", Kind: TaskDefinition, Format: DockerWorker, Pointer: "/payload", Line: 1, Column: 1},
				{Name: "#1", Kind: TaskDefinition, Format: GenericWorker, Pointer: "/payload", Line: 2, Column: 1},
				{Name: "#2", Kind: Payload, Format: DockerWorker, Line: 3, Column: 1},
			},
		},
		{
			name: "graph by label", file: "graph.json",
			in: `{
  "build-linux": {"kind": "build", "label": "build-linux", "task": {"payload": {"image": "x"}}},
  "lint": {"task": {"payload": {"command": [["true"]], "maxRunTime": 1}}},
  "odd": {"task": 5}
}`,
			format: JSON, shape: ShapeGraph,
			want: []summary{
				{Name: "build-linux", Key: "build-linux", Label: "build-linux", Kind: TaskDefinition, Format: DockerWorker, Pointer: "/payload", Line: 2, Column: 68},
				{Name: "lint", Key: "lint", Label: "lint", Kind: TaskDefinition, Format: GenericWorker, Pointer: "/payload", Line: 3, Column: 20},
				{Name: "odd", Key: "odd", Label: "odd", Kind: TaskDefinition, Format: Unknown, Line: 4, Column: 10},
			},
		},
		{
			name: "graph by taskId", file: "task-graph.json",
			in:     `{"aB3xY9zQRkGm1nP2oQ3rSt": {"label": "test-1", "task_id": "aB3xY9zQRkGm1nP2oQ3rSt", "task": {"payload": {"image": "x"}}}}`,
			format: JSON, shape: ShapeGraph,
			want: []summary{{Name: "test-1", Key: "aB3xY9zQRkGm1nP2oQ3rSt", Label: "test-1", TaskID: "aB3xY9zQRkGm1nP2oQ3rSt", Kind: TaskDefinition, Format: DockerWorker, Pointer: "/payload", Line: 1, Column: 93}},
		},
		{
			name: "empty graph", file: "g.json", in: " {}\n",
			format: JSON, shape: ShapeGraph,
		},
		{
			name: "rendered tasks", file: "rendered.json",
			in:     "{\"rendered_with\": {},\n \"tasks\": [\n  {\"taskId\": \"T1\", \"payload\": {\"image\": \"a\"}},\n  {\"metadata\": {\"name\": \"win\"}, \"payload\": {\"command\": [\"dir\"], \"mounts\": []}}]}",
			format: JSON, shape: ShapeTasks,
			want: []summary{
				{Name: "T1", TaskID: "T1", Kind: TaskDefinition, Format: DockerWorker, Pointer: "/payload", Line: 3, Column: 3},
				{Name: "win", Kind: TaskDefinition, Format: GenericWorker, Pointer: "/payload", Line: 4, Column: 3},
			},
		},
		{
			name: "array", file: "a.json",
			in:     `[{"image": "a"}, {"maxRunTime": 3, "osGroups": []}, {"foo": 1}]`,
			format: JSON, shape: ShapeArray,
			want: []summary{
				{Name: "#0", Kind: Payload, Format: DockerWorker, Line: 1, Column: 2},
				{Name: "#1", Kind: Payload, Format: GenericWorker, Line: 1, Column: 18},
				{Name: "#2", Kind: Payload, Format: Unknown, Line: 1, Column: 53},
			},
		},
		{
			name: "yaml graph and documents", file: "g.yaml",
			in:     "a:\n  task:\n    payload: {image: x}\n---\nimage: y\n",
			format: YAML, shape: ShapeStream,
			want: []summary{
				{Name: "a", Key: "a", Label: "a", Kind: TaskDefinition, Format: DockerWorker, Pointer: "/payload", Line: 3, Column: 5},
				{Name: "#1", Kind: Payload, Format: DockerWorker, Line: 5, Column: 1},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, got, _ := readAll(t, tc.file, tc.in)
			if r.Format() != tc.format || r.Shape() != tc.shape {
				t.Errorf("format, shape = %s, %s; want %s, %s", r.Format(), r.Shape(), tc.format, tc.shape)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("items (-want +got):\n%s", d)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	for _, tc := range []struct{ file, in string }{
		{"t.json", "{\n  \"payload\": {\n    \"env\": {\"A\": \"1\"},\n    \"image\": \"--privileged\"\n  }\n}\n"},
		{"t.yml", "payload:\n  env: {A: '1'}\n  image: --privileged\n"},
	} {
		_, _, items := readAll(t, tc.file, tc.in)
		line, col, ok := items[0].Locate("/payload/image")
		wantLine := map[string]int{"t.json": 4, "t.yml": 3}[tc.file]
		wantCol := map[string]int{"t.json": 14, "t.yml": 10}[tc.file]
		if line != wantLine || col != wantCol || !ok {
			t.Errorf("%s: Locate(/payload/image) = %d:%d %v; want %d:%d true", tc.file, line, col, ok, wantLine, wantCol)
		}
		if _, _, ok := items[0].Locate("/payload/env/MISSING"); ok {
			t.Errorf("%s: Locate of a missing key reported ok", tc.file)
		}
	}
}

func TestEnvelopeAndEntry(t *testing.T) {
	r, _, items := readAll(t, "r.json", `{"x": 1, "tasks": [{"payload": {"image": "a"}}]}`)
	if string(r.Envelope()) != `{"x": 1, "tasks": [{"payload": {"image": "a"}}]}` {
		t.Errorf("Envelope = %s", r.Envelope())
	}
	if string(items[0].Raw) != `{"payload": {"image": "a"}}` {
		t.Errorf("Raw = %s", items[0].Raw)
	}
	_, _, items = readAll(t, "g.json", `{"l": {"kind": "k", "task": {"payload": {"image": "a"}}}}`)
	if string(items[0].Entry) != `{"kind": "k", "task": {"payload": {"image": "a"}}}` || string(items[0].Raw) != `{"payload": {"image": "a"}}` {
		t.Errorf("Entry = %s, Raw = %s", items[0].Entry, items[0].Raw)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct{ file, in, want string }{
		{"graph.json", "{\n \"a\": {\"task\": {}},\n \"b\": {\"task\": {}},\n}", "graph.json:3:19: invalid character ',' at start of value"},
		{"graph.json", "{\"a\": {\"task\": {}},\n \"b\": {\"task\": {\"x\": [1,,2]}}}", "graph.json:2:25: invalid character ',' at start of value"},
		{"graph.json", "{\"a\": {\"task\": {}},\n \"b\": {\"task\": {", "graph.json:2:17: unexpected end of input"},
		{"p.json", "{\"image\": \"ubuntu\",\n \"maxRunTime\": 10,", "p.json:2:19: unexpected end of input"},
		{"graph.json", "{\"a\": {\"task\": {}},", "graph.json:1:20: unexpected end of input"},
		{"l.jsonl", "{\"image\": \"a\"}\n{\"image\":", "l.jsonl:2:10: unexpected end of input"},
		{"graph.json", "{\"a\": {\"task\": {}}} x", "graph.json:1:21: unexpected data after the end of the top-level value"},
		{"p.json", "{\"image\": \"a\",\n  \"env\": {\"A\" \"b\"}}", "p.json:2:15: invalid character '\"' after object name (expecting ':')"},
		{"p.json", "  ", "p.json: empty input"},
		{"p.json", "42", "p.json:1:1: expected a JSON object (payload, task definition or task graph) or an array of them"},
		{"l.jsonl", "{\"image\": \"a\"}\n{\"image\": \"b\"}\n{\"image\" 1}\n", "l.jsonl:3:10: invalid character '1' after object name (expecting ':')"},
		{"a.json", "[{\"image\": \"a\"} {}]", "a.json:1:17: invalid character '{' after array element (expecting ',' or ']')"},
		{"t.yml", "payload:\n  image: a\n   bad: [\n", "t.yml:3: mapping values are not allowed in this context"},
		{"t.yml", "a: &x 1\nb: *y\n", "t.yml: unknown anchor 'y' referenced"},
		{"t.yml", "a: .inf\n", "t.yml:1:4: number \".inf\" cannot be written as JSON"},
	}
	for _, tc := range tests {
		r, err := Open(tc.file, strings.NewReader(tc.in))
		for err == nil {
			_, err = r.Next()
		}
		var se *SyntaxError
		if !errors.As(err, &se) || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}

func TestGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprint(zw, "{\"image\":\"a\"}\n{\"image\":\"b\"}\n")
	zw.Close()
	r, err := Open("tasks.jsonl.gz", &buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n != 2 || r.Format() != JSONLines {
		t.Errorf("got %d items, format %s", n, r.Format())
	}
}

func TestWalkAndOpenFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.yml", "a.json", "sub/c.jsonl", "notes.txt", ".git/x.json", "d.YAML", ".taskcluster.yml", ".hidden.json"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"image": "a"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(dir, f)
		rel = append(rel, r)
		rd, err := OpenFile(f, nil)
		if err != nil {
			t.Fatalf("OpenFile(%s): %v", f, err)
		}
		if it, err := rd.Next(); err != nil || it.Format != DockerWorker {
			t.Errorf("%s: %v %+v", f, err, it)
		}
		rd.Close()
	}
	if d := cmp.Diff([]string{".taskcluster.yml", "a.json", "b.yml", "d.YAML", "sub/c.jsonl"}, rel); d != "" {
		t.Errorf("Walk (-want +got):\n%s", d)
	}
	if _, err := OpenFile(filepath.Join(dir, "missing.json"), nil); err == nil {
		t.Error("OpenFile of a missing file succeeded")
	}
}

func TestReplaceMemberAndYAML(t *testing.T) {
	got, err := ReplaceMember(json.RawMessage(`{"kind": "k", "task": {"a": 1}, "z": [1, 2]}`), "task", json.RawMessage(`{"b": 2}`))
	if err != nil || string(got) != `{"kind":"k","task":{"b":2},"z":[1,2]}` {
		t.Errorf("ReplaceMember = %s, %v", got, err)
	}
	got, _ = ReplaceMember(json.RawMessage(`{}`), "task", json.RawMessage(`1`))
	if string(got) != `{"task":1}` {
		t.Errorf("ReplaceMember append = %s", got)
	}
	if _, err := ReplaceMember(json.RawMessage(`[]`), "x", json.RawMessage(`1`)); err == nil {
		t.Error("ReplaceMember on an array succeeded")
	}
	n, err := YAMLNode([]byte(`{"z": "multi\nline\n", "a": [1, 2.5, true, null, "yes", "1"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		t.Fatal(err)
	}
	want := "z: |\n  multi\n  line\na:\n  - 1\n  - 2.5\n  - true\n  - null\n  - \"yes\"\n  - \"1\"\n"
	if buf.String() != want {
		t.Errorf("YAML:\n%s\nwant:\n%s", buf.String(), want)
	}
	// And back: the YAML reads as the same JSON.
	_, _, items := readAll(t, "x.yml", buf.String())
	if string(items[0].Raw) != `{"z":"multi\nline\n","a":[1,2.5,true,null,"yes","1"]}` {
		t.Errorf("round trip = %s", items[0].Raw)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestBoundedInput: hostile input ends quickly with an error, never with
// memory growing past the per-task limit: endless NUL bytes, one value
// larger than MaxTaskSize, gzip or not.
func TestBoundedInput(t *testing.T) {
	if _, err := Open("zero", zeros{}); err == nil || !strings.Contains(err.Error(), "invalid character") {
		t.Errorf("endless NUL bytes: got %v", err)
	}
	big := io.MultiReader(strings.NewReader(`{"payload":{"image":"`), io.LimitReader(strings.NewReader(strings.Repeat("a", MaxTaskSize+1<<20)), MaxTaskSize+1<<20), strings.NewReader(`"}}`))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.Copy(zw, big); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	for name, in := range map[string][]byte{"big.json.gz": buf.Bytes()} {
		r, err := Open(name, bytes.NewReader(in))
		if err == nil {
			_, err = r.Next()
		}
		if err == nil || !strings.Contains(err.Error(), "a single task is limited to") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if _, err := Open("big.yml", io.LimitReader(zeros{}, MaxTaskSize+10)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big YAML: got %v", err)
	}
}
