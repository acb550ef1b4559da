package taskfile

import (
	"errors"
	"fmt"
	"io"

	"github.com/dwshim/dwshim/internal/yamljson"
)

// openYAML reads every YAML document (YAML is not streamed) as JSON
// (package yamljson: string keys, no merge keys, bounded against aliases),
// remembering where each value was.
func (r *Reader) openYAML(in io.Reader) error {
	// YAML is read whole: it is bounded by the per-task limit.
	data, err := io.ReadAll(io.LimitReader(in, MaxTaskSize+1))
	if err != nil {
		return &readError{file: r.file, err: err}
	}
	if len(data) > MaxTaskSize {
		return &SyntaxError{File: r.file, Msg: fmt.Sprintf("YAML input larger than %d MiB (the per-task size limit; YAML is read whole): split it, or convert it to JSON", MaxTaskSize>>20)}
	}
	dec := yamljson.NewDecoder(data, yamljson.Options{})
	docs := 0
	for {
		doc, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return yamlError(r.file, err)
		}
		if string(doc.JSON) == "null" {
			continue
		}
		items, shape, env := classifyJSON(doc.JSON, filePos{1, 1})
		for _, it := range items {
			p := doc.Pos[it.docPtr]
			it.Line, it.Column = p.Line, p.Col
			it.loc = yamlLocator{doc: doc, base: it.docPtr}
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

// yamlError names the file and position of a yamljson error.
func yamlError(file string, err error) error {
	var ye *yamljson.Error
	if errors.As(err, &ye) {
		return &SyntaxError{File: file, Line: ye.Line, Column: ye.Col, Msg: ye.Msg}
	}
	return &SyntaxError{File: file, Msg: err.Error()}
}

// yamlLocator finds pointers below base in a YAML document's positions.
type yamlLocator struct {
	doc  *yamljson.Doc
	base string
}

func (l yamlLocator) locate(ptr string) (int, int, bool) {
	p, exact := l.doc.Locate(l.base + ptr)
	return p.Line, p.Col, exact && p.Line > 0
}
