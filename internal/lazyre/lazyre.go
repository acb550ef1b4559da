package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles pattern on its first call (and
// panics there if the pattern is invalid, as regexp.MustCompile does) and
// returns the same *regexp.Regexp on every call. Safe for concurrent use.
func New(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
