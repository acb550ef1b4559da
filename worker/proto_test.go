package worker

import (
	"bytes"
	"github.com/dwshim/dwshim/internal/testenv"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskcluster/taskcluster/v44/tools/workerproto"
)

// runnerSide is worker-runner's end of the protocol, built from workerproto
// itself, connected to the worker over in-memory pipes.
type runnerSide struct {
	prot *workerproto.Protocol
	mu   sync.Mutex
	got  map[string][]workerproto.Message
	ch   chan string
}

func newPipes(t *testing.T, runnerCaps []string, h ProtocolHandlers) (*Protocol, *runnerSide, *bytes.Buffer) {
	t.Helper()
	toWorkerR, toWorkerW := io.Pipe()
	toRunnerR, toRunnerW := io.Pipe()
	t.Cleanup(func() { toWorkerW.Close(); toRunnerW.Close() })
	rs := &runnerSide{got: map[string][]workerproto.Message{}, ch: make(chan string, 100)}
	rs.prot = workerproto.NewProtocol(workerproto.NewPipeTransport(toRunnerR, toWorkerW))
	for _, c := range runnerCaps {
		rs.prot.AddCapability(c)
	}
	for _, typ := range []string{"log", "error-report", "shutdown"} {
		rs.prot.Register(typ, func(m workerproto.Message) {
			rs.mu.Lock()
			rs.got[m.Type] = append(rs.got[m.Type], m)
			rs.mu.Unlock()
			rs.ch <- m.Type
		})
	}
	fallback := &bytes.Buffer{}
	wp := StartProtocol(toWorkerR, toRunnerW, fallback, h)
	rs.prot.Start(false)
	rs.prot.WaitUntilInitialized()
	wp.WaitUntilInitialized()
	return wp, rs, fallback
}

func (rs *runnerSide) await(t *testing.T, typ string) workerproto.Message {
	t.Helper()
	for {
		select {
		case got := <-rs.ch:
			if got == typ {
				rs.mu.Lock()
				defer rs.mu.Unlock()
				return rs.got[typ][len(rs.got[typ])-1]
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s message", typ)
		}
	}
}

func TestProtocolHandshakeAndMessages(t *testing.T) {
	terms := make(chan bool, 2)
	creds := make(chan Credentials, 1)
	wp, rs, _ := newPipes(t, Capabilities, ProtocolHandlers{
		GracefulTermination: func(f bool) { terms <- f },
		NewCredentials:      func(c Credentials) { creds <- c },
	})
	for _, c := range Capabilities {
		if !rs.prot.Capable(c) {
			t.Errorf("capability %s not agreed", c)
		}
	}
	rs.prot.Send(workerproto.Message{Type: "graceful-termination", Properties: map[string]any{"finish-tasks": false}})
	rs.prot.Send(workerproto.Message{Type: "new-credentials", Properties: map[string]any{
		"client-id": "new", "access-token": "tok", "certificate": "{}"}})
	select {
	case f := <-terms:
		if f {
			t.Error("finish-tasks = true, want false")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no graceful-termination")
	}
	select {
	case c := <-creds:
		if c != (Credentials{ClientID: "new", AccessToken: "tok", Certificate: "{}"}) {
			t.Errorf("credentials %+v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no new-credentials")
	}
	if _, err := wp.LogWriter().Write([]byte("level=INFO msg=hello\n")); err != nil {
		t.Fatal(err)
	}
	m := rs.await(t, "log")
	if body, _ := m.Properties["body"].(map[string]any); body["textPayload"] != "level=INFO msg=hello" {
		t.Errorf("log message %+v", m)
	}
	if !wp.ErrorReport("task-resolution", "could not resolve", "HTTP 500", nil) {
		t.Fatal("error-report not sent")
	}
	if m := rs.await(t, "error-report"); m.Properties["title"] != "could not resolve" || m.Properties["kind"] != "task-resolution" {
		t.Errorf("error-report %+v", m)
	}
	if !wp.Shutdown() {
		t.Fatal("shutdown not sent")
	}
	rs.await(t, "shutdown")
}

func TestProtocolWithoutLogCapability(t *testing.T) {
	wp, _, fallback := newPipes(t, []string{"graceful-termination"}, ProtocolHandlers{})
	wp.Log("to stderr")
	if fallback.String() != "to stderr\n" {
		t.Errorf("fallback = %q", fallback.String())
	}
	if wp.ErrorReport("k", "t", "d", nil) || wp.Shutdown() {
		t.Error("sent a message the runner did not agree to")
	}
}

func TestProtocolIgnoresMalformedMessages(t *testing.T) {
	toWorkerR, toWorkerW := io.Pipe()
	var out bytes.Buffer
	got := make(chan bool, 1)
	wp := StartProtocol(toWorkerR, &out, io.Discard, ProtocolHandlers{GracefulTermination: func(f bool) { got <- f }})
	// welcome without a capability list, garbage, a termination without its flag.
	for _, l := range []string{`~{"type":"welcome"}`, `not a message`, `~{"type":"welcome","capabilities":[1]}`,
		`~{"type":"welcome","capabilities":["graceful-termination"]}`, `~{"type":"graceful-termination"}`} {
		if _, err := io.WriteString(toWorkerW, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case f := <-got:
		if f {
			t.Error("missing finish-tasks read as true")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no graceful-termination")
	}
	if !wp.Initialized() {
		t.Error("not initialized after a valid welcome")
	}
	toWorkerW.Close()
}

// TestProtocolRunnerGone: when worker-runner's end fails (a write errors,
// as EPIPE does once it is gone) log lines go to the fallback and
// RunnerGone is called once; EOF on its output does the same.
func TestProtocolRunnerGone(t *testing.T) {
	toWorkerR, toWorkerW := io.Pipe()
	toRunnerR, toRunnerW := io.Pipe()
	t.Cleanup(func() { toWorkerW.Close() })
	gone := make(chan struct{}, 2)
	fallback := &testenv.Buffer{}
	wp := StartProtocol(toWorkerR, toRunnerW, fallback, ProtocolHandlers{RunnerGone: func() { gone <- struct{}{} }})
	runner := workerproto.NewProtocol(workerproto.NewPipeTransport(toRunnerR, toWorkerW))
	runner.AddCapability("log")
	runner.Start(false)
	runner.WaitUntilInitialized()
	wp.WaitUntilInitialized()
	toRunnerR.Close() // worker-runner stops reading: writes fail
	wp.Log("line after the runner went away")
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("RunnerGone not called after a failed write")
	}
	wp.Log("and another")
	if got := fallback.String(); !strings.Contains(got, "line after the runner went away") || !strings.Contains(got, "and another") {
		t.Errorf("fallback got %q", got)
	}
	toWorkerW.Close() // EOF too: still one call
	wp.WaitForEOF()
	time.Sleep(50 * time.Millisecond)
	if len(gone) != 0 {
		t.Error("RunnerGone called twice")
	}
	if wp.Shutdown() {
		t.Error("Shutdown reported as sent on a broken stream")
	}
}
