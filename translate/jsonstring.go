package translate

import (
	"strings"
	"unicode/utf8"
)

// escapedString decodes a string with escapes (or invalid UTF-8) as
// encoding/json does.
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
