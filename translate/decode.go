package translate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// This file is the one decoder of docker-worker payloads and task
// definitions. It walks the JSON once with jsontext (case-sensitive
// names; duplicate names, invalid UTF-8 and trailing data rejected),
// fills the typed values of payload.go and task.go, and reports every
// problem with its JSON pointer, in the words of the published JSON Schema
// (package schemas), which stays the contract and the test oracle.

// walker decodes one document and collects problems.
type walker struct {
	dec   *jsontext.Decoder
	probs []Problem
	// fatal: the JSON itself is broken; decoding stopped.
	fatal bool
	buf   []byte
	// raw is the document; arena, made on first use, is one string copy
	// of it that unescaped strings are cut from (one allocation per
	// document instead of one per string).
	raw   []byte
	arena string
	// base is the payload's pointer in the document ("" or "/payload").
	base string
	// kind is the kind of the problems being found.
	kind ProblemKind
	// schemaOnly leaves out the run-time checks of checks.go: what is left
	// is exactly the JSON Schema's verdict (the parity tests use it).
	schemaOnly bool
}

var walkerPool = sync.Pool{New: func() any { return &walker{dec: jsontext.NewDecoder(new(bytes.Buffer))} }}

func newWalker(raw []byte) *walker {
	w := walkerPool.Get().(*walker)
	w.dec.Reset(bytes.NewBuffer(raw))
	w.raw, w.arena = raw, ""
	w.probs, w.fatal, w.base, w.schemaOnly, w.kind = nil, false, "", false, ProblemSchema
	return w
}

func (w *walker) release() {
	w.dec.Reset(new(bytes.Buffer))
	w.probs, w.raw, w.arena = nil, nil, ""
	walkerPool.Put(w)
}

// here is the pointer of the value just read.
func (w *walker) here() string { return string(w.dec.StackPointer()) }

func (w *walker) problem(ptr, msg string) { w.add(ptr, msg, w.kind) }

func (w *walker) add(ptr, msg string, k ProblemKind) {
	w.probs = append(w.probs, Problem{Pointer: ptr, Message: msg, Kind: k})
}

// syntax records a broken document and stops the walk.
func (w *walker) syntax(err error) {
	if w.fatal {
		return
	}
	w.fatal = true
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		ptr := string(se.JSONPointer)
		switch {
		case errors.Is(se.Err, jsontext.ErrDuplicateName):
			w.problem(ptr, fmt.Sprintf("duplicate property %q: each name may appear once", se.JSONPointer.LastToken()))
			return
		case errors.Is(se.Err, io.ErrUnexpectedEOF):
			w.problem(ptr, fmt.Sprintf("not valid JSON: unexpected end of input (at byte %d)", se.ByteOffset))
			return
		}
		w.problem(ptr, fmt.Sprintf("not valid JSON: %v (at byte %d)", se.Err, se.ByteOffset))
		return
	}
	w.problem("", fmt.Sprintf("not valid JSON: %v", err))
}

// value reads the next value whole (nil after a syntax error).
func (w *walker) value() jsontext.Value {
	if w.fatal {
		return nil
	}
	v, err := w.dec.ReadValue()
	if err != nil {
		w.syntax(err)
		return nil
	}
	return v
}

// typeError reads the next value and reports that it is not a want.
func (w *walker) typeError(want string) {
	if w.value() != nil {
		w.problem(w.here(), "must be "+want)
	}
}

// str reads a string value.
func (w *walker) str() (string, bool) {
	v := w.value()
	if v == nil {
		return "", false
	}
	if v.Kind() != '"' {
		w.problem(w.here(), "must be a string")
		return "", false
	}
	return w.text(v), true
}

// text decodes the string value v just read: unescaped strings are cut
// from the arena (the decoder reads raw in place, so v ends at the
// decoder's offset).
func (w *walker) text(v []byte) string {
	if bytes.IndexByte(v, '\\') >= 0 {
		return unquote(v)
	}
	end := int(w.dec.InputOffset())
	start := end - len(v)
	if len(v) < 2 || start < 0 || end > len(w.raw) || &w.raw[start] != &v[0] {
		return string(v[1 : len(v)-1]) // not in place after all
	}
	if w.arena == "" {
		w.arena = string(w.raw)
	}
	return w.arena[start+1 : end-1]
}

// unquote decodes a JSON string already validated by the decoder.
func unquote(v []byte) string {
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1])
	}
	b, _ := jsontext.AppendUnquote(nil, v)
	return string(b)
}

func (w *walker) boolean() (bool, bool) {
	v := w.value()
	switch {
	case v == nil:
		return false, false
	case v.Kind() == 't':
		return true, true
	case v.Kind() == 'f':
		return false, true
	}
	w.problem(w.here(), "must be a boolean")
	return false, false
}

// integer reads an integer (the schema's "integer": 3 and 3.0 alike).
func (w *walker) integer() (int64, bool) {
	v := w.value()
	if v == nil {
		return 0, false
	}
	if v.Kind() != '0' {
		w.problem(w.here(), "must be an integer")
		return 0, false
	}
	if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != float64(int64(f)) || f > 1<<62 || f < -(1<<62) {
		w.problem(w.here(), "must be an integer (within ±2^62)")
		return 0, false
	}
	return int64(f), true
}

// object reads an object, calling member for each name; member must read
// exactly one value (or call skip). It reports a non-object as "must be an
// object" and returns false.
func (w *walker) object(member func(name string)) bool {
	if !w.open('{', "an object") {
		return false
	}
	for !w.fatal && w.dec.PeekKind() == '"' {
		v, err := w.dec.ReadValue()
		if err != nil {
			w.syntax(err)
			return false
		}
		member(w.text(v))
	}
	return w.close()
}

// open reads the '{' or '[' that starts the next value, or reports that
// the value is not what (and consumes it).
func (w *walker) open(kind jsontext.Kind, what string) bool {
	if w.fatal {
		return false
	}
	if w.dec.PeekKind() != kind {
		w.typeError(what)
		return false
	}
	if _, err := w.dec.ReadToken(); err != nil {
		w.syntax(err)
		return false
	}
	return true
}

// close reads the '}' or ']' that ends the container being read.
func (w *walker) close() bool {
	if w.fatal {
		return false
	}
	if _, err := w.dec.ReadToken(); err != nil {
		w.syntax(err)
		return false
	}
	return true
}

// array reads an array, calling elem for each element.
func (w *walker) array(elem func(i int)) bool {
	if !w.open('[', "an array") {
		return false
	}
	for i := 0; !w.fatal && w.dec.PeekKind() != ']'; i++ {
		if w.dec.PeekKind() == 0 { // the error is reported by ReadToken below
			break
		}
		elem(i)
	}
	return w.close()
}

// skip reads and ignores the next value.
func (w *walker) skip() { w.value() }

// unknown reports a member the schema does not allow and skips it.
func (w *walker) unknown(name string) {
	ptr := w.here()
	msg := fmt.Sprintf("additional property %q is not allowed", name)
	k := w.kind
	if h, ok := removedFields[strings.TrimPrefix(ptr, w.base)]; ok {
		msg, k = msg+" ("+h+")", ProblemRemovedField
	}
	w.add(ptr, msg, k)
	w.skip()
}

func (w *walker) strings() []string {
	out := []string{}
	ok := w.array(func(int) {
		if s, ok := w.str(); ok {
			out = append(out, s)
		}
	})
	if !ok {
		return nil
	}
	return out
}

func (w *walker) ints() []int64 {
	var out []int64
	w.array(func(int) {
		if n, ok := w.integer(); ok {
			out = append(out, n)
		}
	})
	return out
}

// strMap reads an object of strings.
func (w *walker) strMap() map[string]string {
	m := make(map[string]string, 16)
	w.object(func(name string) {
		if s, ok := w.str(); ok {
			m[name] = s
		}
	})
	return m
}

// end checks that nothing follows the top-level value.
func (w *walker) end() {
	if w.fatal {
		return
	}
	if _, err := w.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the top-level value")
		}
		w.fatal = true
		w.problem("", fmt.Sprintf("not valid JSON: %v (at byte %d)", strings.TrimPrefix(err.Error(), "jsontext: "), w.dec.InputOffset()))
	}
}

// removedFields explains members docker-worker or d2g once had, by payload
// pointer, with what to do instead.
var removedFields = map[string]string{
	"/features/dind":                "features.dind was removed in docker-worker v89 and d2g never supported it: build images in a docker-image task (e.g. with kaniko or taskboot and capabilities.privileged) instead of running a Docker daemon in the task",
	"/features/dockerSave":          "features.dockerSave was removed in docker-worker v89: save what you need from the container as an artifact (artifacts type file, directory or volume)",
	"/dockerSave":                   "dockerSave was removed in docker-worker v89: publish what you need as artifacts",
	"/encryptedEnv":                 "encryptedEnv is not supported by docker-worker v1 or d2g: fetch secrets from the secrets service through features.taskclusterProxy",
	"/capabilities/containerEngine": "capabilities.containerEngine was removed in v80 when podman support was dropped: remove it (d2g always uses docker)",
	"/features/relengAPIProxy":      "features.relengAPIProxy is no longer supported: use features.taskclusterProxy",
	"/features/balrogVPNProxy":      "features.balrogVPNProxy is no longer supported: call the service through features.taskclusterProxy",
	"/features/balrogStageVPNProxy": "features.balrogStageVPNProxy is no longer supported: call the service through features.taskclusterProxy",
}

// RemovedFieldHint returns the explanation for a member docker-worker or
// d2g removed, by pointer relative to the payload.
func RemovedFieldHint(ptr string) (string, bool) {
	h, ok := removedFields[ptr]
	return h, ok
}
