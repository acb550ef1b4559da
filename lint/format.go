package lint

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats lists the output formats NewWriter accepts.
var Formats = []string{"text", "json", "treeherder", "github", "sarif"}

// Writer is a Sink that renders problems in one format; Finish writes what
// is left (the summary, or the whole document for JSON formats) and flushes.
type Writer interface {
	Sink
	Finish(sum Summary) error
}

// NewWriter returns the writer for format, writing to w.
func NewWriter(format string, w io.Writer) (Writer, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "", "text":
		return &textWriter{w: bw}, nil
	case "treeherder":
		return &treeherderWriter{w: bw}, nil
	case "json":
		return &collectWriter{w: bw, render: renderJSON}, nil
	case "github":
		return &collectWriter{w: bw, render: renderGitHub}, nil
	case "sarif":
		return &collectWriter{w: bw, render: renderSARIF}, nil
	}
	return nil, fmt.Errorf("unknown format %q: expected one of %s", format, strings.Join(Formats, ", "))
}

func displayPointer(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

type textWriter struct{ w *bufio.Writer }

func (t *textWriter) Problem(p Problem) error {
	_, err := fmt.Fprintf(t.w, "%s: %s: %s: %s: %s [%s]\n", p.File, p.Task, displayPointer(p.Pointer), p.Severity, oneLine(p.Message), p.Rule)
	return err
}

func (t *textWriter) Finish(sum Summary) error {
	fmt.Fprintln(t.w, SummaryLine(sum))
	return t.w.Flush()
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

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

type treeherderWriter struct{ w *bufio.Writer }

func (t *treeherderWriter) Problem(p Problem) error {
	level := "ERROR"
	if p.Severity == Warning {
		level = "WARNING"
	}
	_, err := fmt.Fprintf(t.w, "TEST-UNEXPECTED-%s | %s | %s %s: %s (%s)\n", level, p.File, p.Task, displayPointer(p.Pointer), oneLine(p.Message), p.Rule)
	return err
}

func (t *treeherderWriter) Finish(Summary) error { return t.w.Flush() }

// collectWriter keeps the problems and renders one document at the end.
type collectWriter struct {
	w      *bufio.Writer
	probs  []Problem
	render func([]Problem, Summary) any
}

func (c *collectWriter) Problem(p Problem) error {
	c.probs = append(c.probs, p)
	return nil
}

func (c *collectWriter) Finish(sum Summary) error {
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
		out = append(out, githubAnnotation{
			Path: p.File, StartLine: line, EndLine: line, AnnotationLevel: level,
			Message: p.Message,
			Title:   fmt.Sprintf("%s: %s %s", p.Rule, p.Task, displayPointer(p.Pointer)),
		})
	}
	return out
}
