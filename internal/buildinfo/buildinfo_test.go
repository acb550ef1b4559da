package buildinfo

import (
	"strings"
	"testing"
)

func TestStampedValuesWin(t *testing.T) {
	oldV, oldC := version, commit
	t.Cleanup(func() { version, commit = oldV, oldC })
	version, commit = "", ""
	if Version() != "dev" {
		t.Errorf("unstamped Version() = %q, want dev", Version())
	}
	version, commit = "1.2.3", "abc123"
	if got, want := String(), "dwshim 1.2.3 (commit abc123)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if !strings.HasPrefix(Commit(), "abc123") {
		t.Errorf("Commit() = %q", Commit())
	}
}
