package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/translate"
)

// stubTranslate fails payloads with "bad": true and otherwise returns a
// plan with the payload's maxRunTime (seconds).
func stubTranslate(task json.RawMessage, _ translate.Config, _ func([]string) ([]string, error)) (*plan.Plan, []translate.Warning, error) {
	var def struct {
		Payload struct {
			Bad        bool `json:"bad"`
			MaxRunTime int  `json:"maxRunTime"`
			Proxy      bool `json:"proxy"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(task, &def); err != nil {
		return nil, nil, err
	}
	if def.Payload.Bad {
		return nil, nil, &translate.Error{Reason: translate.MalformedPayload, Problems: []translate.Problem{
			{Pointer: "/command", Message: "expected an array of strings"},
			{Pointer: "/maxRunTime", Message: "is required"},
		}}
	}
	return &plan.Plan{MaxRunTime: plan.Duration(time.Duration(def.Payload.MaxRunTime) * time.Second),
			Features: plan.Features{TaskclusterProxy: def.Payload.Proxy}},
		[]translate.Warning{{Pointer: "/features/dind", Message: "not supported"}}, nil
}

func TestD2GExecutorRejections(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.D2GConfig.EnableD2G = true
	env.cfg.MaxTaskRunTime = 3600
	cases := map[string]struct {
		payload map[string]any
		log     []string
	}{
		"schema":  {map[string]any{"image": "busybox", "bad": true}, []string{"[taskcluster:error] malformed-payload: the task cannot run (2 problem(s)):", "[taskcluster:error]   /command: expected an array of strings", "[taskcluster:error]   /maxRunTime: is required"}},
		"native":  {map[string]any{"command": []string{"true"}}, []string{"native generic-worker payloads are not supported"}},
		"maxrun":  {map[string]any{"image": "busybox", "maxRunTime": 7200}, []string{"task's maxRunTime of 2h0m0s exceeded allowed maximum of 1h0m0s", "[d2g] /features/dind: not supported"}},
		"proxy":   {map[string]any{"image": "busybox", "proxy": true}, []string{"task requests the taskcluster proxy (features.taskclusterProxy), which this worker (dwshim-test/wt) does not provide"}},
		"notjson": {nil, []string{"payload is not a JSON object"}},
	}
	for id, c := range cases {
		env.addTask(t, id, c.payload, nil)
	}
	env.cfg.NumberOfTasksToRun = len(cases)
	w := env.newWorker(t, testOptions(t, &D2GExecutor{Translate: stubTranslate}))
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for id, c := range cases {
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		if r.ReasonResolved != "malformed-payload" || r.Resolutions() != 1 {
			t.Errorf("%s: %s/%s", id, r.State, r.ReasonResolved)
		}
		bl, _ := r.Artifact(backingLogName)
		for _, want := range c.log {
			if !strings.Contains(string(bl.Data), want) {
				t.Errorf("%s: log lacks %q:\n%s", id, want, bl.Data)
			}
		}
	}
}

func TestD2GDisabled(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 1
	env.addTask(t, "d", map[string]any{"image": "busybox"}, nil)
	w := env.newWorker(t, testOptions(t, &D2GExecutor{Translate: stubTranslate}))
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, _ := env.fake.Task("d")
	bl, _ := st.Runs[0].Artifact(backingLogName)
	if st.Runs[0].ReasonResolved != "malformed-payload" || !strings.Contains(string(bl.Data), "D2G is not enabled on this worker pool (dwshim-test/wt)") {
		t.Errorf("run %+v\n%s", st.Runs[0], bl.Data)
	}
}
