package translate

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir locates the shared directory (corpus, spec): $DWSHIM_SHARED, or
// the first parent holding shared/corpus. Missing: fail under CI, else skip.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	return findShared(tb, os.Getenv("CI") != "")
}

// findShared locates shared; when it is missing, strict fails the test,
// otherwise it is skipped.
func findShared(tb testing.TB, strict bool) string {
	tb.Helper()
	if d := os.Getenv("DWSHIM_SHARED"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "corpus")); err == nil {
			return d
		}
	}
	dir, err := os.Getwd()
	if err == nil {
		for {
			cand := filepath.Join(dir, "shared")
			if _, err := os.Stat(filepath.Join(cand, "corpus")); err == nil {
				return cand
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if strict {
		tb.Fatal("shared directory not found: set DWSHIM_SHARED (required under CI and for benchmarks)")
	}
	tb.Skip("shared directory not found (set DWSHIM_SHARED)")
	return ""
}
