package main

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
)

// Values of --shell.
const (
	shellAfter  = "after"  // a shell in a snapshot of the container after the command ends
	shellBefore = "before" // a shell instead of the command
)

// shellEngine is the local engine with --shell: its Run opens an
// interactive shell on the user's terminal in the task's container, after
// the command or instead of it.
type shellEngine struct {
	*docker.Engine
	// ctx ends when the user interrupts dwshim (not at maxRunTime).
	ctx     context.Context
	mode    string
	busybox string
	in      io.Reader
	out     io.Writer
	errOut  io.Writer
}

func (s *shellEngine) Run(ctx context.Context, t *runner.Task, out io.Writer) (runner.Exit, error) {
	if s.mode == shellBefore {
		fmt.Fprintf(out, "dwshim: --shell=before: a shell instead of the task's command\n")
		code, err := s.shell(ctx, t, false)
		if err != nil && s.ctx.Err() != nil {
			// Interrupted (Ctrl-C, SIGTERM, SIGHUP): the shell was the command.
			return runner.Exit{Code: -1, Cancelled: true}, nil
		}
		return runner.Exit{Code: code}, err
	}
	ex, err := s.Engine.Run(ctx, t, out)
	if err != nil || ex.Cancelled || ctx.Err() != nil && !ex.TimedOut {
		return ex, err
	}
	fmt.Fprintf(s.errOut, "dwshim: the command exited %d; --shell: a shell in a snapshot of its container (exit the shell to go on)\n", ex.Code)
	if _, err := s.shell(ctx, t, true); err != nil {
		fmt.Fprintf(s.errOut, "dwshim: --shell: %v\n", err)
	}
	return ex, nil
}

// shell runs one shell session on the user's terminal and returns its
// exit code. The task's maxRunTime does not bound it (the person at the
// terminal does); the session ends when the shell exits, or when dwshim is
// interrupted (SIGINT, SIGTERM, SIGHUP: the terminal went away).
func (s *shellEngine) shell(_ context.Context, t *runner.Task, snapshot bool) (int, error) {
	ctx := s.ctx
	o := runner.ShellOptions{Busybox: s.busybox, Snapshot: snapshot}
	inFile, _ := s.in.(*os.File)
	isTTY := inFile != nil && term.IsTerminal(int(inFile.Fd()))
	if outFile, ok := s.out.(*os.File); ok && term.IsTerminal(int(outFile.Fd())) {
		if w, h, err := term.GetSize(int(outFile.Fd())); err == nil {
			o.Width, o.Height = uint(w), uint(h)
		}
	}
	sess, err := s.ShellContainer(ctx, t, o)
	if err != nil {
		return -1, err
	}
	closeSession := sync.OnceValue(sess.Close)
	defer closeSession()
	if isTTY {
		old, err := term.MakeRaw(int(inFile.Fd()))
		if err == nil {
			defer term.Restore(int(inFile.Fd()), old)
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				if w, h, err := term.GetSize(int(inFile.Fd())); err == nil {
					_ = sess.Resize(ctx, uint(w), uint(h))
				}
			}
		}()
	}
	ended := make(chan struct{})
	go feedShell(sess, s.in, ended)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(s.out, sess)
	}()
	code, err := sess.Wait(ctx)
	close(ended)
	if err != nil {
		// Interrupted: the shell still runs, so its output would not end.
		closeSession()
	}
	<-copied
	return code, err
}

// eot is ^D, the terminal's end-of-file character.
const eot = 4

// End-of-input ^D resends: the first at once, then after eotRetry,
// doubling up to eotRetryMax.
const (
	eotRetry    = 50 * time.Millisecond
	eotRetryMax = time.Second
)

// feedShell copies the user's input to the shell's terminal and, when the
// input ends (a pipe or file; a terminal's never does), ends the shell the
// way a person at the terminal would: ^D at the start of a line, again
// and again until ended is closed (the shell has exited).
//
// Closing the stream is no end of file on a TTY (the daemon then ends the
// session's output, leaving the shell running), and one ^D is not enough:
// while the terminal is in canonical mode (before the shell's line editor
// starts, say while it reads $ENV, or while a command runs) the kernel's
// line discipline turns a ^D into an end-of-file mark that a line editor
// switching the terminal to raw mode reads as a NUL byte, which busybox
// ash ignores (bash's readline too): the shell then waits at its prompt
// for ever. A ^D that arrives while the editor reads in raw mode on an
// empty line ends it; a command still reading the terminal gets end of
// file, as from a person's ^D.
func feedShell(w io.Writer, in io.Reader, ended <-chan struct{}) {
	lw := &lastByteWriter{w: w}
	if _, err := io.Copy(lw, in); err != nil && lw.err != nil {
		return // the session is gone
	}
	if lw.n > 0 && lw.last != '\n' {
		// As sh < file: the last line runs too, and the ^D is at a line start.
		if _, err := w.Write([]byte{'\n'}); err != nil {
			return
		}
	}
	for d := eotRetry; ; d = min(2*d, eotRetryMax) {
		if _, err := w.Write([]byte{eot}); err != nil {
			return
		}
		select {
		case <-ended:
			return
		case <-time.After(d):
		}
	}
}

// lastByteWriter remembers the last byte written through it and the
// first write error.
type lastByteWriter struct {
	w    io.Writer
	n    int64
	last byte
	err  error
}

func (l *lastByteWriter) Write(b []byte) (int, error) {
	n, err := l.w.Write(b)
	if n > 0 {
		l.n += int64(n)
		l.last = b[n-1]
	}
	if err != nil && l.err == nil {
		l.err = err
	}
	return n, err
}

// findBusybox returns a static busybox binary to copy into images without
// a shell: $DWSHIM_BUSYBOX, else one installed next to dwshim
// (../lib/dwshim/busybox) or by Debian's busybox-static (/bin/busybox), or
// "" when there is none (such images then get no shell).
func findBusybox() string {
	cands := []string{os.Getenv("DWSHIM_BUSYBOX")}
	if exe, err := os.Executable(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(exe), "..", "lib", "dwshim", "busybox"))
	}
	cands = append(cands, "/usr/lib/dwshim/busybox", "/bin/busybox", "/usr/bin/busybox")
	for _, c := range cands {
		if c != "" && isStatic(c) {
			return c
		}
	}
	return ""
}

// isStatic reports whether path is an ELF executable without a program
// interpreter (statically linked: it runs in any image).
func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return f.Type == elf.ET_EXEC || f.Type == elf.ET_DYN
}

// checkShellFlag validates --shell.
func checkShellFlag(v string) error {
	switch v {
	case "", shellAfter, shellBefore:
		return nil
	}
	return usageError{fmt.Sprintf("--shell=%s: want --shell (after the command) or --shell=before (instead of it)", v)}
}
