package worker

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// shellClient speaks the Taskcluster UI's interactive shell protocol (as
// generic-worker's interactive feature serves it) over a websocket.
type shellClient struct {
	t    *testing.T
	conn *websocket.Conn
	out  strings.Builder
}

func dialShell(t *testing.T, socketURL string) *shellClient {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(socketURL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", socketURL, err, resp)
	}
	t.Cleanup(func() { conn.Close() })
	return &shellClient{t: t, conn: conn}
}

func (c *shellClient) send(code byte, data []byte) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.BinaryMessage, append([]byte{code}, data...)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *shellClient) resize(w, h uint16) {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint16(b[0:2], w)
	binary.LittleEndian.PutUint16(b[2:4], h)
	c.send(msgResize, b)
}

// waitFor reads output until it holds want; false when the socket closed.
func (c *shellClient) waitFor(want string) bool {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for !strings.Contains(c.out.String(), want) {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return false
		}
		c.out.Write(msg)
	}
	return true
}

// interactiveSocket waits for the run's shell artifact and returns the
// websocket URL its shell page names.
func interactiveSocket(t *testing.T, env *testEnv, taskID string) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		st, _ := env.fake.Task(taskID)
		if len(st.Runs) == 0 {
			continue
		}
		a, ok := st.Runs[0].Artifact(interactiveArtifact)
		if !ok {
			continue
		}
		u, err := url.Parse(a.URL)
		if err != nil || a.StorageType != "reference" || !strings.HasPrefix(a.URL, env.cfg.RootURL+"/shell/?") {
			t.Fatalf("shell artifact %+v: %v", a, err)
		}
		q := u.Query()
		if q.Get("v") != "2" || q.Get("taskId") != taskID || q.Get("runId") != "0" {
			t.Fatalf("shell page query %v", q)
		}
		return q.Get("socketUrl")
	}
	t.Fatalf("no %s artifact", interactiveArtifact)
	return ""
}

func TestE2EInteractiveShell(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 1
	env.cfg.EnableInteractive = true
	env.cfg.InteractivePort = freePort(t)
	w := env.dockerWorker(t)
	env.addTask(t, "ia", dwPayload("echo started; while [ ! -e /tmp/done ]; do sleep 0.1; done; echo finished-by-shell",
		map[string]any{"features": map[string]any{"interactive": true}, "env": map[string]string{"FOO": "bar"}}), nil)
	wait := runWorker(context.Background(), w)
	socket := interactiveSocket(t, env, "ia")
	if !strings.HasPrefix(socket, "ws://127.0.0.1:") || !strings.Contains(socket, "/shell/") {
		t.Fatalf("socket URL %q", socket)
	}
	// A wrong secret is refused before any upgrade.
	bad := strings.Replace(socket, "/shell/", "/shell/x", 1)
	if _, resp, err := websocket.DefaultDialer.Dial(bad, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: %v %v", err, resp)
	}
	sh := dialShell(t, socket)
	sh.resize(120, 40)
	sh.send(msgStdin, []byte("echo size=$(stty size) foo=$FOO task=$TASK_ID\n"))
	if !sh.waitFor("size=40 120 foo=bar task=ia") {
		t.Fatalf("shell output:\n%s", sh.out.String())
	}
	sh.resize(100, 30)
	sh.send(msgStdin, []byte("echo again=$(stty size); touch /tmp/done; exit\n"))
	if !sh.waitFor("again=30 100") {
		t.Fatalf("shell output after resize:\n%s", sh.out.String())
	}
	if code := wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("ia")
	r := st.Runs[0]
	bl, _ := r.Artifact(backingLogName)
	if r.ReasonResolved != "completed" || !strings.Contains(string(bl.Data), "finished-by-shell") {
		t.Errorf("run %s/%s, log:\n%s", r.State, r.ReasonResolved, bl.Data)
	}
}
