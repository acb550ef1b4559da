package lint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/dwshim/dwshim/taskfile"
	"github.com/dwshim/dwshim/tctemplate"
)

// Sink receives problems as they are found.
type Sink interface {
	Problem(p Problem) error
}

// TaskSink is a Sink that is told where each task ends (the text format
// counts tasks and draws progress). Run calls TaskDone once per task it
// read, skipped ones included: after the task's problems for task files,
// as each task is linted for templates (whose problems come after the
// last, merged across contexts).
type TaskSink interface {
	Sink
	TaskDone()
}

func taskDone(sink Sink) {
	if ts, ok := sink.(TaskSink); ok {
		ts.TaskDone()
	}
}

// Run lints every input in paths: files, directories (their *.json,
// *.jsonl, *.yml and *.yaml files, recursively) or "-" for stdin. Tasks are
// read and checked one at a time; each problem goes to sink. An unreadable
// or malformed input is reported to sink as an "input" problem (a
// *taskfile.SyntaxError gives its line and column) and the other inputs are
// still linted; Run returns the first such error, with the summary.
func (l *Linter) Run(ctx context.Context, paths []string, stdin io.Reader, sink Sink) (Summary, error) {
	var sum Summary
	var first error
	fail := func(file string, err error) error {
		if first == nil {
			first = err
		}
		return l.reportInput(file, err, sink, &sum)
	}
	for _, p := range paths {
		files := []string{p}
		if p != "-" {
			st, err := os.Stat(p)
			if err != nil {
				if werr := fail(p, fmt.Errorf("lint %s: %w", p, err)); werr != nil {
					return sum, werr
				}
				continue
			}
			if st.IsDir() {
				if files, err = taskfile.Walk(p); err != nil {
					if werr := fail(p, fmt.Errorf("lint %s: %w", p, err)); werr != nil {
						return sum, werr
					}
				}
			}
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			if err := l.runFile(ctx, f, stdin, sink, &sum); err != nil {
				if errors.Is(err, errSink) {
					return sum, err
				}
				if werr := fail(f, err); werr != nil {
					return sum, werr
				}
			}
		}
	}
	return sum, first
}

func (l *Linter) runFile(ctx context.Context, name string, stdin io.Reader, sink Sink, sum *Summary) error {
	data, rest, err := openTemplate(name, stdin)
	if err != nil {
		return err
	}
	if data != nil {
		res, rerr := tctemplate.Render(data, l.opts.Template)
		if rerr == nil {
			sum.Files++
			return l.lintTemplate(ctx, name, res, sink, sum)
		}
		// Not a template after all: read it as tasks.
	}
	if rest != nil {
		stdin = rest
	}
	r, err := taskfile.OpenFile(name, stdin)
	if err != nil {
		return err
	}
	defer r.Close()
	sum.Files++
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results, readErr := l.lintAll(ctx, r)
	var stop error
	for j := range results {
		res := <-j.done
		if stop != nil {
			continue // drain
		}
		sum.Tasks++
		if res.skipped {
			sum.Skipped++
			taskDone(sink)
			continue
		}
		if len(res.probs) > 0 {
			sum.TasksWithProblems++
		}
		for _, p := range res.probs {
			if err := emit(sink, sum, p); err != nil {
				stop = err
				cancel()
				break
			}
		}
		taskDone(sink)
	}
	if stop != nil {
		return stop
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return *readErr
}

type lintJob struct{ done chan lintResult }

type lintResult struct {
	probs   []Problem
	skipped bool
}

// lintAll reads r and lints its items on every CPU, yielding them in input
// order; a few items per CPU are in flight, so memory stays bounded by the
// largest tasks. After the channel closes, *readErr holds the error that
// ended the input, if any.
func (l *Linter) lintAll(ctx context.Context, r *taskfile.Reader) (<-chan lintJob, *error) {
	workers := runtime.GOMAXPROCS(0)
	type work struct {
		it  *taskfile.Item
		out chan lintResult
	}
	jobs := make(chan work)
	ordered := make(chan lintJob, 4*workers)
	readErr := new(error)
	for range workers {
		go func() {
			for w := range jobs {
				probs, skipped := l.Lint(ctx, w.it)
				w.out <- lintResult{probs, skipped}
			}
		}()
	}
	go func() {
		defer close(ordered)
		defer close(jobs)
		for ctx.Err() == nil {
			it, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					*readErr = err
				}
				return
			}
			w := work{it, make(chan lintResult, 1)}
			ordered <- lintJob{w.out}
			jobs <- w
		}
	}()
	return ordered, readErr
}

// lintCounted lints one item and counts it in sum (task, skipped, with
// problems); the problems are not counted until emitted.
func (l *Linter) lintCounted(ctx context.Context, it *taskfile.Item, sum *Summary) []Problem {
	sum.Tasks++
	probs, skipped := l.Lint(ctx, it)
	if skipped {
		sum.Skipped++
		return nil
	}
	if len(probs) > 0 {
		sum.TasksWithProblems++
	}
	return probs
}

// emit counts p in sum and writes it to sink.
func emit(sink Sink, sum *Summary, p Problem) error {
	sum.Problems++
	if p.Severity == Error {
		sum.Errors++
	} else {
		sum.Warnings++
	}
	if err := sink.Problem(p); err != nil {
		return fmt.Errorf("%w: %w", errSink, err)
	}
	return nil
}
