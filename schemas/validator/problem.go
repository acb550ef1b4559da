package validator

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
