package lint

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dwshim/dwshim/taskfile"
	"github.com/dwshim/dwshim/tctemplate"
)

// RuleTemplate: a .taskcluster.yml or hook template fails to render.
const RuleTemplate = "template"

func init() {
	Rules = append(Rules, Rule{RuleTemplate, Error, "A .taskcluster.yml or hook template fails to render in a context Taskcluster gives it (a warning for contexts the repository may never get: release, cron, actions…)."})
}

// sniffSize is how much of a file decides whether it is a template.
const sniffSize = 64 << 10

// maxTemplate bounds the template files lint reads whole.
const maxTemplate = 8 << 20

// openTemplate returns the whole input when it is a template, or a reader
// positioned at its start (nil for a named file, which taskfile reopens).
func openTemplate(name string, stdin io.Reader) (data []byte, rest io.Reader, err error) {
	var br *bufio.Reader
	if name == "-" {
		br = bufio.NewReaderSize(stdin, sniffSize)
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, fmt.Errorf("open task file: %w", err)
		}
		defer f.Close()
		br = bufio.NewReaderSize(f, sniffSize)
	}
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if tctemplate.Detect(head) == tctemplate.None {
		if name == "-" {
			return nil, br, nil
		}
		return nil, nil, nil
	}
	data, err = io.ReadAll(io.LimitReader(br, maxTemplate+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxTemplate {
		return nil, nil, fmt.Errorf("%s: a template larger than %d bytes", name, maxTemplate)
	}
	return data, bytes.NewReader(data), nil
}

// lintTemplate renders a template and lints what it produced. Problems
// that several contexts share (the same template line, rule and message)
// are reported once, naming the contexts.
func (l *Linter) lintTemplate(ctx context.Context, name string, res *tctemplate.Result, sink Sink, sum *Summary) error {
	type key struct {
		line, col     int
		rule, msg     string
		pointer, task string
	}
	var order []key
	probs := map[key]*Problem{}
	events := map[key][]string{}
	add := func(p Problem, event, task string) {
		k := key{p.Line, p.Column, p.Rule, p.Message, p.Pointer, task}
		if _, ok := probs[k]; !ok {
			cp := p
			probs[k] = &cp
			order = append(order, k)
		}
		for _, e := range events[k] {
			if e == event {
				return
			}
		}
		events[k] = append(events[k], event)
	}
	for _, tp := range res.Problems {
		sev := Error
		if tp.Warning {
			sev = Warning
		}
		add(Problem{File: name, Pointer: tp.Pointer, Rule: RuleTemplate, Severity: sev, Line: tp.Line, Column: tp.Col,
			Message: "the template does not render: " + tp.Message}, tp.Event, "")
	}
	for _, t := range res.Tasks {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := taskfile.NewItem(name, t.Index, t.Raw, t.Locate)
		// Name the task by what stays the same across contexts (its
		// taskId usually comes from as_slugid and changes).
		base := it.MetadataName
		if base == "" {
			base = fmt.Sprintf("task %d", t.Index)
		}
		it.Label = base
		for _, p := range l.lintCounted(ctx, it, sum) {
			add(p, t.Event, base)
		}
		taskDone(sink)
	}
	for _, k := range order {
		p := probs[k]
		evs := events[k]
		if k.task == "" {
			p.Task = strings.Join(evs, ", ")
		} else {
			p.Task = k.task + " (" + strings.Join(evs, ", ") + ")"
		}
		if err := emit(sink, sum, *p); err != nil {
			return err
		}
	}
	return nil
}

// ReadContext reads a --context file: a JSON or YAML object.
func ReadContext(name string) (map[string]any, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return tctemplate.ParseContext(data)
}
