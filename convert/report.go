package convert

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// convertReport prints convert's warnings and problems readably at any
// size: every problem (they fail tasks), each distinct warning once with
// the first task that had it and, at the end, how many tasks repeated it;
// then one summary line. Verbose prints every warning of every task, quiet
// none. On a terminal, runs longer than a second show progress.
type convertReport struct {
	w              io.Writer
	verbose, quiet bool
	groups         map[string]*warnGroup
	order          []*warnGroup
	tasks, failed  int
	warnings       int
	progress       bool
	start, shown   time.Time
}

type warnGroup struct {
	msg, first string
	n          int
}

func newConvertReport(w io.Writer, verbose, quiet, progress bool) *convertReport {
	return &convertReport{w: w, verbose: verbose, quiet: quiet, progress: progress, groups: map[string]*warnGroup{}, start: time.Now()}
}

// task reports one item's warnings and problems (prefix names the task).
func (r *convertReport) task(name string, warnings, problems []string) {
	r.tasks++
	prefix := ""
	if name != "" {
		prefix = name + ": "
	}
	r.clearProgress()
	for _, m := range warnings {
		r.warnings++
		g := r.groups[m]
		if g == nil {
			g = &warnGroup{msg: m, first: name}
			r.groups[m] = g
			r.order = append(r.order, g)
		}
		g.n++
		if !r.quiet && (r.verbose || g.n == 1) {
			fmt.Fprintf(r.w, "warning: %s%s\n", prefix, m)
		}
	}
	for _, m := range problems {
		fmt.Fprintf(r.w, "%s%s\n", prefix, m)
	}
	if len(problems) > 0 {
		r.failed++
	}
	r.showProgress()
}

func (r *convertReport) showProgress() {
	if !r.progress {
		return
	}
	if now := time.Now(); now.Sub(r.start) > time.Second && now.Sub(r.shown) > 200*time.Millisecond {
		r.shown = now
		fmt.Fprintf(r.w, "\rconverting: %d tasks, %d with problems…", r.tasks, r.failed)
	}
}

func (r *convertReport) clearProgress() {
	if r.progress && !r.shown.IsZero() {
		fmt.Fprint(r.w, "\r\033[K")
	}
}

// close prints the repeated warnings (most frequent first) and the summary.
func (r *convertReport) close() {
	r.clearProgress()
	if r.tasks <= 1 {
		return // a single document: its lines say everything
	}
	if !r.quiet && !r.verbose {
		rep := slices.DeleteFunc(slices.Clone(r.order), func(g *warnGroup) bool { return g.n < 2 })
		slices.SortStableFunc(rep, func(a, b *warnGroup) int { return b.n - a.n })
		for _, g := range rep {
			fmt.Fprintf(r.w, "warning: %d tasks (e.g. %s): %s\n", g.n, g.first, g.msg)
		}
	}
	fmt.Fprintf(r.w, "summary: %d tasks, %d converted, %d with problems; %d warnings (%d distinct)\n",
		r.tasks, r.tasks-r.failed, r.failed, r.warnings, len(r.order))
}
