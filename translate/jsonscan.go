package translate

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanner is a small validating JSON reader for the hot path (decoding
// task definitions and payloads). It only has to be right when it
// succeeds: on any failure the callers fall back to encoding/json, whose
// errors are the ones reported. Keys match exactly (encoding/json also
// matches case-insensitively; such input takes the slow path).
type scanner struct {
	data []byte
	// arena is data as one string: strings without escapes are substrings
	// of it, so decoding them allocates nothing (they keep the arena, about
	// the size of the task, alive).
	arena string
	pos   int
	bad   bool
	// keyStart is the offset of the current object key.
	keyStart int
}

func newScanner(data []byte) scanner { return scanner{data: data, arena: string(data)} }

func (s *scanner) fail() { s.bad = true; s.pos = len(s.data) }

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) expect(c byte) {
	if s.peek() != c {
		s.fail()
		return
	}
	s.pos++
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.data)-s.pos >= 4 && string(s.data[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// object calls fn for each key; fn must consume the value.
func (s *scanner) object(fn func(key []byte)) {
	s.expect('{')
	if s.bad {
		return
	}
	if s.peek() == '}' {
		s.pos++
		return
	}
	for !s.bad {
		a, b, ok := s.rawSpan()
		if !ok {
			s.fail()
			return
		}
		key := s.data[a:b]
		s.keyStart = a
		s.expect(':')
		if s.bad {
			return
		}
		fn(key)
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return
		default:
			s.fail()
		}
	}
}

// objectStr is object with keys as arena substrings (no allocation).
func (s *scanner) objectStr(fn func(key string)) {
	s.object(func(key []byte) {
		start := s.keyStart
		fn(s.arena[start : start+len(key)])
	})
}

// array calls fn for each element; fn must consume it.
func (s *scanner) array(fn func()) {
	s.expect('[')
	if s.bad {
		return
	}
	if s.peek() == ']' {
		s.pos++
		return
	}
	for !s.bad {
		fn()
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return
		default:
			s.fail()
		}
	}
}

// rawSpan finds a string without escapes or invalid UTF-8 and returns
// its bounds. Anything else is not ok (and consumes nothing).
func (s *scanner) rawSpan() (start, end int, ok bool) {
	if s.peek() != '"' {
		return 0, 0, false
	}
	start = s.pos + 1
	for i := start; i < len(s.data); i++ {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return start, i, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s.data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, 0, false
			}
			i += size - 1
		}
	}
	return 0, 0, false
}

// rawString is rawSpan's bytes (aliasing the input).
func (s *scanner) rawString() ([]byte, bool) {
	a, b, ok := s.rawSpan()
	return s.data[a:b], ok
}

// str reads a string value, decoding escapes as encoding/json does.
func (s *scanner) str() string {
	if a, b, ok := s.rawSpan(); ok {
		return s.arena[a:b]
	}
	if s.peek() != '"' {
		s.fail()
		return ""
	}
	return s.escapedString()
}

func (s *scanner) escapedString() string {
	end := -1
	for i := s.pos + 1; i < len(s.data); i++ {
		if c := s.data[i]; c == '\\' {
			i++
		} else if c == '"' {
			end = i
			break
		}
	}
	if end < 0 {
		s.fail()
		return ""
	}
	var sb strings.Builder // Grow does not zero memory, unlike make
	sb.Grow(end - s.pos)   // decoded text is never longer
	for i := s.pos + 1; i < end; {
		// Copy the run up to the next escape in one go.
		j := i
		ascii := true
		for j < end && s.data[j] != '\\' {
			c := s.data[j]
			if c < 0x20 {
				s.fail()
				return ""
			}
			ascii = ascii && c < utf8.RuneSelf
			j++
		}
		if ascii || utf8.Valid(s.data[i:j]) {
			sb.Write(s.data[i:j])
		} else {
			writeReplacingInvalid(&sb, s.data[i:j])
		}
		if j >= end {
			break
		}
		var ok bool
		if i, ok = s.unescape(&sb, j); !ok {
			s.fail()
			return ""
		}
	}
	s.pos = end + 1
	return sb.String()
}

// unescape decodes the escape at data[i] (a backslash) onto sb and
// returns the offset after it.
func (s *scanner) unescape(sb *strings.Builder, i int) (int, bool) {
	if i+1 >= len(s.data) {
		return i, false
	}
	e := s.data[i+1]
	i += 2
	switch e {
	case '"', '\\', '/':
		sb.WriteByte(e)
	case 'b':
		sb.WriteByte('\b')
	case 'f':
		sb.WriteByte('\f')
	case 'n':
		sb.WriteByte('\n')
	case 'r':
		sb.WriteByte('\r')
	case 't':
		sb.WriteByte('\t')
	case 'u':
		r, ok := s.hex4(i)
		if !ok {
			return i, false
		}
		i += 4
		if r >= 0xD800 && r < 0xDC00 {
			// A high surrogate needs a low one, else U+FFFD.
			if i+6 <= len(s.data) && s.data[i] == '\\' && s.data[i+1] == 'u' {
				if r2, ok := s.hex4(i + 2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
					sb.WriteRune((r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000)
					return i + 6, true
				}
			}
			r = utf8.RuneError
		} else if r >= 0xDC00 && r < 0xE000 {
			r = utf8.RuneError
		}
		sb.WriteRune(r)
	default:
		return i, false
	}
	return i, true
}

// writeReplacingInvalid writes b with each invalid UTF-8 byte replaced by
// U+FFFD, as encoding/json decodes strings.
func writeReplacingInvalid(sb *strings.Builder, b []byte) {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
}

func (s *scanner) hex4(i int) (rune, bool) {
	if i+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// boolean reads true or false.
func (s *scanner) boolean() bool {
	s.ws()
	d := s.data[s.pos:]
	switch {
	case len(d) >= 4 && string(d[:4]) == "true":
		s.pos += 4
		return true
	case len(d) >= 5 && string(d[:5]) == "false":
		s.pos += 5
		return false
	}
	s.fail()
	return false
}

// int64 reads an integer (no fraction or exponent, as encoding/json
// requires for int64 fields).
func (s *scanner) int64() int64 {
	s.ws()
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	digits := s.pos
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
	}
	if s.pos == digits || (s.data[digits] == '0' && s.pos-digits > 1) {
		s.fail()
		return 0
	}
	if s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '.', 'e', 'E':
			s.fail()
			return 0
		}
	}
	v, err := strconv.ParseInt(string(s.data[start:s.pos]), 10, 64)
	if err != nil {
		s.fail()
	}
	return v
}

// skip consumes and validates any value.
func (s *scanner) skip() {
	switch c := s.peek(); {
	case c == '{':
		s.object(func([]byte) { s.skip() })
	case c == '[':
		s.array(s.skip)
	case c == '"':
		s.skipString()
	case c == 't' || c == 'f':
		s.boolean()
	case c == 'n':
		if !s.null() {
			s.fail()
		}
	case c == '-' || c >= '0' && c <= '9':
		s.number()
	default:
		s.fail()
	}
}

func (s *scanner) skipString() {
	for i := s.pos + 1; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return
		case c < 0x20:
			s.fail()
			return
		case c == '\\':
			if i+1 >= len(s.data) {
				s.fail()
				return
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := s.hex4(i + 2); !ok {
					s.fail()
					return
				}
				i += 5
			default:
				s.fail()
				return
			}
		}
	}
	s.fail()
}

// number validates a JSON number.
func (s *scanner) number() {
	d, i := s.data, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.fail()
		return
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.fail()
			return
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.fail()
			return
		}
	}
	s.pos = i
}

// end reports whether only whitespace is left and nothing failed.
func (s *scanner) end() bool {
	s.ws()
	return !s.bad && s.pos == len(s.data)
}
