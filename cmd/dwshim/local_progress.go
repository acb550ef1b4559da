package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// termLines shares one terminal between the task log and a progress bar:
// the bar lives on the last line; a log write first clears it and, once
// the log's line is complete, draws it again below, so the engine's lines
// never glue onto the bar.
type termLines struct {
	w     io.Writer
	width func() int // terminal columns; 0 when unknown

	mu  sync.Mutex
	bar string // drawn now ("" when none)
	mid bool   // the log's last write did not end its line
}

func newTermLines(f *os.File) *termLines {
	return &termLines{w: f, width: func() int {
		w, _, err := term.GetSize(int(f.Fd()))
		if err != nil {
			return 0
		}
		return w
	}}
}

const clearLine = "\r\x1b[K"

// Write writes log output.
func (t *termLines) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bar != "" && !t.mid {
		io.WriteString(t.w, clearLine)
	}
	n, err := t.w.Write(p)
	if len(p) > 0 {
		t.mid = p[len(p)-1] != '\n'
	}
	if t.bar != "" && !t.mid {
		io.WriteString(t.w, t.bar)
	}
	return n, err
}

// draw shows s as the bar (cut to the terminal's width).
func (t *termLines) draw(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w := t.width(); w > 1 && len(s) > w-1 {
		s = s[:w-1]
	}
	if t.mid {
		io.WriteString(t.w, "\n")
		t.mid = false
	}
	t.bar = s
	io.WriteString(t.w, clearLine+s)
}

// end removes the bar, leaving final on its line (nothing when "").
func (t *termLines) end(final string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bar == "" && final == "" {
		return
	}
	if t.mid {
		io.WriteString(t.w, "\n")
		t.mid = false
	}
	io.WriteString(t.w, clearLine)
	if final != "" {
		if w := t.width(); w > 1 && len(final) > w-1 {
			final = final[:w-1]
		}
		io.WriteString(t.w, final+"\n")
	}
	t.bar = ""
}

// progressReader draws a progress bar while a stream is read (an image
// being downloaded, or loaded by the engine). Nothing is drawn for a
// stream that is closed unread (the engine already had the image).
type progressReader struct {
	r     io.ReadCloser
	t     *termLines
	label string
	total int64 // <= 0: unknown
	now   func() time.Time

	mu    sync.Mutex
	done  int64
	last  time.Time
	shown bool
	ended bool
}

// newProgress returns a wrapper for streams that draws on t.
func newProgress(t *termLines, label string, now func() time.Time) func(io.ReadCloser, int64) io.ReadCloser {
	return func(r io.ReadCloser, size int64) io.ReadCloser {
		return &progressReader{r: r, t: t, label: label, total: size, now: now}
	}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(n)
	if now := p.now(); n > 0 && (now.Sub(p.last) >= 200*time.Millisecond || !p.shown) {
		p.last, p.shown = now, true
		p.t.draw(p.line())
	}
	if err == io.EOF {
		p.finish()
	}
	return n, err
}

func (p *progressReader) Close() error {
	p.mu.Lock()
	p.finish()
	p.mu.Unlock()
	return p.r.Close()
}

// finish ends the bar once: a final line when anything was read.
func (p *progressReader) finish() {
	if p.ended {
		return
	}
	p.ended = true
	if p.done == 0 {
		p.t.end("")
		return
	}
	p.t.end(p.line())
}

// line is the bar for the terminal's width: the bar shrinks (and goes)
// before the figures do.
func (p *progressReader) line() string {
	if p.total <= 0 {
		return fmt.Sprintf("%s %s", p.label, mib(p.done))
	}
	frac := min(max(float64(p.done)/float64(p.total), 0), 1)
	figures := fmt.Sprintf("%5.1f%% %s / %s", frac*100, mib(p.done), mib(p.total))
	width := 30
	if w := p.t.width(); w > 0 {
		width = min(width, w-1-len(p.label)-len(figures)-4)
	}
	if width < 5 {
		return p.label + " " + figures
	}
	filled := int(frac * float64(width))
	var b bytes.Buffer
	b.WriteString(p.label + " [")
	b.WriteString(strings.Repeat("=", filled) + strings.Repeat(" ", width-filled))
	b.WriteString("] " + figures)
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
