package convert

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dwshim/dwshim/native"
	"github.com/dwshim/dwshim/report"
	"github.com/dwshim/dwshim/taskfile"
	"github.com/dwshim/dwshim/translate"
)

// Options configure a conversion (the flags of dwshim convert).
type Options struct {
	// TaskDef: the input holds task definitions, not bare payloads.
	TaskDef bool
	// Graph: the input must be a task graph.
	Graph bool
	// Target is "d2g" (upstream's payload) or "native".
	Target string
	// Output is "json", "yaml" or "" (the input's format).
	Output string
	// Config is the d2gConfig to translate under.
	Config translate.Config
	// Verbose prints every warning of every task; Quiet none.
	Verbose, Quiet bool
	// Progress is the status line on stderr, a terminal (nil: none).
	Progress *report.Progress
}

// UsageError is a mistake in how convert was called (exit status 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ErrProblems: some task had problems (already reported on stderr).
var ErrProblems = errors.New("some tasks have problems")

// Run converts the input name (read from in) and writes the converted
// document to stdout in the input's shape, reporting warnings and problems
// on stderr. Items are streamed: memory is bounded by the largest task. It
// returns nil, ErrProblems (a task had problems, or the input stopped short;
// already reported), a *UsageError, or another error (unreadable input,
// failed write), which the caller reports.
func Run(o Options, name string, in io.Reader, stdout, stderr io.Writer) error {
	if o.Target == "" {
		o.Target = "d2g"
	}
	if o.Target != "d2g" && o.Target != "native" {
		return &UsageError{fmt.Sprintf("--target must be d2g or native, not %q", o.Target)}
	}
	if o.Output != "" && o.Output != "json" && o.Output != "yaml" {
		return &UsageError{fmt.Sprintf("-o must be json or yaml, not %q", o.Output)}
	}
	r, err := taskfile.OpenFile(name, in)
	if err != nil {
		return err
	}
	defer r.Close()
	if o.Graph && r.Shape() != taskfile.ShapeGraph {
		return &UsageError{fmt.Sprintf("--graph: %s is a %s, not a task graph (label → {\"task\": …})", name, r.Shape())}
	}
	c := &converter{cfg: o.Config, native: o.Target == "native", taskDef: o.TaskDef}
	// stdout may be the terminal too: the status line is cleared before
	// the output reaches it.
	w := newConvertWriter(r, outputFormat(o.Output, r.Format()), o.Progress.Guard(stdout))
	named := r.Shape() != taskfile.ShapeDocument
	rep := newConvertReport(stderr, o)
	defer rep.close()
	var failed bool
	var stop error // usage or write error: drain, write nothing more
	results, readErr := convertAll(r, c)
	for j := range results {
		for k, res := range <-j.done {
			it := j.items[k]
			if stop != nil {
				continue
			}
			if o.TaskDef && !named && it.Kind == taskfile.Payload && it.Format == taskfile.DockerWorker {
				stop = &UsageError{fmt.Sprintf("-t: %s is a bare payload, not a task definition (leave out -t)", name)}
				continue
			}
			name := ""
			if named {
				name = it.Name()
			}
			rep.task(name, res.warnings, res.problems)
			failed = failed || len(res.problems) > 0
			if err := w.item(it, res); err != nil {
				stop = fmt.Errorf("write output: %w", err)
			}
		}
	}
	if stop != nil {
		return stop
	}
	if err := *readErr; err != nil {
		fmt.Fprintln(o.Progress.Guard(stderr), err)
		// What was written stays, but the containers are left open: the
		// output of a failed read is never a well-formed document.
		if err := w.abort(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		return ErrProblems
	}
	if err := w.close(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if failed {
		return ErrProblems
	}
	return nil
}

func outputFormat(flag string, in taskfile.Format) taskfile.Format {
	switch flag {
	case "json":
		if in == taskfile.JSONLines {
			return taskfile.JSONLines
		}
		return taskfile.JSON
	case "yaml":
		return taskfile.YAML
	}
	return in
}

// converted is one item's conversion.
type converted struct {
	// doc is the converted payload or task definition, compact JSON; nil
	// when the item has problems or is kept.
	doc json.RawMessage
	// keep: the item is not a docker-worker task and is written unchanged.
	keep bool
	// warnings and problems are typed: the report groups and counts them
	// by pointer and code.
	warnings []translate.Warning
	problems []translate.Problem
}

// Codes of convert's own warnings and problems (translate's are its
// WarningCode and ProblemKind values).
const (
	warnNotDockerWorker translate.WarningCode = "not-docker-worker"
	kindInput           translate.ProblemKind = "input"
	kindReference       translate.ProblemKind = "unresolved-reference"
	kindInternal        translate.ProblemKind = "internal-error"
)

type converter struct {
	cfg     translate.Config
	native  bool
	taskDef bool
}

func (c *converter) convert(it *taskfile.Item) (res converted) {
	switch {
	case it.Format == taskfile.GenericWorker:
		res.keep = true
		res.warnings = []translate.Warning{{Message: "not a docker-worker payload (no \"image\"): left unchanged", Code: warnNotDockerWorker}}
		return res
	case it.Format == taskfile.Unknown:
		res.problems = []translate.Problem{{Message: "not a docker-worker payload, task definition or task graph entry", Kind: kindInput}}
		return res
	case c.taskDef && it.Kind == taskfile.Payload:
		res.problems = []translate.Problem{{Message: "-t: this is a bare payload, not a task definition", Kind: kindInput}}
		return res
	}
	cfg := c.cfg
	slug := StableSlug(it.Raw)
	cfg.ContainerName = func() string { return "taskcontainer_" + slug }
	// taskgraph's task-reference / artifact-reference objects: replaced by
	// placeholders for the translation, put back into its output.
	raw := it.Raw
	var refs map[string]taskfile.Ref
	if taskfile.MayHaveRefs(raw) {
		out, rs, rp, err := taskfile.ReplaceRefs(raw, true)
		if err != nil {
			res.problems = append(res.problems, translate.Problem{Message: "cannot decode the task: " + err.Error(), Kind: kindInput})
			return res
		}
		for _, p := range rp {
			res.problems = append(res.problems, translate.Problem{Pointer: p.Pointer, Message: p.Message, Kind: kindReference})
		}
		if len(rp) > 0 {
			return res
		}
		if out != nil {
			raw, refs = out, rs
		}
	}
	var err error
	if it.Kind == taskfile.TaskDefinition {
		err = c.task(raw, cfg, &res)
	} else {
		err = c.payload(raw, cfg, &res)
	}
	if err == nil && refs != nil && res.doc != nil {
		res.doc, err = taskfile.RestoreRefs(res.doc, refs)
	}
	if err != nil {
		res.doc = nil
		var te *translate.Error
		if errors.As(err, &te) {
			res.problems = append(res.problems, te.Problems...)
		} else {
			res.problems = append(res.problems, translate.Problem{Message: err.Error(), Kind: kindInternal})
		}
	}
	return res
}

func (c *converter) payload(raw []byte, cfg translate.Config, res *converted) error {
	p, err := translate.DecodePayload(raw)
	if err != nil {
		return err
	}
	if err := translate.Verdict(p, cfg, nil, ""); err != nil {
		return err
	}
	tr, err := translate.TranslatePayload(p, cfg)
	if err != nil {
		return err
	}
	res.warnings = append(res.warnings, c.targetWarnings(tr.Warnings)...)
	if c.refuse(p, "", res) {
		return nil
	}
	if !c.native {
		res.doc = tr.Payload.AppendJSON(nil)
		return nil
	}
	pl, nw, err := native.Build(tr.Plan)
	if err != nil {
		return err
	}
	res.warnings = append(res.warnings, nw...)
	res.doc = pl.AppendJSONNoEscape(nil)
	return nil
}

// refuse records what generic-worker's schema would reject in the
// target's payload (translate.GenericWorkerRefusals; the decoder refused
// the rest), with pointers prefixed with prefix, and reports whether there
// was any. The payload is then valid by construction: the tests check it
// against generic-worker's schema, convert does not.
func (c *converter) refuse(p *translate.DockerWorkerPayload, prefix string, res *converted) bool {
	target := translate.TargetD2G
	if c.native {
		target = translate.TargetNative
	}
	probs := translate.GenericWorkerRefusals(p, target)
	for _, p := range probs {
		p.Pointer = prefix + p.Pointer
		res.problems = append(res.problems, p)
	}
	return len(probs) > 0
}

func (c *converter) task(raw []byte, cfg translate.Config, res *converted) error {
	tr, err := translate.TranslateTask(raw, cfg, translate.TaskOptions{})
	if err != nil {
		return err
	}
	res.warnings = append(res.warnings, c.targetWarnings(tr.Warnings)...)
	if c.refuse(tr.Task.Payload, "/payload", res) {
		return nil
	}
	var pl []byte
	if !c.native {
		pl = tr.Payload.AppendJSON(nil)
	} else {
		npl, nw, err := native.BuildTask(tr.Plan, tr.TaskQueueID)
		if err != nil {
			return err
		}
		for _, w := range nw {
			w.Pointer = "/payload" + w.Pointer
			res.warnings = append(res.warnings, w)
		}
		pl = npl.AppendJSONNoEscape(nil)
	}
	var scopes []byte
	if tr.HasScopes {
		if scopes, err = marshalNoEscape(tr.Scopes); err != nil {
			return err
		}
	}
	res.doc = spliceTask(raw, tr.Task, pl, scopes)
	return nil
}

// spliceTask rewrites a task definition as upstream's CLI does (payload,
// and scopes when scopes is non-nil, replaced) by splicing the new values
// into the original bytes: every other member keeps its bytes and order.
func spliceTask(raw []byte, t *translate.Task, payload, scopes []byte) []byte {
	type edit struct {
		span translate.Span
		val  []byte
	}
	edits := []edit{{t.PayloadSpan, payload}}
	if scopes != nil && t.ScopesSpan.End > 0 {
		edits = append(edits, edit{t.ScopesSpan, scopes})
		if t.ScopesSpan.Start < t.PayloadSpan.Start {
			edits[0], edits[1] = edits[1], edits[0]
		}
	}
	out := make([]byte, 0, len(raw)+len(payload)+len(scopes))
	at := int64(0)
	for _, e := range edits {
		out = append(out, raw[at:e.span.Start]...)
		out = append(out, e.val...)
		at = e.span.End
	}
	return append(out, raw[at:]...)
}

// targetWarnings are the translate warnings that concern the target
// (WarningCode.Concerns): for native, not those about the d2g payload
// alone, nor those the native target words itself.
func (c *converter) targetWarnings(ws []translate.Warning) []translate.Warning {
	target := translate.TargetD2G
	if c.native {
		target = translate.TargetNative
	}
	out := make([]translate.Warning, 0, len(ws))
	for _, w := range ws {
		if w.Code.Concerns(target) {
			out = append(out, w)
		}
	}
	return out
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// StableSlug names the container of a converted task after the task's
// bytes: deterministic output, distinct tasks get distinct names.
func StableSlug(raw []byte) string {
	sum := sha256.Sum256(raw)
	sum[0] &= 0x7f // first character a letter, never '-'
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
