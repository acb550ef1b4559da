// Package jsonptr writes JSON pointers (RFC 6901), the locations every
// problem of dwshim carries (/payload/env/A~1B): Escape turns one object
// key into a reference token, Join a list of keys into a pointer.
//
// Not on the data flow itself: a helper of its steps (translate's decode,
// schemas, lint, native, taskfile, yamljson, jsone). It must stay this
// small and import nothing of dwshim, so any package may use it.
package jsonptr
