package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// graphTask is a task definition for label with a recognisable command.
func graphTask(label string) string {
	return fmt.Sprintf(`{"taskQueueId": "proj/wt", "metadata": {"name": %q}, "payload": {"image": "busybox", "maxRunTime": 60, "command": ["echo", %q]}}`, label, label)
}

func TestReadInputChoosesTask(t *testing.T) {
	graph := fmt.Sprintf(`{"build-a": {"kind": "build", "label": "build-a", "task_id": "AAAAAAAAAAAAAAAAAAAAAA", "task": %s},
		"test-b": {"kind": "test", "label": "test-b", "task_id": "BBBBBBBBBBBBBBBBBBBBBB", "task": %s}}`, graphTask("build-a"), graphTask("test-b"))
	// One graph entry per line: what `jq -c '.[]'` makes of a graph.
	lines := fmt.Sprintf(`{"kind": "build", "label": "build-a", "task_id": "AAAAAAAAAAAAAAAAAAAAAA", "task": %s}
{"kind": "test", "label": "test-b", "task": %s}
`, graphTask("build-a"), graphTask("test-b"))
	tasks := fmt.Sprintf(`{"tasks": [%s, %s]}`,
		strings.Replace(graphTask("build-a"), "{", `{"taskId": "AAAAAAAAAAAAAAAAAAAAAA", `, 1), graphTask("test-b"))
	for _, tc := range []struct{ name, file, body string }{
		{"graph", "graph.json", graph},
		{"lines", "tasks.jsonl", lines},
		{"lines-stdin", "-", lines},
		{"tasks", "tasks.json", tasks},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, stdin := tc.file, strings.NewReader(tc.body)
			if name != "-" {
				name = writeTask(t, tc.file, tc.body)
			}
			in, err := readInput(name, stdin, taskChoice{Label: "build-a", Index: -1})
			if err != nil {
				t.Fatal(err)
			}
			if in.TaskID != "AAAAAAAAAAAAAAAAAAAAAA" || in.WorkerType != "wt" || !strings.Contains(string(in.JSON), `"build-a"]`) {
				t.Errorf("--task build-a: taskId %q, worker type %q, %s", in.TaskID, in.WorkerType, in.JSON)
			}
			if !strings.HasSuffix(in.Name, ": build-a") {
				t.Errorf("name %q", in.Name)
			}
			stdin = strings.NewReader(tc.body)
			in, err = readInput(name, stdin, taskChoice{Index: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(in.JSON), `"test-b"]`) || len(in.TaskID) != 22 {
				t.Errorf("--task-index 1: %s (taskId %q)", in.JSON, in.TaskID)
			}
			for _, c := range []taskChoice{{Index: -1}, {Label: "none", Index: -1}, {Index: 7}, {Label: "build-a", Index: 1}} {
				_, err := readInput(name, strings.NewReader(tc.body), c)
				var ce *choiceError
				if !errors.As(err, &ce) {
					t.Errorf("choice %+v: %v, want a choice error", c, err)
				}
			}
		})
	}
}

func TestLocalInputExitCodes(t *testing.T) {
	t.Setenv("TASKCLUSTER_ROOT_URL", "")
	dir := t.TempDir()
	graph := writeTask(t, "graph.json", fmt.Sprintf(`{"a": {"label": "a", "task": %s}, "b": {"label": "b", "task": %s}}`, graphTask("a"), graphTask("b")))
	for _, tc := range []struct {
		args   []string
		want   int
		stderr string
	}{
		{[]string{dir}, 1, "is a directory"},
		{[]string{filepath.Join(dir, "none.json")}, 1, "no such file"},
		{[]string{"fGwJ5P2zQ4y0iUXwX3Yzsg"}, 2, "TASKCLUSTER_ROOT_URL"},
		{[]string{graph}, 2, "--task LABEL"},
		{[]string{"--task", "c", graph}, 2, `no task "c" among its 2 (a, b)`},
		{[]string{"--task", "b", graph}, 0, ""},
	} {
		code, _, stderr := runCLI(t, "", append([]string{"local", "--dry-run"}, tc.args...)...)
		if code != tc.want || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("local %v: exit %d, stderr %q; want %d, %q", tc.args, code, stderr, tc.want, tc.stderr)
		}
		if n := strings.Count(stderr, "\n"); n > 1 {
			t.Errorf("local %v: %d lines on stderr, want the error once", tc.args, n)
		}
	}
}

func TestLocalDryRunMasksEnv(t *testing.T) {
	body := `{"image": "busybox", "maxRunTime": 60, "command": ["true"], "env": {"SECRET": "hunter2"}}`
	code, out, _ := runCLI(t, body, "local", "--dry-run", "-")
	if code != 0 || strings.Contains(out, "hunter2") || !strings.Contains(out, `"SECRET"`) || !strings.Contains(out, "masked: 7 bytes") {
		t.Errorf("masked: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, body, "local", "--dry-run", "--show-env", "-")
	if code != 0 || !strings.Contains(out, `"hunter2"`) {
		t.Errorf("--show-env: exit %d\n%s", code, out)
	}
}
