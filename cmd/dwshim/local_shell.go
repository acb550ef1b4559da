package main

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

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
	defer sess.Close()
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
	go func() {
		_, _ = io.Copy(sess, s.in)
		// End of input: ^D, the terminal's end of file (closing the
		// stream would end the session's output with it).
		_, _ = sess.Write([]byte{4})
	}()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(s.out, sess)
	}()
	code, err := sess.Wait(ctx)
	<-copied
	return code, err
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
