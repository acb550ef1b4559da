package main

// dwshim local --shell on the real Docker daemon: piped input, an image
// without a shell (the static busybox is copied in), and a real terminal
// under tmux.

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shellDeadline bounds one dwshim local --shell run in the tests: a shell
// that does not end when its input does fails the test instead of
// hanging it.
const shellDeadline = 90 * time.Second

// runLocalShell runs dwshim local (the test binary) in a process of its own
// with stdin as its piped input, killed at shellDeadline. It returns the
// exit code, standard output and standard error.
func runLocalShell(t *testing.T, label, stdin string, args ...string) (int, string, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), shellDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append([]string{"local"}, args...)...)
	cmd.Env = append(os.Environ(), "DWSHIM_LOCAL_TEST_MAIN=1", "DWSHIM_LOCAL_TEST_LABEL="+label)
	// At the deadline, as Ctrl-C would: dwshim removes its containers.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("dwshim local %s: still running after %s (the shell did not end with its input)\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), shellDeadline, stdout.String(), stderr.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("dwshim local: %v", err)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("dwshim local %s → %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func TestLocalShellPiped(t *testing.T) {
	label := labelLocal(t)
	task := writeTask(t, "task.json", fmt.Sprintf(`{"image": %q, "maxRunTime": 60, "env": {"FOO": "bar"},
		"cache": {"dwshim-test-shell-cache": "/cache"},
		"command": ["sh", "-c", "echo made > /tmp/made; echo cached > /cache/c; exit 2"]}`, localTestImage))
	purgeCache(t, "dwshim-test-shell-cache")
	// After the command: its file system, env and caches; the task's own
	// exit code is the result. The input's end (^D) ends the shell.
	code, out, stderr := runLocalShell(t, label, "cat /tmp/made /cache/c; echo foo=$FOO; pwd\n", "--artifacts", t.TempDir(), "--shell", task)
	if code != 2 || !strings.Contains(out, "made\r\ncached\r\nfoo=bar\r\n/\r\n") || !strings.Contains(stderr, "snapshot") {
		t.Errorf("--shell: exit %d, want 2 and the shell's output", code)
	}
	// Instead of the command: the shell's exit code is the result.
	code, out, _ = runLocalShell(t, label, "test -e /tmp/made || echo no-command-ran; echo foo=$FOO; exit 7\n", "--artifacts", t.TempDir(), "--shell=before", task)
	if code != 7 || !strings.Contains(out, "no-command-ran\r\nfoo=bar\r\n") {
		t.Errorf("--shell=before: exit %d, want 7 and the shell's output", code)
	}
	if code, _, _ := runCLI(t, "", "local", "--shell=sometimes", task); code != 2 {
		t.Errorf("--shell=sometimes: exit %d, want 2", code)
	}
}

// The end of piped input ends the shell also when it arrives before the
// shell's line editor has put the terminal in raw mode: here the shell
// first reads $ENV, which sleeps (the input and its ^D are then all typed
// ahead, as on a slow host). The last line has no newline: it runs too.
func TestLocalShellPipedEndBeforeEditor(t *testing.T) {
	label := labelLocal(t)
	task := writeTask(t, "task.json", fmt.Sprintf(`{"image": %q, "maxRunTime": 60, "env": {"ENV": "/tmp/rc"},
		"command": ["sh", "-c", "echo 'sleep 1' > /tmp/rc"]}`, localTestImage))
	code, out, _ := runLocalShell(t, label, "echo first\necho last-line", "--artifacts", t.TempDir(), "--shell", task)
	if code != 0 || !strings.Contains(out, "first\r\n") || !strings.Contains(out, "last-line\r\n") {
		t.Errorf("exit %d, want 0 and both lines run", code)
	}
}

// noShellImage imports an image holding a single file and no shell.
func noShellImage(t *testing.T) string {
	t.Helper()
	const ref = "dwshim-test/noshell:latest"
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6, Typeflag: tar.TypeReg})
	tw.Write([]byte("hello\n"))
	tw.Close()
	cmd := exec.Command("docker", "import", "-", ref)
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v: %s", err, out)
	}
	return ref
}

func TestLocalShellBusyboxFallback(t *testing.T) {
	labelLocal(t)
	if findBusybox() == "" {
		t.Skip("no static busybox on this host (scripts/test-env.sh installs busybox-static)")
	}
	img := noShellImage(t)
	task := writeTask(t, "task.json", fmt.Sprintf(`{"image": %q, "maxRunTime": 60, "command": ["/hello"]}`, img))
	code, out, _ := runCLI(t, "read x < /hello.txt; echo got-$x; exit 4\n", "local", "--artifacts", t.TempDir(), "--shell=before", task)
	if code != 4 || !strings.Contains(out, "got-hello") {
		t.Errorf("busybox shell in an image without one: exit %d", code)
	}
}

// TestLocalShellTmux drives dwshim local --shell=before on a real
// terminal: tmux runs it in a detached session of a known size; the test
// types into it and reads the screen.
func TestLocalShellTmux(t *testing.T) {
	label := labelLocal(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("no tmux (scripts/test-env.sh installs it)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	task := writeTask(t, "task.json", fmt.Sprintf(`{"image": %q, "maxRunTime": 60, "env": {"FOO": "bar"}, "command": ["true"]}`, localTestImage))
	exitFile := filepath.Join(dir, "exit")
	session := "dwshim-" + strings.ReplaceAll(label, ".", "-")
	script := fmt.Sprintf("DWSHIM_LOCAL_TEST_MAIN=1 DWSHIM_LOCAL_TEST_LABEL=%s %s local --artifacts %s --shell=before %s; echo $? > %s.tmp; mv %s.tmp %s; sleep 600",
		label, exe, filepath.Join(dir, "arts"), task, exitFile, exitFile, exitFile)
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", script)
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", session).Run() })
	screen := func() string { return tmux("capture-pane", "-p", "-t", session) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s; screen:\n%s", what, screen())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("the prompt", func() bool { return strings.Contains(screen(), "/ #") })
	tmux("send-keys", "-t", session, "echo size=$(stty size) foo=$FOO tty=$(tty)", "Enter")
	waitFor("the first answer", func() bool { return strings.Contains(screen(), "size=30 100 foo=bar tty=/dev/pts/") })
	tmux("resize-window", "-t", session, "-x", "120", "-y", "40")
	// The resize reaches the container's TTY asynchronously (SIGWINCH to
	// dwshim, then the Engine API): ask until it has.
	asked := time.Time{}
	waitFor("the resized terminal", func() bool {
		if time.Since(asked) > time.Second {
			tmux("send-keys", "-t", session, "clear; echo resized=$(stty size)", "Enter")
			asked = time.Now()
		}
		return strings.Contains(screen(), "resized=40 120")
	})
	tmux("send-keys", "-t", session, "exit 9", "Enter")
	waitFor("dwshim to exit", func() bool { _, err := os.Stat(exitFile); return err == nil })
	if b, _ := os.ReadFile(exitFile); strings.TrimSpace(string(b)) != "9" {
		t.Errorf("exit code %q, want the shell's 9; screen:\n%s", b, screen())
	}
}
