package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner"
)

// busyboxPath is where a static busybox is copied in a container whose
// image has no shell.
const busyboxPath = "/.dwshim/busybox"

// readyTries bounds how long Exec waits for a container that is being
// started (one try a second, as generic-worker's interactive feature).
const readyTries = 20

var _ runner.Shells = (*Engine)(nil)

// Exec starts a shell on a TTY in the task's running container. The exec
// inherits the container's env and working directory.
func (e *Engine) Exec(ctx context.Context, t *runner.Task, o runner.ShellOptions) (runner.Session, error) {
	name := ContainerName(t.Key)
	var id string
	for try := 1; ; try++ {
		ins, err := e.cli.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
		if err == nil && ins.Container.State != nil && ins.Container.State.Running {
			id = ins.Container.ID
			break
		}
		if err != nil && !cerrdefs.IsNotFound(err) {
			return nil, wrap("inspect task container", err)
		}
		if try >= readyTries {
			return nil, fmt.Errorf("exec in task %q: its container is not running", t.Key)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	cmd, err := e.shellCommand(ctx, id, o.Busybox)
	if err != nil {
		return nil, err
	}
	created, err := e.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		TTY: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: cmd,
		ConsoleSize: consoleSize(o),
	})
	if err != nil {
		return nil, wrap("create exec", err)
	}
	att, err := e.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: true, ConsoleSize: consoleSize(o)})
	if err != nil {
		return nil, wrap("attach to exec", err)
	}
	return &execSession{e: e, id: created.ID, hijack: att.HijackedResponse, done: make(chan struct{})}, nil
}

func consoleSize(o runner.ShellOptions) client.ConsoleSize {
	if o.Width == 0 || o.Height == 0 {
		return client.ConsoleSize{}
	}
	return client.ConsoleSize{Width: o.Width, Height: o.Height}
}

// shellCommand is the first shell the container has (/bin/bash, /bin/sh),
// or the static busybox copied in.
func (e *Engine) shellCommand(ctx context.Context, id, busybox string) ([]string, error) {
	for _, sh := range []string{"/bin/bash", "/bin/sh"} {
		if _, err := e.cli.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: sh}); err == nil {
			return []string{sh}, nil
		} else if !cerrdefs.IsNotFound(err) {
			return nil, wrap("look for a shell in the container", err)
		}
	}
	if busybox == "" {
		return nil, errors.New("the image has no /bin/bash or /bin/sh, and no static busybox is configured to copy in")
	}
	if err := e.copyBusybox(ctx, id, busybox); err != nil {
		return nil, err
	}
	return []string{busyboxPath, "sh"}, nil
}

// copyBusybox copies the host's static busybox to busyboxPath.
func (e *Engine) copyBusybox(ctx context.Context, id, busybox string) error {
	f, err := os.Open(busybox)
	if err != nil {
		return fmt.Errorf("static busybox for images without a shell: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("static busybox: %w", err)
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: ".dwshim/", Mode: 0o755})
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ".dwshim/busybox", Mode: 0o755, Size: st.Size()})
		}
		if err == nil {
			_, err = io.Copy(tw, f)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	if _, err := e.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: pr}); err != nil {
		pr.CloseWithError(err)
		return wrap("copy busybox into the container", err)
	}
	return nil
}

// execSession is a shell started by Exec.
type execSession struct {
	e      *Engine
	id     string
	hijack client.HijackedResponse
	once   sync.Once
	done   chan struct{} // closed when the output ends
}

func (s *execSession) Read(b []byte) (int, error) {
	n, err := s.hijack.Reader.Read(b)
	if err != nil {
		s.once.Do(func() { close(s.done) })
	}
	return n, err
}

func (s *execSession) Write(b []byte) (int, error) { return s.hijack.Conn.Write(b) }

func (s *execSession) Resize(ctx context.Context, width, height uint) error {
	_, err := s.e.cli.ExecResize(ctx, s.id, client.ExecResizeOptions{Width: width, Height: height})
	return err
}

// Wait waits for the output to end (the reader must be drained), then for
// the daemon to record the exit.
func (s *execSession) Wait(ctx context.Context) (int, error) {
	select {
	case <-s.done:
	case <-ctx.Done():
		return -1, ctx.Err()
	}
	for {
		ins, err := s.e.cli.ExecInspect(ctx, s.id, client.ExecInspectOptions{})
		if err != nil {
			return -1, wrap("inspect exec", err)
		}
		if !ins.Running {
			return ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// CloseWrite ends the shell's input (end of file on its terminal).
func (s *execSession) CloseWrite() error { return s.hijack.CloseWrite() }

func (s *execSession) Close() error {
	s.hijack.Close()
	return nil
}

// ShellContainer starts a container for t with a shell as its command, on
// a TTY with standard input attached: from the task's image, or with
// o.Snapshot from its stopped container (committed to a temporary image).
// It has the task's env, mounts (caches), network and labels; Close
// removes it and the snapshot.
func (e *Engine) ShellContainer(ctx context.Context, t *runner.Task, o runner.ShellOptions) (runner.Session, error) {
	s := e.state(t.Key)
	if s.image == "" {
		return nil, fmt.Errorf("shell for task %q: %w", t.Key, errNoPrepare)
	}
	sess := &containerSession{e: e, name: ContainerName(t.Key) + "-shell"}
	image := s.image
	if o.Snapshot {
		if s.containerID == "" {
			return nil, fmt.Errorf("shell for task %q: no container to snapshot", t.Key)
		}
		// Labelled as the task's other objects (the owner's label
		// included), so that what a killed run left is swept with them.
		// The daemon merges the rest of the container's config in.
		c, err := e.cli.ContainerCommit(ctx, s.containerID, client.ContainerCommitOptions{
			Comment: "dwshim local --shell snapshot of " + t.Key,
			Config:  &container.Config{Labels: taskLabels(t, kindSnapshot, e.opts.ExtraLabels)},
		})
		if err != nil {
			return nil, wrap("snapshot the task's container", err)
		}
		image, sess.snapshot = c.ID, c.ID
	}
	spec, err := containerSpec(t, image, s.cacheVolumes(), e.opts.ExtraLabels)
	if err != nil {
		sess.Close()
		return nil, err
	}
	spec.Name = sess.name
	cfg := spec.Config
	cfg.Tty, cfg.OpenStdin, cfg.StdinOnce, cfg.AttachStdin = true, true, true, true
	cfg.Entrypoint, cfg.Cmd = []string{"/bin/sh"}, nil
	create := func() error {
		created, err := e.cli.ContainerCreate(ctx, spec)
		if err != nil {
			return wrap("create shell container", err)
		}
		sess.id = created.ID
		return nil
	}
	if err := create(); err != nil {
		sess.Close()
		return nil, err
	}
	// The entry point is fixed at creation: look for a shell in the created
	// container, and make it again with the one found.
	cmd, err := e.shellCommand(ctx, sess.id, o.Busybox)
	if err != nil {
		sess.Close()
		return nil, err
	}
	if cmd[0] != "/bin/sh" {
		if _, err := e.cli.ContainerRemove(ctx, sess.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			sess.Close()
			return nil, wrap("remove shell container", err)
		}
		cfg.Entrypoint = cmd
		if err := create(); err != nil {
			sess.Close()
			return nil, err
		}
		if cmd[0] == busyboxPath {
			if err := e.copyBusybox(ctx, sess.id, o.Busybox); err != nil {
				sess.Close()
				return nil, err
			}
		}
	}
	att, err := e.cli.ContainerAttach(ctx, sess.id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		sess.Close()
		return nil, wrap("attach to shell container", err)
	}
	sess.hijack = &att.HijackedResponse
	waitCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	sess.stopWait = stop
	sess.wait = buffered(e.cli.ContainerWait(waitCtx, sess.id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit}))
	if _, err := e.cli.ContainerStart(ctx, sess.id, client.ContainerStartOptions{}); err != nil {
		sess.Close()
		return nil, wrap("start shell container", err)
	}
	if o.Width > 0 && o.Height > 0 {
		_ = sess.Resize(ctx, o.Width, o.Height)
	}
	return sess, nil
}

// containerSession is a shell started by ShellContainer.
type containerSession struct {
	e        *Engine
	name, id string
	snapshot string // image to remove, or ""
	hijack   *client.HijackedResponse
	wait     client.ContainerWaitResult
	stopWait context.CancelFunc
}

func (s *containerSession) Read(b []byte) (int, error) { return s.hijack.Reader.Read(b) }

func (s *containerSession) Write(b []byte) (int, error) { return s.hijack.Conn.Write(b) }

// CloseWrite ends the shell's input (end of file on its terminal).
func (s *containerSession) CloseWrite() error { return s.hijack.CloseWrite() }

func (s *containerSession) Resize(ctx context.Context, width, height uint) error {
	_, err := s.e.cli.ContainerResize(ctx, s.id, client.ContainerResizeOptions{Width: width, Height: height})
	return err
}

func (s *containerSession) Wait(ctx context.Context) (int, error) {
	select {
	case res := <-s.wait.Result:
		if res.Error != nil && res.Error.Message != "" {
			return -1, fmt.Errorf("wait for shell container: %s", res.Error.Message)
		}
		return int(res.StatusCode), nil
	case err := <-s.wait.Error:
		return -1, wrap("wait for shell container", err)
	case <-ctx.Done():
		return -1, ctx.Err()
	}
}

// Close removes the shell container and the snapshot image.
func (s *containerSession) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), killGrace)
	defer cancel()
	if s.hijack != nil {
		s.hijack.Close()
	}
	if s.stopWait != nil {
		s.stopWait()
	}
	var errs []error
	if s.id != "" {
		if _, err := s.e.cli.ContainerRemove(ctx, s.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, wrap("remove shell container", err))
		}
	}
	if s.snapshot != "" {
		if _, err := s.e.cli.ImageRemove(ctx, s.snapshot, client.ImageRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, wrap("remove shell snapshot image", err))
		}
	}
	return errors.Join(errs...)
}
