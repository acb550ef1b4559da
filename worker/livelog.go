package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// LiveLogServer serves the logs of running tasks at GET /log/<token>,
// streaming until the task's log closes. One server serves every task of
// the worker (generic-worker runs a livelog process per task slot).
type LiveLogServer struct {
	mu     sync.Mutex
	logs   map[string]*TaskLog
	ln     net.Listener
	srv    *http.Server
	host   string
	base   string // set by SetBaseURL (a websocktunnel exposure), else ""
	logger *slog.Logger
}

// StartLiveLog listens on addr ("0.0.0.0:60099", or port 0 for a free one)
// and advertises URLs on host (the worker's public address).
func StartLiveLog(addr, host string, logger *slog.Logger) (*LiveLogServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("live log: listen %s: %w", addr, err)
	}
	s := &LiveLogServer{logs: map[string]*TaskLog{}, ln: ln, host: host, logger: logger}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("live log server stopped", "err", err)
		}
	}()
	return s, nil
}

// Port is the port the server listens on.
func (s *LiveLogServer) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Add publishes l under token and returns its URL.
func (s *LiveLogServer) Add(token string, l *TaskLog) string {
	s.mu.Lock()
	s.logs[token] = l
	base := s.base
	s.mu.Unlock()
	if base == "" {
		base = "http://" + net.JoinHostPort(s.host, strconv.Itoa(s.Port()))
	}
	return base + "/log/" + token
}

// SetBaseURL makes the URLs Add returns start with u (a websocktunnel
// exposure's public URL) instead of the worker's own address.
func (s *LiveLogServer) SetBaseURL(u string) {
	s.mu.Lock()
	s.base = strings.TrimSuffix(u, "/")
	s.mu.Unlock()
}

// Remove stops publishing token.
func (s *LiveLogServer) Remove(token string) {
	s.mu.Lock()
	delete(s.logs, token)
	s.mu.Unlock()
}

// Close stops the server.
func (s *LiveLogServer) Close(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}

func (s *LiveLogServer) serve(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/log/")
	if r.Method != http.MethodGet || !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	l := s.logs[token]
	s.mu.Unlock()
	if l == nil {
		http.Error(w, "no such live log (the task may have finished: see live_backing.log)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	_ = l.Follow(r.Context(), w, flush)
}
