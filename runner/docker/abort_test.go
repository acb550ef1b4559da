package docker

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// slowCreateProxy serves the Docker API on a unix socket, forwarding to
// the real daemon, and holds each container create for hold before the
// daemon sees it, whether or not the client is still waiting: the daemon
// doing an abandoned create late, after the client has moved on.
type slowCreateProxy struct {
	sock    string
	seen    chan struct{} // a create arrived
	done    chan struct{} // that create reached the daemon and returned
	once    sync.Once
	hold    time.Duration
	created sync.Once
}

func startSlowCreateProxy(t *testing.T, hold time.Duration) *slowCreateProxy {
	t.Helper()
	daemon := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		daemon = strings.TrimPrefix(h, "unix://")
	} else if h != "" {
		t.Skipf("DOCKER_HOST %q is not a unix socket", h)
	}
	p := &slowCreateProxy{sock: filepath.Join(t.TempDir(), "docker.sock"), seen: make(chan struct{}), done: make(chan struct{}), hold: hold}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", daemon)
	}}
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: "http", Host: "docker"}) },
		FlushInterval: -1,
		Transport:     tr,
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/containers/create") {
			rp.ServeHTTP(w, r)
			return
		}
		p.once.Do(func() { close(p.seen) })
		body, _ := io.ReadAll(r.Body)
		time.Sleep(p.hold)
		// Forward even if the client gave up, as the daemon would have.
		defer p.created.Do(func() { close(p.done) })
		req, err := http.NewRequestWithContext(context.Background(), r.Method, "http://docker"+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := tr.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	ln, err := net.Listen("unix", p.sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

// TestAbortDuringCreateLeavesNoContainer: the task is aborted while its
// container is being created; the create reaches the daemon only after
// the abort. Once Run and Destroy return, no container of the task is
// left (in the Created state or any other), as dwshim promises at
// shutdown.
func TestAbortDuringCreateLeavesNoContainer(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.RegistryImage)
	p := startSlowCreateProxy(t, 700*time.Millisecond)
	e, err := New(Options{Host: "unix://" + p.sock, PullPolicy: PullIfMissing,
		ExtraLabels: map[string]string{testLabel: labelValue(t)}, MaxImages: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	task := namedTask(t, "sleep", "600")
	if err := e.Prepare(context.Background(), task, io.Discard); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-p.seen; cancel() }()
	ex, err := e.Run(ctx, task, io.Discard)
	if err != nil || !ex.Cancelled {
		t.Errorf("Run = %+v, %v; want Cancelled", ex, err)
	}
	if err := e.Destroy(context.Background(), task); err != nil {
		t.Errorf("Destroy: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the held create never reached the daemon")
	}
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", LabelTask+"="+task.Key)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Items {
		t.Errorf("container %s left in state %s", c.ID[:12], c.State)
		_, _ = cli.ContainerRemove(context.Background(), c.ID, client.ContainerRemoveOptions{Force: true})
	}
}
