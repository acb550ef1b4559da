package lint

import (
	"errors"

	"github.com/dwshim/dwshim/taskfile"
)

// RuleInput: an input that cannot be read or parsed.
const RuleInput = "input"

func init() {
	Rules = append(Rules, Rule{RuleInput, Error, "An input cannot be read (missing, unreadable) or is not well-formed JSON or YAML; the message says where."})
}

// errSink marks a failure to write a problem: it ends the run.
var errSink = errors.New("write problem")

// reportInput reports an unreadable or malformed input as a problem, so
// every format shows it, not only standard error.
func (l *Linter) reportInput(file string, err error, sink Sink, sum *Summary) error {
	p := Problem{File: file, Rule: RuleInput, Severity: Error, Message: err.Error()}
	var se *taskfile.SyntaxError
	if errors.As(err, &se) {
		p.Message, p.Line, p.Column = se.Msg, se.Line, se.Column
		if se.File != "" {
			p.File = se.File
		}
	}
	return emit(sink, sum, p)
}
