package convert

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/dwshim/dwshim/taskfile"
)

// convertWriter writes converted items in the input's shape: one document,
// the rendered {"tasks": [...]} envelope, a task graph (streamed entry by
// entry), an array, or a stream of documents (JSON lines, YAML documents).
type convertWriter struct {
	w      *bufio.Writer
	r      *taskfile.Reader
	shape  taskfile.Shape
	format taskfile.Format
	n      int
	tasks  []json.RawMessage // ShapeTasks, written at close
	seq    *yaml.Node        // ShapeArray in YAML, written at close
	yenc   *yaml.Encoder     // document streams in YAML
}

func newConvertWriter(r *taskfile.Reader, format taskfile.Format, out io.Writer) *convertWriter {
	return &convertWriter{w: bufio.NewWriterSize(out, 64<<10), r: r, shape: r.Shape(), format: format}
}

// yamlEncoder is the encoder for YAML document streams, made on first use
// (an unused yaml.Encoder fails to close).
func (w *convertWriter) yamlEncoder() *yaml.Encoder {
	if w.yenc == nil {
		w.yenc = yaml.NewEncoder(w.w)
		w.yenc.SetIndent(2)
	}
	return w.yenc
}

// item writes (or, for envelopes, collects) one converted item. Items with
// problems are left out, but inside a {"tasks": [...]} envelope, where the
// original is kept so the array stays aligned.
func (w *convertWriter) item(it *taskfile.Item, res converted) error {
	doc := res.doc
	if res.keep {
		doc = it.Raw
	}
	switch w.shape {
	case taskfile.ShapeTasks:
		if doc == nil {
			doc = it.Raw
		}
		w.tasks = append(w.tasks, doc)
		return nil
	case taskfile.ShapeGraph:
		if doc == nil {
			return nil
		}
		entry := it.Entry
		switch {
		case entry == nil:
			entry = doc
		case !res.keep:
			// Splice the converted task into the entry's own bytes.
			end := it.TaskOffset + len(it.Raw)
			spliced := make([]byte, 0, len(entry)-len(it.Raw)+len(doc))
			spliced = append(append(append(spliced, entry[:it.TaskOffset]...), doc...), entry[end:]...)
			entry = spliced
		}
		return w.graphEntry(it.Key, entry)
	case taskfile.ShapeArray:
		if doc == nil {
			return nil
		}
		return w.element(doc)
	}
	if doc == nil {
		return nil
	}
	return w.doc(doc)
}

// doc writes a whole document.
func (w *convertWriter) doc(doc []byte) error {
	switch w.format {
	case taskfile.YAML:
		n, err := taskfile.YAMLNode(doc)
		if err != nil {
			return err
		}
		return w.yamlEncoder().Encode(n)
	case taskfile.JSONLines:
		var buf bytes.Buffer
		if err := json.Compact(&buf, doc); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		buf.WriteByte('\n')
		_, err := w.w.Write(buf.Bytes())
		return err
	}
	if err := indentTo(w.w, doc, ""); err != nil {
		return err
	}
	return w.w.WriteByte('\n')
}

func (w *convertWriter) graphEntry(key string, entry []byte) error {
	defer func() { w.n++ }()
	if w.format == taskfile.YAML {
		v, err := taskfile.YAMLNode(entry)
		if err != nil {
			return err
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v}}
		enc := yaml.NewEncoder(w.w)
		enc.SetIndent(2)
		if err := enc.Encode(m); err != nil {
			return err
		}
		return enc.Close()
	}
	sep := ",\n  "
	if w.n == 0 {
		sep = "{\n  "
	}
	kb, _ := json.Marshal(key)
	w.w.WriteString(sep)
	w.w.Write(kb)
	w.w.WriteString(": ")
	_, err := w.w.Write(entry) // the entry's own bytes, converted task spliced in
	return err
}

func (w *convertWriter) element(doc []byte) error {
	defer func() { w.n++ }()
	if w.format == taskfile.YAML {
		n, err := taskfile.YAMLNode(doc)
		if err != nil {
			return err
		}
		if w.seq == nil {
			w.seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		}
		w.seq.Content = append(w.seq.Content, n)
		return nil
	}
	sep := ",\n  "
	if w.n == 0 {
		sep = "[\n  "
	}
	w.w.WriteString(sep)
	return indentTo(w.w, doc, "  ")
}

// abort flushes what was written without closing any container.
func (w *convertWriter) abort() error { return w.w.Flush() }

// close finishes the output and flushes it.
func (w *convertWriter) close() error {
	var err error
	switch w.shape {
	case taskfile.ShapeTasks:
		err = w.closeTasks()
	case taskfile.ShapeGraph:
		err = w.closeContainer("{}", "}")
	case taskfile.ShapeArray:
		if w.format == taskfile.YAML {
			if w.seq == nil {
				w.seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			}
			err = w.yamlEncoder().Encode(w.seq)
		} else {
			err = w.closeContainer("[]", "]")
		}
	}
	if w.yenc != nil && err == nil {
		err = w.yenc.Close()
	}
	if ferr := w.w.Flush(); err == nil {
		err = ferr
	}
	return err
}

func (w *convertWriter) closeContainer(empty, end string) error {
	if w.format == taskfile.YAML {
		if w.n == 0 {
			_, err := w.w.WriteString(empty + "\n")
			return err
		}
		return nil
	}
	if w.n == 0 {
		_, err := w.w.WriteString(empty + "\n")
		return err
	}
	_, err := w.w.WriteString("\n" + end + "\n")
	return err
}

func (w *convertWriter) closeTasks() error {
	var arr bytes.Buffer
	arr.WriteByte('[')
	for i, t := range w.tasks {
		if i > 0 {
			arr.WriteByte(',')
		}
		arr.Write(t)
	}
	arr.WriteByte(']')
	env, err := taskfile.ReplaceMember(w.r.Envelope(), "tasks", arr.Bytes())
	if err != nil {
		return err
	}
	return w.doc(env)
}

// indentTo writes doc indented by two spaces per level, every line after
// the first prefixed with prefix.
func indentTo(w *bufio.Writer, doc []byte, prefix string) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, doc, prefix, "  "); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
