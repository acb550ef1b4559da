package convert

import (
	"fmt"
	"io"

	"github.com/dwshim/dwshim/report"
	"github.com/dwshim/dwshim/translate"
)

// convertReport prints convert's warnings and problems through package
// report: each distinct one once, with the first task that had it, the
// repeated ones counted at the end, the table per code (translate's
// WarningCode and ProblemKind, and convert's own), then one summary line
// (for more than one task). Verbose prints every one, Quiet no warnings.
type convertReport struct {
	rep *report.Reporter
}

func newConvertReport(w io.Writer, o Options) *convertReport {
	return &convertReport{report.New(o.Progress.Guard(w), convertLayout{}, report.Options{Verbose: o.Verbose, Quiet: o.Quiet, Progress: o.Progress, Heading: "code"})}
}

// task reports one item's warnings and problems (name names the task, ""
// for a single document), each grouped by its pointer and code exactly
// and its message by shape. Errors writing to stderr are not reported
// (there is nowhere left to report them).
func (r *convertReport) task(name string, warnings []translate.Warning, problems []translate.Problem) {
	for _, w := range warnings {
		r.rep.Add(report.Finding{Task: name, Rule: string(w.Code), Pointer: w.Pointer, Message: w.Message})
	}
	for _, p := range problems {
		r.rep.Add(report.Finding{Error: true, Task: name, Rule: p.Kind.Code(), Pointer: located(p.Pointer), Message: p.Message})
	}
	r.rep.EndTask()
}

// located is a problem's pointer as printed: "/" for the document itself,
// as translate renders it (a warning without a pointer, convert's "not a
// docker-worker payload", is about the item, not a place in it).
func located(ptr string) string {
	if ptr == "" {
		return "/"
	}
	return ptr
}

// close prints the repeated findings and the summary.
func (r *convertReport) close() {
	t := r.rep.Totals()
	summary := ""
	if t.Tasks > 1 { // a single document: its lines say everything
		summary = fmt.Sprintf("summary: %d tasks, %d converted, %d with problems; %d warnings, %d problems (%d distinct)",
			t.Tasks, t.Tasks-t.TasksWithErrors, t.TasksWithErrors, t.Warnings, t.Errors, t.Distinct)
	}
	r.rep.Close(summary)
}

// convertLayout: "warning: TASK: POINTER: message" and "TASK: POINTER:
// message" for a problem; repeated, "warning: N tasks (e.g. TASK): …".
type convertLayout struct{}

func (convertLayout) Line(f report.Finding) string {
	return levelPrefix(f) + line(f.Task, f)
}

func (convertLayout) Repeated(f report.Finding, c report.Count) string {
	return levelPrefix(f) + line(fmt.Sprintf("%s (e.g. %s)", c, f.Task), f)
}

func levelPrefix(f report.Finding) string {
	if f.Error {
		return ""
	}
	return "warning: "
}

func line(who string, f report.Finding) string {
	s := f.Message
	if f.Pointer != "" {
		s = f.Pointer + ": " + s
	}
	if who != "" {
		s = who + ": " + s
	}
	return s
}
