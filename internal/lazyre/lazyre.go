// Package lazyre compiles a package's regular expressions when first used
// rather than at program start: every dwshim command pays every linked
// package's initialisation, and `dwshim local` starts a container in
// about a third of a second, so a millisecond of regexps it never uses
// (JSON-e's, .taskcluster.yml's) is worth deferring.
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
