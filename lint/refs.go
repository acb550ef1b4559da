package lint

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Taskgraph leaves {"task-reference": "…<edge>…"} and
// {"artifact-reference": "…<edge/path>…"} objects in full (unoptimised)
// graphs; they become strings when the graph is submitted. Before
// validation they are replaced by placeholder strings of the right shape,
// and their pointers remembered.

// ref is one reference object that was replaced.
type ref struct {
	// Kind is "task-reference" or "artifact-reference".
	Kind string
	// Text is the reference's string ("<docker-image>"); empty when the
	// reference wrapped an object (taskgraph wraps the whole cache map).
	Text string
}

// placeholderTaskID is a valid slugid standing for a referenced taskId.
const placeholderTaskID = "ReferenCQaaaaaaaaaaaaA"

var refMarker = []byte(`-reference"`)

// mayHaveRefs is a cheap test for reference objects in raw.
func mayHaveRefs(raw []byte) bool { return bytes.Contains(raw, refMarker) }

// replaceRefs decodes raw, replaces reference objects and returns the new
// document (nil when raw had none), the replaced pointers and problems with
// malformed references.
func replaceRefs(raw []byte) (json.RawMessage, map[string]ref, []refProblem, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, nil, err
	}
	r := &refWalker{refs: map[string]ref{}}
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

type refProblem struct{ Pointer, Message string }

type refWalker struct {
	refs  map[string]ref
	probs []refProblem
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
		for _, k := range sortedKeys(x) {
			x[k] = r.walk(x[k], ptr+"/"+escapePointer(k))
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
		r.refs[ptr] = ref{Kind: kind, Text: x}
		if strings.HasSuffix(ptr, "/taskId") || strings.HasPrefix(ptr, "/dependencies/") {
			return placeholderTaskID
		}
		return x
	case map[string]any:
		// A wrapped object (the cache map): its members are what counts.
		r.refs[ptr] = ref{Kind: kind}
		for _, k := range sortedKeys(x) {
			x[k] = r.walk(x[k], ptr+"/"+escapePointer(k))
		}
		return x
	}
	r.probs = append(r.probs, refProblem{ptr, "a " + kind + " must hold a string (or, for a wrapped map, an object)"})
	return map[string]any{kind: inner}
}

// refLabel returns the dependency edge or label a reference text names:
// "<docker-image>" → "docker-image", "<build/public/x>" → "build".
func refLabel(text string) (string, bool) {
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
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
