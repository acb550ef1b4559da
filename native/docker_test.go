package native

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/plan"
)

const testImage = "dwshim-test/busybox:latest"

// requireDocker: see testenv.RequireDocker.
func requireDocker(t *testing.T) {
	t.Helper()
	testenv.RequireDocker(t, testImage)
}

// runLikeGenericWorker runs the payload's commands as generic-worker's
// multiuser engine would: in order, stopping at the first failure, each in
// taskDir with the payload env plus the worker's variables. Writable
// caches become directories; file mounts are provided by the caller. It
// returns everything the commands printed and the last exit code.
func runLikeGenericWorker(t *testing.T, p *Payload, taskDir string, workerEnv map[string]string) (string, int) {
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
	var out bytes.Buffer
	for i, c := range p.Command {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = taskDir, env, &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Logf("command %d exited %d", i, ee.ExitCode())
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	return out.String(), 0
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
	pl, warns, err := Build(p)
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
	for _, want := range []string{"TASK_ID=" + taskID + "\n", "RUN_ID=0\n", "TASKCLUSTER_ROOT_URL=https://tc.example.com\n", "PATH=/bin:/custom\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("container env lacks %q:\n%s", want, env)
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
// stopped by the run script shortly before it, still gets its artifacts
// copied and its container removed, and fails with docker's 137.
func TestNativeStopsBeforeMaxRunTime(t *testing.T) {
	requireDocker(t)
	taskID := "nativeTimeout" + strconv.Itoa(os.Getpid())
	name := ContainerName(taskID, 0)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })
	p := &plan.Plan{
		Image:      plan.Image{Kind: plan.ImageNamed, Ref: testImage},
		Command:    []string{"/bin/sh", "-c", "echo partial > /tmp/progress.txt; sleep 60"},
		Artifacts:  []plan.Artifact{{Name: "public/progress.txt", Path: "/tmp/progress.txt", Kind: plan.ArtifactFile}},
		MaxRunTime: plan.Duration(10 * time.Second), // stopped at 9 s
		Features:   plan.Features{UploadArtifacts: true, LiveLog: true, BackingLog: true},
		TTY:        true,
	}
	pl, _, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	taskDir := t.TempDir()
	start := time.Now()
	out, code := runLikeGenericWorker(t, pl, taskDir, map[string]string{"TASK_ID": taskID, "RUN_ID": "0"})
	if code != 137 || !strings.Contains(out, "maxRunTime is almost up") {
		t.Fatalf("exit %d after %s, output:\n%s", code, time.Since(start), out)
	}
	if b, err := os.ReadFile(filepath.Join(taskDir, pl.Artifacts[0].Path)); err != nil || string(b) != "partial\n" {
		t.Errorf("artifact after the stop: %q, %v", b, err)
	}
	if err := exec.Command("docker", "container", "inspect", name).Run(); err == nil {
		t.Errorf("container %s still exists after the task", name)
	}
}
