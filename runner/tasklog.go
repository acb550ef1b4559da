package runner

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TimeFormat is docker-worker's log timestamp layout (UTC, a space where
// RFC 3339 has a T).
const TimeFormat = "2006-01-02 15:04:05.000Z"

// taskLog writes docker-worker style lines and passes container output
// through unchanged. It never buffers more than one line of its own, and
// it swallows write errors after recording the first one, so a broken log
// sink never stops the container's output from being drained.
type taskLog struct {
	mu   sync.Mutex
	w    io.Writer
	now  func() time.Time
	err  error
	last byte // last byte written, to start our lines at column 0
	n    int64
}

func newTaskLog(w io.Writer, now func() time.Time) *taskLog {
	if w == nil {
		w = io.Discard
	}
	return &taskLog{w: w, now: now, last: '\n'}
}

// Write passes p through (container output, engine progress).
func (l *taskLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.write(p)
	return len(p), nil
}

func (l *taskLog) write(p []byte) {
	if len(p) == 0 {
		return
	}
	l.last = p[len(p)-1]
	l.n += int64(len(p))
	if l.err != nil {
		return
	}
	if _, err := l.w.Write(p); err != nil {
		l.err = fmt.Errorf("write task log: %w", err)
	}
}

// startLine makes sure the next write begins at column 0.
func (l *taskLog) startLine() {
	if l.last != '\n' {
		l.write([]byte("\n"))
	}
}

// Infof writes "[taskcluster <time>] msg", prefixing every line of msg.
func (l *taskLog) Infof(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.startLine()
	prefix := "[taskcluster " + l.now().UTC().Format(TimeFormat) + "] "
	l.write([]byte(prefixLines(prefix, fmt.Sprintf(format, args...))))
}

// Errorf writes "\n[taskcluster:error] msg": the blank line puts the
// error at column 0 whatever came before, as docker-worker did for
// Treeherder's log parser.
func (l *taskLog) Errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.write([]byte("\n"))
	l.write([]byte(prefixLines("[taskcluster:error] ", fmt.Sprintf(format, args...))))
}

// Err returns the first write error.
func (l *taskLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func prefixLines(prefix, msg string) string {
	msg = strings.TrimRight(msg, "\n")
	var b strings.Builder
	for _, line := range strings.Split(msg, "\n") {
		b.WriteString(prefix)
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// seconds renders d as docker-worker did (milliseconds / 1000 as a
// JavaScript number): "3", "12.345".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', -1, 64)
}

// header writes docker-worker's task log header.
func (l *taskLog) header(t *Task, w WorkerInfo) {
	l.Infof("Task ID: %s", t.Identity.TaskID)
	for _, kv := range [][2]string{
		{"Worker ID", firstNonEmpty(w.WorkerID, t.WorkerID)},
		{"Worker Group", w.WorkerGroup},
		{"Worker Node Type", w.WorkerNodeType},
		{"Worker Pool", w.WorkerPool},
		{"Worker Version", w.WorkerVersion},
		{"Public IP", w.PublicIP},
		{"Hostname", w.Hostname},
	} {
		if kv[1] != "" {
			l.Infof("%s: %s", kv[0], kv[1])
		}
	}
	if t.Plan != nil {
		l.Infof("Image: %s", t.Plan.Image)
		for _, c := range t.Plan.Caches {
			l.Infof("using cache %q -> %s", c.Name, c.MountPath)
		}
	}
}

// footer writes docker-worker's last line.
func (l *taskLog) footer(ok bool, code int, d time.Duration) {
	word := "Successful"
	if !ok {
		word = "Unsuccessful"
	}
	l.Infof("%s task run with exit code: %d completed in %s seconds", word, code, seconds(d))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
