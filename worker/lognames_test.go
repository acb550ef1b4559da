package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dwshim/dwshim/internal/tcfake"
)

func TestLogNamesOf(t *testing.T) {
	for _, tc := range []struct {
		payload string
		want    logNames
	}{
		{`{}`, logNames{live: liveLogName, backing: backingLogName, liveLog: true}},
		{`{"log":"public/build/x.log"}`, logNames{live: "public/build/x.log", backing: "public/build/x_backing.log", liveLog: true}},
		{`{"log":"foo","features":{"localLiveLog":false,"bulkLog":true}}`, logNames{live: "foo", backing: "foo_backing", bulk: true}},
		{`{"features":{"bulkLog":false}}`, logNames{live: liveLogName, backing: backingLogName, liveLog: true}},
		{`{"log":7,"features":{"bulkLog":"yes"}}`, logNames{live: liveLogName, backing: backingLogName, liveLog: true}},
		{`[1]`, logNames{live: liveLogName, backing: backingLogName, liveLog: true}},
	} {
		got := logNamesOf(json.RawMessage(tc.payload))
		if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(logNames{})); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.payload, d)
		}
	}
}

// TestPayloadLogNames: the payload's log names the live log and its
// backing log, bulkLog adds terminal_bulk.log.gz (gzip-encoded text, as
// docker-worker), and localLiveLog false publishes neither log (docker-worker
// published none then either).
func TestPayloadLogNames(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.addTask(t, "custom", map[string]any{"result": "completed", "log": "public/build/custom.log",
		"features": map[string]any{"bulkLog": true}}, nil)
	env.addTask(t, "nolive", map[string]any{"result": "completed", "features": map[string]any{"localLiveLog": false}}, nil)
	env.cfg.NumberOfTasksToRun = 2
	w := env.newWorker(t, testOptions(t, newFakeExec()))
	if code := runWorker(context.Background(), w)(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("custom")
	r := st.Runs[0]
	bl, ok := r.Artifact("public/build/custom_backing.log")
	if !ok || bl.ContentEncoding != "gzip" || !strings.Contains(string(bl.Data), "hello from custom") {
		t.Errorf("backing log %+v", bl)
	}
	if ll, ok := r.Artifact("public/build/custom.log"); !ok || ll.StorageType != "link" || ll.LinkTarget != "public/build/custom_backing.log" {
		t.Errorf("live log %+v", ll)
	}
	bulk, ok := r.Artifact(bulkLogName)
	if !ok || bulk.ContentEncoding != "gzip" || bulk.ContentType != "text/plain; charset=utf-8" || string(bulk.Data) != string(bl.Data) {
		t.Errorf("bulk log %+v", bulk)
	}
	for _, n := range []string{liveLogName, backingLogName} {
		if _, ok := r.Artifact(n); ok {
			t.Errorf("default log %s published although the payload named its log", n)
		}
	}
	st, _ = env.fake.Task("nolive")
	if r := st.Runs[0]; r.State != "completed" {
		t.Errorf("nolive: %s", r.State)
	}
	for _, n := range []string{liveLogName, backingLogName, bulkLogName} {
		if a, ok := st.Runs[0].Artifact(n); ok {
			t.Errorf("localLiveLog false, yet %s published: %+v", n, a)
		}
	}
}
