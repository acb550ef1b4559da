package jsone

import (
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/internal/jsonptr"
)

// Kind classifies an error as the reference implementations do.
type Kind string

// Error kinds.
const (
	// TemplateError: a misused operator or a value of the wrong type for it.
	TemplateError Kind = "TemplateError"
	// InterpreterError: an expression failed while being evaluated.
	InterpreterError Kind = "InterpreterError"
	// SyntaxError: an expression could not be parsed.
	SyntaxError Kind = "SyntaxError"
	// BuiltinError: a built-in function was called with invalid arguments.
	BuiltinError Kind = "BuiltinError"
)

// Error is a rendering error.
type Error struct {
	Kind    Kind
	Message string
	// location is the reference implementations' template path, outermost
	// first (".a", "[1]", "[\"a b\"]").
	location []string
	// pointer holds the unescaped JSON pointer tokens, outermost first.
	pointer []string
}

func (e *Error) Error() string {
	if len(e.location) == 0 {
		return string(e.Kind) + ": " + e.Message
	}
	return string(e.Kind) + " at template" + strings.Join(e.location, "") + ": " + e.Message
}

// Path is the template path as the reference implementations print it
// ("template.tasks[0].payload"), "template" for the top level.
func (e *Error) Path() string { return "template" + strings.Join(e.location, "") }

// Pointer is the JSON pointer (RFC 6901) of the template node at fault,
// "" for the whole template.
func (e *Error) Pointer() string { return jsonptr.Join(e.pointer) }

func newErr(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

func templateErr(msg string) *Error    { return newErr(TemplateError, msg) }
func interpreterErr(msg string) *Error { return newErr(InterpreterError, msg) }
func syntaxErr(msg string) *Error      { return newErr(SyntaxError, msg) }

func builtinErr(name string) *Error {
	return newErr(BuiltinError, "invalid arguments to builtin: "+name)
}

// inKey adds an object key to the error's location.
func (e *Error) inKey(key string) *Error {
	if isIdentifier(key) {
		e.location = append([]string{"." + key}, e.location...)
	} else {
		e.location = append([]string{"[" + jsonString(key) + "]"}, e.location...)
	}
	e.pointer = append([]string{key}, e.pointer...)
	return e
}

// inIndex adds an array index to the error's location.
func (e *Error) inIndex(i int) *Error {
	s := strconv.Itoa(i)
	e.location = append([]string{"[" + s + "]"}, e.location...)
	e.pointer = append([]string{s}, e.pointer...)
	return e
}

// inOperand adds a template key that is part of an operator (its pointer
// only: the reference implementations do not name operator keys).
func (e *Error) inOperand(key string) *Error {
	e.pointer = append([]string{key}, e.pointer...)
	return e
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
