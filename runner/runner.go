package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/dwshim/dwshim/plan"
)

// WorkerInfo is what the task log header says about the worker. Empty
// fields are left out of the header.
type WorkerInfo struct {
	WorkerID       string
	WorkerGroup    string
	WorkerNodeType string
	WorkerPool     string
	WorkerVersion  string
	PublicIP       string
	Hostname       string
}

// Config configures a Runner. Engine is required; the rest have defaults.
type Config struct {
	Engine Engine
	// Logger receives the runner's own diagnostics (not the task log).
	// Nil discards them.
	Logger *slog.Logger
	// Now is the clock for log timestamps and durations; nil is time.Now.
	Now    func() time.Time
	Worker WorkerInfo
	// CleanupTimeout bounds Destroy and PurgeCaches, which run even after
	// the caller's context ended. Zero is one minute.
	CleanupTimeout time.Duration
}

// Runner runs tasks on an Engine. It is safe for concurrent use.
type Runner struct {
	cfg Config
}

// New returns a Runner for cfg, with defaults filled in.
func New(cfg Config) (*Runner, error) {
	if cfg.Engine == nil {
		return nil, errors.New("runner: no engine")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CleanupTimeout <= 0 {
		cfg.CleanupTimeout = time.Minute
	}
	return &Runner{cfg: cfg}, nil
}

// RunOptions are the per-run sinks.
type RunOptions struct {
	// Log receives the task log as it is produced (container output
	// included, streamed, never held whole). Nil discards it.
	Log io.Writer
	// Artifacts receives the artifacts. Nil collects none.
	Artifacts ArtifactSink
	// Expires is the expiry of artifacts that do not set their own (the
	// task's expiry).
	Expires time.Time
	// BeforeStart, when set, is called after Prepare and before the
	// container is created: it may still change t.Identity and t.Plan
	// (e.g. start a proxy and add its URL and host entry). n is the
	// task's own network (Task.IsolatedNetwork), else nil. An error ends
	// the run as an infrastructure failure.
	BeforeStart func(ctx context.Context, t *Task, n *Network) error
	// Finish, when set, is the context artifacts are collected under once
	// the container exited by itself: a run that completed just as ctx
	// was cancelled (a worker shutting down) still uploads what it made.
	// Nil: ctx.
	Finish context.Context
}

// Result is how a run ended. Resolution and Reason are what to report to
// the queue.
type Result struct {
	Resolution Resolution `json:"resolution"`
	Reason     Reason     `json:"reason"`
	// Message explains a failed or exception resolution.
	Message string `json:"message,omitempty"`
	// ExitCode is the container's exit code, or -1 when the container did
	// not run to an exit (Prepare or the engine failed).
	ExitCode int  `json:"exitCode"`
	Exit     Exit `json:"exit"`
	// Duration is the whole run, Prepare to cleanup.
	Duration time.Duration `json:"duration"`
	// TimedOut: maxRunTime was exceeded and the container killed.
	TimedOut bool `json:"timedOut,omitempty"`
	// Cancelled: the caller's context ended the run. The resolution is
	// exception/worker-shutdown; a worker may report another reason.
	Cancelled    bool             `json:"cancelled,omitempty"`
	PurgedCaches bool             `json:"purgedCaches,omitempty"`
	Artifacts    []ArtifactRecord `json:"artifacts,omitempty"`
	// ImageID is the ID of the image the task ran ("sha256:…"), when the
	// engine implements ImageIdentifier.
	ImageID string `json:"imageId,omitempty"`
	// ImageArtifactHash is "sha256:<hex>" of the image artifact's bytes
	// (task-image, indexed-image), when the engine implements
	// ImageArtifactHasher.
	ImageArtifactHash string `json:"imageArtifactHash,omitempty"`
}

// Run runs t: Prepare (image, caches), Run under maxRunTime (the clock
// starts after Prepare, as in docker-worker), collect artifacts (also
// after maxRunTime, see docs/local.md), apply the exit-status policy,
// purge caches when the policy says so, and Destroy whatever happened.
//
// The returned Result is never nil and holds the resolution, already
// classified. The error reports infrastructure problems (engine, sinks,
// cleanup) for the worker's own log; it is not a second resolution.
func (r *Runner) Run(ctx context.Context, t *Task, opts RunOptions) (*Result, error) {
	start := r.cfg.Now()
	log := newTaskLog(opts.Log, r.cfg.Now)
	res := &Result{ExitCode: -1}
	lg := r.cfg.Logger.With("task", t.Key)
	if t.Plan == nil {
		err := errors.New("task has no plan")
		res.Resolution, res.Reason, res.Message = Exception, ReasonInternalError, err.Error()
		return res, err
	}
	log.header(t, r.cfg.Worker)

	var errs []error
	ran := r.execute(ctx, t, opts, log, res, &errs)
	errs = append(errs, r.cleanup(ctx, t, log, res, ran))
	res.Duration = r.cfg.Now().Sub(start)
	if res.Resolution != Completed && res.Message != "" && res.ExitCode == -1 {
		log.Errorf("%s", res.Message)
	}
	log.footer(res.Resolution == Completed, res.ExitCode, res.Duration)
	errs = append(errs, log.Err())
	err := errors.Join(errs...)
	lg.Info("task run finished", "resolution", res.Resolution, "reason", res.Reason,
		"exitCode", res.ExitCode, "duration", res.Duration, "err", err)
	return res, err
}

// execute runs Prepare, Run and artifact collection, filling res. It
// reports whether the container ran to an exit.
func (r *Runner) execute(ctx context.Context, t *Task, opts RunOptions, log *taskLog, res *Result, errs *[]error) bool {
	p := t.Plan
	if err := r.cfg.Engine.Prepare(ctx, t, log); err != nil {
		err = fmt.Errorf("prepare %s: %w", p.Image, err)
		*errs = append(*errs, err)
		r.infraFailure(ctx, res, err)
		return false
	}
	if ider, ok := r.cfg.Engine.(ImageIdentifier); ok {
		id, err := ider.ImageID(ctx, t)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("image id of %s: %w", p.Image, err))
		}
		res.ImageID = id
	}
	if h, ok := r.cfg.Engine.(ImageArtifactHasher); ok {
		res.ImageArtifactHash = h.ImageArtifactHash(t)
	}
	if err := r.beforeStart(ctx, t, opts); err != nil {
		*errs = append(*errs, err)
		r.infraFailure(ctx, res, err)
		return false
	}
	log.Infof("=== Task Starting ===")
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if p.MaxRunTime > 0 {
		runCtx, cancel = context.WithTimeout(ctx, p.MaxRunTime.Std())
	}
	exit, err := r.cfg.Engine.Run(runCtx, t, log)
	// A container that exits by itself just as the deadline passes has
	// not timed out: the engine says whether it killed it.
	killed := exit.TimedOut || exit.Cancelled || err != nil
	timedOut := ctx.Err() == nil && killed && errors.Is(runCtx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil && !timedOut {
		err = fmt.Errorf("run container: %w", err)
		*errs = append(*errs, err)
		r.infraFailure(ctx, res, err)
		return false
	}
	res.Exit, res.ExitCode = exit, exit.Code
	if err != nil {
		// Timed out, and the engine failed while killing: no exit code.
		*errs = append(*errs, fmt.Errorf("run container: %w", err))
		res.ExitCode = -1
	}
	if timedOut {
		res.TimedOut, res.Exit.TimedOut = true, true
		log.Errorf("Task timeout after %s seconds. Force killing container.", seconds(p.MaxRunTime.Std()))
	}
	limitHit := false
	if exit.OOMKilled {
		if m := p.Limits.MemoryBytes; m > 0 {
			limitHit = true
			log.Errorf("Task exceeded the worker pool's memory limit of %d bytes (%s): the container was killed.", m, plan.LimitKeyMemory)
		} else {
			log.Errorf("The container was killed: out of memory.")
		}
	}
	if exit.PidsLimitReached && exit.Code != 0 {
		limitHit = true
		log.Errorf("Task reached the worker pool's limit of %d processes (%s); it cannot start more than that.", p.Limits.Pids, plan.LimitKeyPids)
	}
	if ctx.Err() != nil && exit.Cancelled {
		// Only when the engine killed it: a container that exited by itself
		// just before keeps its exit code.
		res.Cancelled, res.Exit.Cancelled = true, true
		log.Errorf("Task cancelled. Container killed.")
	}
	log.Infof("=== Task Finished ===")
	r.policy(res, p.OnExit.Retry)
	if limitHit && (res.Reason == ReasonIntermittentTask || res.Reason == ReasonCompleted) {
		// Exceeding the pool's limit fails the task, even when only a
		// child was OOM-killed and the command exited 0; retrying would
		// exceed it again (onExitStatus.retry does not apply).
		res.Resolution, res.Reason = Failed, ReasonFailed
		res.Message = fmt.Sprintf("task exceeded a resource limit of the worker pool (exit code %d)", res.ExitCode)
	}
	if res.Cancelled {
		// The caller wants the run over: no artifacts, as docker-worker.
		return true
	}
	if p.Features.UploadArtifacts && opts.Artifacts != nil && len(p.Artifacts) > 0 {
		c := &collector{engine: r.cfg.Engine, task: t, sink: opts.Artifacts, log: log, expires: opts.Expires}
		cctx := ctx
		if opts.Finish != nil {
			cctx = opts.Finish
		}
		err := c.collect(cctx, p.Artifacts)
		res.Artifacts = c.records
		if err != nil {
			*errs = append(*errs, err)
			if res.Resolution == Completed {
				res.Resolution, res.Reason = Exception, ReasonInternalError
				res.Message = "collecting artifacts failed: " + err.Error()
			}
		}
	}
	return true
}

// beforeStart looks up the task's own network and calls opts.BeforeStart.
func (r *Runner) beforeStart(ctx context.Context, t *Task, opts RunOptions) error {
	var n *Network
	if t.IsolatedNetwork {
		nw, ok := r.cfg.Engine.(Networker)
		if !ok {
			return errors.New("task network: the engine cannot give a task its own network")
		}
		got, err := nw.TaskNetwork(ctx, t)
		if err != nil {
			return fmt.Errorf("task network: %w", err)
		}
		n = &got
	}
	if opts.BeforeStart == nil {
		return nil
	}
	if err := opts.BeforeStart(ctx, t, n); err != nil {
		return fmt.Errorf("before start: %w", err)
	}
	return nil
}

// policy applies docker-worker's exit-status policy to a finished run.
func (r *Runner) policy(res *Result, retry []int) {
	code := res.ExitCode
	switch {
	case res.Cancelled:
		res.Resolution, res.Reason = Exception, ReasonWorkerShutdown
		res.Message = "task run cancelled; container killed"
	case res.TimedOut:
		res.Resolution, res.Reason = Failed, ReasonFailed
		res.Message = "task aborted - max run time exceeded"
	case code == 0:
		res.Resolution, res.Reason = Completed, ReasonCompleted
	case slices.Contains(retry, code):
		res.Resolution, res.Reason = Exception, ReasonIntermittentTask
		res.Message = fmt.Sprintf("task appears to have failed intermittently - exit code %d found in task payload.onExitStatus list", code)
	default:
		res.Resolution, res.Reason = Failed, ReasonFailed
		res.Message = fmt.Sprintf("task failed with exit code %d", code)
	}
}

// infraFailure classifies an error that stopped the run before an exit.
func (r *Runner) infraFailure(ctx context.Context, res *Result, err error) {
	if ctx.Err() != nil {
		res.Cancelled = true
		res.Resolution, res.Reason = Exception, ReasonWorkerShutdown
		res.Message = "task run cancelled"
		return
	}
	res.Resolution, res.Reason = Classify(err)
	res.Message = err.Error()
}

// cleanup destroys the container and purges the caches when the policy
// says so: exit code listed in onExitStatus.purgeCaches (0 included), or
// the run aborted by maxRunTime or cancellation (generic-worker #9008).
// It runs whatever the caller's context says.
func (r *Runner) cleanup(ctx context.Context, t *Task, log *taskLog, res *Result, ran bool) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.CleanupTimeout)
	defer cancel()
	var errs []error
	if err := r.cfg.Engine.Destroy(cctx, t); err != nil {
		errs = append(errs, fmt.Errorf("destroy container: %w", err))
	}
	p := t.Plan
	if !ran || len(p.Caches) == 0 {
		return errors.Join(errs...)
	}
	switch {
	case res.TimedOut || res.Cancelled:
		log.Infof("Purging caches since the task was aborted")
	case slices.Contains(p.OnExit.PurgeCaches, res.ExitCode):
		log.Infof("Purging caches since last command had exit code %d which is listed in task.payload.onExitStatus.purgeCaches", res.ExitCode)
	default:
		return errors.Join(errs...)
	}
	if err := r.cfg.Engine.PurgeCaches(cctx, t); err != nil {
		errs = append(errs, fmt.Errorf("purge caches: %w", err))
		log.Errorf("Purging caches failed: %v", err)
	} else {
		res.PurgedCaches = true
	}
	return errors.Join(errs...)
}

// PurgeCache purges the named cache on the engine (see CachePurger): the
// purge-cache service's requests. An engine that cannot is an error.
func (r *Runner) PurgeCache(ctx context.Context, name string, before time.Time) error {
	p, ok := r.cfg.Engine.(CachePurger)
	if !ok {
		return fmt.Errorf("purge cache %q: the engine cannot purge caches by name", name)
	}
	return p.PurgeCache(ctx, name, before)
}
