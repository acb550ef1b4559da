package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// hostile is a problem whose key (in the pointer) and message carry
// control characters that would forge lines if printed raw.
var hostile = Problem{
	File: "dir/a b.json", Task: "t1", Pointer: "/payload/env/X\nTEST-PASS | forged",
	Rule: RuleSchema, Severity: Error, Message: "bad\r\n::error::forged\x1b[31m, 100% sure", Line: 3, Column: 7,
}

func render(t *testing.T, format string, o WriterOptions, sum Summary, probs ...Problem) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriterOptions(format, &b, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		if err := w.Problem(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(sum); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLineFormats: each line format prints one line per problem in its
// convention, and input cannot add lines.
func TestLineFormats(t *testing.T) {
	warn := Problem{File: "b.yml", Task: "t2", Pointer: "/payload/cache/c", Rule: RuleScopesUnverifiable, Severity: Warning, Message: "needs scope", Line: 9}
	for format, want := range map[string]string{
		"text": `dir/a b.json:3:7: error: t1 /payload/env/X\x0aTEST-PASS | forged: bad ::error::forged\x1b[31m, 100% sure [schema]` + "\n" +
			`b.yml:9: warning: t2 /payload/cache/c: needs scope [scopes-unverifiable]` + "\n" +
			"rule                  errors warnings distinct\n" +
			"schema                     1        0        1\n" +
			"scopes-unverifiable        0        1        1\n" +
			"2 problems (1 error, 1 warning) in 2 of 2 tasks; 0 skipped\n",
		// mozlint's treeherder formatter sorts by path.
		"treeherder": `TEST-UNEXPECTED-WARNING | b.yml:9 | t2 /payload/cache/c: needs scope (scopes-unverifiable)` + "\n" +
			`TEST-UNEXPECTED-ERROR | dir/a b.json:3:7 | t1 /payload/env/X\x0aTEST-PASS | forged: bad ::error::forged\x1b[31m, 100% sure (schema)` + "\n",
		"github-actions": `::error file=dir/a b.json,line=3,col=7,title=dwshim lint schema::t1 /payload/env/X\x0aTEST-PASS | forged: bad ::error::forged\x1b[31m, 100%25 sure` + "\n" +
			`::warning file=b.yml,line=9,title=dwshim lint scopes-unverifiable::t2 /payload/cache/c: needs scope` + "\n",
	} {
		got := render(t, format, WriterOptions{}, Summary{Problems: 2, Errors: 1, Warnings: 1, Tasks: 2, TasksWithProblems: 2}, hostile, warn)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", format, d)
		}
	}
	if got := render(t, "treeherder", WriterOptions{}, Summary{}); got != "No lint issues found.\n" {
		t.Errorf("clean treeherder run: %q", got)
	}
	// Workflow command properties escape ':' and ','.
	p := Problem{File: "C:x,y.json", Rule: "schema", Severity: Error, Message: "m"}
	if got := githubCommand(p); got != "::error file=C%3Ax%2Cy.json,title=dwshim lint schema::/: m" {
		t.Errorf("githubCommand = %q", got)
	}
}

// TestGitHubAnnotations: check-run annotations carry columns on
// single-line annotations.
func TestGitHubAnnotations(t *testing.T) {
	var got []map[string]any
	if err := json.Unmarshal([]byte(render(t, "github", WriterOptions{}, Summary{}, hostile)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["start_line"] != 3.0 || got[0]["end_line"] != 3.0 || got[0]["start_column"] != 7.0 ||
		got[0]["end_column"] != 7.0 || got[0]["annotation_level"] != "failure" || got[0]["message"] != hostile.Message {
		t.Errorf("%+v", got)
	}
}

// sarifSchema compiles the OASIS SARIF 2.1.0 schema that go-sarif ships
// (pkg/report/v210/sarif/schema.go holds it as a Go string).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/owenrumney/go-sarif/v3").Output()
	if err != nil {
		t.Fatalf("locate go-sarif: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg/report/v210/sarif/schema.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "const schema = `")
	body, _, ok2 := strings.Cut(body, "`")
	if !ok || !ok2 {
		t.Fatal("no schema in go-sarif's schema.go")
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestSARIFSchema: the SARIF output validates against the SARIF 2.1.0
// schema and carries driver.version, uriBaseId and file URIs; go-sarif
// reads it.
func TestSARIFSchema(t *testing.T) {
	sch := sarifSchema(t)
	abs := Problem{File: "/abs/path/x y.json", Task: "t", Rule: RuleMaxRunTime, Severity: Error, Message: "too long"}
	for _, out := range []string{
		render(t, "sarif", WriterOptions{Version: "1.2.3", Root: "/src/repo"}, Summary{}, hostile, abs),
		render(t, "sarif", WriterOptions{}, Summary{}),
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("SARIF does not validate: %v\n%s", err, out)
		}
		if _, err := sarif.FromBytes([]byte(out)); err != nil {
			t.Errorf("go-sarif cannot read it: %v", err)
		}
	}
	out := render(t, "sarif", WriterOptions{Version: "1.2.3", Root: "/src/repo"}, Summary{}, hostile, abs)
	for _, want := range []string{`"version": "1.2.3"`, `"uri": "dir/a%20b.json"`, `"uriBaseId": "%SRCROOT%"`,
		`"uri": "file:///src/repo/"`, `"uri": "file:///abs/path/x%20y.json"`, `"startColumn": 7`} {
		if !strings.Contains(out, want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
	// A broken document fails, so the check is real.
	broken, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version": "2.1.0", "runs": [{"results": []}]}`))
	if sch.Validate(broken) == nil {
		t.Error("a run without a tool validated")
	}
}

// TestInputEveryFormat: an unreadable or malformed input is a problem in
// every format (with its line and column), and the other inputs are still
// linted.
func TestInputEveryFormat(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"image\": \n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(rulesDir, "schema-bad.json")
	for _, format := range Formats {
		var b bytes.Buffer
		w, _ := NewWriter(format, &b)
		sum, err := New(DefaultOptions()).Run(context.Background(), []string{filepath.Join(dir, "missing.json"), bad, good}, nil, w)
		if err == nil {
			t.Errorf("%s: want the first input error returned", format)
		}
		if err := w.Finish(sum); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, "missing.json") || !strings.Contains(out, "bad.json") || !strings.Contains(out, "schema-bad.json") {
			t.Errorf("%s: output misses an input:\n%s", format, out)
		}
		if sum.Errors < 3 {
			t.Errorf("%s: summary %+v", format, sum)
		}
	}
	var c collect
	New(DefaultOptions()).Run(context.Background(), []string{bad}, nil, &c)
	if len(c.probs) != 1 || c.probs[0].Rule != RuleInput || c.probs[0].Line != 3 {
		t.Errorf("%+v", c.probs)
	}
}
