package jsonptr

import "testing"

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", "a/b": "a~1b", "~1": "~01", "/~": "~1~0", "public/logs/": "public~1logs~1"} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJoin(t *testing.T) {
	for want, tokens := range map[string][]string{"": nil, "/a/0": {"a", "0"}, "/a~1b/": {"a/b", ""}, "/~0": {"~"}} {
		if got := Join(tokens); got != want {
			t.Errorf("Join(%q) = %q, want %q", tokens, got, want)
		}
	}
}
