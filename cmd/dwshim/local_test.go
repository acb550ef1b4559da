package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/runner"
)

// runCLI runs execute(args) with standard input, output and error
// redirected, and returns the exit code and what was written.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "stdin")
	os.WriteFile(in, []byte(stdin), 0o644)
	files := map[string]*os.File{}
	for _, n := range []string{"stdin", "stdout", "stderr"} {
		flag := os.O_RDWR | os.O_CREATE
		f, err := os.OpenFile(filepath.Join(dir, n), flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = f
	}
	oldIn, oldOut, oldErr := os.Stdin, os.Stdout, os.Stderr
	os.Stdin, os.Stdout, os.Stderr = files["stdin"], files["stdout"], files["stderr"]
	code := execute(args)
	os.Stdin, os.Stdout, os.Stderr = oldIn, oldOut, oldErr
	read := func(n string) string {
		f := files[n]
		f.Seek(0, io.SeekStart)
		b, _ := io.ReadAll(f)
		f.Close()
		return string(b)
	}
	stdout, stderr := read("stdout"), read("stderr")
	read("stdin")
	if t.Failed() || testing.Verbose() {
		t.Logf("dwshim %s → %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return code, stdout, stderr
}

func writeTask(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLocalDryRun(t *testing.T) {
	code, out, _ := runCLI(t, "", "local", "--dry-run", filepath.Join("..", "..", "testdata", "examples", "hello.yml"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var p struct {
		Image struct {
			Kind string `json:"kind"`
			Ref  string `json:"ref"`
		} `json:"image"`
		Caches    []map[string]any `json:"caches"`
		Artifacts []map[string]any `json:"artifacts"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("dry-run output is not JSON: %v", err)
	}
	if p.Image.Ref != "dwshim-test/busybox:latest" || len(p.Caches) != 1 || len(p.Artifacts) != 2 {
		t.Errorf("plan: %+v", p)
	}
	if !strings.HasPrefix(out, "{\n  \"") {
		t.Errorf("not indented by 2: %.40q", out)
	}
	// The same payload as JSON on standard input gives the same plan.
	code2, out2, _ := runCLI(t, `{"image": "dwshim-test/busybox:latest", "maxRunTime": 60, "command": ["true"],
		"cache": {"example-hello-cache": "/cache"},
		"artifacts": {"public/hello.txt": {"type": "file", "path": "/out/hello.txt"},
		              "public/logs": {"type": "directory", "path": "/out/logs"}}}`, "local", "--dry-run", "-")
	if code2 != 0 || !strings.Contains(out2, `"ref": "dwshim-test/busybox:latest"`) {
		t.Errorf("stdin dry-run: %d %s", code2, out2)
	}
}

func TestLocalMalformed(t *testing.T) {
	for _, body := range []string{
		`{"image": "x"}`, // no maxRunTime, no command
		`{"image": "x", "maxRunTime": "soon", "command": ["true"]}`,
		"not: [valid",
		`{"neither": 1}`,
	} {
		code, _, stderr := runCLI(t, body, "local", "--dry-run", "-")
		if code != exitMalformed || stderr == "" {
			t.Errorf("%s: exit %d, stderr %q", body, code, stderr)
		}
	}
	if code, _, _ := runCLI(t, "", "local", "--dry-run", filepath.Join(t.TempDir(), "none.json")); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "local"); code != 2 {
		t.Errorf("no argument: exit %d", code)
	}
}

func TestLocalArtifactImageNeedsSource(t *testing.T) {
	body := `{"image": {"type": "indexed-image", "namespace": "a.b", "path": "public/image.tar"}, "maxRunTime": 60, "command": ["true"]}`
	code, _, stderr := runCLI(t, body, "local", "-")
	if code != 2 || !strings.Contains(stderr, "--image-file") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// dwshim local runs the plan: warnings about the d2g payload alone (here
// features.artifacts: false, which only d2g turns into no logs) are not
// printed, those about the plan (a worker variable in env) are.
func TestLocalWarningsAboutThePlanOnly(t *testing.T) {
	body := `{"image": "dwshim-test/busybox:latest", "maxRunTime": 60, "command": ["true"],
		"features": {"artifacts": false}, "env": {"TASK_ID": "mine"}}`
	code, _, stderr := runCLI(t, body, "local", "--dry-run", "-")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr, "/env/TASK_ID") {
		t.Errorf("the worker-variable warning is missing: %q", stderr)
	}
	if strings.Contains(stderr, "/features/artifacts") {
		t.Errorf("a d2g-only warning is printed: %q", stderr)
	}
}

// The daemon is connected to while the task is read: a task that cannot
// run still fails as such (malformed: 100) whatever the daemon, a dry run
// never needs it, and a task that can run says the daemon is missing (102).
func TestLocalDaemonUnavailable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	ok := `{"image": "dwshim-test/busybox:latest", "maxRunTime": 60, "command": ["true"]}`
	if code, _, stderr := runCLI(t, ok, "local", "--artifacts", t.TempDir(), "-"); code != exitEngineUnavailable || !strings.Contains(stderr, "is the Docker daemon running?") ||
		strings.Count(stderr, runner.ErrEngineUnavailable.Error()) != 1 {
		t.Errorf("no daemon: exit %d, stderr %q (want the hint, and %q once)", code, stderr, runner.ErrEngineUnavailable)
	}
	if code, _, _ := runCLI(t, `{"image": "x"}`, "local", "--artifacts", t.TempDir(), "-"); code != exitMalformed {
		t.Errorf("malformed task, no daemon: exit %d", code)
	}
	if code, _, _ := runCLI(t, ok, "local", "--dry-run", "-"); code != 0 {
		t.Errorf("dry run, no daemon: exit %d", code)
	}
}
