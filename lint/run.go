package lint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dwshim/dwshim/taskfile"
	"github.com/dwshim/dwshim/tctemplate"
)

// Sink receives problems as they are found.
type Sink interface {
	Problem(p Problem) error
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
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		sum.Tasks++
		probs, skipped := l.Lint(ctx, it)
		if skipped {
			sum.Skipped++
			continue
		}
		if len(probs) > 0 {
			sum.TasksWithProblems++
		}
		for _, p := range probs {
			sum.Problems++
			if p.Severity == Error {
				sum.Errors++
			} else {
				sum.Warnings++
			}
			if err := sink.Problem(p); err != nil {
				return fmt.Errorf("%w: %w", errSink, err)
			}
		}
	}
}
