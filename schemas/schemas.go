// Package schemas holds dwshim's own JSON Schemas for the docker-worker v1
// payload, for the generic-worker payload that translation emits and for a
// (lenient) task definition, embedded and compiled once, and validates
// documents against them. The verdicts match the upstream Taskcluster v106
// schemas. They are the published contract and the test oracle:
// commands decode tasks with translate.DecodeTask, whose verdict the
// parity tests hold equal to these schemas'; nothing validates with them on
// the hot path.
//
// Problems carry JSON pointers (RFC 6901) into the validated document and
// plain messages that say what is expected.
package schemas

import "fmt"

// Problem is one schema violation.
type Problem struct {
	// Pointer is the JSON pointer of the offending value in the validated
	// document ("" for the document itself, "/image", "/env/FOO").
	Pointer string `json:"pointer"`
	// Message says what is wrong and what is expected.
	Message string `json:"message"`
}

// String renders the problem as "POINTER: MESSAGE" ("/" for the root).
func (p Problem) String() string {
	ptr := p.Pointer
	if ptr == "" {
		ptr = "/"
	}
	return fmt.Sprintf("%s: %s", ptr, p.Message)
}
