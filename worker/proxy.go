package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
)

// TaskclusterProxy serves the taskcluster proxy of task runs in process:
// requests from the container to http://taskcluster/<service>/<version>/…
// (or /api/<service>/<version>/…) are signed with the run's current task
// credentials, restricted to the task's scopes plus
// queue:create-artifact:<taskId>/<runId>, and forwarded to the root URL.
//
// Each run's proxy listens on the gateway of the run's own Docker network
// (runner.Task.IsolatedNetwork) at Port (80 by default), and admits only
// connections from that network's subnet. Every run has its own gateway
// address, so every slot gets http://taskcluster on the same port, as
// docker-worker gave each task (generic-worker uses Port + 4×slot, so only
// its slot 0 has port 80). The gateway is a host address, so containers on
// other networks can connect to it; they are answered 403 and nothing is
// forwarded.
type TaskclusterProxy struct {
	Port   int
	Logger *slog.Logger
	// NoRunScope leaves out queue:create-artifact:<taskId>/<runId> (dwshim
	// local: there is no run to upload to, and the user's credentials
	// rarely hold it).
	NoRunScope bool
}

// Start serves the proxy for run t on bindIP, admitting only
// clients whose source address is in allowed (nil admits any: tests).
// It returns the URL the container uses, the /etc/hosts entry that makes
// "taskcluster" resolve to bindIP, and a stop function.
func (p *TaskclusterProxy) Start(ctx context.Context, t *TaskRun, bindIP string, allowed *net.IPNet) (proxyURL, host string, stop func(), err error) {
	port := p.Port
	ln, err := net.Listen("tcp", net.JoinHostPort(bindIP, strconv.Itoa(port)))
	if err != nil {
		return "", "", nil, fmt.Errorf("taskcluster proxy: listen: %w", err)
	}
	root, err := url.Parse(strings.TrimRight(t.Config.RootURL, "/"))
	if err != nil {
		ln.Close()
		return "", "", nil, fmt.Errorf("taskcluster proxy: rootURL: %w", err)
	}
	scopes := append([]string{}, t.Task.Scopes...)
	if !p.NoRunScope {
		scopes = append(scopes, fmt.Sprintf("queue:create-artifact:%s/%d", t.TaskID, t.RunID))
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			path := r.In.URL.Path
			if !strings.HasPrefix(path, "/api/") {
				path = "/api" + path // legacy http://taskcluster/queue/v1/…
			}
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = root.Scheme, root.Host, root.Host
			r.Out.URL.Path, r.Out.URL.RawPath = root.Path+path, ""
			// Bound by the task, not the client connection: clients that
			// half-close after sending (nc, some scripts) would otherwise
			// cancel their own request.
			r.Out = r.Out.WithContext(ctx)
			r.Out.Header.Del("Authorization")
			c := t.Credentials()
			creds := &tcclient.Credentials{ClientID: c.ClientID, AccessToken: c.AccessToken,
				Certificate: c.Certificate, AuthorizedScopes: scopes}
			if err := creds.SignRequest(r.Out); err != nil {
				logger.Error("taskcluster proxy: sign request", "err", err)
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logger.Warn("taskcluster proxy: upstream error", "path", r.URL.Path, "err", err)
			http.Error(w, "taskcluster proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	srv := &http.Server{Handler: sourceFilter(allowed, rp, logger)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("taskcluster proxy stopped", "err", err)
		}
	}()
	proxyURL = "http://taskcluster"
	if port != 80 {
		proxyURL += ":" + strconv.Itoa(port)
	}
	t.Log.Infof("[taskcluster-proxy] serving %s for task %s (credentials %s)", proxyURL, t.TaskID, t.Credentials().ClientID)
	return proxyURL, "taskcluster:" + bindIP, func() { _ = srv.Close() }, nil
}

// sourceFilter refuses requests whose source address is outside allowed.
func sourceFilter(allowed *net.IPNet, next http.Handler, logger *slog.Logger) http.Handler {
	if allowed == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(h)
		if err != nil || ip == nil || !allowed.Contains(ip) {
			logger.Warn("taskcluster proxy: refused a client outside the task's network", "remote", r.RemoteAddr, "network", allowed.String())
			http.Error(w, "taskcluster proxy: forbidden: client is not on the task's network", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
