package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

// killGrace bounds the kill and the wait for the container to stop after
// the task's context ended.
const killGrace = 10 * time.Second

// Prepare makes the image available and creates the task's volumes.
func (e *Engine) Prepare(ctx context.Context, t *runner.Task, log io.Writer) error {
	if t.Plan == nil {
		return fmt.Errorf("prepare task %q: no plan", t.Key)
	}
	var (
		image, artifactSum, pinned string
		err                        error
	)
	switch t.Plan.Image.Kind {
	case plan.ImageNamed:
		image, err = e.prepareNamed(ctx, t, log)
	case plan.ImageTaskArtifact, plan.ImageIndexed:
		// The container is created from the verified image ID, never from
		// a tag that could be moved in between.
		var rec imageRecord
		rec, err = e.prepareArtifact(ctx, t, log)
		image, artifactSum = rec.ImageID, rec.ArtifactSHA256
		if err == nil {
			pinned = artifactTag(e.opts.ImageRepo, rec.Identity)
			e.state(t.Key).imageID = rec.ImageID
		}
	default:
		err = fmt.Errorf("image kind %q is not supported", t.Plan.Image.Kind)
	}
	if err != nil {
		return err // the runner names the image
	}
	s := e.state(t.Key)
	s.image, s.artifactSHA256, s.pinned = image, artifactSum, pinned
	warnHugeEnv(t, log)
	if t.IsolatedNetwork {
		if err := e.createNetwork(ctx, t, s); err != nil {
			return err
		}
	}
	if err := e.acquireCaches(ctx, t, s, log); err != nil {
		return err
	}
	for _, v := range taskVolumes(t, e.opts.ExtraLabels) {
		if _, err := e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: v.Name, Labels: v.Labels}); err != nil {
			return wrap(fmt.Sprintf("create volume %q", v.Name), err)
		}
	}
	return nil
}

// maxArgStrlen is Linux's MAX_ARG_STRLEN: the longest single "NAME=value"
// string execve accepts.
const maxArgStrlen = 32 * 4096

// warnHugeEnv says in the task log, naming the variable but never printing
// its value, when one variable is too long for the kernel to start the
// command with: the container then fails with "argument list too long".
func warnHugeEnv(t *runner.Task, log io.Writer) {
	for _, kv := range t.Plan.ContainerEnv(t.Identity) {
		if len(kv) >= maxArgStrlen {
			name, _, _ := strings.Cut(kv, "=")
			fmt.Fprintf(log, "Warning: environment variable %s is %d bytes; Linux limits one variable to %d bytes, so the command will fail to start (argument list too long)\n", name, len(kv), maxArgStrlen-1)
		}
	}
}

// Run creates, attaches to and starts the container, and waits for it.
func (e *Engine) Run(ctx context.Context, t *runner.Task, out io.Writer) (runner.Exit, error) {
	s := e.state(t.Key)
	if s.image == "" {
		return runner.Exit{}, fmt.Errorf("run task %q: %w", t.Key, errNoPrepare)
	}
	spec, err := containerSpec(t, s.image, s.cacheVolumes(), e.opts.ExtraLabels)
	if err != nil {
		return runner.Exit{}, fmt.Errorf("run task %q: %w", t.Key, err)
	}
	// Create is not cut short by ctx: a create request abandoned half way
	// may still make the container after Destroy has looked for it, leaving
	// it behind in the Created state. It is bounded by killGrace instead.
	cctx, cancelCreate := context.WithTimeout(context.WithoutCancel(ctx), killGrace)
	autoRemove := e.autoRemovable(t)
	spec.HostConfig.AutoRemove = autoRemove
	created, err := e.cli.ContainerCreate(cctx, spec)
	cancelCreate()
	if err != nil {
		if ctx.Err() != nil {
			return ctxExit(ctx), nil
		}
		return runner.Exit{}, wrap(fmt.Sprintf("create container %s", spec.Name), err)
	}
	s.containerID = created.ID
	if ctx.Err() != nil {
		// Aborted while being created: never started; Destroy removes it.
		return ctxExit(ctx), nil
	}
	for _, w := range created.Warnings {
		e.log.Warn("container create warning", "task", t.Key, "warning", w)
	}
	// The wait is registered before the start, so that no exit can be
	// missed, at the same time as the attach (each is one round trip to
	// the daemon; the wait's request returns once the daemon waits). The
	// events subscription replays what it missed (watchExit).
	waitCtx, stopWait := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWait()
	died := e.watchExit(waitCtx, created.ID)
	waiting := make(chan client.ContainerWaitResult, 1)
	go func() {
		waiting <- buffered(e.cli.ContainerWait(waitCtx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit}))
	}()
	att, err := e.cli.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	wait := <-waiting
	if err != nil {
		if ctx.Err() != nil {
			return ctxExit(ctx), nil
		}
		return runner.Exit{}, wrap("attach to container", err)
	}
	copied := make(chan struct{})
	var copyErr error
	go func() {
		defer close(copied)
		if t.Plan.TTY {
			_, copyErr = io.Copy(out, att.Reader)
			return
		}
		_, copyErr = stdcopy.StdCopy(out, out, att.Reader)
	}()
	// Whatever happens, out is not written to after Run returns: closing
	// the connection ends the copy at once.
	defer func() {
		att.Close()
		<-copied
	}()
	// Start, like the create, runs to its answer (bounded): the kill below then
	// finds the container in a settled state.
	sctx, cancelStart := context.WithTimeout(context.WithoutCancel(ctx), killGrace)
	_, err = e.cli.ContainerStart(sctx, created.ID, client.ContainerStartOptions{})
	cancelStart()
	if err == nil && ctx.Err() != nil {
		return e.kill(created.ID, ctx, wait, att.Close, copied)
	}
	if err != nil {
		if ctx.Err() != nil {
			// The daemon may have started it all the same.
			return e.kill(created.ID, ctx, wait, att.Close, copied)
		}
		if code := startFailureCode(err); code != 0 {
			// The task's command cannot run: a result, as with docker run.
			fmt.Fprintf(out, "dwshim: cannot start the task's command: %v\n", err)
			return runner.Exit{Code: code}, nil
		}
		return runner.Exit{}, wrap("start container", err)
	}
	pidsReached := e.watchPids(ctx, created.ID, t.Plan.Limits.Pids)
	defer pidsReached()
	waited, err := e.awaitExit(ctx, wait, died)
	if errors.Is(err, errKill) {
		ex, err := e.kill(created.ID, ctx, wait, att.Close, copied)
		ex.PidsLimitReached = pidsReached()
		return ex, err
	}
	if err != nil {
		return runner.Exit{}, err
	}
	s.autoRemoved = autoRemove
	reached := pidsReached()
	// The attach stream ends once the container's output is drained.
	select {
	case <-copied:
		if copyErr != nil {
			e.log.Warn("container output copy ended with an error", "task", t.Key, "err", copyErr)
		}
	case <-ctx.Done():
	}
	if waited.fromEvent && waited.exit.Code == 137 && !waited.exit.OOMKilled {
		// Killed, and no "oom" event before the "die": the daemon's two
		// events are not strictly ordered, so the container's state once
		// the wait answers says whether it ran out of memory.
		waited.fromEvent = false
		select {
		case <-wait.Result:
		case <-wait.Error:
		case <-ctx.Done():
		}
	}
	ex := waited.exit
	if !waited.fromEvent {
		ex, err = e.exitOf(context.WithoutCancel(ctx), created.ID)
		if err != nil && autoRemove && cerrdefs.IsNotFound(err) {
			// Already removed by the daemon (Options.AutoRemove): the wait
			// said how it ended (without the OOM flag).
			ex, err = waited.exit, nil
		}
	}
	ex.PidsLimitReached = reached
	return ex, err
}

// autoRemovable reports whether the daemon may remove t's container as
// soon as it exits (Options.AutoRemove): nothing of it is needed after the
// exit. Not with a memory limit: when the daemon's "oom" event comes after
// "die" (they are not ordered), only the stopped container's state says
// that it ran out of memory, and an auto-removed one may be gone by then.
func (e *Engine) autoRemovable(t *runner.Task) bool {
	p := t.Plan
	return e.opts.AutoRemove && len(p.Artifacts) == 0 && len(p.Caches) == 0 && !t.IsolatedNetwork && p.Limits.MemoryBytes == 0
}

// errKill is awaitExit's answer when ctx ended first: kill the container.
var errKill = errors.New("context ended: kill the container")

// waitedExit is how awaitExit learnt of the exit.
type waitedExit struct {
	exit runner.Exit
	// fromEvent: from the "die" event, OOM flag included; otherwise from
	// the wait, which has only the code (inspect the container for more).
	fromEvent bool
}

// awaitExit waits for the started container to exit: whichever of its
// "die" event (watchExit) and the wait answers first. It returns errKill
// when ctx ends before.
func (e *Engine) awaitExit(ctx context.Context, wait client.ContainerWaitResult, died <-chan runner.Exit) (waitedExit, error) {
	for {
		select {
		case ex, ok := <-died:
			if ok {
				return waitedExit{exit: ex, fromEvent: true}, nil
			}
			died = nil // the events cannot tell: the wait will
		case res := <-wait.Result:
			if res.Error != nil && res.Error.Message != "" {
				return waitedExit{}, fmt.Errorf("wait for container: %s", res.Error.Message)
			}
			return waitedExit{exit: runner.Exit{Code: int(res.StatusCode)}}, nil
		case err := <-wait.Error:
			return waitedExit{}, wrap("wait for container", err)
		case <-ctx.Done():
			return waitedExit{}, errKill
		}
	}
}

// kill ends the container after ctx ended, within killGrace.
func (e *Engine) kill(id string, ctx context.Context, wait client.ContainerWaitResult, closeAttach func(), copied <-chan struct{}) (runner.Exit, error) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killGrace)
	defer cancel()
	_, kerr := e.cli.ContainerKill(kctx, id, client.ContainerKillOptions{Signal: "SIGKILL"})
	if kerr != nil && !cerrdefs.IsConflict(kerr) && !cerrdefs.IsNotFound(kerr) {
		e.log.Warn("kill container", "container", id, "err", kerr)
	}
	select {
	case <-wait.Result:
	case <-wait.Error:
	case <-kctx.Done():
	}
	select {
	case <-copied:
	case <-time.After(time.Second):
		closeAttach()
	}
	ex, err := e.exitOf(kctx, id)
	if err != nil {
		ex = runner.Exit{Code: 137}
	}
	c := ctxExit(ctx)
	ex.TimedOut, ex.Cancelled = c.TimedOut, c.Cancelled
	return ex, nil
}

// startFailureCode is the exit code `docker run` gives when the daemon
// could not start the command (127: not found, 126: not executable), or 0
// when err is not such a failure.
func startFailureCode(err error) int {
	if client.IsErrConnectionFailed(err) {
		return 0
	}
	msg := err.Error()
	if !strings.Contains(msg, "exec: ") {
		return 0 // e.g. a missing device: the worker's problem, not the task's
	}
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"):
		return 126
	}
	return 0
}

// ctxExit is the Exit of a task whose context ended.
func ctxExit(ctx context.Context) runner.Exit {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return runner.Exit{Code: -1, TimedOut: true}
	}
	return runner.Exit{Code: -1, Cancelled: true}
}

// exitOf reads the exit code and OOM flag of the stopped container.
func (e *Engine) exitOf(ctx context.Context, id string) (runner.Exit, error) {
	ins, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return runner.Exit{}, wrap("inspect container", err)
	}
	st := ins.Container.State
	if st == nil {
		return runner.Exit{}, errors.New("inspect container: no state")
	}
	return runner.Exit{Code: st.ExitCode, OOMKilled: st.OOMKilled}, nil
}

// CopyOut returns a tar stream of path in the task's container.
func (e *Engine) CopyOut(ctx context.Context, t *runner.Task, path string) (io.ReadCloser, error) {
	s := e.state(t.Key)
	if s.containerID == "" {
		return nil, fmt.Errorf("copy %q out of task %q: no container", path, t.Key)
	}
	res, err := e.cli.CopyFromContainer(ctx, s.containerID, client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, fmt.Errorf("copy %q out of container: %w: %w", path, runner.ErrPathNotFound, err)
		}
		return nil, wrap(fmt.Sprintf("copy %q out of container", path), err)
	}
	return res.Content, nil
}

// Destroy removes the container with its anonymous volumes, the task's
// volumes and networks. It is idempotent.
func (e *Engine) Destroy(ctx context.Context, t *runner.Task) error {
	ctx = context.WithoutCancel(ctx)
	e.mu.Lock()
	s := e.tasks[t.Key]
	delete(e.tasks, t.Key)
	e.mu.Unlock()
	if s != nil && s.pinned != "" {
		e.unpin(s.pinned)
	}
	if s != nil && s.autoRemoved {
		// The daemon removes the exited container (Options.AutoRemove: no
		// caches, artifacts or network of its own to clean up after it).
		return nil
	}
	var errs []error
	name := ContainerName(t.Key)
	_, err := e.cli.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	removed := err == nil || cerrdefs.IsNotFound(err)
	if !removed {
		errs = append(errs, wrap(fmt.Sprintf("remove container %s", name), err))
	}
	if t.Plan != nil {
		for _, v := range taskVolumes(t, nil) {
			errs = append(errs, e.removeVolume(ctx, v.Name))
		}
	}
	errs = append(errs, e.removeLabelled(ctx, LabelTask+"="+t.Key))
	// Only once the container is gone may another task have the caches
	// (an instance whose container could not be removed stays taken).
	if removed {
		errs = append(errs, e.releaseCaches(ctx, s))
	}
	return errors.Join(errs...)
}

func (e *Engine) removeVolume(ctx context.Context, name string) error {
	_, err := e.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return wrap(fmt.Sprintf("remove volume %q", name), err)
	}
	return nil
}

// ImageArtifactHash returns "sha256:<hex>" of the image artifact's bytes
// that t's image was loaded from (when this engine loaded it, or from its
// record), "" for a named image.
func (e *Engine) ImageArtifactHash(t *runner.Task) string {
	s := e.state(t.Key)
	if s.artifactSHA256 == "" {
		return ""
	}
	return "sha256:" + s.artifactSHA256
}

// ImageID returns the ID of the image Prepare made available for t.
func (e *Engine) ImageID(ctx context.Context, t *runner.Task) (string, error) {
	s := e.state(t.Key)
	if s.image == "" {
		return "", errNoPrepare
	}
	if s.imageID != "" {
		return s.imageID, nil
	}
	res, err := e.cli.ImageInspect(ctx, s.image)
	if err != nil {
		return "", wrap(fmt.Sprintf("inspect image %q", s.image), err)
	}
	return res.ID, nil
}
