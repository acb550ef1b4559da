package convert

import (
	"fmt"
	"io"
	"strings"

	"github.com/dwshim/dwshim/report"
)

// convertReport prints convert's warnings and problems through package
// report: each distinct one once, with the first task that had it, the
// repeated ones counted at the end, then one summary line (for more than
// one task). Verbose prints every one, Quiet no warnings.
type convertReport struct {
	rep *report.Reporter
}

func newConvertReport(w io.Writer, o Options) *convertReport {
	return &convertReport{report.New(o.Progress.Guard(w), convertLayout{}, report.Options{Verbose: o.Verbose, Quiet: o.Quiet, Progress: o.Progress})}
}

// task reports one item's warnings and problems (name names the task, ""
// for a single document). Errors writing to stderr are not reported
// (there is nowhere left to report them).
func (r *convertReport) task(name string, warnings, problems []string) {
	for _, m := range warnings {
		r.rep.Add(finding(false, name, m))
	}
	for _, m := range problems {
		r.rep.Add(finding(true, name, m))
	}
	r.rep.EndTask()
}

// finding splits translate's "POINTER: message" rendering, so that the
// pointer is grouped exactly and only the message by its shape.
func finding(isErr bool, task, m string) report.Finding {
	f := report.Finding{Error: isErr, Task: task, Message: m}
	if strings.HasPrefix(m, "/") {
		if i := strings.Index(m, ": "); i > 0 {
			f.Pointer, f.Message = m[:i], m[i+2:]
		}
	}
	return f
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
	return levelPrefix(f) + located(f.Task, f)
}

func (convertLayout) Repeated(f report.Finding, c report.Count) string {
	return levelPrefix(f) + located(fmt.Sprintf("%s (e.g. %s)", c, f.Task), f)
}

func levelPrefix(f report.Finding) string {
	if f.Error {
		return ""
	}
	return "warning: "
}

func located(who string, f report.Finding) string {
	s := f.Message
	if f.Pointer != "" {
		s = f.Pointer + ": " + s
	}
	if who != "" {
		s = who + ": " + s
	}
	return s
}
