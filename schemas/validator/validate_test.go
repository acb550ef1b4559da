package validator

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decode parses a JSON test document the way callers do (numbers as
// json.Number).
func decode(t testing.TB, s string) any {
	t.Helper()
	doc, err := DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return doc
}

const removedDind = `additional property "dind" is not allowed (features.dind was removed from docker-worker in v89)`
const imageForms = "must be a docker image reference string or an object of type docker-image, indexed-image or task-image"

type validateCase struct {
	name string
	doc  string
	want []Problem
}

var dwCases = []validateCase{
	{"minimal", `{"image":"ubuntu:24.04","maxRunTime":600}`, nil},
	{"full", `{"image":{"type":"task-image","taskId":"abc","path":"public/image.tar.zst"},"maxRunTime":3600,
			"command":["bash","-c","true"],"env":{"A":"1"},"cache":{"c":"/cache"},"log":"public/logs/x.log",
			"supersederUrl":"https://x","artifacts":{"public/a":{"type":"file","path":"/a","expires":"2030-01-01T00:00:00.000Z"},
			"public/v":{"type":"volume","path":"/v"}},"onExitStatus":{"retry":[1,-1,1],"purgeCaches":[0]},
			"capabilities":{"privileged":true,"disableSeccomp":false,"devices":{"loopbackVideo":true,"loopbackAudio":false,"hostSharedMemory":true,"kvm":true}},
			"features":{"localLiveLog":true,"bulkLog":false,"taskclusterProxy":true,"artifacts":true,"interactive":false,"allowPtrace":true,"chainOfTrust":true}}`, nil},
	{"indexed image", `{"image":{"type":"indexed-image","namespace":"ns.x","path":"public/i.tar"},"maxRunTime":1}`, nil},
	{"named image object", `{"image":{"type":"docker-image","name":"ubuntu"},"maxRunTime":1}`, nil},
	{"maxRunTime as 1.0 is an integer", `{"image":"x","maxRunTime":1.0}`, nil},
	{"not an object", `[]`, []Problem{{"", "must be an object"}}},
	{"empty", `{}`, []Problem{
		{"", `required property "image" is missing`},
		{"", `required property "maxRunTime" is missing`},
	}},
	{"dind", `{"image":"x","maxRunTime":1,"features":{"dind":true}}`, []Problem{{"/features/dind", removedDind}}},
	{"dockerSave", `{"image":"x","maxRunTime":1,"features":{"dockerSave":true},"dockerSave":true}`, []Problem{
		{"/dockerSave", `additional property "dockerSave" is not allowed (dockerSave was removed from docker-worker in v89)`},
		{"/features/dockerSave", `additional property "dockerSave" is not allowed (features.dockerSave was removed from docker-worker in v89)`},
	}},
	{"encryptedEnv", `{"image":"x","maxRunTime":1,"encryptedEnv":["x"]}`, []Problem{
		{"/encryptedEnv", `additional property "encryptedEnv" is not allowed (encryptedEnv is not supported by docker-worker v1 or d2g; use secrets)`},
	}},
	{"containerEngine", `{"image":"x","maxRunTime":1,"capabilities":{"containerEngine":"podman"}}`, []Problem{
		{"/capabilities/containerEngine", `additional property "containerEngine" is not allowed (capabilities.containerEngine was removed in v80 when podman support was dropped)`},
	}},
	{"unknown device", `{"image":"x","maxRunTime":1,"capabilities":{"devices":{"gpu":true,"kvm":"yes"}}}`, []Problem{
		{"/capabilities/devices/gpu", `additional property "gpu" is not allowed`},
		{"/capabilities/devices/kvm", "must be a boolean"},
	}},
	{"env values", `{"image":"x","maxRunTime":1,"env":{"FOO":1,"a/b~":true,"OK":"x","N":null}}`, []Problem{
		{"/env/FOO", "must be a string"},
		{"/env/N", "must be a string"},
		{"/env/a~1b~0", "must be a string"},
	}},
	{"maxRunTime", `{"image":"x","maxRunTime":0}`, []Problem{{"/maxRunTime", "must be at least 1"}}},
	{"maxRunTime fraction", `{"image":"x","maxRunTime":1.5}`, []Problem{{"/maxRunTime", "must be an integer"}}},
	{"maxRunTime string", `{"image":"x","maxRunTime":"600"}`, []Problem{{"/maxRunTime", "must be an integer"}}},
	{"command", `{"image":"x","maxRunTime":1,"command":"ls -l"}`, []Problem{{"/command", "must be an array"}}},
	{"command item", `{"image":"x","maxRunTime":1,"command":["ls",1]}`, []Problem{{"/command/1", "must be a string"}}},
	{"image number", `{"image":42,"maxRunTime":1}`, []Problem{{"/image", imageForms}}},
	{"image unknown type", `{"image":{"type":"oci"},"maxRunTime":1}`, []Problem{{"/image", imageForms}}},
	{"image docker-image without name", `{"image":{"type":"docker-image"},"maxRunTime":1}`, []Problem{
		{"/image", imageForms},
		{"/image", `required property "name" is missing`},
	}},
	{"image task-image extra key", `{"image":{"type":"task-image","taskId":"t","path":"p","name":"n"},"maxRunTime":1}`, []Problem{
		{"/image", imageForms},
		{"/image/name", `additional property "name" is not allowed`},
	}},
	{"image indexed wrong type", `{"image":{"type":"indexed-image","namespace":1,"path":"p"},"maxRunTime":1}`, []Problem{
		{"/image", imageForms},
		{"/image/namespace", "must be a string"},
	}},
	{"artifact", `{"image":"x","maxRunTime":1,"artifacts":{"public/x":{"type":"dir","expires":"tomorrow","name":"n"}}}`, []Problem{
		{"/artifacts/public~1x", `required property "path" is missing`},
		{"/artifacts/public~1x/expires", `must be a date-time in RFC 3339 form, like 2026-01-02T15:04:05.000Z, got "tomorrow"`},
		{"/artifacts/public~1x/name", `additional property "name" is not allowed`},
		{"/artifacts/public~1x/type", `must be one of "file", "directory", "volume", got "dir"`},
	}},
	{"onExitStatus", `{"image":"x","maxRunTime":1,"onExitStatus":{"retry":["1",2.5],"purgeCaches":7,"other":[]}}`, []Problem{
		{"/onExitStatus/other", `additional property "other" is not allowed`},
		{"/onExitStatus/purgeCaches", "must be an array"},
		{"/onExitStatus/retry/0", "must be an integer"},
		{"/onExitStatus/retry/1", "must be an integer"},
	}},
	{"features types", `{"image":"x","maxRunTime":1,"features":{"taskclusterProxy":"true","chainOfTrust":1}}`, []Problem{
		{"/features/chainOfTrust", "must be a boolean"},
		{"/features/taskclusterProxy", "must be a boolean"},
	}},
	{"cache and log", `{"image":"x","maxRunTime":1,"cache":{"c":1},"log":false,"supersederUrl":3}`, []Problem{
		{"/cache/c", "must be a string"},
		{"/log", "must be a string"},
		{"/supersederUrl", "must be a string"},
	}},
}

func TestValidateDockerWorkerPayload(t *testing.T) {
	for _, tt := range dwCases {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateDockerWorkerPayload(decode(t, tt.doc))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

const mountForms = "must be a file mount {file, content}, a writable directory cache {directory, cacheName} or a read-only directory {directory, content, format}"
const contentForms = "must be a content object with exactly one source: {taskId, artifact}, {namespace, artifact}, {url}, {raw} or {base64}"

var gwCases = []validateCase{
	{"minimal", `{"command":[["true"]],"maxRunTime":1}`, nil},
	{"full", `{"command":[["bash","-c","x"],["y"]],"maxRunTime":60,"env":{"A":"b"},
			"artifacts":[{"type":"file","path":"a","name":"public/a","expires":"2030-01-01T00:00:00Z","contentType":"text/plain","contentEncoding":"gzip","optional":true}],
			"features":{"chainOfTrust":true,"taskclusterProxy":true,"liveLog":true,"backingLog":true,"interactive":false,"loopbackVideo":false,"loopbackAudio":false,"runTaskAsCurrentUser":false,"resourceMonitor":true},
			"mounts":[{"cacheName":"c","directory":"cache"},
				{"file":"img.tar.lz4","content":{"taskId":"Tmo8aVKxR-ahvt1MzC7TZQ","artifact":"public/image.tar.lz4","sha256":"` + strings.Repeat("a", 64) + `"}},
				{"file":"f","content":{"namespace":"ns","artifact":"public/x"},"format":"zst"},
				{"directory":"d","content":{"url":"https://example.com/x.tar.gz"},"format":"tar.gz"},
				{"file":"r","content":{"raw":"hello"}},{"file":"b","content":{"base64":"aGk="}},
				{"directory":"w","cacheName":"w","content":{"raw":"x"},"format":"tar"}],
			"osGroups":["docker"],"supersederUrl":"https://x","onExitStatus":{"retry":[1,2],"purgeCaches":[0,3]},
			"logs":{"live":"public/logs/live.log","backing":"public/logs/live_backing.log"},"taskclusterProxyInterface":"docker-bridge"}`, nil},
	{"empty", `{}`, []Problem{
		{"", `required property "command" is missing`},
		{"", `required property "maxRunTime" is missing`},
	}},
	{"docker-worker command", `{"command":["bash","-c","x"],"maxRunTime":1}`, []Problem{
		{"/command/0", "must be an array"},
		{"/command/1", "must be an array"},
		{"/command/2", "must be an array"},
	}},
	{"empty command", `{"command":[[]],"maxRunTime":1}`, []Problem{{"/command/0", "must have at least 1 item(s)"}}},
	{"image is docker-worker only", `{"command":[["x"]],"maxRunTime":1,"image":"x"}`, []Problem{{"/image", `additional property "image" is not allowed`}}},
	{"onExitStatus", `{"command":[["x"]],"maxRunTime":1,"onExitStatus":{"retry":[0,2,2],"purgeCaches":[-1]}}`, []Problem{
		{"/onExitStatus/purgeCaches/0", "must be at least 0"},
		{"/onExitStatus/retry", "items must be unique (items 1 and 2 are equal)"},
		{"/onExitStatus/retry/0", "must be at least 1"},
	}},
	{"artifact volume", `{"command":[["x"]],"maxRunTime":1,"artifacts":[{"type":"volume","path":"p"}]}`, []Problem{
		{"/artifacts/0/type", `must be one of "file", "directory", got "volume"`},
	}},
	{"proxy interface", `{"command":[["x"]],"maxRunTime":1,"taskclusterProxyInterface":"eth0"}`, []Problem{
		{"/taskclusterProxyInterface", `must be one of "localhost", "docker-bridge", got "eth0"`},
	}},
	{"mount cache with content but no format", `{"command":[["x"]],"maxRunTime":1,"mounts":[{"directory":"d","cacheName":"c","content":{"raw":"x"}}]}`, []Problem{
		{"/mounts/0", mountForms},
		{"/mounts/0", `required property "format" is missing (needed when "content" is present)`},
	}},
	{"mount bad url", `{"command":[["x"]],"maxRunTime":1,"mounts":[{"file":"f","content":{"url":"not a uri"}}]}`, []Problem{
		{"/mounts/0", mountForms},
		{"/mounts/0/content", contentForms},
		{"/mounts/0/content/url", `must be an absolute URI, got "not a uri"`},
	}},
	{"mount bad taskId", `{"command":[["x"]],"maxRunTime":1,"mounts":[{"file":"f","content":{"taskId":"nope","artifact":"a"}}]}`, []Problem{
		{"/mounts/0", mountForms},
		{"/mounts/0/content", contentForms},
		{"/mounts/0/content/taskId", "must match the pattern ^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$"},
	}},
	{"mount not object", `{"command":[["x"]],"maxRunTime":1,"mounts":["cache"]}`, []Problem{{"/mounts/0", mountForms}}},
}

func TestValidateGenericWorkerPayload(t *testing.T) {
	for _, tt := range gwCases {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateGenericWorkerPayload(decode(t, tt.doc))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateTaskDefinition(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []Problem
	}{
		{"queue id", `{"taskQueueId":"proj/pool","payload":{},"scopes":["a"],"extraKey":1}`, nil},
		{"legacy ids", `{"provisionerId":"aws-provisioner-v1","workerType":"b","payload":{}}`, nil},
		{"bad", `{"provisionerId":"p","payload":[],"scopes":[1],"dependencies":"x"}`, []Problem{
			{"", `required property "workerType" is missing (needed when "provisionerId" is present)`},
			{"/dependencies", "must be an array"},
			{"/payload", "must be an object"},
			{"/scopes/0", "must be a string"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateTaskDefinition(decode(t, tt.doc))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateAcceptsPlainDecodedValues(t *testing.T) {
	// encoding/json without UseNumber gives float64.
	var doc any
	if err := json.Unmarshal([]byte(`{"image":"x","maxRunTime":1.5,"onExitStatus":{"retry":[3]}}`), &doc); err != nil {
		t.Fatal(err)
	}
	want := []Problem{{"/maxRunTime", "must be an integer"}}
	if diff := cmp.Diff(want, ValidateDockerWorkerPayload(doc)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Other Go values are validated as their JSON encoding.
	typed := struct {
		Command    [][]string        `json:"command"`
		MaxRunTime int               `json:"maxRunTime"`
		Env        map[string]string `json:"env"`
	}{[][]string{{"true"}}, 0, map[string]string{"A": "b"}}
	want = []Problem{{"/maxRunTime", "must be at least 1"}}
	if diff := cmp.Diff(want, ValidateGenericWorkerPayload(typed)); diff != "" {
		t.Errorf("typed (-want +got):\n%s", diff)
	}
	if got := ValidateDockerWorkerPayload(map[string]any{"image": "x", "maxRunTime": 1}); got != nil {
		t.Errorf("int maxRunTime: %v", got)
	}
	if got := ValidateDockerWorkerPayload(map[string]any{"image": "x", "maxRunTime": struct{}{}}); len(got) == 0 {
		t.Error("struct value accepted")
	}
	if got := ValidateDockerWorkerPayload(map[string]any{"image": make(chan int), "maxRunTime": 1}); len(got) != 1 {
		t.Errorf("unmarshalable value: %v", got)
	}
}

func TestValidateDockerWorkerPayloadJSON(t *testing.T) {
	ps, err := ValidateDockerWorkerPayloadJSON([]byte(`{"image":"x","maxRunTime":1,"features":{"dind":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Problem{{"/features/dind", removedDind}}, ps); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tt := range []struct{ in, want string }{
		{"{\n  \"image\": \"x\",\n  \"maxRunTime\": }", "invalid JSON at line 3, column 17: "},
		{`{"image":"x"`, "invalid JSON at line 1, column 13: "},
		{`{} {}`, "invalid JSON at line 1, column 4: unexpected data after the top-level value"},
		{``, "invalid JSON at line 1, column 1: "},
	} {
		_, err := ValidateDockerWorkerPayloadJSON([]byte(tt.in))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want prefix %q", tt.in, err, tt.want)
		}
	}
	ps, err = ValidateGenericWorkerPayloadJSON([]byte(`{"command":[["x"]],"maxRunTime":1}`))
	if err != nil || ps != nil {
		t.Errorf("generic-worker JSON: %v %v", ps, err)
	}
}

func TestProblemString(t *testing.T) {
	if got := (Problem{"", "must be an object"}).String(); got != "/: must be an object" {
		t.Errorf("root: %q", got)
	}
	if got := (Problem{"/env/A", "must be a string"}).String(); got != "/env/A: must be a string" {
		t.Errorf("env: %q", got)
	}
}

func TestValidateConcurrent(t *testing.T) {
	doc := decode(t, `{"image":"x","maxRunTime":1,"features":{"dind":true}}`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if got := ValidateDockerWorkerPayload(doc); len(got) != 1 {
					t.Errorf("got %v", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}
