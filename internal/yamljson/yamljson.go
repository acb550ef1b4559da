package yamljson

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
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dwshim/dwshim/internal/jsonptr"
)

// Limits on one document, the strictest of the readers this package
// replaced: a small file with aliases can expand enormously.
const (
	// MaxDepth bounds nesting (an alias of an ancestor recurses forever).
	MaxDepth = 500
	// MaxAliases bounds the aliases followed while converting.
	MaxAliases = 10_000
	// maxNodes bounds the values converted: 1 Mi plus one per input byte
	// (a value takes at least a byte, so only aliases reach it).
	maxNodes = 1 << 20
	// maxOut bounds the JSON written: 4 MiB plus 4 bytes per input byte.
	maxOut = 4 << 20
	// maxPtrBytes bounds the pointers of the position table: 16 MiB plus 8
	// bytes per input byte (long keys deep down would else make it grow
	// with the square of the input); past it, values are located at an
	// ancestor.
	maxPtrBytes = 16 << 20
)

// Pos is a 1-based line and column in the YAML text.
type Pos struct{ Line, Col int }

// Options choose what the YAML may use beyond plain JSON-like data.
type Options struct {
	// MergeKeys resolves YAML merge keys ("<<: *base"): keys written out win
	// over merged ones, an earlier merged mapping over a later one. Without
	// it a merge key is an error (task files: write the keys out).
	MergeKeys bool
	// Timestamps writes !!timestamp scalars (e.g. 2024-01-02) as RFC 3339
	// in UTC, as Taskcluster's YAML loader turns them into dates; without
	// it they stay the strings written.
	Timestamps bool
}

// Doc is one YAML document as JSON, with the position of every value by
// JSON pointer ("" the document itself). Values inside an alias or a
// merged mapping have none of their own: Locate gives the alias's, or the
// mapping's that holds the merge key.
type Doc struct {
	JSON []byte
	Pos  map[string]Pos
}

// Locate returns the position of ptr, or of its deepest ancestor that has
// one (exact false).
func (d *Doc) Locate(ptr string) (p Pos, exact bool) {
	for exact = true; ; exact = false {
		if p, ok := d.Pos[ptr]; ok {
			return p, exact
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return d.Pos[""], false
		}
		ptr = ptr[:i]
	}
}

// Error is YAML that cannot be read as JSON; Line and Col are 0 when
// unknown.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	switch {
	case e.Col > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Decoder reads the documents of a YAML stream one at a time.
type Decoder struct {
	dec  *yaml.Decoder
	size int
	opts Options
}

// NewDecoder reads the YAML documents in data.
func NewDecoder(data []byte, opts Options) *Decoder {
	return &Decoder{dec: yaml.NewDecoder(bytes.NewReader(data)), size: len(data), opts: opts}
}

// Next returns the next document (an empty one is JSON null), and io.EOF
// after the last.
func (d *Decoder) Next() (*Doc, error) {
	var n yaml.Node
	if err := d.dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, syntaxError(err)
	}
	c := &conv{opts: d.opts, pos: map[string]Pos{}, maxNodes: maxNodes + d.size, maxOut: maxOut + 4*d.size, maxPtrBytes: maxPtrBytes + 8*d.size}
	root := &n
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		root = n.Content[0] // the document's position is its content's
	}
	if err := c.value(root, "", true, 0); err != nil {
		return nil, err
	}
	return &Doc{JSON: c.buf.Bytes(), Pos: c.pos}, nil
}

// First returns the first document of data; an empty stream or document
// is an error.
func First(data []byte, opts Options) (*Doc, error) {
	d, err := NewDecoder(data, opts).Next()
	if errors.Is(err, io.EOF) || (err == nil && string(d.JSON) == "null") {
		return nil, &Error{Msg: "empty document"}
	}
	return d, err
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError turns yaml.v3's "yaml: line N: msg" into an *Error.
func syntaxError(err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: line, Msg: m[2]}
	}
	return &Error{Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// conv writes a YAML node tree as JSON.
type conv struct {
	opts                          Options
	buf                           bytes.Buffer
	pos                           map[string]Pos
	nodes, aliases, ptrBytes      int
	maxNodes, maxOut, maxPtrBytes int
}

func fail(n *yaml.Node, format string, args ...any) error {
	return &Error{Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// value writes n. ptr is its pointer; rec says whether positions are
// recorded below it (not inside an alias or a merged mapping, whose
// values are the anchored text's, repeated: they are located at the alias
// or the mapping holding the merge key).
func (c *conv) value(n *yaml.Node, ptr string, rec bool, depth int) error {
	if depth > MaxDepth {
		return fail(n, "YAML nested more than %d levels deep", MaxDepth)
	}
	if c.nodes++; c.nodes > c.maxNodes {
		return fail(n, "YAML has more than %d values (aliases?)", c.maxNodes)
	}
	if c.buf.Len() > c.maxOut {
		return fail(n, "YAML expands to more than %d bytes of JSON (aliases?)", c.maxOut)
	}
	if rec = rec && c.ptrBytes+len(ptr) <= c.maxPtrBytes; rec {
		if _, seen := c.pos[ptr]; !seen {
			c.pos[ptr] = Pos{n.Line, n.Column}
			c.ptrBytes += len(ptr)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			c.buf.WriteString("null")
			return nil
		}
		return c.value(n.Content[0], ptr, rec, depth+1)
	case yaml.AliasNode:
		t, err := c.alias(n)
		if err != nil {
			return err
		}
		return c.value(t, ptr, false, depth+1)
	case yaml.MappingNode:
		ps, err := c.pairs(n, depth)
		if err != nil {
			return err
		}
		c.buf.WriteByte('{')
		for i, p := range ps {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			c.str(p.key)
			c.buf.WriteByte(':')
			if err := c.value(p.val, c.child(ptr, rec && !p.merged, jsonptr.Escape(p.key)), rec && !p.merged, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte('}')
		return nil
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.value(e, c.child(ptr, rec, strconv.Itoa(i)), rec, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return fail(n, "unsupported YAML node")
}

// child is the pointer of a child when positions are recorded: pointers
// are not even built where they would not be kept.
func (c *conv) child(ptr string, rec bool, token string) string {
	if !rec {
		return ""
	}
	return ptr + "/" + token
}

// alias follows an alias node, counting it.
func (c *conv) alias(n *yaml.Node) (*yaml.Node, error) {
	if c.aliases++; c.aliases > MaxAliases {
		return nil, fail(n, "YAML has more than %d aliases", MaxAliases)
	}
	if n.Alias == nil {
		return nil, fail(n, "unknown alias %q", n.Value)
	}
	return n.Alias, nil
}

// pair is one key of a mapping and its value; merged: it came from a
// merge key.
type pair struct {
	key    string
	val    *yaml.Node
	merged bool
}

// pairs lists a mapping's keys in order, merged ones (Options.MergeKeys)
// after those written out.
func (c *conv) pairs(n *yaml.Node, depth int) ([]pair, error) {
	if depth > MaxDepth {
		return nil, fail(n, "YAML nested more than %d levels deep", MaxDepth)
	}
	out := make([]pair, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			var err error
			if k, err = c.alias(k); err != nil {
				return nil, err
			}
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			if !c.opts.MergeKeys {
				return nil, fail(k, "YAML merge keys (<<) are not supported; write the keys out")
			}
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, fail(k, "mapping keys must be strings or other scalars")
		}
		if seen[k.Value] {
			return nil, fail(k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		out = append(out, pair{k.Value, v, false})
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.AliasNode {
			if t, err := c.alias(m); err != nil {
				return nil, err
			} else if t.Kind == yaml.SequenceNode {
				srcs = t.Content
			}
		} else if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			if s.Kind == yaml.AliasNode {
				var err error
				if s, err = c.alias(s); err != nil {
					return nil, err
				}
			}
			if s.Kind != yaml.MappingNode {
				return nil, fail(s, "a merge key (<<) needs a mapping or a list of mappings")
			}
			ps, err := c.pairs(s, depth+1)
			if err != nil {
				return nil, err
			}
			// Merged keys count as values even when written keys hide
			// them: many merges of one large mapping would else take
			// time without bound.
			if c.nodes += len(ps); c.nodes > c.maxNodes {
				return nil, fail(s, "YAML has more than %d values (merge keys?)", c.maxNodes)
			}
			for _, p := range ps {
				if !seen[p.key] {
					seen[p.key] = true
					out = append(out, pair{p.key, p.val, true})
				}
			}
		}
	}
	return out, nil
}

func (c *conv) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return fail(n, "bad boolean %q", n.Value)
		}
		c.buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		var v any
		if err := n.Decode(&v); err != nil {
			return fail(n, "bad integer %q", n.Value)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fail(n, "integer %q: %v", n.Value, err)
		}
		c.buf.Write(b)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return fail(n, "bad number %q", n.Value)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return fail(n, "number %q cannot be written as JSON", n.Value)
		}
		c.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	case "!!timestamp":
		var t time.Time
		if c.opts.Timestamps && n.Decode(&t) == nil {
			c.str(t.UTC().Format(time.RFC3339Nano))
			return nil
		}
		c.str(n.Value)
	default:
		c.str(n.Value)
	}
	return nil
}

// str writes s as a JSON string (no HTML escaping).
func (c *conv) str(s string) {
	enc := json.NewEncoder(&c.buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	c.buf.Truncate(c.buf.Len() - 1) // Encode's newline
}
