package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcauth"
	"github.com/taskcluster/taskcluster/v44/tools/websocktunnel/client"
)

// Exposure of the live log and interactive servers behind NAT, as
// generic-worker does it: with wstServerURL and wstAudience set, each local
// server gets a websocktunnel client of its own, with the id
// <workerGroup>.<workerId>.<port> and a token from auth.websocktunnelToken
// (so the worker's credentials need
// auth:websocktunnel-token:<wstAudience>/<workerGroup>.<workerId>.*), and
// its URLs are the tunnel's; without them the servers are reached directly
// on the worker's address.

// tunnel forwards connections from a websocktunnel client to a local port.
type tunnel struct {
	cl   *client.Client
	port int
}

// exposeWST opens a websocktunnel client for the local port and forwards
// what it accepts there. It returns the tunnel; its URL is the public base.
func (w *Worker) exposeWST(port int) (*tunnel, error) {
	id := fmt.Sprintf("%s.%s.%d", w.cfg.WorkerGroup, w.cfg.WorkerID, port)
	cl, err := client.New(func() (client.Config, error) {
		c := w.credentials()
		auth := tcauth.New(&tcclient.Credentials{ClientID: c.ClientID, AccessToken: c.AccessToken, Certificate: c.Certificate}, w.cfg.RootURL)
		auth.HTTPBackoffClient = w.opts.Retry.HTTPBackoff() // the worker's policy, not client-go's 15 minutes
		// A fresh token on every (re)connection; its expiry is not needed.
		res, err := auth.WebsocktunnelToken(w.cfg.WSTAudience, id)
		if err != nil {
			return client.Config{}, fmt.Errorf("websocktunnel token for %s: %w", id, err)
		}
		return client.Config{ID: id, TunnelAddr: w.cfg.WSTServerURL, Token: res.Token}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("websocktunnel %s at %s: %w", id, w.cfg.WSTServerURL, err)
	}
	t := &tunnel{cl: cl, port: port}
	go t.forward(w)
	return t, nil
}

// URL is the public base URL of the tunnel.
func (t *tunnel) URL() string { return t.cl.URL() }

func (t *tunnel) forward(w *Worker) {
	target := net.JoinHostPort("127.0.0.1", strconv.Itoa(t.port))
	for {
		conn, err := t.cl.Accept()
		if err != nil {
			var ce client.Error
			if errors.As(err, &ce) && ce.Temporary() {
				// Reconnecting: retry after a pause, as the client asks.
				time.Sleep(200 * time.Millisecond)
				continue
			}
			return
		}
		go func() {
			defer conn.Close()
			local, err := net.Dial("tcp", target)
			if err != nil {
				w.logger.Warn("websocktunnel: dial local server", "target", target, "err", err)
				return
			}
			defer local.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(local, conn); done <- struct{}{} }()
			go func() { _, _ = io.Copy(conn, local); done <- struct{}{} }()
			<-done
		}()
	}
}

// Close ends the tunnel. It does not wait for the forwarding loop: the
// client's Close finishes only once a pending Accept returns (its session
// is closed under the lock Accept holds), which happens when the worker
// exits or the server drops the connection.
func (t *tunnel) Close() error { return t.cl.Close() }

// exposeServers exposes the live log and interactive servers through
// websocktunnel when wstServerURL and wstAudience are set. It returns what
// closes the tunnels.
func (w *Worker) exposeServers(ctx context.Context) (func(), error) {
	if w.cfg.WSTServerURL == "" || w.cfg.WSTAudience == "" {
		return func() {}, nil
	}
	var tunnels []*tunnel
	closeAll := func() {
		for _, t := range tunnels {
			_ = t.Close()
		}
	}
	expose := func(port int, set func(string)) error {
		t, err := w.exposeWST(port)
		if err != nil {
			return err
		}
		tunnels = append(tunnels, t)
		set(t.URL())
		w.logger.Info("exposed through websocktunnel", "port", port, "url", t.URL())
		return nil
	}
	if w.live != nil {
		if err := expose(w.live.Port(), w.live.SetBaseURL); err != nil {
			closeAll()
			return nil, err
		}
	}
	if w.shells != nil {
		if err := expose(w.shells.Port(), w.shells.SetBaseURL); err != nil {
			closeAll()
			return nil, err
		}
	}
	return closeAll, nil
}
