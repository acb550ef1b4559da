package taskfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML limits: aliases can make a small file expand enormously, so the
// JSON may be at most a fixed allowance plus a few times the input.
const (
	maxYAMLDepth = 1000
	yamlAllow    = 4 << 20
)

// openYAML reads every YAML document (YAML is not streamed), converts each
// to JSON with string keys, and remembers where each value was.
func (r *Reader) openYAML(in io.Reader) error {
	// YAML is read whole: it is bounded by the per-task limit.
	data, err := io.ReadAll(io.LimitReader(in, MaxTaskSize+1))
	if err != nil {
		return &readError{file: r.file, err: err}
	}
	if len(data) > MaxTaskSize {
		return &SyntaxError{File: r.file, Msg: fmt.Sprintf("YAML input larger than %d MiB (the per-task size limit; YAML is read whole): split it, or convert it to JSON", MaxTaskSize>>20)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return yamlError(r.file, err)
		}
		if len(n.Content) == 0 || n.Content[0].ShortTag() == "!!null" {
			continue
		}
		c := &yconv{pos: map[string]filePos{}, limit: yamlAllow + 4*len(data)}
		if err := c.value(n.Content[0], "", 0); err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				se.File = r.file
			}
			return err
		}
		items, shape, env := classifyJSON(c.buf.Bytes(), filePos{1, 1})
		for _, it := range items {
			p := c.pos[it.docPtr]
			it.Line, it.Column = p.line, p.col
			it.loc = yamlLocator{pos: c.pos, base: it.docPtr}
		}
		docs++
		r.shape, r.envelope = shape, env
		r.push(items...)
	}
	if docs == 0 {
		return &SyntaxError{File: r.file, Msg: "empty input"}
	}
	if docs > 1 {
		r.shape, r.envelope = ShapeStream, nil
	}
	r.format = YAML
	return nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &SyntaxError{File: file, Line: line, Msg: m[2]}
	}
	return &SyntaxError{File: file, Msg: msg}
}

// aliased is the pointer used below an alias, whose values have no
// positions of their own.
const aliased = "\x00alias"

func child(ptr, tok string) string {
	if ptr == aliased {
		return aliased
	}
	return ptr + "/" + tok
}

// yconv writes a YAML node tree as JSON, recording each value's position
// under its JSON pointer.
type yconv struct {
	buf   bytes.Buffer
	pos   map[string]filePos
	limit int
}

func (c *yconv) fail(n *yaml.Node, format string, args ...any) error {
	return &SyntaxError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

func (c *yconv) value(n *yaml.Node, ptr string, depth int) error {
	if depth > maxYAMLDepth {
		return c.fail(n, "YAML nested too deeply")
	}
	if c.buf.Len() > c.limit {
		return c.fail(n, "YAML expands to more than %d bytes of JSON (aliases?)", c.limit)
	}
	if _, seen := c.pos[ptr]; !seen && ptr != aliased {
		c.pos[ptr] = filePos{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			c.buf.WriteString("null")
			return nil
		}
		return c.value(n.Content[0], ptr, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return c.fail(n, "unknown alias %q", n.Value)
		}
		// Positions inside an alias are the anchor's: locate the alias.
		return c.value(n.Alias, aliased, depth+1)
	case yaml.MappingNode:
		return c.mapping(n, ptr, depth)
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.value(e, child(ptr, strconv.Itoa(i)), depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return c.fail(n, "unsupported YAML node")
}

func (c *yconv) mapping(n *yaml.Node, ptr string, depth int) error {
	c.buf.WriteByte('{')
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.ShortTag() == "!!merge" {
			return c.fail(k, "YAML merge keys (<<) are not supported; write the keys out")
		}
		if k.Kind != yaml.ScalarNode {
			return c.fail(k, "mapping keys must be strings or other scalars")
		}
		if seen[k.Value] {
			return c.fail(k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		if i > 0 {
			c.buf.WriteByte(',')
		}
		c.str(k.Value)
		c.buf.WriteByte(':')
		if err := c.value(v, child(ptr, escapeToken(k.Value)), depth+1); err != nil {
			return err
		}
	}
	c.buf.WriteByte('}')
	return nil
}

func (c *yconv) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return c.fail(n, "bad boolean %q", n.Value)
		}
		c.buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		var v any
		if err := n.Decode(&v); err != nil {
			return c.fail(n, "bad integer %q", n.Value)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return c.fail(n, "integer %q: %v", n.Value, err)
		}
		c.buf.Write(b)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return c.fail(n, "bad number %q", n.Value)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return c.fail(n, "number %q cannot be written as JSON", n.Value)
		}
		c.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		c.str(n.Value)
	}
	return nil
}

func (c *yconv) str(s string) {
	enc := json.NewEncoder(&c.buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	c.buf.Truncate(c.buf.Len() - 1) // Encode's newline
}

// yamlLocator finds pointers in the position table of a YAML document.
type yamlLocator struct {
	pos  map[string]filePos
	base string
}

func (l yamlLocator) locate(ptr string) (int, int, bool) {
	full := l.base + ptr
	for ok := true; ; ok = false {
		if p, found := l.pos[full]; found {
			return p.line, p.col, ok
		}
		i := strings.LastIndexByte(full, '/')
		if i < 0 {
			return 0, 0, false
		}
		full = full[:i]
	}
}
