package lint

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir locates the shared directory (corpus, spec): $DWSHIM_SHARED, or
// the first parent holding shared/corpus. Missing: fail under CI (or when
// strict), else skip.
func sharedDir(tb testing.TB, strict bool) string {
	tb.Helper()
	if d := os.Getenv("DWSHIM_SHARED"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "corpus")); err == nil {
			return d
		}
	}
	if dir, err := os.Getwd(); err == nil {
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
	if strict || os.Getenv("CI") != "" {
		tb.Fatal("shared directory not found: set DWSHIM_SHARED (required under CI and for benchmarks)")
	}
	tb.Skip("shared directory not found (set DWSHIM_SHARED)")
	return ""
}
