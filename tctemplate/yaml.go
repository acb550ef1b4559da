package tctemplate

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dwshim/dwshim/internal/yamljson"
)

// Pos is a 1-based line and column in the template file.
type Pos = yamljson.Pos

// document is a parsed template: its JSON value and where each node is.
type document struct {
	value any
	yaml  *yamljson.Doc
}

// Limits for template files (they are small; a larger one is hostile).
// Aliases, nesting and expansion are bounded by yamljson.
const (
	maxFile   = 8 << 20
	maxTasks  = 10_000
	maxEvents = 32
)

// parse reads one YAML (or JSON) document, with YAML merge keys, and
// timestamps as RFC 3339 strings (as Taskcluster's YAML loader reads them).
func parse(data []byte) (*document, error) {
	if len(data) > maxFile {
		return nil, fmt.Errorf("template is larger than %d bytes", maxFile)
	}
	y, err := yamljson.First(data, yamljson.Options{MergeKeys: true, Timestamps: true})
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(y.JSON, &v); err != nil {
		return nil, fmt.Errorf("template as JSON: %w", err)
	}
	return &document{value: v, yaml: y}, nil
}

// locate returns the position of ptr, or of its deepest ancestor that has
// one (ok false).
func (d *document) locate(ptr string) (Pos, bool) { return d.yaml.Locate(ptr) }

// ParseContext reads a JSON or YAML object, such as a --context file.
func ParseContext(data []byte) (map[string]any, error) {
	doc, err := parse(data)
	if err != nil {
		return nil, err
	}
	m, ok := doc.value.(map[string]any)
	if !ok {
		return nil, errors.New("a context must be an object")
	}
	return m, nil
}
