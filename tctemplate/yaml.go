package tctemplate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Pos is a 1-based line and column in the template file.
type Pos struct{ Line, Col int }

// document is a parsed template: its JSON value and where each node is.
type document struct {
	value any
	pos   map[string]Pos // JSON pointer → position of the value
}

// Limits for template files (they are small; a larger one is hostile).
const (
	maxFile   = 8 << 20
	maxDepth  = 500
	maxNodes  = 1 << 20
	maxAlias  = 10_000
	maxTasks  = 10_000
	maxEvents = 32
)

type loader struct {
	pos     map[string]Pos
	nodes   int
	aliases int
}

// parse reads one YAML (or JSON) document.
func parse(data []byte) (*document, error) {
	if len(data) > maxFile {
		return nil, fmt.Errorf("template is larger than %d bytes", maxFile)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty document")
		}
		return nil, err
	}
	if len(n.Content) == 0 {
		return nil, errors.New("empty document")
	}
	l := &loader{pos: map[string]Pos{}}
	v, err := l.value(n.Content[0], "", 0)
	if err != nil {
		return nil, err
	}
	return &document{value: v, pos: l.pos}, nil
}

func (l *loader) value(n *yaml.Node, ptr string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested too deeply", n.Line)
	}
	l.nodes++
	if l.nodes > maxNodes {
		return nil, errors.New("template has too many nodes")
	}
	if _, ok := l.pos[ptr]; !ok {
		l.pos[ptr] = Pos{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.AliasNode:
		l.aliases++
		if l.aliases > maxAlias {
			return nil, errors.New("template has too many aliases")
		}
		return l.value(n.Alias, ptr, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return l.value(n.Content[0], ptr, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := l.value(c, ptr+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				if err := l.merge(out, vn, ptr, depth); err != nil {
					return nil, err
				}
				continue
			}
			key := k.Value
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key must be a scalar", k.Line)
			}
			v, err := l.value(vn, ptr+"/"+escape(key), depth+1)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		return out, nil
	}
	return scalar(n)
}

// merge applies a YAML merge key ("<<: *base").
func (l *loader) merge(out map[string]any, n *yaml.Node, ptr string, depth int) error {
	srcs := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		srcs = n.Content
	}
	for _, s := range srcs {
		v, err := l.value(s, ptr, depth+1)
		if err != nil {
			return err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("line %d: a merge key needs a mapping", s.Line)
		}
		for k, e := range m {
			if _, set := out[k]; !set {
				out[k] = e
			}
		}
	}
	return nil
}

func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, err
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, err
			}
			return f, nil
		}
		return float64(i), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
		}
		return f, nil
	case "!!timestamp":
		var t time.Time
		if err := n.Decode(&t); err == nil {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
	}
	return n.Value, nil
}

func escape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// locate returns the position of ptr, or of its deepest ancestor that has
// one (ok false).
func (d *document) locate(ptr string) (Pos, bool) {
	if p, ok := d.pos[ptr]; ok {
		return p, true
	}
	for ptr != "" {
		i := strings.LastIndexByte(ptr, '/')
		ptr = ptr[:i]
		if p, ok := d.pos[ptr]; ok {
			return p, false
		}
	}
	return d.pos[""], false
}

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
