package worker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dwshim/dwshim/runner"
)

// Interactive shells (features.interactive), spoken as generic-worker's
// interactive feature does to the Taskcluster UI's shell page: the run
// publishes the private artifact interactiveArtifact, a redirect to
// <rootUrl>/shell/?v=2&socketUrl=…&taskId=…&runId=…; the page opens a
// websocket at socketUrl (…/shell/<secret>), and every message it sends is
// a one-byte code then data: msgStdin and the bytes typed, or msgResize
// and the terminal's width and height as little-endian uint16s. The worker
// sends the shell's output as binary messages. The secret in the URL is
// the only credential (as generic-worker); reading the artifact needs
// queue:get-artifact:private/generic-worker/shell.html.
const (
	interactiveArtifact = "private/generic-worker/shell.html"
	msgStdin            = 1
	msgResize           = 2
)

// InteractiveServer serves the interactive shells of running tasks at
// /shell/<secret>, one server for every task of the worker.
type InteractiveServer struct {
	// Shells starts the shells (the container engine).
	Shells runner.Shells
	// Busybox is a static busybox for images without a shell ("": none).
	Busybox string
	Logger  *slog.Logger

	mu       sync.Mutex
	sessions map[string]*interactiveTask
	ln       net.Listener
	srv      *http.Server
	base     string // URL the server is reached at, e.g. "http://host:port"
}

// interactiveTask is one run's shell endpoint.
type interactiveTask struct {
	task   *runner.Task
	ctx    context.Context
	cancel context.CancelFunc
}

var upgrader = websocket.Upgrader{
	// The UI's page is served from the deployment's root URL, not the
	// worker's: any origin (as generic-worker). The secret guards access.
	CheckOrigin: func(*http.Request) bool { return true },
}

// StartInteractive listens on addr and advertises URLs on host (see
// Expose for a tunnel). The server outlives tasks; Close stops it.
func StartInteractive(addr, host string, shells runner.Shells, busybox string, logger *slog.Logger) (*InteractiveServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("interactive: listen %s: %w", addr, err)
	}
	s := &InteractiveServer{Shells: shells, Busybox: busybox, Logger: logger, sessions: map[string]*interactiveTask{}, ln: ln}
	s.base = "http://" + net.JoinHostPort(host, strconv.Itoa(s.Port()))
	mux := http.NewServeMux()
	mux.HandleFunc("/shell/", s.serve)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("interactive server stopped", "err", err)
		}
	}()
	return s, nil
}

// Port is the port the server listens on.
func (s *InteractiveServer) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// SetBaseURL replaces the URL the server is reached at (a websocktunnel
// exposure's).
func (s *InteractiveServer) SetBaseURL(u string) {
	s.mu.Lock()
	s.base = strings.TrimSuffix(u, "/")
	s.mu.Unlock()
}

// Close stops the server and ends every session.
func (s *InteractiveServer) Close(ctx context.Context) error {
	s.mu.Lock()
	for k, it := range s.sessions {
		it.cancel()
		delete(s.sessions, k)
	}
	s.mu.Unlock()
	return s.srv.Shutdown(ctx)
}

// Add opens the shell endpoint of t and returns its websocket URL and a
// function that closes it (and every shell opened through it).
func (s *InteractiveServer) Add(t *runner.Task) (socketURL string, remove func()) {
	secret := token()
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.sessions[secret] = &interactiveTask{task: t, ctx: ctx, cancel: cancel}
	base := s.base
	s.mu.Unlock()
	u, _ := url.Parse(base + "/shell/" + secret)
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	return u.String(), func() {
		cancel()
		s.mu.Lock()
		delete(s.sessions, secret)
		s.mu.Unlock()
	}
}

// shellPageURL is the UI's shell page for socketURL, as generic-worker
// publishes it (query parameters read by the UI's Shell view).
func shellPageURL(rootURL, socketURL, taskID string, runID int) string {
	q := url.Values{}
	q.Set("v", "2")
	q.Set("socketUrl", socketURL)
	q.Set("taskId", taskID)
	q.Set("runId", strconv.Itoa(runID))
	return strings.TrimSuffix(rootURL, "/") + "/shell/?" + q.Encode()
}

func (s *InteractiveServer) serve(w http.ResponseWriter, r *http.Request) {
	secret := strings.TrimPrefix(r.URL.Path, "/shell/")
	s.mu.Lock()
	it := s.sessions[secret]
	s.mu.Unlock()
	if it == nil || secret == "" {
		http.Error(w, "Access denied", http.StatusUnauthorized)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(it.ctx)
	defer cancel()
	// A closed task endpoint closes the socket, ending the read loop.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	sh, err := s.Shells.Exec(ctx, it.task, runner.ShellOptions{Busybox: s.Busybox})
	if err != nil {
		s.Logger.Warn("interactive shell", "task", it.task.Key, "err", err)
		_ = conn.WriteMessage(websocket.BinaryMessage, []byte("dwshim: cannot start a shell: "+err.Error()+"\r\n"))
		return
	}
	defer sh.Close()
	var wmu sync.Mutex
	write := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteMessage(websocket.BinaryMessage, b)
	}
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		buf := make([]byte, 32<<10)
		for {
			n, err := sh.Read(buf)
			if n > 0 && write(buf[:n]) != nil {
				return
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		// The shell ended: say goodbye and close, which ends the reads.
		<-outDone
		wmu.Lock()
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "shell exited"), time.Now().Add(time.Second))
		wmu.Unlock()
		conn.Close()
	}()
	conn.SetReadLimit(1 << 20)
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil || len(msg) == 0 {
			return
		}
		switch msg[0] {
		case msgStdin:
			if _, err := sh.Write(msg[1:]); err != nil {
				return
			}
		case msgResize:
			if len(msg) < 5 {
				continue
			}
			width, height := binary.LittleEndian.Uint16(msg[1:3]), binary.LittleEndian.Uint16(msg[3:5])
			if err := sh.Resize(ctx, uint(width), uint(height)); err != nil {
				s.Logger.Debug("interactive resize", "task", it.task.Key, "err", err)
			}
		}
	}
}

// startInteractive starts the interactive server when enableInteractive
// is set and the worker has Options.Shells, on interactivePort and the
// live log's host. It returns what stops it.
func (w *Worker) startInteractive() (func(), error) {
	if !w.cfg.EnableInteractive || w.opts.Shells == nil {
		return func() {}, nil
	}
	s, err := StartInteractive(net.JoinHostPort("", strconv.Itoa(w.cfg.InteractivePort)), w.liveLogHost(), w.opts.Shells, w.opts.Busybox, w.logger)
	if err != nil {
		return nil, err
	}
	w.shells = s
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	}, nil
}
