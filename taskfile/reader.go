package taskfile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

type mode int

const (
	modeDone mode = iota
	modeGraph
	modeLines
	modeArray
)

// Reader yields the Items of one input. It is not safe for concurrent use.
type Reader struct {
	file     string
	format   Format
	shape    Shape
	envelope json.RawMessage

	tr      *tracker
	dec     *json.Decoder
	mode    mode
	members int // members or elements read in the streamed container
	index   int // next item index
	pending []*Item
	err     error
	closer  io.Closer
}

// Open detects the input's format and shape, reading as little as it needs
// (for a graph, its first entry), and returns a Reader for its items. name
// is used in messages and, by its extension (.json, .jsonl, .yml, .yaml,
// optionally followed by .gz), to choose the syntax; other names are sniffed
// (a first '{' or '[' means JSON, anything else YAML). gzip input is
// decompressed transparently.
func Open(name string, r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, &readError{file: name, err: fmt.Errorf("gunzip: %w", err)}
		}
		br = bufio.NewReaderSize(gz, 64<<10)
	}
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	rd := &Reader{file: name, format: sniff(name, br)}
	if rd.format == YAML {
		return rd, rd.openYAML(br)
	}
	return rd, rd.openJSON(br)
}

func sniff(name string, br *bufio.Reader) Format {
	ext := strings.ToLower(path.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")))
	switch ext {
	case ".yml", ".yaml":
		return YAML
	case ".json", ".jsonl", ".ndjson":
		return JSON
	}
	for i := 1; ; i++ {
		b, _ := br.Peek(i)
		if len(b) < i {
			return JSON // empty or unreadable: the JSON path reports it
		}
		switch c := b[i-1]; c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return JSON
		default:
			if c < 0x20 || c == 0x7f {
				return JSON // binary: the JSON path reports it at once
			}
			return YAML
		}
	}
}

// Format is the input's syntax: JSON, JSONLines or YAML.
func (r *Reader) Format() Format { return r.format }

// Shape is how the input lays out its tasks.
func (r *Reader) Shape() Shape { return r.shape }

// Envelope is, for ShapeTasks, the whole {"tasks": [...]} document (as
// JSON), so that callers can write it back with the tasks replaced.
func (r *Reader) Envelope() json.RawMessage { return r.envelope }

// Close closes the file OpenFile opened; it is a no-op for Open.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Next returns the next item, or io.EOF after the last one. After any other
// error the Reader is done and returns that error again.
func (r *Reader) Next() (*Item, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return nil, r.err
		}
		r.err = r.advance()
	}
	it := r.pending[0]
	r.pending[0] = nil
	r.pending = r.pending[1:]
	return it, nil
}

func (r *Reader) advance() error {
	switch r.mode {
	case modeGraph:
		return r.nextMember()
	case modeLines:
		return r.nextLine()
	case modeArray:
		return r.nextElement()
	}
	return io.EOF
}

func (r *Reader) push(items ...*Item) {
	for _, it := range items {
		it.File = r.file
		it.Index = r.index
		r.index++
		r.pending = append(r.pending, it)
	}
}

func (r *Reader) openJSON(br io.Reader) error {
	r.tr = newTracker(br)
	r.tr.hold = true // keep the first document whole until its shape is known
	r.dec = json.NewDecoder(r.tr)
	r.format = JSON
	tok, err := r.dec.Token()
	if err == io.EOF {
		return &SyntaxError{File: r.file, Msg: "empty input"}
	}
	if err != nil {
		return r.tr.syntaxError(r.file, err, 0, "")
	}
	start := r.tr.skipSep(0)
	switch tok {
	case json.Delim('['):
		r.tr.hold = false
		r.shape, r.mode = ShapeArray, modeArray
		return nil
	case json.Delim('{'):
		return r.openObject(start)
	}
	line, col := r.tr.pos(start)
	return &SyntaxError{File: r.file, Line: line, Column: col,
		Msg: "expected a JSON object (payload, task definition or task graph) or an array of them"}
}

// openObject reads the first member of the top-level object: a value that
// is itself an object with a "task" object makes the input a task graph,
// streamed from here on; otherwise the document is read whole.
func (r *Reader) openObject(start int64) error {
	if !r.dec.More() {
		// "{}": an empty task graph (taskgraph writes one for no tasks).
		if _, err := r.dec.Token(); err != nil {
			return r.tr.syntaxError(r.file, err, 0, "")
		}
		r.tr.hold = false
		r.shape, r.mode = ShapeGraph, modeDone
		if _, err := r.dec.Token(); err != io.EOF {
			line, col := r.tr.pos(r.tr.skipSep(r.dec.InputOffset()))
			return &SyntaxError{File: r.file, Line: line, Column: col, Msg: "unexpected data after the end of the top-level value"}
		}
		return nil
	}
	{
		tok, err := r.dec.Token()
		if err != nil {
			return r.tr.syntaxError(r.file, err, 0, "")
		}
		key, _ := tok.(string)
		vstart := r.tr.skipSep(r.dec.InputOffset())
		var v json.RawMessage
		if err := r.dec.Decode(&v); err != nil {
			return r.tr.syntaxError(r.file, err, 0, "")
		}
		if isGraphEntry(v) {
			r.tr.hold = false
			r.shape, r.mode, r.members = ShapeGraph, modeGraph, 1
			r.push(r.graphItem(key, v, vstart))
			return nil
		}
		for r.dec.More() {
			if _, err := r.dec.Token(); err != nil {
				return r.tr.syntaxError(r.file, err, 0, "")
			}
			if err := r.dec.Decode(&v); err != nil {
				return r.tr.syntaxError(r.file, err, 0, "")
			}
		}
	}
	if _, err := r.dec.Token(); err != nil {
		return r.tr.syntaxError(r.file, err, 0, "")
	}
	end := r.dec.InputOffset()
	doc := append(json.RawMessage(nil), r.tr.bytesFrom(start)[:end-start]...)
	line, col := r.tr.pos(start)
	r.tr.hold = false
	r.tr.discard(end)
	items, shape, env := classifyJSON(doc, filePos{line, col})
	r.shape = shape
	r.envelope = env
	r.push(items...)
	if r.dec.More() {
		// A second document follows: JSON lines.
		r.format, r.shape, r.mode = JSONLines, ShapeStream, modeLines
		r.envelope = nil
	}
	return nil
}

func (r *Reader) nextMember() error {
	from := r.dec.InputOffset()
	r.tr.discard(from)
	if !r.dec.More() {
		return r.closeContainer(from, `{"k":0`)
	}
	prefix := `{"k":0`
	if r.members == 0 {
		prefix = `{`
	}
	tok, err := r.dec.Token()
	if err != nil {
		return r.tr.syntaxError(r.file, err, from, prefix)
	}
	key, _ := tok.(string)
	vstart := r.tr.skipSep(r.dec.InputOffset())
	var v json.RawMessage
	if err := r.dec.Decode(&v); err != nil {
		return r.tr.syntaxError(r.file, err, from, prefix)
	}
	r.members++
	r.push(r.graphItem(key, v, vstart))
	return nil
}

func (r *Reader) nextElement() error {
	from := r.dec.InputOffset()
	r.tr.discard(from)
	prefix := `[0`
	if r.members == 0 {
		prefix = `[`
	}
	if !r.dec.More() {
		return r.closeContainer(from, prefix)
	}
	vstart := r.tr.skipSep(from)
	var v json.RawMessage
	if err := r.dec.Decode(&v); err != nil {
		return r.tr.syntaxError(r.file, err, from, prefix)
	}
	r.members++
	line, col := r.tr.pos(vstart)
	items, _, _ := classifyJSON(v, filePos{line, col})
	r.push(items...)
	return nil
}

func (r *Reader) nextLine() error {
	from := r.dec.InputOffset()
	r.tr.discard(from)
	if !r.dec.More() {
		_, err := r.dec.Token()
		if err == io.EOF {
			return io.EOF
		}
		if err == nil {
			err = &json.SyntaxError{}
		}
		return r.tr.syntaxError(r.file, err, from, "")
	}
	vstart := r.tr.skipSep(from)
	var v json.RawMessage
	if err := r.dec.Decode(&v); err != nil {
		return r.tr.syntaxError(r.file, err, from, "")
	}
	line, col := r.tr.pos(vstart)
	items, _, _ := classifyJSON(v, filePos{line, col})
	r.push(items...)
	return nil
}

// closeContainer reads the closing '}' or ']' of the streamed container and
// checks that nothing but whitespace follows.
func (r *Reader) closeContainer(from int64, prefix string) error {
	if _, err := r.dec.Token(); err != nil {
		return r.tr.syntaxError(r.file, err, from, prefix)
	}
	end := r.dec.InputOffset()
	r.tr.discard(end)
	r.mode = modeDone
	if _, err := r.dec.Token(); err != io.EOF {
		var se *json.SyntaxError
		if err != nil && !errors.As(err, &se) {
			return &readError{file: r.file, err: err}
		}
		line, col := r.tr.pos(r.tr.skipSep(end))
		return &SyntaxError{File: r.file, Line: line, Column: col,
			Msg: "unexpected data after the end of the top-level value"}
	}
	return io.EOF
}

func (r *Reader) graphItem(key string, v json.RawMessage, vstart int64) *Item {
	line, col := r.tr.pos(vstart)
	return graphItem(key, v, filePos{line, col})
}
