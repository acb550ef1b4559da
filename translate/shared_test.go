package translate

import (
	"testing"

	"github.com/dwshim/dwshim/internal/testenv"
)

// sharedDir locates ../shared; see testenv.Shared.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	return testenv.Shared(tb, false)
}

// findShared locates ../shared; strict fails instead of skipping.
func findShared(tb testing.TB, strict bool) string {
	tb.Helper()
	return testenv.Shared(tb, strict)
}
