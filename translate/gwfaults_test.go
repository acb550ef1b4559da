package translate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExitStatusFaults(t *testing.T) {
	p := &DockerWorkerPayload{}
	p.OnExitStatus.Retry = []int64{0, 3, 0, 3, 4}
	p.OnExitStatus.PurgeCaches = []int64{-1, 0}
	want := []ExitStatusFault{
		{List: "retry", Index: 0, Value: 0, Minimum: 1, Below: true, RepeatOf: -1},
		{List: "retry", Index: 2, Value: 0, Minimum: 1, Below: true, RepeatOf: 0},
		{List: "retry", Index: 3, Value: 3, Minimum: 1, RepeatOf: 1},
		{List: "purgeCaches", Index: 0, Value: -1, Minimum: 0, Below: true, RepeatOf: -1},
	}
	got := ExitStatusFaults(p)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got[2].Pointer() != "/onExitStatus/retry/3" {
		t.Errorf("pointer %s", got[2].Pointer())
	}
	// Long lists (a map instead of a scan) give the same answer.
	long := make([]int64, 40)
	for i := range long {
		long[i] = int64(i % 7)
	}
	p.OnExitStatus.Retry, p.OnExitStatus.PurgeCaches = long, nil
	got = ExitStatusFaults(p)
	var scanned []ExitStatusFault
	for i := range long {
		short := &DockerWorkerPayload{}
		short.OnExitStatus.Retry = long[:i+1]
		if fs := ExitStatusFaults(short); len(fs) > 0 && fs[len(fs)-1].Index == i && i < 16 {
			scanned = append(scanned, fs[len(fs)-1])
		}
	}
	if d := cmp.Diff(scanned, got[:len(scanned)]); d != "" || len(got) != 34 {
		t.Errorf("long list: %d faults, (-scanned +got):\n%s", len(got), d)
	}
}

func TestImageFaults(t *testing.T) {
	p := &DockerWorkerPayload{Image: DWImage{Kind: ImageIndexed, Namespace: strings.Repeat("n", 256), Path: strings.Repeat("p", 1025)}}
	want := []imageFault{
		{Pointer: "/image/path", What: "image artifact path", Length: 1025, Max: 1024},
		{Pointer: "/image/namespace", What: "index namespace", Length: 256, Max: 255},
	}
	if d := cmp.Diff(want, imageFaults(p)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	p.Image = DWImage{Kind: ImageIndexed, Namespace: "", Path: ""}
	want = []imageFault{
		{Pointer: "/image/path", What: "image artifact path", Length: 0, Max: 1024},
		{Pointer: "/image/namespace", What: "index namespace", Length: 0, Max: 255},
	}
	if d := cmp.Diff(want, imageFaults(p)); d != "" {
		t.Errorf("empty: (-want +got):\n%s", d)
	}
	// Characters, not bytes, as JSON Schema's maxLength counts: 1024 é
	// (2048 bytes) are within the limit.
	p.Image = DWImage{Kind: ImageTask, TaskID: "x", Path: strings.Repeat("\u00e9", 1024)}
	if got := imageFaults(p); len(got) != 0 {
		t.Errorf("at the limit: %+v", got)
	}
}
