package native

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/translate"
)

const testImage = "dwshim-test/busybox:latest"

// requireDocker: see testenv.RequireDocker.
func requireDocker(t *testing.T) {
	t.Helper()
	testenv.RequireDocker(t, testImage)
}

// runLikeGenericWorker runs the payload's commands as generic-worker's
// multiuser engine would: in order, stopping at the first failure, each in
// taskDir in its own process group with the payload env plus the worker's
// variables. Writable caches become directories; file mounts are provided
// by the caller. It returns everything the commands printed and the last
// exit code.
func runLikeGenericWorker(t *testing.T, p *translate.GenericWorkerPayload, taskDir string, workerEnv map[string]string) (string, int) {
	t.Helper()
	out, code, _ := runLikeGenericWorkerFor(t, p, taskDir, workerEnv, time.Duration(p.MaxRunTime)*time.Second)
	return out, code
}

// runLikeGenericWorkerFor is runLikeGenericWorker that, like
// generic-worker at maxRunTime (or on cancellation), SIGKILLs the running
// command's process group once abortAfter has passed since the first
// command started; aborted says it did.
func runLikeGenericWorkerFor(t *testing.T, p *translate.GenericWorkerPayload, taskDir string, workerEnv map[string]string, abortAfter time.Duration) (string, int, bool) {
	t.Helper()
	for _, m := range p.Mounts {
		if m.CacheName != "" {
			if err := os.MkdirAll(filepath.Join(taskDir, m.Directory), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + taskDir}
	for k, v := range p.Env {
		env = append(env, k+"="+v)
	}
	for k, v := range workerEnv {
		env = append(env, k+"="+v)
	}
	var out syncBuffer
	deadline := time.Now().Add(abortAfter)
	for i, c := range p.Command {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = taskDir, env, &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Until(deadline)):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Logf("command %d aborted after %s, as generic-worker at maxRunTime", i, abortAfter)
			return out.String(), -1, true
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Logf("command %d exited %d", i, ee.ExitCode())
			return out.String(), ee.ExitCode(), false
		}
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	return out.String(), 0, false
}

// syncBuffer is a bytes.Buffer safe for the commands' concurrent writers
// (processes left behind by a killed command may still write).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitGone waits (bounded) until container name no longer exists, and
// fails the test if it still does: a native task must never leave its
// container behind, even when generic-worker kills the commands.
func waitGone(t *testing.T, name string) {
	t.Helper()
	for i := 0; i < 60; i++ {
		if exec.Command("docker", "container", "inspect", name).Run() != nil {
			if i > 0 {
				t.Logf("container %s removed after the task, by the reaper", name)
			}
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("container %s still exists 30 s after the task", name)
}

func TestNativePayloadRunsOnDocker(t *testing.T) {
	requireDocker(t)
	taskID := "nativeTest" + strconv.Itoa(os.Getpid())
	name := ContainerName(taskID, 0)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })

	multi := "first line\nsecond 'line'\n"
	danger := `$(id) 'single' "double" ` + "`uname` $HOME \\ end"
	p := &plan.Plan{
		Image: plan.Image{Kind: plan.ImageNamed, Ref: testImage},
		Command: []string{"/bin/sh", "-c", `set -e
mkdir -p /out/dir/sub
env > /out/env.txt
printf %s "$MULTI" > /out/multi.txt
printf %s "$DANGER" > /out/danger.txt
echo nested > /out/dir/sub/f.txt
echo run >> /cache/runs
echo "container says hello"
exit 3`},
		Env: []plan.EnvVar{
			{Name: "DANGER", Value: danger},
			{Name: "MULTI", Value: multi},
			{Name: "PATH", Value: "/bin:/custom"},
			{Name: "TASK_ID", Value: "payload-must-not-win"},
			{Name: "TASKCLUSTER_PUBLIC_IP", Value: "6.6.6.6"},
			{Name: "TASKCLUSTER_WORKER_TYPE", Value: "payload-type"},
		},
		Caches: []plan.Cache{{Name: "dwshim-native-test", MountPath: "/cache"}},
		Artifacts: []plan.Artifact{
			{Name: "public/danger.txt", Path: "/out/danger.txt", Kind: plan.ArtifactFile},
			{Name: "public/dir", Path: "/out/dir", Kind: plan.ArtifactDirectory},
			{Name: "public/env.txt", Path: "/out/env.txt", Kind: plan.ArtifactFile},
			{Name: "public/missing.txt", Path: "/out/missing.txt", Kind: plan.ArtifactFile},
			{Name: "public/multi.txt", Path: "/out/multi.txt", Kind: plan.ArtifactFile},
		},
		MaxRunTime: plan.Duration(5 * time.Minute),
		Features:   plan.Features{UploadArtifacts: true, LiveLog: true, BackingLog: true, LiveLogName: "public/logs/live.log", BackingLogName: "public/logs/live_backing.log"},
	}
	pl, warns, err := BuildTask(p, "proj/native-wt")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warnings: %v", warns)
	for _, c := range pl.Command {
		for _, a := range c {
			if strings.Contains(a, "first line") || strings.Contains(a, "$(id) 'single'") {
				t.Fatalf("an env value is in the command line: %q", a)
			}
		}
	}
	taskDir := t.TempDir()
	out, code := runLikeGenericWorker(t, pl, taskDir, map[string]string{
		"TASK_ID": taskID, "RUN_ID": "0", "TASKCLUSTER_ROOT_URL": "https://tc.example.com",
	})
	t.Logf("output:\n%s", out)
	if code != 3 {
		t.Fatalf("exit code %d, want the container's 3", code)
	}
	if !strings.Contains(out, "container says hello") {
		t.Errorf("container output missing from the log")
	}
	for _, secret := range []string{"first line", "second 'line'", "$(id) 'single'"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows env value %q", secret)
		}
	}
	files := map[string]string{}
	for _, a := range pl.Artifacts {
		files[a.Name] = filepath.Join(taskDir, a.Path)
	}
	read := func(name string) string {
		b, err := os.ReadFile(files[name])
		if err != nil {
			t.Errorf("artifact %s: %v", name, err)
		}
		return string(b)
	}
	if got := read("public/multi.txt"); got != multi {
		t.Errorf("MULTI in the container = %q, want %q", got, multi)
	}
	if got := read("public/danger.txt"); got != danger {
		t.Errorf("DANGER in the container = %q, want %q", got, danger)
	}
	env := read("public/env.txt")
	for _, want := range []string{"TASK_ID=" + taskID + "\n", "RUN_ID=0\n", "TASKCLUSTER_ROOT_URL=https://tc.example.com\n", "PATH=/bin:/custom\n",
		"TASKCLUSTER_WORKER_TYPE=native-wt\n", "TASKCLUSTER_WORKER_POOL=proj/native-wt\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("container env lacks %q:\n%s", want, env)
		}
	}
	// Worker variables are never the payload's, even with no worker value.
	for _, bad := range []string{"payload-must-not-win", "6.6.6.6", "payload-type", "TASKCLUSTER_PUBLIC_IP="} {
		if strings.Contains(env, bad) {
			t.Errorf("container env has %q:\n%s", bad, env)
		}
	}
	if b, err := os.ReadFile(filepath.Join(files["public/dir"], "sub", "f.txt")); err != nil || string(b) != "nested\n" {
		t.Errorf("directory artifact: %q, %v", b, err)
	}
	if _, err := os.Stat(files["public/missing.txt"]); err == nil {
		t.Errorf("a missing artifact produced a file")
	}
	if b, err := os.ReadFile(filepath.Join(taskDir, "cache0", "runs")); err != nil || string(b) != "run\n" {
		t.Errorf("cache content: %q, %v", b, err)
	}
	if err := exec.Command("docker", "container", "inspect", name).Run(); err == nil {
		t.Errorf("container %s still exists after the task", name)
	}
}

func TestNativeImageArtifactOnDocker(t *testing.T) {
	requireDocker(t)
	taskID := "nativeLoad" + strconv.Itoa(os.Getpid())
	name := ContainerName(taskID, 2)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })
	p := &plan.Plan{
		Image:      plan.Image{Kind: plan.ImageTaskArtifact, TaskID: "abc", Path: "public/image.tar.lz4"},
		Command:    []string{"/bin/sh", "-c", "echo loaded-image-ran"},
		MaxRunTime: plan.Duration(time.Minute),
		Features:   plan.Features{ChainOfTrust: true, LiveLog: true, BackingLog: true},
	}
	pl, _, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Mounts) != 1 || pl.Mounts[0].Format != "lz4" || pl.Mounts[0].File != ImageFile {
		t.Fatalf("mounts = %+v", pl.Mounts)
	}
	taskDir := t.TempDir()
	// generic-worker would download and decompress the artifact here.
	if out, err := exec.Command("docker", "save", "--output", filepath.Join(taskDir, ImageFile), testImage).CombinedOutput(); err != nil {
		t.Fatalf("docker save: %v\n%s", err, out)
	}
	out, code := runLikeGenericWorker(t, pl, taskDir, map[string]string{"TASK_ID": taskID, "RUN_ID": "2"})
	if code != 0 || !strings.Contains(out, "loaded-image-ran") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	cot, err := os.ReadFile(filepath.Join(taskDir, "chain-of-trust-additional-data.json"))
	if err != nil || !bytes.Contains(cot, []byte(`"imageHash":"sha256:`)) || !bytes.Contains(cot, []byte(`"imageArtifactHash":"sha256:`)) {
		t.Errorf("chain-of-trust additional data = %s, %v", cot, err)
	}
	if err := exec.Command("docker", "container", "inspect", name).Run(); err == nil {
		t.Errorf("container %s still exists after the task", name)
	}
}

// TestNativeStopsBeforeMaxRunTime: a task that would outlive maxRunTime is
// stopped by the run script shortly before it with docker-worker's
// timeout line, still gets its artifacts copied and its container
// removed, and then ends by generic-worker's own maxRunTime abort (so it
// is resolved failed, not retried on 137).
func TestNativeStopsBeforeMaxRunTime(t *testing.T) {
	requireDocker(t)
	taskID := "nativeTimeout" + strconv.Itoa(os.Getpid())
	name := ContainerName(taskID, 0)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })
	p := &plan.Plan{
		Image:      plan.Image{Kind: plan.ImageNamed, Ref: testImage},
		Command:    []string{"/bin/sh", "-c", "echo partial > /tmp/progress.txt; sleep 60"},
		Artifacts:  []plan.Artifact{{Name: "public/progress.txt", Path: "/tmp/progress.txt", Kind: plan.ArtifactFile}},
		MaxRunTime: plan.Duration(20 * time.Second), // stopped at 18 s
		Features:   plan.Features{UploadArtifacts: true, LiveLog: true, BackingLog: true},
		TTY:        true,
	}
	pl, _, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	taskDir := t.TempDir()
	out, _, aborted := runLikeGenericWorkerFor(t, pl, taskDir, map[string]string{"TASK_ID": taskID, "RUN_ID": "0"}, 20*time.Second)
	if !aborted || !strings.Contains(out, "[taskcluster:error] Task timeout after 20 seconds. Force killing container.\n") {
		t.Fatalf("aborted %v, output:\n%s", aborted, out)
	}
	if b, err := os.ReadFile(filepath.Join(taskDir, pl.Artifacts[0].Path)); err != nil || string(b) != "partial\n" {
		t.Errorf("artifact after the stop: %q, %v", b, err)
	}
	waitGone(t, name)
}

// TestNativeShortMaxRunTime: with a maxRunTime of a few seconds (no
// watchdog before) generic-worker's kill never leaves the container
// running, and the log still says why the task ended.
func TestNativeShortMaxRunTime(t *testing.T) {
	requireDocker(t)
	for _, mrt := range []int{1, 3} {
		taskID := "nativeShort" + strconv.Itoa(mrt) + "x" + strconv.Itoa(os.Getpid())
		name := ContainerName(taskID, 0)
		t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })
		pl, _, err := Build(&plan.Plan{
			Image:      plan.Image{Kind: plan.ImageNamed, Ref: testImage},
			Command:    []string{"/bin/sh", "-c", "sleep 60"},
			MaxRunTime: plan.Duration(time.Duration(mrt) * time.Second),
		})
		if err != nil {
			t.Fatal(err)
		}
		out, code, aborted := runLikeGenericWorkerFor(t, pl, t.TempDir(), map[string]string{"TASK_ID": taskID, "RUN_ID": "0"}, time.Duration(mrt)*time.Second)
		if !aborted && code == 0 {
			t.Errorf("maxRunTime %d: the task completed:\n%s", mrt, out)
		}
		waitGone(t, name)
	}
}

// TestNativeKilledByWorker: generic-worker SIGKILLs the commands' process
// group (cancellation, or its maxRunTime timer winning the race): the
// script's EXIT trap cannot run, and the reaper still removes the
// container.
func TestNativeKilledByWorker(t *testing.T) {
	requireDocker(t)
	taskID := "nativeKilled" + strconv.Itoa(os.Getpid())
	name := ContainerName(taskID, 0)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })
	pl, _, err := Build(&plan.Plan{
		Image:      plan.Image{Kind: plan.ImageNamed, Ref: testImage},
		Command:    []string{"/bin/sh", "-c", "echo container-started; sleep 120"},
		MaxRunTime: plan.Duration(10 * time.Minute),
		TTY:        true,
	})
	if err != nil {
		t.Fatal(err)
	}
	taskDir := t.TempDir()
	// Abort while the container runs, as a cancellation would.
	env := map[string]string{"TASK_ID": taskID, "RUN_ID": "0"}
	out, _, aborted := runLikeGenericWorkerFor(t, pl, taskDir, env, 8*time.Second)
	if !aborted || !strings.Contains(out, "container-started") {
		t.Fatalf("aborted %v, output:\n%s", aborted, out)
	}
	if exec.Command("docker", "container", "inspect", name).Run() != nil {
		t.Logf("container already gone when the commands were killed")
	}
	waitGone(t, name)
}
