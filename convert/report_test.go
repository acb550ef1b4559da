package convert

import (
	"bytes"
	"strings"
	"testing"
)

// TestReportGroupsByPointer: convert's findings are grouped by their JSON
// pointer exactly and by the shape of their message, so caches whose
// names differ only in digits stay apart while tasks that differ only in
// a value group.
func TestReportGroupsByPointer(t *testing.T) {
	var b bytes.Buffer
	r := newConvertReport(&b, Options{})
	r.task("a", []string{"/payload/cache/level-1: cache level-1 is odd"}, []string{"/payload/maxRunTime: 90000 is too long"})
	r.task("b", []string{"/payload/cache/level-3: cache level-3 is odd"}, []string{"/payload/maxRunTime: 100000 is too long"})
	r.task("c", []string{"not a docker-worker payload"}, nil)
	r.close()
	out := b.String()
	for _, want := range []string{
		"warning: a: /payload/cache/level-1: cache level-1 is odd\n",
		"warning: b: /payload/cache/level-3: cache level-3 is odd\n",
		"a: /payload/maxRunTime: 90000 is too long\n",
		"2 tasks (e.g. a): /payload/maxRunTime: 90000 is too long\n",
		"warning: c: not a docker-worker payload\n",
		"summary: 3 tasks, 1 converted, 2 with problems; 3 warnings, 2 problems (4 distinct)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "100000") || strings.Contains(out, "tasks (e.g. a): /payload/cache") {
		t.Errorf("grouped wrongly:\n%s", out)
	}
}
