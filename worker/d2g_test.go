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

// stubTranslate fails payloads whose env has STUB=bad and otherwise
// returns a plan with the payload's maxRunTime and proxy feature.
func stubTranslate(task json.RawMessage, _ translate.Config, _ func([]string) ([]string, error)) (*plan.Plan, []translate.Warning, error) {
	var def struct {
		Payload struct {
			Env        map[string]string `json:"env"`
			MaxRunTime int               `json:"maxRunTime"`
			Features   struct {
				Proxy       bool `json:"taskclusterProxy"`
				Interactive bool `json:"interactive"`
			} `json:"features"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(task, &def); err != nil {
		return nil, nil, err
	}
	if def.Payload.Env["STUB"] == "bad" {
		return nil, nil, &translate.Error{Reason: translate.MalformedPayload, Problems: []translate.Problem{
			{Pointer: "/payload/image", Message: "not a valid image reference"},
			{Pointer: "/scopes", Message: "missing docker-worker:capability:privileged"},
		}}
	}
	return &plan.Plan{MaxRunTime: plan.Duration(time.Duration(def.Payload.MaxRunTime) * time.Second),
			Features: plan.Features{TaskclusterProxy: def.Payload.Features.Proxy, Interactive: def.Payload.Features.Interactive}},
		[]translate.Warning{{Pointer: "/features/dind", Message: "not supported"}}, nil
}

func validPayload(extra map[string]any) map[string]any {
	p := map[string]any{"image": "busybox", "command": []string{"true"}, "maxRunTime": 600}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func TestD2GExecutorRejections(t *testing.T) {
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.D2GConfig.EnableD2G = true
	env.cfg.MaxTaskRunTime = 3600
	cases := map[string]struct {
		payload map[string]any
		log     []string
	}{
		"schema": {map[string]any{"image": "busybox", "command": "x"}, []string{
			"[taskcluster:error] malformed-payload: the task cannot run (", "[taskcluster:error]   /payload/command: ",
			"[taskcluster:error]   /payload: required property \"maxRunTime\" is missing"}},
		"translate": {validPayload(map[string]any{"env": map[string]string{"STUB": "bad"}}), []string{
			"[taskcluster:error] malformed-payload: the task cannot run (2 problem(s)):",
			"[taskcluster:error]   /payload/image: not a valid image reference",
			"[taskcluster:error]   /scopes: missing docker-worker:capability:privileged"}},
		"native":  {map[string]any{"command": []string{"true"}}, []string{`/payload: required property "image" is missing`}},
		"maxrun":  {validPayload(map[string]any{"maxRunTime": 7200}), []string{"task's maxRunTime of 2h0m0s exceeded allowed maximum of 1h0m0s", "[d2g] /features/dind: not supported"}},
		"proxy":   {validPayload(map[string]any{"features": map[string]any{"taskclusterProxy": true}}), []string{"task requests the taskcluster proxy (features.taskclusterProxy), which this worker (dwshim-test/wt) does not provide"}},
		"notjson": {nil, []string{"/payload: must be an object"}},
		"imageslugid": {validPayload(map[string]any{"image": map[string]any{"type": "task-image", "taskId": "IMGTASK", "path": "public/image.tar"}}),
			[]string{`[taskcluster:error]   /payload/image/taskId: the image taskId "IMGTASK" is not a slugid`}},
		"interactive": {validPayload(map[string]any{"features": map[string]any{"interactive": true}}), []string{"task requests an interactive shell (features.interactive), but this worker pool (dwshim-test/wt) has enableInteractive off"}},
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
	env.addTask(t, "d", map[string]any{"image": "busybox", "maxRunTime": 1}, nil)
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
