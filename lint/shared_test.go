package lint

import (
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
)

// sharedDir locates ../shared; see testenv.Shared.
func sharedDir(tb testing.TB, strict bool) string {
	tb.Helper()
	return testenv.Shared(tb, strict)
}
