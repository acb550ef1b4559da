// Package schemas holds dwshim's own JSON Schemas for the docker-worker v1
// payload, for the generic-worker payload that translation emits and for a
// (lenient) task definition, embedded and compiled once, and validates
// documents against them. The verdicts match the upstream Taskcluster v106
// schemas; valid payloads are recognised by a typed fast path, and the
// schema validator explains the rest.
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
