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

	"github.com/go-json-experiment/json/jsontext"
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
	dec     *jsontext.Decoder
	mode    mode
	members int // members or elements read in the streamed container
	index   int // next item index
	pending []*Item
	err     error
	closer  io.Closer
	lazy    bool // graph entries are classified by Item.Classify
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
	r.dec = jsontext.NewDecoder(r.tr)
	r.format = JSON
	switch r.dec.PeekKind() {
	case '[':
		if _, err := r.dec.ReadToken(); err != nil {
			return r.syntaxError(err)
		}
		r.tr.hold = false
		r.shape, r.mode = ShapeArray, modeArray
		return nil
	case '{':
		start := r.tr.skipSep(0)
		if _, err := r.dec.ReadToken(); err != nil {
			return r.syntaxError(err)
		}
		return r.openObject(start)
	case 0:
		if _, err := r.dec.ReadToken(); err == io.EOF {
			return &SyntaxError{File: r.file, Msg: "empty input"}
		} else if err != nil {
			return r.syntaxError(err)
		}
	}
	line, col := r.tr.pos(r.tr.skipSep(0))
	return &SyntaxError{File: r.file, Line: line, Column: col,
		Msg: "expected a JSON object (payload, task definition or task graph) or an array of them"}
}

// value reads the next value and returns a copy with its start offset.
func (r *Reader) value() (json.RawMessage, int64, error) {
	vstart := r.tr.skipSep(r.dec.InputOffset())
	v, err := r.dec.ReadValue()
	if err != nil {
		return nil, 0, err
	}
	return bytes.Clone(v), vstart, nil
}

// name reads an object member's name.
func (r *Reader) name() (string, error) {
	tok, err := r.dec.ReadToken()
	if err != nil {
		return "", err
	}
	return tok.String(), nil
}

// openObject reads the first member of the top-level object: a value that
// is itself an object with a "task" object makes the input a task graph,
// streamed from here on; otherwise the document is read whole.
func (r *Reader) openObject(start int64) error {
	if r.dec.PeekKind() == '}' {
		// "{}": an empty task graph (taskgraph writes one for no tasks).
		r.tr.hold = false
		r.shape = ShapeGraph
		return noEOF(r.closeContainer())
	}
	key, err := r.name()
	if err != nil {
		return r.syntaxError(err)
	}
	v, vstart, err := r.value()
	if err != nil {
		return r.syntaxError(err)
	}
	if isGraphEntry(v) {
		r.tr.hold = false
		r.shape, r.mode, r.members = ShapeGraph, modeGraph, 1
		r.push(r.graphItem(key, v, vstart))
		return nil
	}
	for r.dec.PeekKind() == '"' {
		if _, err := r.dec.ReadToken(); err != nil {
			return r.syntaxError(err)
		}
		if err := r.dec.SkipValue(); err != nil {
			return r.syntaxError(err)
		}
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return r.syntaxError(err)
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
	if r.dec.PeekKind() != 0 {
		// A second document follows: JSON lines.
		r.format, r.shape, r.mode = JSONLines, ShapeStream, modeLines
		r.envelope = nil
		return nil
	}
	return noEOF(r.atEOF())
}

// noEOF: at Open, a clean end of input is no error.
func noEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

func (r *Reader) nextMember() error {
	r.tr.discard(r.dec.InputOffset())
	if r.dec.PeekKind() != '"' {
		return r.closeContainer()
	}
	key, err := r.name()
	if err != nil {
		return r.syntaxError(err)
	}
	v, vstart, err := r.value()
	if err != nil {
		return r.syntaxError(err)
	}
	r.members++
	r.push(r.graphItem(key, v, vstart))
	return nil
}

func (r *Reader) nextElement() error {
	r.tr.discard(r.dec.InputOffset())
	if r.dec.PeekKind() == ']' {
		return r.closeContainer()
	}
	v, vstart, err := r.value()
	if err != nil {
		return r.syntaxError(err)
	}
	r.members++
	line, col := r.tr.pos(vstart)
	items, _, _ := classifyJSON(v, filePos{line, col})
	r.push(items...)
	return nil
}

func (r *Reader) nextLine() error {
	r.tr.discard(r.dec.InputOffset())
	if r.dec.PeekKind() == 0 {
		return r.atEOF()
	}
	v, vstart, err := r.value()
	if err != nil {
		return r.syntaxError(err)
	}
	line, col := r.tr.pos(vstart)
	items, _, _ := classifyJSON(v, filePos{line, col})
	r.push(items...)
	return nil
}

// closeContainer reads the closing '}' or ']' of the streamed container and
// checks that nothing but whitespace follows.
func (r *Reader) closeContainer() error {
	if _, err := r.dec.ReadToken(); err != nil {
		return r.syntaxError(err)
	}
	r.tr.discard(r.dec.InputOffset())
	r.mode = modeDone
	return r.atEOF()
}

// atEOF checks that the input ends here (io.EOF) or reports what follows.
func (r *Reader) atEOF() error {
	end := r.dec.InputOffset()
	_, err := r.dec.ReadToken()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil && !errors.Is(err, errTooLarge) {
		var se *jsontext.SyntacticError
		if !errors.As(err, &se) {
			return &readError{file: r.file, err: err}
		}
	} else if err != nil {
		return r.syntaxError(err)
	}
	line, col := r.tr.pos(r.tr.skipSep(end))
	return &SyntaxError{File: r.file, Line: line, Column: col,
		Msg: "unexpected data after the end of the top-level value"}
}

// syntaxError locates a decoder error in the file.
func (r *Reader) syntaxError(err error) error {
	return r.tr.syntaxError(r.file, err)
}

func (r *Reader) graphItem(key string, v json.RawMessage, vstart int64) *Item {
	line, col := r.tr.pos(vstart)
	if r.lazy {
		return &Item{Key: key, Entry: v, Raw: v, Line: line, Column: col, unclassified: true}
	}
	return graphItem(key, v, filePos{line, col})
}
