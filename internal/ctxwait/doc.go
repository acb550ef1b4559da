// Package ctxwait waits for a duration or until a context ends: the
// retry back-off of imagefetch (image downloads) and runner/docker (image
// pulls) both wait with Sleep, and inject their own for tests.
//
// Not on the data flow itself: a helper of its steps. It must stay this
// small and import nothing of dwshim, so any package may use it.
package ctxwait
