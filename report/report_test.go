package report

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// plain is a layout that shows every field of a finding.
type plain struct{}

func (plain) Line(f Finding) string {
	return fmt.Sprintf("%s %v %s %s %s: %s", f.Where, f.Error, f.Rule, f.Task, f.Pointer, f.Message)
}

func (plain) Repeated(f Finding, c Count) string {
	return fmt.Sprintf("%s %v %s [%s, e.g. %s] %s: %s", f.Where, f.Error, f.Rule, c, f.Task, f.Pointer, f.Message)
}

// run reports tasks (each a list of findings) and returns the output.
func run(t *testing.T, o Options, tasks ...[]Finding) (string, Totals) {
	t.Helper()
	var b bytes.Buffer
	r := New(&b, plain{}, o)
	for i, fs := range tasks {
		for _, f := range fs {
			f.Task = fmt.Sprintf("t%d", i)
			f.Where = fmt.Sprintf("f:%d", i+1)
			if err := r.Add(f); err != nil {
				t.Fatal(err)
			}
		}
		r.EndTask()
	}
	tot := r.Totals()
	if err := r.Close("TOTAL"); err != nil {
		t.Fatal(err)
	}
	return b.String(), tot
}

var (
	priv = Finding{Error: true, Rule: "config", Pointer: "/p", Message: "privileged refused"}
	mrt  = func(n int) Finding {
		return Finding{Error: true, Rule: "max", Pointer: "/m", Message: fmt.Sprintf("maxRunTime %d exceeds 7200", n)}
	}
	scope = Finding{Rule: "scopes", Pointer: "/c", Message: "needs a scope"}
)

func TestGroupsCountsAndSummary(t *testing.T) {
	out, tot := run(t, Options{},
		[]Finding{priv, mrt(10800)},
		[]Finding{priv, scope},
		[]Finding{},
		[]Finding{priv, mrt(14400), scope},
	)
	want := `f:1 true config t0 /p: privileged refused
f:1 true max t0 /m: maxRunTime 10800 exceeds 7200
f:2 false scopes t1 /c: needs a scope
f:1 true config [3 tasks, e.g. t0] /p: privileged refused
f:1 true max [2 tasks, e.g. t0] /m: maxRunTime 10800 exceeds 7200
f:2 false scopes [2 tasks, e.g. t1] /c: needs a scope
rule     errors warnings distinct
config        3        0        1
max           2        0        1
scopes        0        2        1
TOTAL
`
	if d := cmp.Diff(want, out); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
	if want := (Totals{Tasks: 4, TasksWithErrors: 3, Errors: 5, Warnings: 2, Distinct: 3}); tot != want {
		t.Errorf("totals %+v, want %+v", tot, want)
	}
}

// TestKey: the severity, the rule and the pointer split groups; digits in
// the message do not, other text does.
func TestKey(t *testing.T) {
	other := func(f Finding, edit func(*Finding)) Finding { edit(&f); return f }
	out, tot := run(t, Options{},
		[]Finding{priv},
		[]Finding{other(priv, func(f *Finding) { f.Error = false })},
		[]Finding{other(priv, func(f *Finding) { f.Rule = "other" })},
		[]Finding{other(priv, func(f *Finding) { f.Pointer = "/q" })},
		[]Finding{other(priv, func(f *Finding) { f.Message = "kvm refused" })},
		[]Finding{mrt(1), mrt(22), mrt(333)},
	)
	if tot.Distinct != 6 {
		t.Errorf("%d groups, want 6:\n%s", tot.Distinct, out)
	}
	if !strings.Contains(out, "[3 times in 1 task, e.g. t5] /m: maxRunTime 1 exceeds 7200") {
		t.Errorf("one task with three maxRunTime findings:\n%s", out)
	}
}

func TestQuietAndVerbose(t *testing.T) {
	tasks := [][]Finding{{priv, scope}, {priv, scope}, {priv, scope}}
	out, _ := run(t, Options{Quiet: true}, tasks...)
	if strings.Contains(out, "needs a scope") || strings.Count(out, "privileged refused") != 2 ||
		!strings.Contains(out, "scopes        0        3        1") || !strings.HasSuffix(out, "TOTAL\n") {
		t.Errorf("quiet: no warning lines, errors grouped, the counts kept:\n%s", out)
	}
	out, _ = run(t, Options{Verbose: true}, tasks...)
	if strings.Count(out, "privileged refused") != 3 || strings.Count(out, "needs a scope") != 3 || strings.Contains(out, "e.g.") {
		t.Errorf("verbose: every finding, no repeat list:\n%s", out)
	}
}

// TestNoRuleNoTable: findings without rules (convert's) get no table, and
// an empty summary prints nothing.
func TestNoRuleNoTable(t *testing.T) {
	var b bytes.Buffer
	r := New(&b, plain{}, Options{})
	r.Add(Finding{Message: "m"})
	r.EndTask()
	if err := r.Close(""); err != nil || b.String() != " false   : m\n" {
		t.Errorf("%q, %v", b.String(), err)
	}
}

func TestShape(t *testing.T) {
	for in, want := range map[string]string{
		"":  "",
		"a": "a",
		"the artifact expires (2027-01-03T14:07:31.512Z) after": "the artifact expires (#-#-#T#:#:#.#Z) after",
		"maxRunTime 10800 exceeds 7200":                         "maxRunTime # exceeds #",
		"7":                                                     "#",
	} {
		if got := shape(in); got != want {
			t.Errorf("shape(%q) = %q, want %q", in, got, want)
		}
	}
}

// clock is a fake clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestProgress(w *bytes.Buffer, c *clock) *Progress {
	p := NewProgress(w, "linting")
	p.Now = c.now
	p.start = c.t
	return p
}

// TestProgress: nothing in the first second; then a status line, redrawn
// at most every 200 ms, cleared before a finding is written to a guarded
// writer and at the end.
func TestProgress(t *testing.T) {
	c := &clock{time.Unix(0, 0)}
	var term bytes.Buffer
	p := newTestProgress(&term, c)
	var b bytes.Buffer
	r := New(p.Guard(&b), plain{}, Options{Progress: p})
	r.EndTask()
	c.t = c.t.Add(900 * time.Millisecond)
	r.EndTask()
	if term.Len() != 0 {
		t.Fatalf("progress within the first second: %q", term.String())
	}
	c.t = c.t.Add(200 * time.Millisecond)
	r.EndTask()
	if want := clearLine + "linting: 3 tasks, 0 errors, 0 warnings…"; term.String() != want {
		t.Fatalf("progress %q, want %q", term.String(), want)
	}
	c.t = c.t.Add(100 * time.Millisecond)
	r.EndTask()
	if strings.Count(term.String(), "linting:") != 1 {
		t.Fatalf("redrawn within 200 ms: %q", term.String())
	}
	term.Reset()
	r.Add(priv)
	if term.String() != clearLine || b.String() == "" {
		t.Fatalf("a finding did not clear the line first: terminal %q, output %q", term.String(), b.String())
	}
	c.t = c.t.Add(time.Second)
	r.EndTask()
	if !strings.HasSuffix(term.String(), "linting: 5 tasks, 1 error, 0 warnings…") {
		t.Fatalf("progress %q", term.String())
	}
	term.Reset()
	if err := r.Close("TOTAL"); err != nil {
		t.Fatal(err)
	}
	if term.String() != clearLine {
		t.Fatalf("close: terminal %q, want the line cleared", term.String())
	}
}

// TestNilProgress: without a terminal nothing is drawn and Guard is the
// identity.
func TestNilProgress(t *testing.T) {
	var p *Progress
	var b bytes.Buffer
	if p.Guard(&b) != &b {
		t.Error("Guard of a nil Progress wraps")
	}
	p.Clear()
	r := New(&b, plain{}, Options{Progress: p})
	r.EndTask()
	r.Close("")
	if b.Len() != 0 {
		t.Errorf("%q", b.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, w := range []any{f, null, &bytes.Buffer{}} {
		if IsTerminal(w) {
			t.Errorf("%v is not a terminal", w)
		}
	}
}
