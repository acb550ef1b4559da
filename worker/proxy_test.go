package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestTaskclusterProxySignsWithTaskCredentials(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.addTask(t, "p1", map[string]any{}, map[string]any{"scopes": []string{"queue:get-artifact:private/x"}})
	q := NewTCQueue(env.cfg.RootURL, DefaultRetryPolicy())
	claims, err := q.ClaimWork(context.Background(), Credentials{ClientID: "worker/wkr", AccessToken: "worker-token"},
		testQueue, ClaimWorkRequest{Tasks: 1, WorkerGroup: testGroup, WorkerID: testID})
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim: %v %v", claims, err)
	}
	c := claims[0]
	def, _ := parseDefinition(c.Definition)
	tl, err := NewTaskLog(filepath.Join(t.TempDir(), "log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := &TaskRun{TaskID: c.TaskID, RunID: c.RunID, Task: def, Log: tl, Config: &env.cfg,
		Credentials: func() Credentials { return c.Credentials }}
	p := &TaskclusterProxy{Port: freePort(t)}
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	url, host, stop, err := p.Start(context.Background(), run, "127.0.0.1", loopback)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if host != "taskcluster:127.0.0.1" || url != "http://taskcluster:"+strconv.Itoa(p.Port) {
		t.Errorf("url %s host %s", url, host)
	}
	get := func(path string) (int, string) {
		return proxyGet(t, "http://127.0.0.1:"+strconv.Itoa(p.Port)+path)
	}
	// Legacy and /api/ forms both reach the queue, signed.
	for _, path := range []string{"/queue/v1/task/p1", "/api/queue/v1/task/p1/status"} {
		if code, body := get(path); code != 200 {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	// A scope the task does not have is refused by the queue (the proxy
	// restricts the credentials to the task's scopes).
	if code, body := get("/api/queue/v1/task/p1/artifacts/private%2Fother"); code != 403 || !strings.Contains(body, "InsufficientScopes") {
		t.Errorf("private artifact without scope: %d %s", code, body)
	}
	var signed int
	for _, call := range env.fake.Calls() {
		if (call.Route == "queue.task" || call.Route == "queue.status") && strings.HasPrefix(call.ClientID, "task-client/p1/0/") {
			signed++
		}
	}
	if signed != 2 {
		t.Errorf("%d proxied calls signed with the task credentials, want 2", signed)
	}
}

// TestTaskclusterProxyRefusesOtherNetworks: a client whose source
// address is outside the task's network is refused, and nothing is
// forwarded.
func TestTaskclusterProxyRefusesOtherNetworks(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	tl, err := NewTaskLog(filepath.Join(t.TempDir(), "log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := &TaskRun{TaskID: "p2", Log: tl, Config: &env.cfg,
		Credentials: func() Credentials { return Credentials{ClientID: "c", AccessToken: "a"} }}
	p := &TaskclusterProxy{Port: freePort(t)}
	_, other, _ := net.ParseCIDR("172.31.254.0/24")
	_, _, stop, err := p.Start(context.Background(), run, "127.0.0.1", other)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if code, body := proxyGet(t, "http://127.0.0.1:"+strconv.Itoa(p.Port)+"/api/queue/v1/task/p2/status"); code != http.StatusForbidden || !strings.Contains(body, "not on the task's network") {
		t.Errorf("client outside the network: %d %s", code, body)
	}
	for _, call := range env.fake.Calls() {
		if call.TaskID == "p2" {
			t.Errorf("refused request reached the queue: %+v", call)
		}
	}
}

func proxyGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestExpandScopes(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.fake.AddClient("worker/exp", "tok", "auth:expand-scopes")
	env.fake.AddRole("project:x", "docker-worker:capability:privileged")
	q := NewTCQueue(env.cfg.RootURL, DefaultRetryPolicy())
	got, err := q.ExpandScopes(context.Background(), Credentials{ClientID: "worker/exp", AccessToken: "tok"}, []string{"assume:project:x"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(got, " "), "docker-worker:capability:privileged") {
		t.Errorf("expanded %v", got)
	}
}
