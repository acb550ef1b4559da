package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/translate"
)

// parallelGraph is a task graph of n entries of every kind convert meets:
// converted tasks (with repeated and distinct warnings), tasks with
// problems, generic-worker tasks kept as they are, taskgraph references
// and entries that are not tasks.
func parallelGraph(n int) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		var task string
		switch i % 6 {
		case 0:
			task = fmt.Sprintf(`{"taskQueueId": "p/w", "metadata": {"name": "t-%d"}, "payload": {"image": "ubuntu:24.04", "maxRunTime": %d, "command": ["echo", "%d"], "env": {"N": "%d"}}}`, i, 60+i, i, i)
		case 1:
			task = fmt.Sprintf(`{"payload": {"image": "--privileged", "maxRunTime": %d}}`, i)
		case 2:
			task = `{"payload": {"command": [["dir"]], "maxRunTime": 5, "mounts": []}}`
		case 3:
			task = fmt.Sprintf(`{"payload": {"image": {"type": "task-image", "taskId": {"task-reference": "<build>"}, "path": "public/image.tar"}, "maxRunTime": 5, "env": {"DEP": {"task-reference": "<dep-%d>"}}}}`, i)
		case 4:
			task = fmt.Sprintf(`{"payload": {"image": "ubuntu", "maxRunTime": 5, "features": {"dind": true}, "cache": {"c%d": "/c"}}}`, i%3)
		default:
			task = `"not a task"`
		}
		fmt.Fprintf(&b, `  "t-%d": {"kind": "test", "label": "t-%d", "dependencies": {"build": "build"}, "task": %s}`, i, i, task)
	}
	b.WriteString("\n}\n")
	return b.String()
}

func runWith(t *testing.T, workers int, o Options, in string) (stdout, stderr string, err error) {
	t.Helper()
	defer func(f func() int) { convertWorkers = f }(convertWorkers)
	convertWorkers = func() int { return workers }
	var out, errs bytes.Buffer
	err = Run(o, "-", strings.NewReader(in), &out, &errs)
	return out.String(), errs.String(), err
}

// TestRunParallelMatchesSequential: converting on many workers writes the
// same bytes, warnings and summary as converting one item at a time, for
// whole and for truncated graphs (whose output is never a document).
func TestRunParallelMatchesSequential(t *testing.T) {
	in := parallelGraph(600)
	for _, target := range []string{"d2g", "native"} {
		o := Options{Graph: true, Target: target, Config: translate.OfflineConfig()}
		seqOut, seqErr, seqRes := runWith(t, 1, o, in)
		if !errors.Is(seqRes, ErrProblems) || !json.Valid([]byte(seqOut)) || !strings.Contains(seqErr, "warning: 100 tasks") {
			t.Fatalf("%s: sequential run: %v, valid %v\n%s", target, seqRes, json.Valid([]byte(seqOut)), seqErr)
		}
		for _, workers := range []int{2, 8} {
			out, errs, res := runWith(t, workers, o, in)
			if out != seqOut || errs != seqErr || res != seqRes {
				t.Errorf("%s, %d workers: output differs from one worker's (%v vs %v)", target, workers, res, seqRes)
			}
		}
		cut := in[:len(in)*2/3]
		seqOut, seqErr, seqRes = runWith(t, 1, o, cut)
		out, errs, res := runWith(t, 8, o, cut)
		if out != seqOut || errs != seqErr || res != seqRes {
			t.Errorf("%s, truncated: output differs from one worker's", target)
		}
		if !errors.Is(res, ErrProblems) || json.Valid([]byte(out)) || len(out) < len(cut)/4 {
			t.Errorf("%s, truncated: %v, %d bytes, valid %v", target, res, len(out), json.Valid([]byte(out)))
		}
	}
}
