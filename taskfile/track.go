package taskfile

import (
	"strings"

	"bytes"
	"errors"
	"fmt"
	"github.com/go-json-experiment/json/jsontext"
	"io"
)

// tracker sits between the input and the json.Decoder and keeps the bytes
// the decoder has read but the Reader has not yet finished with, plus the
// line count before them, so that any offset at or after base can be turned
// into a line and column without keeping the whole input.
type tracker struct {
	r      io.Reader
	read   int64  // bytes read from r so far
	base   int64  // input offset of buf[start]
	buf    []byte // buf[start:] is the input from base to read
	start  int
	lines  int   // newlines before base
	lastNL int64 // input offset of the last newline before base, or -1
	hold   bool  // while set, discard keeps everything (document mode)
}

func newTracker(r io.Reader) *tracker { return &tracker{r: r, lastNL: -1} }

func (t *tracker) Read(p []byte) (int, error) {
	if t.read-t.base > MaxTaskSize && !t.hold || t.read > MaxTaskSize && t.hold {
		return 0, errTooLarge
	}
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	t.read += int64(n)
	return n, err
}

// discard forgets the bytes before off, which the Reader is done with. The
// buffer is compacted only when its dead prefix is large, so discarding is
// amortised O(1) per byte.
func (t *tracker) discard(off int64) {
	if t.hold || off <= t.base {
		return
	}
	live := t.buf[t.start:]
	k := int(min(off-t.base, int64(len(live))))
	drop := live[:k]
	if n := bytes.Count(drop, []byte{'\n'}); n > 0 {
		t.lines += n
		t.lastNL = t.base + int64(bytes.LastIndexByte(drop, '\n'))
	}
	t.start += k
	t.base += int64(k)
	if t.start >= 32<<10 && t.start >= len(t.buf)/2 {
		rest := copy(t.buf, t.buf[t.start:])
		t.buf, t.start = t.buf[:rest], 0
		// Do not keep a buffer grown for one huge value.
		if cap(t.buf) > 1<<20 && rest < 1<<16 {
			t.buf = append([]byte(nil), t.buf...)
		}
	}
}

// bytesFrom returns the retained input from off (≥ base) to what was read.
func (t *tracker) bytesFrom(off int64) []byte {
	live := t.buf[t.start:]
	if off < t.base {
		off = t.base
	}
	i := int(min(off-t.base, int64(len(live))))
	return live[i:]
}

// pos turns an input offset (≥ base) into a 1-based line and column.
func (t *tracker) pos(off int64) (line, col int) {
	b := t.bytesFrom(t.base)
	k := int(min(max(off-t.base, 0), int64(len(b))))
	line = t.lines + bytes.Count(b[:k], []byte{'\n'}) + 1
	if i := bytes.LastIndexByte(b[:k], '\n'); i >= 0 {
		return line, k - i
	}
	return line, int(t.base + int64(k) - t.lastNL)
}

// skipSep returns the offset of the first byte at or after off that is not
// whitespace, ':' or ','; the start of the next value after a key or an
// element separator.
func (t *tracker) skipSep(off int64) int64 {
	b := t.bytesFrom(off)
	for i, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', ':', ',':
		default:
			return off + int64(i)
		}
	}
	return off + int64(len(b))
}

// syntaxError locates err, returned by the decoder, in the file: the
// decoder's errors carry their input offset.
func (t *tracker) syntaxError(file string, err error) error {
	if errors.Is(err, errTooLarge) {
		line, col := t.pos(t.base)
		return &SyntaxError{File: file, Line: line, Column: col, Msg: errTooLarge.Error()}
	}
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			line, col := t.pos(t.read)
			return &SyntaxError{File: file, Line: line, Column: col, Msg: "unexpected end of input"}
		}
		return &readError{file: file, err: err}
	}
	off, msg := se.ByteOffset, "invalid JSON"
	if se.Err != nil {
		msg = strings.TrimPrefix(se.Err.Error(), "jsontext: ")
	}
	switch {
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		off, msg = t.read, "unexpected end of input"
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		msg = fmt.Sprintf("duplicate name %q (each key may appear once)", se.JSONPointer.LastToken())
	}
	line, col := t.pos(off)
	return &SyntaxError{File: file, Line: line, Column: col, Msg: msg}
}

// MaxTaskSize is the per-task size limit: the most input held at once
// (one task, graph entry or document, with the white space before it; a
// whole YAML file). Memory stays bounded by it whatever the input, gzip
// bombs and endless streams included.
const MaxTaskSize = 16 << 20

var errTooLarge = fmt.Errorf("more than %d MiB without the end of a task: a single task is limited to %d MiB (is this really a task file?)", MaxTaskSize>>20, MaxTaskSize>>20)

// readError is an I/O failure reading the input.
type readError struct {
	file string
	err  error
}

func (e *readError) Error() string { return "read " + e.file + ": " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }
