package translate

import (
	"fmt"
	"strings"
)

// Reason is the task resolution a translation error implies; the values are
// the queue's exception reasons.
type Reason string

// Reasons.
const (
	// MalformedPayload: the task itself is wrong (schema, scopes, image
	// reference, config forbids a capability); rerunning will not help.
	MalformedPayload Reason = "malformed-payload"
	// InternalError: dwshim failed; the task may be fine.
	InternalError Reason = "internal-error"
)

// Problem is one thing wrong with a task, located by a JSON pointer relative
// to the translated document (the payload, or the task definition when a
// whole task was translated).
type Problem struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
	// Kind says which check found it; lint turns it into a rule.
	Kind ProblemKind `json:"kind,omitempty"`
}

// ProblemKind classifies problems.
type ProblemKind string

// Problem kinds.
const (
	// ProblemSchema: the payload breaks the docker-worker payload schema.
	ProblemSchema ProblemKind = ""
	// ProblemRemovedField: a member docker-worker or d2g removed.
	ProblemRemovedField ProblemKind = "removed-field"
	// ProblemRunTime: valid by the schema, but a worker refuses it when
	// the task runs (NUL bytes, env file names, artifact names and expiry,
	// cache names).
	ProblemRunTime ProblemKind = "run-time"
	// ProblemTaskImage: a task-image's taskId is not a slugid.
	ProblemTaskImage ProblemKind = "task-image"
	// ProblemTaskDefinition: the task definition around the payload.
	ProblemTaskDefinition ProblemKind = "task-definition"
)

func (p Problem) String() string { return located(p.Pointer, p.Message) }

// located renders "POINTER: MESSAGE", with "/" for the document itself.
func located(ptr, msg string) string {
	if ptr == "" {
		ptr = "/"
	}
	return ptr + ": " + msg
}

// Error is a translation failure with every problem found.
type Error struct {
	Reason   Reason
	Problems []Problem
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s: %s", e.Reason, strings.Join(parts, "; "))
}

// Warning is something the translation could not keep, or a docker-worker
// behaviour the target changes; it does not fail the task.
type Warning struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

func (w Warning) String() string { return located(w.Pointer, w.Message) }
