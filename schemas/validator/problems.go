package validator

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/schemas"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/dwshim/dwshim/internal/jsonptr"
)

// removedHints explains additional properties that docker-worker once
// accepted. Keyed by the pointer of the object holding the property, then
// the property name.
var removedHints = map[string]map[string]string{
	"": {
		"encryptedEnv": "encryptedEnv is not supported by docker-worker v1 or d2g; use secrets",
		"dockerSave":   "dockerSave was removed from docker-worker in v89",
	},
	"/features": {
		"dind":           "features.dind was removed from docker-worker in v89",
		"dockerSave":     "features.dockerSave was removed from docker-worker in v89",
		"relengAPIProxy": "features.relengAPIProxy is no longer supported; use features.taskclusterProxy",
	},
	"/capabilities": {
		"containerEngine": "capabilities.containerEngine was removed in v80 when podman support was dropped",
	},
}

// oneOfSummaries gives the one message reported when a value matches none
// of the forms of a oneOf, keyed by the suffix of the schema location.
var oneOfSummaries = []struct{ suffix, msg string }{
	{schemas.DockerWorkerPayloadName + "#/properties/image", "must be a docker image reference string or an object of type docker-image, indexed-image or task-image"},
	{"#/definitions/mount", "must be a file mount {file, content}, a writable directory cache {directory, cacheName} or a read-only directory {directory, content, format}"},
	{"#/definitions/content", "must be a content object with exactly one source: {taskId, artifact}, {namespace, artifact}, {url}, {raw} or {base64}"},
}

var printer = message.NewPrinter(language.English)

// leaf is one problem with the kind of error that produced it.
type leaf struct {
	Problem
	kind jsonschema.ErrorKind
}

type flattener struct {
	doc   any
	hints map[string]map[string]string
}

// flatten turns the validator's error tree into sorted, de-duplicated leaf
// problems.
func flatten(ve *jsonschema.ValidationError, doc any, hints map[string]map[string]string) []Problem {
	f := flattener{doc: doc, hints: hints}
	leaves := f.walk(ve)
	out := make([]Problem, 0, len(leaves))
	for _, l := range leaves {
		out = append(out, l.Problem)
	}
	return sortProblems(out)
}

// sortProblems sorts by pointer then message and drops duplicates.
func sortProblems(ps []Problem) []Problem {
	slices.SortFunc(ps, func(a, b Problem) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return slices.Compact(ps)
}

func (f *flattener) walk(e *jsonschema.ValidationError) []leaf {
	switch k := e.ErrorKind.(type) {
	case *kind.OneOf:
		return f.oneOf(e, k)
	case *kind.AnyOf:
		return f.oneOf(e, &kind.OneOf{})
	}
	if len(e.Causes) > 0 {
		var out []leaf
		for _, c := range e.Causes {
			out = append(out, f.walk(c)...)
		}
		return out
	}
	return f.leaves(e)
}

// oneOf reports a single summary for a value that matches none (or several)
// of the forms, plus the details of the form the value most likely meant.
func (f *flattener) oneOf(e *jsonschema.ValidationError, k *kind.OneOf) []leaf {
	ptr := jsonptr.Join(e.InstanceLocation)
	summary := "must match exactly one of the allowed forms"
	for _, s := range oneOfSummaries {
		if strings.HasSuffix(e.SchemaURL, s.suffix) {
			summary = s.msg
			break
		}
	}
	if len(k.Subschemas) > 1 {
		return []leaf{{Problem{ptr, summary + " (it matches several)"}, k}}
	}
	out := []leaf{{Problem{ptr, summary}, k}}
	branches := make([][]leaf, len(e.Causes))
	for i, c := range e.Causes {
		branches[i] = f.walk(c)
	}
	obj, _ := lookup(f.doc, e.InstanceLocation).(map[string]any)
	if obj == nil {
		return out
	}
	_, hasType := obj["type"]
	best, bestN, tie := -1, 0, false
	for i, b := range branches {
		if len(b) == 0 || wrongShape(b, ptr, hasType) {
			continue
		}
		switch {
		case best < 0 || len(b) < bestN:
			best, bestN, tie = i, len(b), false
		case len(b) == bestN:
			tie = true
		}
	}
	if best >= 0 && !tie {
		out = append(out, branches[best]...)
	}
	return out
}

// wrongShape reports whether a oneOf branch failed because the value is of
// another JSON type or, when the value has a "type" discriminator, because
// the discriminator names another form.
func wrongShape(b []leaf, ptr string, hasType bool) bool {
	for _, l := range b {
		if _, ok := l.kind.(*kind.Type); ok && l.Pointer == ptr {
			return true
		}
		if hasType && l.Pointer == ptr+"/type" {
			return true
		}
	}
	return false
}

// leaves renders one error without causes as one or more problems.
func (f *flattener) leaves(e *jsonschema.ValidationError) []leaf {
	ptr := jsonptr.Join(e.InstanceLocation)
	one := func(msg string) []leaf { return []leaf{{Problem{ptr, msg}, e.ErrorKind}} }
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return one("must be " + typeList(k.Want))
	case *kind.Required:
		var out []leaf
		for _, m := range k.Missing {
			out = append(out, leaf{Problem{ptr, fmt.Sprintf("required property %q is missing", m)}, k})
		}
		return out
	case *kind.AdditionalProperties:
		var out []leaf
		for _, p := range k.Properties {
			msg := fmt.Sprintf("additional property %q is not allowed", p)
			if h := f.hints[ptr][p]; h != "" {
				msg += " (" + h + ")"
			}
			out = append(out, leaf{Problem{ptr + "/" + jsonptr.Escape(p), msg}, k})
		}
		return out
	case *kind.Dependency:
		var out []leaf
		for _, m := range k.Missing {
			out = append(out, leaf{Problem{ptr, fmt.Sprintf("required property %q is missing (needed when %q is present)", m, k.Prop)}, k})
		}
		return out
	case *kind.Enum:
		return one(enumMessage(k.Want) + gotSuffix(k.Got))
	case *kind.Const:
		return one("must be " + display(k.Want) + gotSuffix(k.Got))
	case *kind.Format:
		return one(formatMessage(k.Want) + gotSuffix(k.Got))
	case *kind.Minimum:
		return one("must be at least " + ratString(k.Want))
	case *kind.Maximum:
		return one("must be at most " + ratString(k.Want))
	case *kind.ExclusiveMinimum:
		return one("must be greater than " + ratString(k.Want))
	case *kind.ExclusiveMaximum:
		return one("must be less than " + ratString(k.Want))
	case *kind.MultipleOf:
		if k.Want != nil && k.Want.IsInt() && k.Want.Num().IsInt64() && k.Want.Num().Int64() == 1 {
			return one("must be an integer")
		}
		return one("must be a multiple of " + ratString(k.Want))
	case *kind.MinItems:
		return one(fmt.Sprintf("must have at least %d item(s)", k.Want))
	case *kind.MaxItems:
		return one(fmt.Sprintf("must have at most %d item(s)", k.Want))
	case *kind.MinLength:
		return one(fmt.Sprintf("must be at least %d character(s) long", k.Want))
	case *kind.MaxLength:
		return one(fmt.Sprintf("must be at most %d character(s) long", k.Want))
	case *kind.Pattern:
		return one(fmt.Sprintf("must match the pattern %s", k.Want))
	case *kind.UniqueItems:
		return one(fmt.Sprintf("items must be unique (items %d and %d are equal)", k.Duplicates[0], k.Duplicates[1]))
	case *kind.FalseSchema:
		return one("is not allowed")
	}
	return one(e.ErrorKind.LocalizedString(printer))
}

func typeList(want []string) string {
	names := make([]string, len(want))
	for i, w := range want {
		switch w {
		case "object", "array", "integer":
			names[i] = "an " + w
		case "null":
			names[i] = "null"
		default:
			names[i] = "a " + w
		}
	}
	return strings.Join(names, " or ")
}

func enumMessage(want []any) string {
	if len(want) == 1 {
		return "must be " + display(want[0])
	}
	vals := make([]string, len(want))
	for i, w := range want {
		vals[i] = display(w)
	}
	return "must be one of " + strings.Join(vals, ", ")
}

func formatMessage(format string) string {
	switch format {
	case "date-time":
		return "must be a date-time in RFC 3339 form, like 2026-01-02T15:04:05.000Z"
	case "uri":
		return "must be an absolute URI"
	}
	return "must be a valid " + format
}

// gotSuffix shows a short primitive value that was given.
func gotSuffix(v any) string {
	switch v.(type) {
	case string, json.Number, float64, bool, nil:
		s := display(v)
		if len(s) > 80 {
			s = s[:77] + "..."
		}
		return ", got " + s
	}
	return ""
}

func display(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(6)
}

// lookup returns the value at the given location of doc, or nil.
func lookup(doc any, tokens []string) any {
	v := doc
	for _, t := range tokens {
		switch x := v.(type) {
		case map[string]any:
			v = x[t]
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
