package main

import (
	"io"
	"time"

	"github.com/dwshim/dwshim/report"
)

// progressDelay is how long convert and lint run before their status line
// appears (tests shorten it).
var progressDelay = time.Second

// terminalProgress is the status line of a convert or lint run on stderr
// when stderr is a terminal, nil otherwise (a file, a pipe, CI logs).
func terminalProgress(stderr io.Writer, verb string) *report.Progress {
	if !report.IsTerminal(stderr) {
		return nil
	}
	p := report.NewProgress(stderr, verb)
	p.Delay = progressDelay
	return p
}
