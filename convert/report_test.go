package convert

import (
	"bytes"
	"testing"

	"github.com/dwshim/dwshim/translate"
)

// TestReportGroupsByPointer: convert's findings are grouped by their JSON
// pointer and code exactly and by the shape of their message, so caches
// whose names differ only in digits stay apart while tasks that differ only
// in a value group; the closing table counts them per code.
func TestReportGroupsByPointer(t *testing.T) {
	var b bytes.Buffer
	r := newConvertReport(&b, Options{})
	odd := func(c string) []translate.Warning {
		return []translate.Warning{{Pointer: "/payload/cache/" + c, Message: "cache " + c + " is odd", Code: translate.WarnVolumePathColon}}
	}
	long := func(n string) []translate.Problem {
		return []translate.Problem{{Pointer: "/payload/maxRunTime", Message: n + " is too long", Kind: translate.ProblemSchema}}
	}
	r.task("a", odd("level-1"), long("90000"))
	r.task("b", odd("level-3"), long("100000"))
	// Same pointer and message, another code: another group.
	r.task("c", nil, []translate.Problem{{Pointer: "/payload/maxRunTime", Message: "90000 is too long", Kind: translate.ProblemRunTime}})
	r.task("d", []translate.Warning{{Message: "not a docker-worker payload", Code: warnNotDockerWorker}}, nil)
	r.close()
	out := b.String()
	want := `warning: a: /payload/cache/level-1: cache level-1 is odd
a: /payload/maxRunTime: 90000 is too long
warning: b: /payload/cache/level-3: cache level-3 is odd
c: /payload/maxRunTime: 90000 is too long
warning: d: not a docker-worker payload
2 tasks (e.g. a): /payload/maxRunTime: 90000 is too long
code                errors warnings distinct
not-docker-worker        0        1        1
run-time                 1        0        1
schema                   2        0        1
volume-path-colon        0        2        2
summary: 4 tasks, 1 converted, 3 with problems; 3 warnings, 3 problems (5 distinct)
`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// TestReportSingleDocument: one document's lines say everything: no
// repeat list, table or summary.
func TestReportSingleDocument(t *testing.T) {
	var b bytes.Buffer
	r := newConvertReport(&b, Options{})
	r.task("", []translate.Warning{{Pointer: "/image", Message: "m", Code: translate.WarnD2GIndexedImageProxy}}, nil)
	r.close()
	if got := b.String(); got != "warning: /image: m\n" {
		t.Errorf("%q", got)
	}
}
