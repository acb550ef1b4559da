package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type nopReadCloser struct{ io.Reader }

func (nopReadCloser) Close() error { return nil }

func TestProgressBarSharesTheTerminal(t *testing.T) {
	var out strings.Builder
	tl := &termLines{w: &out, width: func() int { return 40 }}
	clock := time.Unix(0, 0)
	wrap := newProgress(tl, "Loading image", func() time.Time { clock = clock.Add(time.Second); return clock })
	r := wrap(nopReadCloser{strings.NewReader(strings.Repeat("x", 1<<20))}, 1<<20)
	buf := make([]byte, 1<<19)
	r.Read(buf)
	io.WriteString(tl, "Image artifact is an uncompressed tar\n")
	io.Copy(io.Discard, r)
	r.Close()
	got := out.String()
	// The engine's line is on a line of its own, the bar cleared before it
	// and drawn again after it; nothing is longer than the terminal.
	if !strings.Contains(got, clearLine+"Image artifact is an uncompressed tar\n") {
		t.Errorf("log line glued to the bar: %q", got)
	}
	for _, line := range strings.Split(strings.ReplaceAll(got, clearLine, "\n"), "\n") {
		if len(line) > 39 {
			t.Errorf("line wider than the terminal: %q", line)
		}
	}
	if !strings.HasSuffix(got, "100.0% 1.0 MiB / 1.0 MiB\n") {
		t.Errorf("no final line: %q", got)
	}
	// A stream closed unread (the engine had the image) draws nothing.
	out.Reset()
	wrap(nopReadCloser{strings.NewReader("x")}, 1).Close()
	if out.Len() != 0 {
		t.Errorf("bar drawn for an unread stream: %q", out.String())
	}
}

func TestEvictImages(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"old", "mid", "new"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, make([]byte, 100), 0o644)
		at := time.Unix(int64(1000+i), 0)
		os.Chtimes(p, at, at)
	}
	os.WriteFile(filepath.Join(dir, "x.part"), make([]byte, 500), 0o644)
	evictImages(dir, 250, filepath.Join(dir, "new"), func(string, ...any) {})
	for name, want := range map[string]bool{"old": false, "mid": true, "new": true, "x.part": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s kept=%v, want %v", name, err == nil, want)
		}
	}
	evictImages(dir, 50, filepath.Join(dir, "new"), func(string, ...any) {})
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		t.Errorf("the download just made was evicted")
	}
}
