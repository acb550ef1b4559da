package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressReader draws a one-line progress bar on a terminal while an
// image stream is read (the engine reads it as it loads the image).
type progressReader struct {
	r     io.ReadCloser
	w     io.Writer
	label string
	total int64
	now   func() time.Time

	mu    sync.Mutex
	done  int64
	last  time.Time
	ended bool
}

// newProgress returns a wrapper for image streams that draws on w.
func newProgress(w io.Writer, label string, now func() time.Time) func(io.ReadCloser, int64) io.ReadCloser {
	return func(r io.ReadCloser, size int64) io.ReadCloser {
		return &progressReader{r: r, w: w, label: label, total: size, now: now}
	}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(n)
	if t := p.now(); t.Sub(p.last) >= 200*time.Millisecond || err != nil {
		p.last = t
		p.draw()
	}
	if err == io.EOF && !p.ended {
		p.ended = true
		fmt.Fprintln(p.w)
	}
	return n, err
}

func (p *progressReader) Close() error {
	p.mu.Lock()
	if !p.ended {
		p.ended = true
		p.draw()
		fmt.Fprintln(p.w)
	}
	p.mu.Unlock()
	return p.r.Close()
}

func (p *progressReader) draw() {
	const width = 30
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s %s", p.label, mib(p.done))
		return
	}
	frac := float64(p.done) / float64(p.total)
	frac = min(max(frac, 0), 1)
	filled := int(frac * width)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	fmt.Fprintf(p.w, "\r%s [%s] %5.1f%% %s / %s", p.label, bar, frac*100, mib(p.done), mib(p.total))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
