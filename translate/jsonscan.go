package translate

import (
	"strconv"
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
