package validator

import (
	"slices"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	`{"image":"ubuntu:24.04","maxRunTime":600,"command":["bash","-c","echo hi"]}`,
	`{"image":{"type":"docker-image","name":"x"},"maxRunTime":1,"env":{"A":"b"},"features":{"dind":true}}`,
	`{"image":{"type":"indexed-image","namespace":"n","path":"p"},"maxRunTime":1.5,"artifacts":{"a/b":{"type":"file","path":"/x","expires":"2030-01-01T00:00:00Z"}}}`,
	`{"image":{"type":"task-image","taskId":{"task-reference":"<d>"},"path":"p"},"maxRunTime":"1"}`,
	`{"image":[],"capabilities":{"devices":{"kvm":1},"containerEngine":"podman"},"onExitStatus":{"retry":[1e400]}}`,
	`{"~0/1":{"":null},"image":{"type":null}}`,
	`[]`, `null`, `"x"`, `{`, `{"a":1} x`, "{\n\t\"image\": \"x\",\n}",
}

// FuzzValidateDockerWorkerPayloadJSON checks that any input gives either a
// JSON error or sorted, well-formed problems, never a panic.
func FuzzValidateDockerWorkerPayloadJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ValidateDockerWorkerPayloadJSON(b)
		if err != nil {
			if ps != nil || !strings.HasPrefix(err.Error(), "invalid JSON at line ") {
				t.Fatalf("error %v with problems %v", err, ps)
			}
			return
		}
		if !slices.IsSortedFunc(ps, func(a, b Problem) int {
			if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
				return c
			}
			return strings.Compare(a.Message, b.Message)
		}) {
			t.Fatalf("problems not sorted: %v", ps)
		}
		for _, p := range ps {
			if p.Message == "" || (p.Pointer != "" && p.Pointer[0] != '/') {
				t.Fatalf("malformed problem %#v", p)
			}
		}
		// The generic-worker schema must not panic on the same input.
		_, _ = ValidateGenericWorkerPayloadJSON(b)
	})
}

var gwFuzzSeeds = []string{
	`{"command":[["true"]],"maxRunTime":1,"onExitStatus":{"retry":[1,2],"purgeCaches":[0]},"osGroups":["a","b"]}`,
	`{"command":[["x"]],"maxRunTime":1,"artifacts":[{"type":"file","path":"a","optional":true},{"type":"file","path":"a"}]}`,
	`{"command":[["x"]],"maxRunTime":1,"mounts":[{"cacheName":"c","directory":"d"},{"file":"f","content":{"taskId":"Tmo8aVKxR-ahvt1MzC7TZQ","artifact":"a"},"format":"zst"}]}`,
	`{"command":[["x"]],"maxRunTime":1,"mounts":[{"directory":"d","content":{"namespace":"n","artifact":"a"},"format":"tar.gz"},{"file":"r","content":{"raw":"x"}}]}`,
	`{"command":[["x"]],"maxRunTime":1,"logs":{"live":"l"},"features":{"liveLog":true},"taskclusterProxyInterface":"localhost","env":{"A":"b"}}`,
}
