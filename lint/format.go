package lint

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dwshim/dwshim/report"
)

// Formats lists the output formats NewWriter accepts.
var Formats = []string{"text", "json", "treeherder", "github", "github-actions", "sarif"}

// Writer is a Sink that renders problems in one format; Finish writes what
// is left (the summary, or the whole document for JSON formats) and flushes.
type Writer interface {
	Sink
	Finish(sum Summary) error
}

// WriterOptions carry what some formats print besides the problems.
type WriterOptions struct {
	// Version is the tool's version (SARIF driver.version).
	Version string
	// Root is the absolute directory relative file names are relative to
	// (SARIF's %SRCROOT%); empty leaves it undeclared.
	Root string
	// Verbose and Quiet choose what the text format prints (package
	// report): every problem, or no warnings. The machine formats print
	// every problem whatever they say.
	Verbose, Quiet bool
	// Progress is the text format's status line on a terminal (nil: none).
	Progress *report.Progress
}

// NewWriter returns the writer for format, writing to w.
func NewWriter(format string, w io.Writer) (Writer, error) {
	return NewWriterOptions(format, w, WriterOptions{})
}

// NewWriterOptions is NewWriter with options.
func NewWriterOptions(format string, w io.Writer, o WriterOptions) (Writer, error) {
	if format == "" || format == "text" {
		return newTextWriter(w, o), nil
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "treeherder":
		return &collectWriter{w: bw, text: renderTreeherder}, nil
	case "github-actions":
		return &lineWriter{w: bw, line: githubCommand}, nil
	case "json":
		return &collectWriter{w: bw, render: renderJSON}, nil
	case "github":
		return &collectWriter{w: bw, render: renderGitHub}, nil
	case "sarif":
		return &collectWriter{w: bw, render: func(p []Problem, s Summary) any { return renderSARIF(p, s, o) }}, nil
	}
	return nil, fmt.Errorf("unknown format %q: expected one of %s", format, strings.Join(Formats, ", "))
}

func displayPointer(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// clean makes s safe to print on one line: control characters (newlines
// included), DEL, C1 controls, the Unicode line and paragraph separators,
// bidirectional overrides and invalid UTF-8 are written as \x.., \u....
// escapes, so input cannot start a line of its own (a forged TEST-PASS or
// ::error line).
func clean(s string) string {
	safe := true
	for _, r := range s {
		if unsafeRune(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == utf8.RuneError
}

// location renders path:line:col (path:line, path) as far as known.
func location(p Problem) string {
	s := clean(p.File)
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Column > 0 {
			s += ":" + strconv.Itoa(p.Column)
		}
	}
	return s
}

// subject names what the problem is about: the task and the pointer.
func subject(p Problem) string {
	if p.Task == "" {
		return displayPointer(p.Pointer)
	}
	return p.Task + " " + displayPointer(p.Pointer)
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// message is the problem's text for the line formats: the subject, then
// the message.
func message(p Problem) string {
	return clean(subject(p) + ": " + oneLine(p.Message))
}

// textWriter is the human format: problems grouped by package report
// (each distinct one once with its location, the repeated ones counted at
// the end), a table per rule and the summary line.
type textWriter struct {
	w   *bufio.Writer
	rep *report.Reporter
}

func newTextWriter(w io.Writer, o WriterOptions) *textWriter {
	bw := bufio.NewWriterSize(o.Progress.Guard(w), 64<<10)
	return &textWriter{w: bw, rep: report.New(bw, textLayout{}, report.Options{Verbose: o.Verbose, Quiet: o.Quiet, Progress: o.Progress})}
}

func (t *textWriter) Problem(p Problem) error {
	return t.rep.Add(report.Finding{
		Error: p.Severity == Error, Rule: p.Rule, Pointer: displayPointer(p.Pointer),
		Message: oneLine(p.Message), Task: p.Task, Where: location(p),
	})
}

func (t *textWriter) TaskDone() { t.rep.EndTask() }

func (t *textWriter) Finish(sum Summary) error { return t.rep.Close(SummaryLine(sum)) }

// textLayout renders "path:line:col: level: task pointer: message [rule]",
// and a repeated problem as "path:line:col: level: N tasks (e.g. task)
// pointer: message [rule]" at its first location.
type textLayout struct{}

func (textLayout) Line(f report.Finding) string {
	subj := f.Pointer
	if f.Task != "" {
		subj = f.Task + " " + f.Pointer
	}
	return fmt.Sprintf("%s: %s: %s [%s]", f.Where, level(f), clean(subj+": "+f.Message), clean(f.Rule))
}

func (textLayout) Repeated(f report.Finding, c report.Count) string {
	eg := ""
	if f.Task != "" {
		eg = " (e.g. " + clean(f.Task) + ")"
	}
	return fmt.Sprintf("%s: %s: %s%s %s [%s]", f.Where, level(f), c, eg, clean(f.Pointer+": "+f.Message), clean(f.Rule))
}

func level(f report.Finding) Severity {
	if f.Error {
		return Error
	}
	return Warning
}

// SummaryLine renders sum as "3 problems (2 errors, 1 warning) in 2 of 120
// tasks; 5 skipped".
func SummaryLine(sum Summary) string {
	return fmt.Sprintf("%s (%s, %s) in %d of %s; %d skipped",
		plural(sum.Problems, "problem"), plural(sum.Errors, "error"), plural(sum.Warnings, "warning"),
		sum.TasksWithProblems, plural(sum.Tasks, "task"), sum.Skipped)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// renderTreeherder is mozlint's treeherder formatter: issues sorted by
// path, "TEST-UNEXPECTED-{ERROR,WARNING} | path:line[:col] | message
// (rule)", and "No lint issues found." when there are none.
func renderTreeherder(probs []Problem, _ Summary) string {
	if len(probs) == 0 {
		return "No lint issues found.\n"
	}
	sorted := append([]Problem(nil), probs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].File < sorted[j].File })
	var b strings.Builder
	for _, p := range sorted {
		level := "ERROR"
		if p.Severity == Warning {
			level = "WARNING"
		}
		fmt.Fprintf(&b, "TEST-UNEXPECTED-%s | %s:%d", level, clean(p.File), p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
		fmt.Fprintf(&b, " | %s (%s)\n", message(p), clean(p.Rule))
	}
	return b.String()
}

// lineWriter writes one line a problem as it comes.
type lineWriter struct {
	w    *bufio.Writer
	line func(Problem) string
}

func (l *lineWriter) Problem(p Problem) error {
	_, err := l.w.WriteString(l.line(p) + "\n")
	return err
}

func (l *lineWriter) Finish(Summary) error { return l.w.Flush() }

// GitHub Actions workflow command escaping (@actions/core): data escapes
// %, CR and LF; property values also ':' and ','.
var (
	ghData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// githubCommand renders a problem as a workflow command:
// "::error file=F,line=L,col=C,title=T::message".
func githubCommand(p Problem) string {
	cmd := "error"
	if p.Severity == Warning {
		cmd = "warning"
	}
	props := []string{"file=" + ghProperty.Replace(clean(p.File))}
	if p.Line > 0 {
		props = append(props, "line="+strconv.Itoa(p.Line))
		if p.Column > 0 {
			props = append(props, "col="+strconv.Itoa(p.Column))
		}
	}
	props = append(props, "title="+ghProperty.Replace(clean("dwshim lint "+p.Rule)))
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + ghData.Replace(message(p))
}

// collectWriter keeps the problems and renders one document at the end.
type collectWriter struct {
	w      *bufio.Writer
	probs  []Problem
	render func([]Problem, Summary) any
	text   func([]Problem, Summary) string
}

func (c *collectWriter) Problem(p Problem) error {
	c.probs = append(c.probs, p)
	return nil
}

func (c *collectWriter) Finish(sum Summary) error {
	if c.text != nil {
		if _, err := c.w.WriteString(c.text(c.probs, sum)); err != nil {
			return err
		}
		return c.w.Flush()
	}
	enc := json.NewEncoder(c.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c.render(c.probs, sum)); err != nil {
		return err
	}
	return c.w.Flush()
}

func renderJSON(probs []Problem, sum Summary) any {
	if probs == nil {
		probs = []Problem{}
	}
	return struct {
		Problems []Problem `json:"problems"`
		Summary  Summary   `json:"summary"`
	}{probs, sum}
}

// githubAnnotation is a check-run annotation as taskcluster-github reads
// them from public/github/customCheckRunAnnotations.json.
type githubAnnotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     int    `json:"start_column,omitempty"`
	EndColumn       int    `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title"`
}

func renderGitHub(probs []Problem, _ Summary) any {
	out := make([]githubAnnotation, 0, len(probs))
	for _, p := range probs {
		level := "failure"
		if p.Severity == Warning {
			level = "warning"
		}
		line := max(p.Line, 1)
		a := githubAnnotation{
			Path: p.File, StartLine: line, EndLine: line, AnnotationLevel: level,
			Message: p.Message,
			Title:   fmt.Sprintf("%s: %s", p.Rule, subject(p)),
		}
		if p.Line > 0 && p.Column > 0 {
			// GitHub takes columns only on single-line annotations.
			a.StartColumn, a.EndColumn = p.Column, p.Column
		}
		out = append(out, a)
	}
	return out
}
