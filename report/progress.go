package report

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal (not a file, a pipe or
// /dev/null).
func IsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Progress is a status line on a terminal ("linting: 12000 tasks, 3
// errors, 0 warnings…"), drawn once a run has taken longer than Delay and
// then at most every Every. A nil *Progress draws nothing. Not safe for
// concurrent use: the Reporter and the writers from Guard must be used
// from one goroutine.
type Progress struct {
	w    io.Writer
	verb string
	// Delay is how long a run goes before the line appears, Every how
	// often it is redrawn; Now is the clock.
	Delay, Every time.Duration
	Now          func() time.Time
	start, last  time.Time
	drawn        bool
}

const clearLine = "\r\x1b[K"

// NewProgress returns the status line of a run, drawn on w (the
// terminal), named by verb ("linting"). It starts the clock.
func NewProgress(w io.Writer, verb string) *Progress {
	p := &Progress{w: w, verb: verb, Delay: time.Second, Every: 200 * time.Millisecond, Now: time.Now}
	p.start = p.Now()
	return p
}

// due reports whether the line should be drawn now.
func (p *Progress) due() bool {
	if p == nil {
		return false
	}
	now := p.Now()
	return now.Sub(p.start) >= p.Delay && (p.last.IsZero() || now.Sub(p.last) >= p.Every)
}

func (p *Progress) draw(t Totals) {
	p.last = p.Now()
	fmt.Fprintf(p.w, "%s%s: %s, %s, %s…", clearLine, p.verb, plural(t.Tasks, "task"), plural(t.Errors, "error"), plural(t.Warnings, "warning"))
	p.drawn = true
}

// Clear removes the line if it is drawn.
func (p *Progress) Clear() {
	if p != nil && p.drawn {
		io.WriteString(p.w, clearLine)
		p.drawn = false
	}
}

// Guard returns w wrapped so that each write first clears the status line:
// wrap every writer that shares the terminal (under any buffering, so the
// line is cleared when the bytes reach the terminal). A nil Progress
// returns w.
func (p *Progress) Guard(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return guarded{p, w}
}

type guarded struct {
	p *Progress
	w io.Writer
}

func (g guarded) Write(b []byte) (int, error) {
	g.p.Clear()
	return g.w.Write(b)
}
