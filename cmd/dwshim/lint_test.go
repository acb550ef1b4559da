package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dwshim/dwshim/internal/buildinfo"
	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/lint"
	"github.com/dwshim/dwshim/worker"
)

var updateLint = flag.Bool("update-lint", false, "rewrite testdata/lint/golden files")

const lintData = "../../testdata/lint"

func runLintCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = executeIO(append([]string{"lint"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestLintFormatsGolden lints the rule cases directory in every format and
// compares with testdata/lint/golden/rules.<format> (-update-lint rewrites).
func TestLintFormatsGolden(t *testing.T) {
	for _, format := range lint.Formats {
		t.Run(format, func(t *testing.T) {
			code, out, errs := runLintCLI(t, "", "--format", format, filepath.Join(lintData, "rules"))
			// SARIF names the working directory and the version: make them
			// stable.
			if wd, err := os.Getwd(); err == nil {
				out = strings.ReplaceAll(out, (&url.URL{Scheme: "file", Path: wd + "/"}).String(), "file:///SRCROOT/")
			}
			out = strings.ReplaceAll(out, `"version": "`+buildinfo.Version()+`"`, `"version": "VERSION"`)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", code, errs)
			}
			if format != "text" && format != "treeherder" && format != "github-actions" && !json.Valid([]byte(out)) {
				t.Fatalf("invalid JSON output:\n%s", out)
			}
			golden := filepath.Join(lintData, "golden", "rules."+format)
			if *updateLint {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-lint)", err)
			}
			if d := cmp.Diff(string(want), out); d != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, d)
			}
		})
	}
}

func TestLintExitCodes(t *testing.T) {
	rules := filepath.Join(lintData, "rules")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"clean", []string{filepath.Join(rules, "schema-good.json")}, 0},
		{"error", []string{filepath.Join(rules, "schema-bad.json")}, 1},
		{"warning", []string{filepath.Join(rules, "scopes-unverifiable-bad.json")}, 0},
		{"warning strict", []string{"--strict", filepath.Join(rules, "scopes-unverifiable-bad.json")}, 1},
		{"config", []string{"--config", filepath.Join(lintData, "pool-config.json"), filepath.Join(rules, "config-disallowed-bad.json")}, 1},
		{"config max run time", []string{"--config", filepath.Join(lintData, "pool-config.json"), filepath.Join(rules, "max-run-time-good.json")}, 1},
		{"no args", nil, 2},
		{"bad format", []string{"--format", "xml", filepath.Join(rules, "schema-good.json")}, 2},
		{"missing file", []string{filepath.Join(rules, "nope.json")}, 2},
		{"missing config", []string{"--config", "nope.json", filepath.Join(rules, "schema-good.json")}, 2},
		{"malformed", []string{filepath.Join(lintData, "malformed.json")}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, out, errs := runLintCLI(t, "", tc.args...); code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, out, errs)
			}
		})
	}
}

func TestLintMalformedNamesLineColumn(t *testing.T) {
	f := filepath.Join(lintData, "malformed.json")
	_, _, errs := runLintCLI(t, "", f)
	if want := f + ":4:19:"; !strings.Contains(errs, want) {
		t.Fatalf("stderr %q does not contain %q", errs, want)
	}
}

func TestLintStdin(t *testing.T) {
	payload := `{"image": "ubuntu:24.04", "maxRunTime": 60, "features": {"dockerSave": true}}`
	code, out, _ := runLintCLI(t, payload, "-")
	if code != 1 || !strings.HasPrefix(out, "-:1:72: error: #0 /features/dockerSave: ") || !strings.Contains(out, "[removed-field]") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	code, out, _ = runLintCLI(t, "image: ubuntu:24.04\nmaxRunTime: 60\n", "-")
	if code != 0 || !strings.HasPrefix(out, "0 problems (0 errors, 0 warnings) in 0 of 1 task; 0 skipped") {
		t.Fatalf("YAML stdin: exit %d, output:\n%s", code, out)
	}
}

// TestLintSkipsGenericWorker: native generic-worker payloads are counted
// as skipped, not reported.
func TestLintSkipsGenericWorker(t *testing.T) {
	in := `{"tasks": [{"payload": {"command": [["true"]], "maxRunTime": 60}}, {"payload": {"image": "ubuntu", "maxRunTime": 60}}]}`
	code, out, _ := runLintCLI(t, in, "-")
	if code != 0 || !strings.Contains(out, "in 0 of 2 tasks; 1 skipped") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// TestLintRootURLExpandsRoles: with --root-url, assume: roles are expanded
// by auth.expandScopes (the tcfake auth service over real HTTP) and the
// answer is definite.
func TestLintRootURLExpandsRoles(t *testing.T) {
	srv := tcfake.New(tcfake.Options{})
	srv.Start()
	t.Cleanup(srv.Close)
	f := filepath.Join(lintData, "rules", "scopes-unverifiable-bad.json")

	code, out, errs := runLintCLI(t, "", "--root-url", srv.RootURL(), f)
	if code != 1 || !strings.Contains(out, "[missing-scopes]") {
		t.Fatalf("role grants nothing: exit %d\n%s%s", code, out, errs)
	}
	srv.AddRole("repo:github.com/example/repo:branch:main", "docker-worker:cache:*")
	code, out, errs = runLintCLI(t, "", "--strict", "--root-url", srv.RootURL(), f)
	if code != 0 || !strings.HasPrefix(out, "0 problems") {
		t.Fatalf("role grants the cache scope: exit %d\n%s%s", code, out, errs)
	}
}

// TestLintTemplateFlags: --event and --context reach the renderer, and a
// template's problems are printed at its own lines.
func TestLintTemplateFlags(t *testing.T) {
	tmpl := filepath.Join(lintData, "templates", ".taskcluster.yml")
	code, out, errs := runLintCLI(t, "", "--event", "pull_request.opened", tmpl)
	if code != 1 || !strings.HasPrefix(out, tmpl+":21:17: error: tests (pull_request.opened) /payload/features/dind: ") {
		t.Fatalf("--event: exit %d, stdout:\n%s\nstderr: %s", code, out, errs)
	}
	ctx := filepath.Join(t.TempDir(), "ctx.yml")
	if err := os.WriteFile(ctx, []byte("tasks_for: github-release\nevent: {release: {tag_name: v9}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runLintCLI(t, "", "--context", ctx, "--format", "treeherder", tmpl)
	if code != 1 || !strings.Contains(out, "| publish (context) /payload/image: ") {
		t.Fatalf("--context: exit %d, stdout:\n%s", code, out)
	}
	if code, _, _ = runLintCLI(t, "", "--context", filepath.Join(t.TempDir(), "missing.yml"), tmpl); code != 2 {
		t.Fatalf("missing --context file: exit %d, want 2", code)
	}
}

// TestLintRootURLUnreachable: an auth service that does not answer gives,
// after cliRetry's bound, a scopes-unverifiable warning on one line naming
// the cause (not client-go's call summary, nor its 15 minutes of retries).
func TestLintRootURLUnreachable(t *testing.T) {
	saved := cliRetry
	cliRetry = worker.RetryPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, MaxElapsed: 200 * time.Millisecond}
	t.Cleanup(func() { cliRetry = saved })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	root := "http://" + l.Addr().String()
	l.Close()
	f := filepath.Join(lintData, "rules", "scopes-unverifiable-bad.json")
	code, out, errs := runLintCLI(t, "", "--root-url", root, f)
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "[scopes-unverifiable]") {
			line = l
			break
		}
	}
	if code != 0 || line == "" || !strings.Contains(line, "connection refused") || !strings.Contains(line, "attempts)") || strings.Contains(out, "CALL SUMMARY") {
		t.Fatalf("exit %d; want a one-line scopes-unverifiable warning naming the refused connection:\n%s%s", code, out, errs)
	}
}
