package main

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
)

// shellTerm records what feedShell writes to the shell's terminal, and
// closes ended once it has seen endAfter ^Ds (the shell exits).
type shellTerm struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	eots     int
	endAfter int
	ended    chan struct{}
	fail     error
}

func (s *shellTerm) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	s.buf.Write(b)
	s.eots += bytes.Count(b, []byte{eot})
	if s.eots == s.endAfter {
		close(s.ended)
	}
	return len(b), nil
}

func TestFeedShell(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"newline at the end", "echo a\n", "echo a\n"},
		{"last line without newline", "echo a\necho b", "echo a\necho b\n"},
		{"no input", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The shell ignores the first ^Ds (it was not reading in raw
			// mode yet) and exits on the third.
			term := &shellTerm{endAfter: 3, ended: make(chan struct{})}
			feedShell(term, strings.NewReader(tc.in), term.ended)
			got := term.buf.String()
			want := tc.want + strings.Repeat("\x04", 3)
			if got != want {
				t.Errorf("wrote %q, want %q", got, want)
			}
		})
	}
}

// A session that is gone (writes fail) ends the feeding at once.
func TestFeedShellSessionGone(t *testing.T) {
	term := &shellTerm{ended: make(chan struct{}), fail: errors.New("connection closed")}
	feedShell(term, strings.NewReader("echo a\n"), term.ended) // returns
	if term.buf.Len() != 0 {
		t.Errorf("wrote %q", term.buf.String())
	}
}
