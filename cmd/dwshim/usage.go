package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
)

// usageError marks an error as a usage error (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func isUsageError(err error) bool {
	var ue usageError
	if errors.As(err, &ue) {
		return true
	}
	// cobra's own flag and argument errors.
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires exactly", "accepts at most", "none of the others can be"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func init() {
	cobra.EnableCommandSorting = true
}
