package worker

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskcluster/taskcluster/v44/tools/workerproto"
)

// Capabilities dwshim offers worker-runner: the five generic-worker offers.
var Capabilities = []string{"graceful-termination", "new-credentials", "log", "error-report", "shutdown"}

// ProtocolHandlers receive the runner's requests. They are called on the
// protocol's receive goroutine, one at a time, and must not block long.
type ProtocolHandlers struct {
	// GracefulTermination: stop claiming; finishTasks false means resolve
	// running tasks exception/worker-shutdown now.
	GracefulTermination func(finishTasks bool)
	// NewCredentials replaces the worker's credentials.
	NewCredentials func(Credentials)
	// RunnerGone is called once when worker-runner is gone: its end of the
	// protocol closed (EOF on input) or a write to it failed (EPIPE). No
	// new-credentials or graceful-termination can come any more.
	RunnerGone func()
}

// Protocol is the worker side of the worker-runner protocol
// (workerproto over stdin/stdout). Its methods are safe for concurrent use;
// messages the runner did not agree to are not sent.
type Protocol struct {
	prot        *workerproto.Protocol
	transport   *guardedTransport
	out         *failoverWriter
	fallback    io.Writer
	initialized atomic.Bool
}

// StartProtocol starts the protocol reading runner messages from in and
// writing worker messages to out. Log lines written before the handshake,
// or when the runner lacks the log capability, go to fallback.
func StartProtocol(in io.Reader, out io.Writer, fallback io.Writer, h ProtocolHandlers) *Protocol {
	var goneOnce sync.Once
	gone := func() {
		goneOnce.Do(func() {
			if h.RunnerGone != nil {
				go h.RunnerGone()
			}
		})
	}
	p := &Protocol{fallback: fallback}
	p.out = &failoverWriter{w: out, fallback: fallback, onFail: gone}
	p.transport = &guardedTransport{inner: workerproto.NewPipeTransport(in, p.out), onHello: func() { p.initialized.Store(true) }}
	p.prot = workerproto.NewProtocol(p.transport)
	for _, c := range Capabilities {
		p.prot.AddCapability(c)
	}
	p.prot.Register("graceful-termination", func(msg workerproto.Message) {
		finish, _ := msg.Properties["finish-tasks"].(bool)
		if h.GracefulTermination != nil {
			h.GracefulTermination(finish)
		}
	})
	p.prot.Register("new-credentials", func(msg workerproto.Message) {
		id, _ := msg.Properties["client-id"].(string)
		token, _ := msg.Properties["access-token"].(string)
		cert, _ := msg.Properties["certificate"].(string)
		if id == "" || token == "" || h.NewCredentials == nil {
			return
		}
		h.NewCredentials(Credentials{ClientID: id, AccessToken: token, Certificate: cert})
	})
	p.prot.Start(true)
	go func() {
		p.prot.WaitForEOF()
		gone()
	}()
	return p
}

// failoverWriter writes protocol lines to worker-runner until a write
// fails (worker-runner gone: EPIPE, with SIGPIPE ignored); from then on
// the lines go to fallback (stderr) and onFail has been called. It never
// reports an error, so that workerproto does not log one through the
// logger that is writing.
type failoverWriter struct {
	mu       sync.Mutex
	w        io.Writer
	fallback io.Writer
	failed   bool
	onFail   func()
}

func (f *failoverWriter) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.failed {
		n, err := f.w.Write(b)
		if err == nil {
			return n, nil
		}
		f.failed = true
		f.onFail()
		if f.fallback != nil {
			_, _ = fmt.Fprintf(f.fallback, "dwshim: worker-runner protocol stream failed (%v); logging to stderr from now on\n", err)
		}
		b = b[n:]
	}
	if f.fallback != nil {
		_, _ = f.fallback.Write(b)
	}
	return len(b), nil
}

func (f *failoverWriter) broken() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// Initialized reports whether the welcome/hello handshake has happened.
func (p *Protocol) Initialized() bool { return p.initialized.Load() }

// WaitForEOF blocks until the runner's side of the pipe is closed and
// every message read has been handled.
func (p *Protocol) WaitForEOF() { p.prot.WaitForEOF() }

// AwaitInitialized waits at most d for the handshake and reports whether
// it is done.
func (p *Protocol) AwaitInitialized(d time.Duration) bool {
	done := make(chan struct{})
	go func() { p.prot.WaitUntilInitialized(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return p.Initialized()
	}
}

// WaitUntilInitialized blocks until the handshake is done.
func (p *Protocol) WaitUntilInitialized() { p.prot.WaitUntilInitialized() }

func (p *Protocol) capable(c string) bool { return p.Initialized() && p.prot.Capable(c) }

// Log sends one worker log line to the runner (or to fallback).
func (p *Protocol) Log(line string) {
	if !p.capable("log") || p.out.broken() {
		if p.fallback != nil {
			_, _ = io.WriteString(p.fallback, line+"\n")
		}
		return
	}
	p.prot.Send(workerproto.Message{Type: "log", Properties: map[string]any{
		"body": map[string]any{"textPayload": line},
	}})
}

// LogWriter returns a writer that sends each Write (one slog record) as a
// log message.
func (p *Protocol) LogWriter() io.Writer { return protoLogWriter{p} }

type protoLogWriter struct{ p *Protocol }

func (w protoLogWriter) Write(b []byte) (int, error) {
	w.p.Log(string(bytes.TrimRight(b, "\n")))
	return len(b), nil
}

// ErrorReport forwards an internal error to workerManager.reportWorkerError
// through the runner. It reports whether the runner accepted that kind of
// message.
func (p *Protocol) ErrorReport(kind, title, description string, extra map[string]any) bool {
	if !p.capable("error-report") {
		return false
	}
	if extra == nil {
		extra = map[string]any{}
	}
	p.prot.Send(workerproto.Message{Type: "error-report", Properties: map[string]any{
		"kind": kind, "title": title, "description": description, "extra": extra,
	}})
	return true
}

// Shutdown asks the runner to remove the worker (or shut the host down).
func (p *Protocol) Shutdown() bool {
	if !p.capable("shutdown") || p.out.broken() {
		return false
	}
	p.prot.Send(workerproto.Message{Type: "shutdown", Properties: map[string]any{}})
	return true
}

// guardedTransport serialises Sends (PipeTransport does not) and drops
// messages whose shape would make workerproto panic.
type guardedTransport struct {
	mu      sync.Mutex
	inner   workerproto.Transport
	onHello func()
}

func (t *guardedTransport) Send(msg workerproto.Message) {
	t.mu.Lock()
	t.inner.Send(msg)
	t.mu.Unlock()
	if msg.Type == "hello" && t.onHello != nil {
		t.onHello()
	}
}

func (t *guardedTransport) Recv() (workerproto.Message, bool) {
	for {
		msg, ok := t.inner.Recv()
		if !ok || msg.Type != "welcome" || validCapabilities(msg.Properties["capabilities"]) {
			return msg, ok
		}
	}
}

func validCapabilities(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range list {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}
