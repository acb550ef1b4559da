package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the terminal side (what a program's
// stderr would be) and a function that closes it and returns everything
// written to it.
func openPTY(t *testing.T) (term *os.File, written func() string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pseudo-terminal number: %v", err)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the terminal side: %v", err)
	}
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&buf, master) // ends with EIO once the terminal side is closed
		close(done)
	}()
	return term, func() string {
		term.Close()
		<-done
		master.Close()
		return buf.String()
	}
}

// withProgressDelay makes the status line appear from the first task.
func withProgressDelay(t *testing.T, d time.Duration) {
	old := progressDelay
	progressDelay = d
	t.Cleanup(func() { progressDelay = old })
}

// TestProgressOnTerminalOnly: with stderr a terminal, lint (text format)
// and convert draw their status line there and clear it before they end;
// nothing of it reaches stdout or a stderr that is not a terminal, nor a
// machine format's run.
func TestProgressOnTerminalOnly(t *testing.T) {
	withProgressDelay(t, 0)
	g := writeFile(t, "graph.json", repeatGraph(20))
	for _, tc := range []struct {
		name     string
		args     []string
		progress string // "" none
	}{
		{"lint", []string{"lint", "--config", lintPoolConfig, g}, "linting: "},
		{"convert", []string{"convert", "--graph", g}, "converting: "},
		{"lint json", []string{"lint", "--format", "json", g}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			term, written := openPTY(t)
			var out bytes.Buffer
			executeIO(tc.args, strings.NewReader(""), &out, term)
			onTerm := written()
			if strings.Contains(out.String(), "\x1b[K") || strings.Contains(out.String(), "linting: ") || strings.Contains(out.String(), "converting: ") {
				t.Errorf("status line on stdout: %q", out.String())
			}
			if tc.progress == "" {
				if strings.Contains(onTerm, "\x1b[K") {
					t.Errorf("status line on the terminal: %q", onTerm)
				}
				return
			}
			if !strings.Contains(onTerm, "\r\x1b[K"+tc.progress) {
				t.Errorf("no status line %q on the terminal: %q", tc.progress, onTerm)
			}
			// The last thing the run leaves on the terminal is a cleared
			// line, not the status.
			last := strings.LastIndex(onTerm, "\r\x1b[K")
			if i := strings.LastIndex(onTerm, tc.progress); i > last {
				t.Errorf("status line left on the terminal: %q", onTerm)
			}
		})
	}
	// Not a terminal: stderr holds what it held before, no status line.
	var out, errb bytes.Buffer
	executeIO([]string{"lint", "--config", lintPoolConfig, g}, strings.NewReader(""), &out, &errb)
	if errb.Len() != 0 {
		t.Errorf("lint wrote to a stderr that is not a terminal: %q", errb.String())
	}
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	executeIO([]string{"convert", "--graph", "-q", g}, strings.NewReader(""), io.Discard, pipeW)
	pipeW.Close()
	b, _ := io.ReadAll(pipeR)
	// -q: no warning lines, only the table per code and the summary.
	if bytes.Contains(b, []byte("\x1b[K")) || !bytes.HasPrefix(b, []byte("code ")) || !bytes.Contains(b, []byte("\nsummary: ")) {
		t.Errorf("convert on a pipe: %q", b)
	}
}

// TestConvertGroupsRepeatedProblems: problems many tasks share are printed
// once, then counted, like warnings; -v prints each; the exit status is 1
// either way.
func TestConvertGroupsRepeatedProblems(t *testing.T) {
	g := writeFile(t, "graph.json", repeatGraph(6))
	code, _, errs := convertCLI(t, "", "convert", "--graph", "--config", lintPoolConfig, g)
	priv := "/payload/capabilities/privileged: capabilities.privileged is refused"
	if code != 1 || strings.Count(errs, priv) != 2 || !strings.Contains(errs, "t0: "+priv) ||
		!strings.Contains(errs, "6 tasks (e.g. t0): "+priv) ||
		!strings.Contains(errs, "summary: 6 tasks, 0 converted, 6 with problems; ") {
		t.Errorf("exit %d:\n%s", code, errs)
	}
	code, _, errs = convertCLI(t, "", "convert", "--graph", "-v", "--config", lintPoolConfig, g)
	if code != 1 || strings.Count(errs, priv) != 6 || strings.Contains(errs, "(e.g.") {
		t.Errorf("-v: exit %d:\n%s", code, errs)
	}
	if code, _, errs := convertCLI(t, "", "convert", "--graph", "-q", "-v", g); code != 2 {
		t.Errorf("-q -v: exit %d, want 2:\n%s", code, errs)
	}
}

// TestConvertStdinTerminal: convert - refuses to wait on a terminal for
// input nobody will type, and reads any other standard input, /dev/null
// included (a character device, but no terminal).
func TestConvertStdinTerminal(t *testing.T) {
	term, written := openPTY(t)
	var errb bytes.Buffer
	code := executeIO([]string{"convert", "-"}, term, io.Discard, &errb)
	written()
	if code != 2 || !strings.Contains(errb.String(), "no input") {
		t.Errorf("stdin a terminal: exit %d, stderr %q", code, errb.String())
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	errb.Reset()
	executeIO([]string{"convert", "-"}, null, io.Discard, &errb)
	if strings.Contains(errb.String(), "no input") {
		t.Errorf("stdin /dev/null taken for a terminal: %q", errb.String())
	}
}
