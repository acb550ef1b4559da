package worker

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// TaskLog is a task's log: written to a backing file, followed live by the
// live-log server. Lines the worker writes carry generic-worker's prefixes.
// Safe for concurrent use.
type TaskLog struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	size    int64
	closed  bool
	err     error
	changed chan struct{}
	now     func() time.Time
}

// NewTaskLog creates the backing file at path.
func NewTaskLog(path string, now func() time.Time) (*TaskLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create task log: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &TaskLog{f: f, path: path, changed: make(chan struct{}), now: now}, nil
}

// Path is the backing file.
func (l *TaskLog) Path() string { return l.path }

// Write appends raw output (e.g. the container's).
func (l *TaskLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, fmt.Errorf("write task log: %w", os.ErrClosed)
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	if err != nil && l.err == nil {
		l.err = err
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return n, err
}

func (l *TaskLog) prefixed(prefix, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	_, _ = io.WriteString(l, b.String())
}

func (l *TaskLog) stamp() string { return l.now().UTC().Format("2006-01-02T15:04:05.000Z") }

// Infof writes "[taskcluster <time>] msg".
func (l *TaskLog) Infof(format string, args ...any) {
	l.prefixed("[taskcluster "+l.stamp()+"] ", format, args...)
}

// Warnf writes "[taskcluster:warn <time>] msg".
func (l *TaskLog) Warnf(format string, args ...any) {
	l.prefixed("[taskcluster:warn "+l.stamp()+"] ", format, args...)
}

// Errorf writes "[taskcluster:error] msg" (Treeherder flags these).
func (l *TaskLog) Errorf(format string, args ...any) {
	l.prefixed("[taskcluster:error] ", format, args...)
}

// Close ends the log; followers drain what is left and stop.
func (l *TaskLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.f.Close()
	close(l.changed)
	if l.err != nil {
		return fmt.Errorf("write task log: %w", l.err)
	}
	if err != nil {
		return fmt.Errorf("close task log: %w", err)
	}
	return nil
}

// Follow copies the log to w from the start, waiting for more until the log
// is closed or ctx ends. flush, if non-nil, is called after each chunk.
func (l *TaskLog) Follow(ctx context.Context, w io.Writer, flush func()) error {
	f, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("follow task log: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 32*1024)
	var off int64
	for {
		l.mu.Lock()
		size, closed, ch := l.size, l.closed, l.changed
		l.mu.Unlock()
		for off < size {
			n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
				off += int64(n)
			}
			if err != nil && err != io.EOF {
				return fmt.Errorf("follow task log: %w", err)
			}
			if n == 0 {
				break
			}
		}
		if flush != nil {
			flush()
		}
		if closed {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
