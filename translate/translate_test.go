package translate

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.ContainerName = func() string { return "taskcontainer" }
	return cfg
}

func translateJSON(t *testing.T, js string) *Result {
	t.Helper()
	res, err := TranslatePayload(mustDecode(t, js), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEnvRoutingBoundaries(t *testing.T) {
	// "A=" + value: exactly 65536 bytes stays in env.list, 65537 becomes -e.
	atLimit := strings.Repeat("a", maxEnvFileLine-2)
	over := strings.Repeat("b", maxEnvFileLine-1)
	env := map[string]string{"A": atLimit, "B": over, "C": "x\ny", "D": "trailing\n", "E": "plain", "TASK_ID": "mine"}
	raw, _ := json.Marshal(map[string]any{"image": "ubuntu", "maxRunTime": 1, "env": env})
	res := translateJSON(t, string(raw))
	argv := res.Payload.Command[0]
	var eArgs []string
	for i, a := range argv {
		if a == "-e" {
			eArgs = append(eArgs, argv[i+1])
		}
	}
	wantE := []string{"B=" + over, "C=x\ny", "D=trailing\n"}
	if d := cmp.Diff(wantE, eArgs); d != "" {
		t.Errorf("-e pairs (-want +got):\n%s", d)
	}
	wantList := "A=" + atLimit + "\nE=plain\nRUN_ID\nTASKCLUSTER_INSTANCE_TYPE\nTASKCLUSTER_ROOT_URL\nTASKCLUSTER_WORKER_LOCATION\nTASK_GROUP_ID\nTASK_ID\nTASK_ID=mine\n"
	if res.EnvList != wantList {
		t.Errorf("env.list mismatch:\n%q", res.EnvList[len(atLimit):])
	}
	i := slices.Index(argv, "--env-file")
	if i < 0 || argv[i-2] != "-e" || argv[i+2] != "--" {
		t.Errorf("-e pairs must come right before --env-file env.list --: %q", argv[i-2:i+3])
	}
	if !hasWarning(res.Warnings, "/env/TASK_ID") {
		t.Errorf("no shadowing warning: %v", res.Warnings)
	}
	if len(res.Plan.Env) != len(env) || res.Plan.Env[0].Name != "A" {
		t.Errorf("plan env not the sorted payload env: %d entries", len(res.Plan.Env))
	}
}

func TestBackingLogName(t *testing.T) {
	for in, want := range map[string]string{
		"public/logs/live.log": "public/logs/live_backing.log",
		"apple/banana.log.txt": "apple/banana.log_backing.txt",
		"apple/banana.log":     "apple/banana_backing.log",
		"foo":                  "foo_backing",
		"foo.log":              "foo_backing.log",
		"/abs/x.log":           "/abs/x_backing.log",
		"a.d/file":             "a.d/file_backing",
	} {
		if got := BackingLogName(in); got != want {
			t.Errorf("BackingLogName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeDefaultsAndPartialObjects(t *testing.T) {
	p := mustDecode(t, `{"image":"ubuntu","maxRunTime":5,"features":{"taskclusterProxy":true}}`)
	want := DWFeatures{LocalLiveLog: true, BulkLog: true, Artifacts: true, TaskclusterProxy: true}
	if p.Features != want {
		t.Errorf("features %+v, want %+v", p.Features, want)
	}
	if p.Log != "public/logs/live.log" || p.Command == nil {
		t.Errorf("defaults missing: log %q command %v", p.Log, p.Command)
	}
}

func TestDecodePayloadErrors(t *testing.T) {
	for _, c := range []struct{ in, ptr, msg string }{
		{`{"image":"ubuntu"}`, "", `"maxRunTime" is missing`},
		{`{"maxRunTime":1}`, "", `"image" is missing`},
		{`{"image":"ubuntu","maxRunTime":0}`, "/maxRunTime", "at least 1"},
		{`{"image":"ubuntu","maxRunTime":1.5}`, "/maxRunTime", "integer"},
		{`{"image":"ubuntu","maxRunTime":"1"}`, "/maxRunTime", "integer"},
		{`{"image":"ubuntu","maxRunTime":1,"env":{"A":1}}`, "/env/A", "string"},
		{`{"image":"ubuntu","maxRunTime":1,"encryptedEnv":[]}`, "/encryptedEnv", "is not allowed (encryptedEnv is not supported"},
		{`{"image":"ubuntu","maxRunTime":1,"capabilities":{"devices":{"gpu":true}}}`, "/capabilities/devices/gpu", "is not allowed"},
		{`{"image":"ubuntu","maxRunTime":1,"artifacts":{"a/b":{"type":"file","path":"/x","name":"n"}}}`, "/artifacts/a~1b/name", "is not allowed"},
		{`{"image":"ubuntu","maxRunTime":1,"artifacts":{"a":{"type":"socket","path":"/x"}}}`, "/artifacts/a/type", `"file", "directory", "volume"`},
		{`{"image":"ubuntu","maxRunTime":1,"artifacts":{"a":{"type":"file","path":"/x","expires":"tomorrow"}}}`, "/artifacts/a/expires", "date-time"},
		{`{"image":{"type":"docker-image"},"maxRunTime":1}`, "/image", `"name" is missing`},
		{`{"image":{"type":"task-image","taskId":"x","path":"p","name":"n"},"maxRunTime":1}`, "/image/name", "not allowed in an image of type task-image"},
		{`{"image":{"type":"podman-image","name":"x"},"maxRunTime":1}`, "/image/type", `must be one of "docker-image"`},
		{`{"image":7,"maxRunTime":1}`, "/image", "string or an object"},
		{`{"image":"ubuntu","maxRunTime":1} {}`, "", "after the top-level value"},
		{`[1]`, "", "must be an object"},
		{`{"image":`, "/image", "unexpected end of input"},
		{`{"image":"u","image":"v","maxRunTime":1}`, "/image", `duplicate property "image"`},
		{`{"Image":"u","maxRunTime":1}`, "/Image", "is not allowed"},
		{`{"image":"u","maxRunTime":1,"env":{"A":"a\u0000b"}}`, "/env/A", "NUL"},
		{`{"image":"u","maxRunTime":1,"env":{"A B":"x"}}`, "/env/A B", "white space"},
		{`{"image":"u","maxRunTime":1,"env":{"A=B":"x"}}`, "/env/A=B", `contains "="`},
		{`{"image":"u","maxRunTime":1,"cache":{"a::b":"/c"}}`, "/cache/a::b", `"::"`},
		{`{"image":"u","maxRunTime":1,"artifacts":{"../x":{"type":"file","path":"/x"}}}`, "/artifacts/..~1x", `".."`},
		{`{"image":"u","maxRunTime":1,"artifacts":{"/x":{"type":"file","path":"/x"}}}`, "/artifacts/~1x", "absolute"},
		{`{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"file","path":"/x"},"a/b":{"type":"file","path":"/y"}}}`, "/artifacts/a", "also be a directory"},
		{`{"image":"u","maxRunTime":1,"command":["a\u0000"]}`, "/command/0", "NUL"},
		{"{\"image\":\"\x94\",\"maxRunTime\":1}", "/image", "invalid UTF-8"},
		{`{"image":"u","maxRunTime":1,"env":{"A":"\ud800x"}}`, "/env/A", "surrogate"},
	} {
		_, err := DecodePayload([]byte(c.in))
		var te *Error
		if !errors.As(err, &te) || te.Reason != MalformedPayload {
			t.Errorf("%s: want *Error malformed-payload, got %v", c.in, err)
			continue
		}
		if te.Problems[0].Pointer != c.ptr || !strings.Contains(te.Problems[0].Message, c.msg) {
			t.Errorf("%s: got %v, want pointer %q and message containing %q", c.in, te.Problems[0], c.ptr, c.msg)
		}
	}
}

func TestOnExitStatusWarnings(t *testing.T) {
	res := translateJSON(t, `{"image":"ubuntu","maxRunTime":1,"onExitStatus":{"retry":[0,3,3],"purgeCaches":[-2]}}`)
	for _, ptr := range []string{"/onExitStatus/retry/0", "/onExitStatus/retry/2", "/onExitStatus/purgeCaches/0"} {
		if !hasWarning(res.Warnings, ptr) {
			t.Errorf("no warning at %s: %v", ptr, res.Warnings)
		}
	}
	if d := cmp.Diff([]int64{0, 3, 3}, res.Payload.OnExitStatus.Retry); d != "" {
		t.Errorf("d2g payload must copy retry verbatim: %s", d)
	}
	if d := cmp.Diff([]int{0, 3, 3}, res.Plan.OnExit.Retry); d != "" {
		t.Errorf("plan retry: %s", d)
	}
}

func TestArtifactsDisabledKeepsPlanLogs(t *testing.T) {
	res := translateJSON(t, `{"image":"ubuntu","maxRunTime":1,"features":{"artifacts":false},"artifacts":{"a":{"type":"volume","path":"/v"}}}`)
	f := res.Payload.Features
	if f.LiveLog || f.BackingLog || res.Payload.Artifacts != nil || slices.Contains(res.Payload.Command[0], "-v") {
		t.Errorf("d2g target must drop logs, artifacts and volume mounts: %+v", res.Payload)
	}
	pf := res.Plan.Features
	if !pf.LiveLog || !pf.BackingLog || pf.UploadArtifacts || len(res.Plan.Artifacts) != 0 {
		t.Errorf("plan must keep logs and drop artifacts: %+v", pf)
	}
	if !hasWarning(res.Warnings, "/features/artifacts") {
		t.Errorf("no warning: %v", res.Warnings)
	}
}

func TestDeterministicAndTimeFormat(t *testing.T) {
	js := `{"image":"ubuntu","maxRunTime":1,"cache":{"b":"/b","a":"/a","c":"/c"},
		"artifacts":{"z":{"type":"file","path":"/z.tar.gz","expires":"2024-05-28T18:12:56.6938+02:00"},"y":{"type":"file","path":"/y","expires":"2024-05-28T16:12:56Z"}}}`
	first := mustJSON(t, translateJSON(t, js).Payload)
	for range 20 {
		if got := mustJSON(t, translateJSON(t, js).Payload); string(got) != string(first) {
			t.Fatalf("nondeterministic output:\n%s\n%s", first, got)
		}
	}
	for _, want := range []string{`"expires":"2024-05-28T16:12:56.693Z","name":"z","optional":true,"path":"artifact1.gz"`,
		`"expires":"2024-05-28T16:12:56.000Z","name":"y"`, `{"cacheName":"a","directory":"cache0"}`} {
		if !strings.Contains(string(first), want) {
			t.Errorf("output lacks %s:\n%s", want, first)
		}
	}
}

func TestContainerNameDefault(t *testing.T) {
	cfg := DefaultConfig()
	res, err := TranslatePayload(mustDecode(t, `{"image":"ubuntu","maxRunTime":1}`), cfg)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(res.ContainerName, "taskcontainer_")
	if len(name) != 22 || name == res.ContainerName || strings.HasPrefix(name, "-") {
		t.Errorf("container name %q", res.ContainerName)
	}
}

func TestIsSlugID(t *testing.T) {
	for s, want := range map[string]bool{
		"2JGiKFtpRnGbVczc6-OJ1Q": true, "XJZwMq2zRI6ZXs7KveM5GQ": true,
		"not-a-slug": false, "2JGiKFtpXnGbVczc6-OJ1Q": false, "2JGiKFtpRnGbVczc6-OJ1B": false,
	} {
		if isSlugID(s) != want {
			t.Errorf("isSlugID(%q) != %v", s, want)
		}
	}
}

func TestCompareEnvLines(t *testing.T) {
	lines := []envLine{{"A", "x", false}, {"A1", "y", false}, {"A", "", true}, {"A", "", false}, {"A_", "z", false},
		{"TASK_ID", "", true}, {"TASK_ID", "x", false}, {"B", "=", false}, {"B=", "", true}, {"", "", false}, {"", "", true}}
	render := func(l envLine) string {
		if l.bare {
			return l.name
		}
		return l.name + "=" + l.value
	}
	for _, a := range lines {
		for _, b := range lines {
			if got, want := compareEnvLines(a, b), strings.Compare(render(a), render(b)); got != want {
				t.Errorf("compare(%q, %q) = %d, want %d", render(a), render(b), got, want)
			}
		}
	}
}

func TestTaskDefinitionFormat(t *testing.T) {
	task := `{"workerType":"wt","provisionerId":"p","foo":{"b":1,"a":"<x>"},"scopes":["docker-worker:capability:privileged"],
		"payload":{"image":"ubuntu","maxRunTime":1,"capabilities":{"privileged":true}}}`
	r, err := TranslateTask([]byte(task), testConfig(), TaskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	def, err := r.Definition()
	if err != nil {
		t.Fatal(err)
	}
	s := string(def)
	for _, want := range []string{"{\n  \"foo\": {\n    \"a\": \"\\u003cx\\u003e\",\n    \"b\": 1\n  },\n  \"payload\": {\n    \"command\": [",
		"\"scopes\": [\n    \"docker-worker:capability:privileged\",\n    \"generic-worker:capability:privileged\",\n    \"generic-worker:os-group:p/wt/docker\"\n  ],\n  \"workerType\": \"wt\"\n}"} {
		if !strings.Contains(s, want) {
			t.Errorf("definition lacks %q:\n%s", want, s)
		}
	}
	if r.TaskQueueID != "p/wt" {
		t.Errorf("task queue id %q", r.TaskQueueID)
	}
}

func TestDecodeRejectsCaseFoldedKeysAndNulls(t *testing.T) {
	for in, ptr := range map[string]string{
		`{"image":"u","maxRunTime":1,"Env":{}}`:                    "/Env",
		`{"image":"u","maxRunTime":1,"features":{"BulkLog":true}}`: "/features/BulkLog",
		`{"image":"u","maxRunTime":1,"env":null}`:                  "/env",
	} {
		_, err := DecodePayload([]byte(in))
		var te *Error
		if !errors.As(err, &te) || te.Problems[0].Pointer != ptr {
			t.Errorf("%s: got %v, want a problem at %s", in, err, ptr)
		}
	}
}

func TestDecodeTaskErrors(t *testing.T) {
	for _, c := range []struct{ in, ptr, msg string }{
		{`{"payload":{"image":"u","maxRunTime":1,"artifacts":{"a":{"type":"file","path":"/a","expires":"2031-01-01T00:00:00Z"}}},"expires":"2030-01-01T00:00:00Z"}`,
			"/payload/artifacts/a/expires", "after the task does"},
		{`{"payload":[]}`, "/payload", "must be an object"},
		{`{"payload":{"maxRunTime":1}}`, "/payload", `"image" is missing`},
		{`{"taskQueueId":"q/w"}`, "", `"payload" is missing`},
		{`{"payload":{"image":"u","maxRunTime":1},"taskQueueId":"qw"}`, "/taskQueueId", "<provisionerId>/<workerType>"},
		{`{"payload":{"image":"u","maxRunTime":1},"provisionerId":"p"}`, "", `"workerType" is missing`},
		{`{"payload":{"image":"u","maxRunTime":1},"scopes":"a"}`, "/scopes", "must be an array"},
		{`{"payload":{"image":"u","maxRunTime":1},"retries":-1}`, "/retries", "at least 0"},
		{`[]`, "", "must be an object"},
	} {
		_, err := DecodeTask([]byte(c.in))
		var te *Error
		if !errors.As(err, &te) || te.Reason != MalformedPayload {
			t.Errorf("%s: want *Error malformed-payload, got %v", c.in, err)
			continue
		}
		if te.Problems[0].Pointer != c.ptr || !strings.Contains(te.Problems[0].Message, c.msg) {
			t.Errorf("%s: got %v, want pointer %q and message containing %q", c.in, te.Problems, c.ptr, c.msg)
		}
	}
	task, err := DecodeTask([]byte(`{"a": 1, "payload" :  {"image":"u","maxRunTime":1} , "scopes":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if task.PayloadSpan != (Span{22, 50}) || task.ScopesSpan != (Span{62, 67}) {
		t.Errorf("spans %+v %+v", task.PayloadSpan, task.ScopesSpan)
	}
}
