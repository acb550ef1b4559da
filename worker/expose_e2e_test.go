package worker

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/taskcluster/taskcluster/v44/tools/websocktunnel/wsproxy"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// startWebsocktunnel runs the real websocktunnel server (its wsproxy
// handler, as the websocktunnel command serves it) on a local port, with
// tcfake issuing its tokens.
func startWebsocktunnel(t *testing.T, fake *tcfake.Server, audience string) string {
	t.Helper()
	secret := []byte("dwshim-test-websocktunnel-secret")
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h, err := wsproxy.New(wsproxy.Config{JWTSecretA: secret, JWTSecretB: secret, Audience: audience, URLPrefix: srv.URL,
		Upgrader: websocket.Upgrader{}})
	if err != nil {
		t.Fatal(err)
	}
	handler = h
	fake.SetWebsocktunnelSecret(secret)
	return srv.URL
}

// Behind NAT: with wstServerURL/wstAudience, the live log and the
// interactive shell are reached only through the websocktunnel server.
func TestE2EWebsocktunnelExposure(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 1
	env.cfg.EnableInteractive = true
	env.cfg.InteractivePort = freePort(t)
	const audience = "dwshim-test-wst"
	wst := startWebsocktunnel(t, env.fake, audience)
	env.cfg.WSTServerURL, env.cfg.WSTAudience = wst, audience
	w := env.dockerWorker(t)
	// The worker's credentials may ask for tokens of its own tunnels only,
	// as generic-worker's need.
	env.fake.AddClient("worker/wkr", "worker-token", append(tcfake.WorkerScopes(testQueue, testGroup, env.cfg.WorkerID),
		"auth:websocktunnel-token:"+audience+"/"+testGroup+"."+env.cfg.WorkerID+".*")...)
	env.addTask(t, "wst", dwPayload("echo started-behind-nat; while [ ! -e /tmp/done ]; do sleep 0.1; done; echo done-behind-nat",
		map[string]any{"features": map[string]any{"interactive": true}}), nil)
	wait := runWorker(context.Background(), w)

	// The live log artifact points into the tunnel, and streams from there.
	var liveURL string
	for deadline := time.Now().Add(60 * time.Second); liveURL == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if st, _ := env.fake.Task("wst"); len(st.Runs) > 0 {
			if a, ok := st.Runs[0].Artifact(liveLogName); ok {
				liveURL = a.URL
			}
		}
	}
	if !strings.HasPrefix(liveURL, wst+"/"+testGroup+"."+env.cfg.WorkerID+".") || !strings.Contains(liveURL, "/log/") {
		t.Fatalf("live log URL %q is not in the tunnel %s", liveURL, wst)
	}
	resp, err := http.Get(liveURL)
	if err != nil {
		t.Fatalf("live log through the tunnel: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	found := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "started-behind-nat") {
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("live log through the tunnel (HTTP %d) never showed the task's output", resp.StatusCode)
	}

	// The shell page's socket is the tunnel's too.
	socket := interactiveSocket(t, env, "wst")
	if !strings.HasPrefix(socket, "ws"+strings.TrimPrefix(wst, "http")+"/") {
		t.Fatalf("socket URL %q is not in the tunnel %s", socket, wst)
	}
	sh := dialShell(t, socket)
	sh.send(msgStdin, []byte("echo via-tunnel=$TASK_ID; touch /tmp/done; exit\n"))
	if !sh.waitFor("via-tunnel=wst") {
		t.Fatalf("shell output through the tunnel:\n%s", sh.out.String())
	}
	if code := wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("wst")
	if r := st.Runs[0]; r.ReasonResolved != "completed" {
		t.Errorf("run %s/%s", r.State, r.ReasonResolved)
	}
}
