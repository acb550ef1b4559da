package taskfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/internal/jsonptr"
)

// Taskgraph leaves {"task-reference": "…<edge>…"} and
// {"artifact-reference": "…<edge/path>…"} objects in full (unoptimised)
// graphs; they become strings when the graph is submitted. Before
// validation they are replaced by placeholder strings of the right shape,
// and their pointers remembered.

// Ref is one reference object that was replaced.
type Ref struct {
	// Kind is "task-reference" or "artifact-reference".
	Kind string
	// Text is the reference's string ("<docker-image>"); empty when the
	// reference wrapped an object (taskgraph wraps the whole cache map).
	Text string
	// Placeholder is the string that stands for it (unique in the task; a
	// valid slugid where a taskId is expected); empty for wrapped objects.
	Placeholder string
}

// placeholder returns the n-th placeholder: a v4-shaped slugid, so that
// it also stands where a taskId must be one.
func placeholder(n int) string { return fmt.Sprintf("dwshimRfQxC%010dA", n) }

var refMarker = []byte(`-reference"`)

// MayHaveRefs is a cheap test for reference objects in raw.
func MayHaveRefs(raw []byte) bool { return bytes.Contains(raw, refMarker) }

// ReplaceRefs decodes raw, replaces reference objects by strings and
// returns the new document (nil when raw had none), the replaced pointers
// and problems with malformed references. A reference becomes its own
// text (so that checks see what it will resolve to), or a slugid-shaped
// placeholder where a taskId is expected; with unique, every reference
// becomes a placeholder of its own, for RestoreRefs.
func ReplaceRefs(raw []byte, unique bool) (json.RawMessage, map[string]Ref, []RefProblem, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, nil, err
	}
	r := &refWalker{refs: map[string]Ref{}, unique: unique}
	doc = r.walk(doc, "")
	if len(r.refs) == 0 && len(r.probs) == 0 {
		return nil, nil, nil, nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, nil, err
	}
	return out, r.refs, r.probs, nil
}

// RefProblem is a malformed reference object.
type RefProblem struct{ Pointer, Message string }

type refWalker struct {
	refs   map[string]Ref
	probs  []RefProblem
	unique bool
	// placeholders by kind and text
	placeholders map[string]string
}

func (r *refWalker) walk(v any, ptr string) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, inner := range x {
				if k == "task-reference" || k == "artifact-reference" {
					return r.replace(k, inner, ptr)
				}
			}
		}
		for _, k := range refKeys(x) {
			x[k] = r.walk(x[k], ptr+"/"+jsonptr.Escape(k))
		}
	case []any:
		for i, e := range x {
			x[i] = r.walk(e, ptr+"/"+strconv.Itoa(i))
		}
	}
	return v
}

func (r *refWalker) replace(kind string, inner any, ptr string) any {
	switch x := inner.(type) {
	case string:
		ph := x
		if r.unique || strings.HasSuffix(ptr, "/taskId") || strings.HasPrefix(ptr, "/dependencies/") {
			// The same reference gets the same placeholder: an image
			// task and a dependency naming it stay equal.
			key := kind + "\x00" + x
			if ph = r.placeholders[key]; ph == "" {
				ph = placeholder(len(r.placeholders))
				if r.placeholders == nil {
					r.placeholders = map[string]string{}
				}
				r.placeholders[key] = ph
			}
		}
		r.refs[ptr] = Ref{Kind: kind, Text: x, Placeholder: ph}
		return ph
	case map[string]any:
		// A wrapped object (the cache map): its members are what counts.
		r.refs[ptr] = Ref{Kind: kind}
		for _, k := range refKeys(x) {
			x[k] = r.walk(x[k], ptr+"/"+jsonptr.Escape(k))
		}
		return x
	}
	r.probs = append(r.probs, RefProblem{ptr, "a " + kind + " must hold a string (or, for a wrapped map, an object)"})
	return map[string]any{kind: inner}
}

// RefLabel returns the dependency edge or label a reference text names:
// "<docker-image>" → "docker-image", "<build/public/x>" → "build".
func RefLabel(text string) (string, bool) {
	i := strings.IndexByte(text, '<')
	j := strings.IndexByte(text, '>')
	if i < 0 || j < i {
		return "", false
	}
	s := text[i+1 : j]
	if k := strings.IndexByte(s, '/'); k >= 0 {
		s = s[:k]
	}
	return s, s != ""
}

// sortedKeys returns m's keys in order, so problems come out deterministically.
func refKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// RestoreRefs puts the reference objects of refs back where their
// placeholders ended up in out (a converted document): each must be a
// whole JSON string there. A placeholder inside a longer string (a value
// embedded in a command line or an env file) cannot be a reference any
// more; its pointer is returned as an error.
func RestoreRefs(out []byte, refs map[string]Ref) ([]byte, error) {
	for _, ptr := range refKeys(refsAny(refs)) {
		r := refs[ptr]
		if r.Placeholder == "" {
			continue
		}
		whole := []byte(`"` + r.Placeholder + `"`)
		var obj bytes.Buffer
		enc := json.NewEncoder(&obj)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]string{r.Kind: r.Text})
		n := bytes.Count(out, []byte(r.Placeholder))
		if n != bytes.Count(out, whole) {
			return nil, fmt.Errorf("%s: this %s ends up inside a longer string of the converted payload, where taskgraph cannot resolve it: use a plain string here", ptr, r.Kind)
		}
		out = bytes.ReplaceAll(out, whole, bytes.TrimSuffix(obj.Bytes(), []byte("\n")))
	}
	return out, nil
}

func refsAny(m map[string]Ref) map[string]any {
	out := make(map[string]any, len(m))
	for k := range m {
		out[k] = nil
	}
	return out
}
