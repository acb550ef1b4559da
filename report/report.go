package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Finding is one message about one task.
type Finding struct {
	// Error: the finding fails the task (lint: an error; convert: a
	// problem); otherwise it is a warning.
	Error bool
	// Rule is the rule id ("" when the producer has none).
	Rule string
	// Pointer is the JSON pointer the message is about.
	Pointer string
	// Message says what is wrong and what to do.
	Message string
	// Task names the task ("" for a single document). Not part of the key.
	Task string
	// Where locates the finding (file:line:col), "" when the layout
	// prints none. Not part of the key.
	Where string
}

// Count is how often a group was seen.
type Count struct {
	// Times counts the findings, Tasks the tasks that had one.
	Times, Tasks int
}

// String renders c as "3 tasks", or "5 times in 3 tasks" when a task had
// the finding more than once.
func (c Count) String() string {
	if c.Times == c.Tasks {
		return plural(c.Tasks, "task")
	}
	return fmt.Sprintf("%s in %s", plural(c.Times, "time"), plural(c.Tasks, "task"))
}

// Layout renders findings in the caller's text format (without the
// newline).
type Layout interface {
	// Line renders one finding.
	Line(f Finding) string
	// Repeated renders a group at the end of the run: its first finding
	// as the example, and how often it was seen.
	Repeated(first Finding, c Count) string
}

// Options choose what a Reporter prints.
type Options struct {
	// Verbose prints every finding; Quiet no warnings. Not both.
	Verbose, Quiet bool
	// Progress, if not nil, is told after each task (a terminal's status
	// line).
	Progress *Progress
	// Heading names the rule column of the table per rule: "rule" when
	// empty; convert's findings have codes.
	Heading string
}

// Totals count what a Reporter saw.
type Totals struct {
	Tasks, TasksWithErrors int
	Errors, Warnings       int
	// Distinct counts the groups.
	Distinct int
}

// Reporter groups the findings of a run and prints them to w. It is not
// safe for concurrent use. Write errors are kept: Add and Close return
// the first.
type Reporter struct {
	w      io.Writer
	layout Layout
	o      Options
	groups map[key]*group
	order  []*group
	rules  map[string]*ruleCount
	tot    Totals
	seq    int  // the current task, counted by EndTask
	failed bool // the current task had an error
	err    error
}

type key struct {
	err                   bool
	rule, pointer, format string
}

type group struct {
	first   Finding
	c       Count
	lastSeq int
	last    string // Task of the last finding counted
}

type ruleCount struct {
	errors, warnings, distinct int
}

// New returns a Reporter printing to w in layout. Buffer w if it is slow
// (the Reporter flushes it before drawing progress when it has Flush).
func New(w io.Writer, layout Layout, o Options) *Reporter {
	return &Reporter{w: w, layout: layout, o: o, groups: map[key]*group{}, rules: map[string]*ruleCount{}}
}

// Add reports one finding of the current task.
func (r *Reporter) Add(f Finding) error {
	k := key{f.Error, f.Rule, f.Pointer, shape(f.Message)}
	g := r.groups[k]
	if g == nil {
		g = &group{first: f, lastSeq: -1}
		r.groups[k] = g
		r.order = append(r.order, g)
		r.rule(f.Rule).distinct++
	}
	g.c.Times++
	if g.lastSeq != r.seq || g.last != f.Task {
		g.c.Tasks++
		g.lastSeq, g.last = r.seq, f.Task
	}
	if f.Error {
		r.tot.Errors++
		r.rule(f.Rule).errors++
		r.failed = true
	} else {
		r.tot.Warnings++
		r.rule(f.Rule).warnings++
	}
	if r.shown(f) && (r.o.Verbose || g.c.Times == 1) {
		r.println(r.layout.Line(f))
	}
	return r.err
}

// shown: the options print findings like f.
func (r *Reporter) shown(f Finding) bool { return f.Error || !r.o.Quiet }

func (r *Reporter) rule(id string) *ruleCount {
	rc := r.rules[id]
	if rc == nil {
		rc = &ruleCount{}
		r.rules[id] = rc
	}
	return rc
}

// EndTask ends the current task (with its findings, if any) and updates
// the progress line.
func (r *Reporter) EndTask() {
	r.tot.Tasks++
	if r.failed {
		r.tot.TasksWithErrors++
	}
	r.seq++
	r.failed = false
	if r.o.Progress.due() {
		r.flush()
		r.o.Progress.draw(r.Totals())
	}
}

// Totals returns the counts so far.
func (r *Reporter) Totals() Totals {
	t := r.tot
	t.Distinct = len(r.order)
	return t
}

// Close clears the progress line and prints the end of the report: unless
// Verbose, the groups more than one finding fell in (most frequent first),
// then summary (a total line in the caller's words) after the table per
// rule, when any finding has a rule; summary "" prints neither (a single
// document's lines say everything). It returns the first write error.
func (r *Reporter) Close(summary string) error {
	if !r.o.Verbose {
		rep := slices.DeleteFunc(slices.Clone(r.order), func(g *group) bool { return g.c.Times < 2 || !r.shown(g.first) })
		slices.SortStableFunc(rep, func(a, b *group) int { return b.c.Times - a.c.Times })
		for _, g := range rep {
			r.println(r.layout.Repeated(g.first, g.c))
		}
	}
	if summary != "" {
		r.ruleTable()
		r.println(summary)
	}
	r.flush()
	r.o.Progress.Clear()
	return r.err
}

// ruleTable prints errors, warnings and groups per rule, in rule order.
func (r *Reporter) ruleTable() {
	heading := r.o.Heading
	if heading == "" {
		heading = "rule"
	}
	ids := make([]string, 0, len(r.rules))
	width := len(heading)
	for id := range r.rules {
		if id != "" {
			ids = append(ids, id)
			width = max(width, len(id))
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	row := func(id string, e, w, d any) {
		r.println(fmt.Sprintf("%-*s %8v %8v %8v", width, id, e, w, d))
	}
	row(heading, "errors", "warnings", "distinct")
	for _, id := range ids {
		rc := r.rules[id]
		row(id, rc.errors, rc.warnings, rc.distinct)
	}
}

func (r *Reporter) println(s string) {
	if r.err != nil {
		return
	}
	if _, err := io.WriteString(r.w, s+"\n"); err != nil {
		r.err = err
	}
}

func (r *Reporter) flush() {
	if f, ok := r.w.(interface{ Flush() error }); ok && r.err == nil {
		r.err = f.Flush()
	}
}

// shape is the message as grouped: each run of ASCII digits becomes one
// "#", so values that vary by task (dates, durations, sizes) do not make
// a finding distinct.
func shape(s string) string {
	i := strings.IndexAny(s, "0123456789")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	digit := false
	for j := i; j < len(s); j++ {
		c := s[j]
		if c >= '0' && c <= '9' {
			if !digit {
				b.WriteByte('#')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteByte(c)
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
