package validator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/dwshim/dwshim/schemas"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

type compiled struct {
	dockerWorker  *jsonschema.Schema
	genericWorker *jsonschema.Schema
	taskDef       *jsonschema.Schema
}

// compiledSchemas compiles the embedded schemas once. They are part of the
// binary, so a failure is a programming error caught by the tests; it is
// still returned as an error instead of panicking.
var compiledSchemas = sync.OnceValues(func() (*compiled, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	for name, raw := range map[string][]byte{
		schemas.DockerWorkerPayloadName:  schemas.DockerWorkerPayloadSchema(),
		schemas.GenericWorkerPayloadName: schemas.GenericWorkerPayloadSchema(),
		schemas.TaskDefinitionName:       schemas.TaskDefinitionSchema(),
	} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("decode embedded schema %s: %w", name, err)
		}
		if err := c.AddResource(schemas.BaseID+name, doc); err != nil {
			return nil, fmt.Errorf("add embedded schema %s: %w", name, err)
		}
	}
	var out compiled
	for name, dst := range map[string]**jsonschema.Schema{
		schemas.DockerWorkerPayloadName:  &out.dockerWorker,
		schemas.GenericWorkerPayloadName: &out.genericWorker,
		schemas.TaskDefinitionName:       &out.taskDef,
	} {
		s, err := c.Compile(schemas.BaseID + name)
		if err != nil {
			return nil, fmt.Errorf("compile embedded schema %s: %w", name, err)
		}
		*dst = s
	}
	return &out, nil
})

// ValidateDockerWorkerPayload checks doc, a value decoded by encoding/json
// (map[string]any, []any, string, float64 or json.Number, bool, nil), against
// the docker-worker v1 payload schema. It returns every violation, sorted by
// pointer then message, or nil when doc is valid. Safe for concurrent use.
//
// Other values that encoding/json can marshal (a typed payload struct,
// []string, int...) are accepted too: they are validated as their JSON
// encoding. Values it cannot marshal give a single problem at "".
func ValidateDockerWorkerPayload(doc any) []Problem {
	return validateDockerWorkerFull(doc)
}

// validateDockerWorkerFull always runs the schema validator.
func validateDockerWorkerFull(doc any) []Problem {
	return validate(func(c *compiled) *jsonschema.Schema { return c.dockerWorker }, doc, removedHints)
}

// ValidateGenericWorkerPayload checks doc (as for ValidateDockerWorkerPayload)
// against the generic-worker multiuser posix payload schema: the native
// payload shape that d2g translation emits.
func ValidateGenericWorkerPayload(doc any) []Problem {
	return validateGenericWorkerFull(doc)
}

// validateGenericWorkerFull always runs the schema validator.
func validateGenericWorkerFull(doc any) []Problem {
	return validate(func(c *compiled) *jsonschema.Schema { return c.genericWorker }, doc, nil)
}

// ValidateTaskDefinition checks doc against the lenient task definition
// schema: payload is an object, scopes, dependencies and routes are arrays of
// strings, provisionerId and workerType come together. Unknown keys are
// allowed and the payload itself is not inspected: validate it with the
// payload function of its format.
func ValidateTaskDefinition(doc any) []Problem {
	return validate(func(c *compiled) *jsonschema.Schema { return c.taskDef }, doc, nil)
}

// ValidateDockerWorkerPayloadJSON decodes b (one JSON value, numbers kept as
// json.Number) and validates it like ValidateDockerWorkerPayload. The error
// is non-nil only when b is not valid JSON; it then names the line and
// column of the syntax error.
func ValidateDockerWorkerPayloadJSON(b []byte) ([]Problem, error) {
	doc, err := DecodeJSON(b)
	if err != nil {
		return nil, err
	}
	return ValidateDockerWorkerPayload(doc), nil
}

// ValidateGenericWorkerPayloadJSON is ValidateDockerWorkerPayloadJSON for the
// generic-worker payload schema.
func ValidateGenericWorkerPayloadJSON(b []byte) ([]Problem, error) {
	doc, err := DecodeJSON(b)
	if err != nil {
		return nil, err
	}
	return ValidateGenericWorkerPayload(doc), nil
}

// DecodeJSON decodes exactly one JSON value from b, keeping numbers as
// json.Number. Syntax errors name the line and column (1-based).
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, jsonError(b, dec.InputOffset(), err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		for end < int64(len(b)) && strings.IndexByte(" \t\r\n", b[end]) >= 0 {
			end++
		}
		line, col := lineCol(b, end)
		return nil, fmt.Errorf("invalid JSON at line %d, column %d: unexpected data after the top-level value", line, col)
	}
	return doc, nil
}

func jsonError(b []byte, fallback int64, err error) error {
	off := fallback
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1 // Offset counts the offending byte
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(b))
	}
	line, col := lineCol(b, off)
	return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}

func validate(pick func(*compiled) *jsonschema.Schema, doc any, hints map[string]map[string]string) []Problem {
	c, err := compiledSchemas()
	if err != nil {
		return []Problem{{Message: "internal error: " + err.Error()}}
	}
	if !plainJSON(doc, 0) {
		b, err := json.Marshal(doc)
		if err != nil {
			return []Problem{{Message: "cannot validate value: " + err.Error()}}
		}
		if doc, err = DecodeJSON(b); err != nil {
			return []Problem{{Message: "cannot validate value: " + err.Error()}}
		}
	}
	err = pick(c).Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		// Not expected: doc holds only encoding/json values here.
		return []Problem{{Message: "cannot validate value: " + err.Error()}}
	}
	return flatten(ve, doc, hints)
}

// plainJSON reports whether v holds only the types encoding/json decodes
// into an any (so the validator can read it as is).
func plainJSON(v any, depth int) bool {
	if depth > 10000 {
		return false
	}
	switch x := v.(type) {
	case nil, string, bool, json.Number:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case map[string]any:
		for _, e := range x {
			if !plainJSON(e, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !plainJSON(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}
