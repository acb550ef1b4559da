package worker

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"github.com/dwshim/dwshim/runner"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// Options are the parts of a Worker that are not generic-worker config.
type Options struct {
	Queue   Queue
	Objects ObjectService // required when createObjectArtifacts
	// Auth expands assume: scopes of d2g tasks; nil: scopes are used as
	// given.
	Auth ScopeExpander
	// WorkerManager, when set (under worker-runner, as generic-worker), is
	// asked on every claim loop whether the worker should terminate; yes
	// ends the worker with ExitWorkerManagerShutdown once running tasks
	// finish. nil: never asked.
	WorkerManager TerminationAdvisor
	Executor      Executor
	Logger        *slog.Logger
	// Protocol, when running under worker-runner, receives error reports.
	Protocol *Protocol
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ClaimInterval is the pause after an empty claimWork (default 5 s, as
	// generic-worker).
	ClaimInterval time.Duration
	// ShutdownGrace bounds how long aborted tasks get to kill their
	// container and resolve themselves exception/worker-shutdown before
	// the worker resolves them directly (default 5 s, so that the whole
	// shutdown stays within 10 s).
	ShutdownGrace time.Duration
	// Retry is the queue and upload retry policy (default DefaultRetryPolicy).
	Retry RetryPolicy
	// LiveLogHost is the host in live-log URLs (default publicIP, else
	// privateIP, else the host name).
	LiveLogHost string
	// HTTPClient does artifact PUTs (default http.DefaultClient).
	HTTPClient *http.Client
	// Shells starts the interactive shells of features.interactive (the
	// container engine); with Busybox, a static busybox for images
	// without a shell. Nil: no interactive shells (such tasks are
	// malformed-payload, as with enableInteractive off).
	Shells  runner.Shells
	Busybox string
	// StatusPath, when set, is kept as generic-worker's worker-status.json
	// (see Status); "" keeps none.
	StatusPath string
	// PurgeCache, when set, is polled for the pool's purge requests before
	// a task mounts its caches (as generic-worker); nil: none are honoured.
	PurgeCache PurgeCacheService
}

var (
	errClaimLost      = errors.New("claim lost: the queue resolved this run (cancelled, or claim expired)")
	errWorkerShutdown = errors.New("worker is shutting down")
)

// Worker claims and runs tasks until told to stop.
type Worker struct {
	cfg     Config
	opts    Options
	logger  *slog.Logger
	live    *LiveLogServer
	shells  *InteractiveServer
	signer  ed25519.PrivateKey
	purges  *purgePoller // nil without Options.PurgeCache
	devices *loopbackDevices

	credMu sync.Mutex
	creds  Credentials

	mu        sync.Mutex
	running   map[string]*runState
	claimed   int // runs claimed so far (numberOfTasksToRun)
	stopping  bool
	exitCode  ExitCode
	abortRuns bool // cancel running tasks (interrupt, or finish-tasks false)
	wake      chan struct{}
	// hardStop ends uploads and resolutions when the shutdown grace is over.
	hardStop   context.Context
	hardCancel context.CancelFunc
	// claimCancel aborts an in-flight claimWork when the worker stops.
	claimCancel context.CancelFunc
}

// New checks cfg and opts and prepares a worker; Run starts it.
func New(cfg Config, opts Options) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, &ConfigError{Code: ExitInvalidConfig, Err: err}
	}
	if opts.Queue == nil || opts.Executor == nil {
		return nil, errors.New("worker: Queue and Executor are required")
	}
	if cfg.CreateObjectArtifacts && opts.Objects == nil {
		return nil, errors.New("worker: createObjectArtifacts needs an object service")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClaimInterval <= 0 {
		opts.ClaimInterval = 5 * time.Second
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 5 * time.Second
	}
	if opts.Retry == (RetryPolicy{}) {
		opts.Retry = DefaultRetryPolicy()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	w := &Worker{cfg: cfg, opts: opts, logger: opts.Logger, running: map[string]*runState{},
		wake:  make(chan struct{}, 1),
		creds: Credentials{ClientID: cfg.ClientID, AccessToken: cfg.AccessToken, Certificate: cfg.Certificate}}
	w.hardStop, w.hardCancel = context.WithCancel(context.Background())
	w.devices = findLoopbackDevices(&w.cfg)
	if c := w.devices.capacity(w.cfg.Capacity); c < w.cfg.Capacity {
		w.logger.Warn("capacity bounded by the loopback devices found", "capacity", w.cfg.Capacity, "devices", c)
		w.cfg.Capacity = c
	}
	if opts.PurgeCache != nil {
		w.purges = &purgePoller{service: opts.PurgeCache, poolID: cfg.TaskQueueID(), creds: w.credentials, now: opts.Now}
	}
	if cfg.EnableChainOfTrust {
		key, err := ReadSigningKey(cfg.Ed25519SigningKeyLocation)
		if err != nil {
			return nil, &ConfigError{Code: ExitInvalidConfig, Err: err}
		}
		w.signer = key
	}
	for _, d := range []string{cfg.TasksDir, cfg.CachesDir, cfg.DownloadsDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("worker: %w", err)
		}
	}
	return w, nil
}

// SetCredentials replaces the worker's credentials (worker-runner's
// new-credentials); later claimWork calls use them.
func (w *Worker) SetCredentials(c Credentials) {
	w.credMu.Lock()
	w.creds = c
	w.credMu.Unlock()
	w.logger.Info("worker credentials replaced", "clientId", c.ClientID)
}

func (w *Worker) credentials() Credentials {
	w.credMu.Lock()
	defer w.credMu.Unlock()
	return w.creds
}

func (w *Worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Terminate is worker-runner's graceful-termination: stop claiming; with
// finishTasks let running tasks finish, else resolve them
// exception/worker-shutdown now. Run then returns ExitWorkerShutdown.
func (w *Worker) Terminate(finishTasks bool) {
	w.logger.Info("graceful termination requested", "finishTasks", finishTasks)
	w.Stop(ExitWorkerShutdown, !finishTasks)
}

// Stop ends the worker: it claims no more, and Run returns code once the
// running tasks are over. With abort they are killed and resolved
// exception/worker-shutdown now (within ShutdownGrace); without, they
// finish. The first code wins; abort, once asked for, stays.
func (w *Worker) Stop(code ExitCode, abort bool) { w.stop(code, abort) }

func (w *Worker) stop(code ExitCode, abort bool) {
	w.mu.Lock()
	if !w.stopping {
		w.stopping, w.exitCode = true, code
		// A claimWork in flight may already have been granted by the queue:
		// let it answer (its claims are then run or resolved), and only cut
		// a long poll short after claimDrain.
		if w.claimCancel != nil {
			cancel := w.claimCancel
			time.AfterFunc(claimDrain, cancel)
		}
	}
	if abort && !w.abortRuns {
		w.abortRuns = true
		for _, rs := range w.running {
			rs.cancel(errWorkerShutdown)
		}
	}
	w.mu.Unlock()
	w.poke()
}

// claimDrain is how long a claimWork in flight when the worker stops may
// still take to answer. The real queue long-polls claimWork for up to 20 s
// and stops claiming for a request that is closed while it waits.
const claimDrain = 2 * time.Second

func (w *Worker) liveLogHost() string {
	switch {
	case w.opts.LiveLogHost != "":
		return w.opts.LiveLogHost
	case w.cfg.PublicIP != "":
		return w.cfg.PublicIP
	case w.cfg.PrivateIP != "":
		return w.cfg.PrivateIP
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "localhost"
}

// Run claims and runs tasks until numberOfTasksToRun is reached (0, or 70
// when worker-manager then says to terminate), the worker is idle for
// idleTimeoutSecs (68), worker-manager's shouldWorkerTerminate says so (70,
// asked on every loop when Options.WorkerManager is set; running tasks
// finish), Terminate or Stop is called, or ctx ends (running tasks are
// resolved exception/worker-shutdown within the shutdown grace, 71).
// Errors starting up give 69.
func (w *Worker) Run(ctx context.Context) (ExitCode, error) {
	if w.cfg.EnableLiveLog {
		live, err := StartLiveLog(net.JoinHostPort("", strconv.Itoa(w.cfg.LiveLogExposePort)), w.liveLogHost(), w.logger)
		if err != nil {
			return ExitInternalError, err
		}
		w.live = live
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_ = live.Close(cctx)
		}()
	}
	stopShells, err := w.startInteractive()
	if err != nil {
		return ExitInternalError, err
	}
	defer stopShells()
	closeTunnels, err := w.exposeServers(ctx)
	if err != nil {
		return ExitInternalError, err
	}
	defer closeTunnels()
	w.logger.Info("worker started", "taskQueueId", w.cfg.TaskQueueID(), "workerGroup", w.cfg.WorkerGroup,
		"workerId", w.cfg.WorkerID, "capacity", w.cfg.Capacity)
	stopWatch := context.AfterFunc(ctx, func() {
		w.logger.Info("interrupted: resolving running tasks exception/worker-shutdown")
		w.stop(ExitWorkerStopped, true)
	})
	defer stopWatch()
	claimCtx, claimCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer claimCancel()
	w.mu.Lock()
	w.claimCancel = claimCancel
	if w.stopping { // stopped before Run
		time.AfterFunc(claimDrain, claimCancel)
	}
	w.mu.Unlock()
	var wg sync.WaitGroup
	defer w.removeStatus()
	code := w.claimLoop(claimCtx, &wg)
	w.drain(&wg)
	if code == ExitTasksComplete && w.opts.WorkerManager != nil && w.shouldTerminate(claimCtx) {
		code = ExitWorkerManagerShutdown
	}
	return code, nil
}

// drain waits for running tasks; once aborting, at most ShutdownGrace, then
// resolves what is left exception/worker-shutdown itself.
func (w *Worker) drain(wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		w.mu.Lock()
		abort := w.abortRuns
		w.mu.Unlock()
		if abort {
			break
		}
		select {
		case <-done:
			return
		case <-w.wake:
		}
	}
	select {
	case <-done:
		return
	case <-time.After(w.opts.ShutdownGrace):
	}
	w.mu.Lock()
	left := make([]*runState, 0, len(w.running))
	for _, rs := range w.running {
		left = append(left, rs)
	}
	w.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	var rwg sync.WaitGroup
	for _, rs := range left {
		w.logger.Warn("shutdown grace over: resolving run directly", "taskId", rs.claim.TaskID, "runId", rs.claim.RunID)
		rwg.Go(func() { rs.resolve(rctx, w, Exception("worker-shutdown")) })
	}
	rwg.Wait()
	cancel()
	w.hardCancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		w.logger.Error("tasks still running after shutdown; exiting anyway", "count", len(left))
	}
}

// claimLoop claims while there is capacity, until a stop condition.
func (w *Worker) claimLoop(ctx context.Context, wg *sync.WaitGroup) ExitCode {
	lastActive := w.opts.Now()
	idle := time.Duration(w.cfg.IdleTimeoutSecs) * time.Second
	for {
		w.mu.Lock()
		stopping, code, running := w.stopping, w.exitCode, len(w.running)
		want := w.cfg.Capacity - running
		if n := w.cfg.NumberOfTasksToRun; n > 0 {
			want = min(want, n-w.claimed)
			if w.claimed >= n && !stopping {
				stopping, code = true, ExitTasksComplete
				w.stopping, w.exitCode = true, code
			}
		}
		if running > 0 {
			lastActive = w.opts.Now()
		}
		w.mu.Unlock()
		if stopping {
			return code
		}
		// As generic-worker under worker-runner: ask on every loop, busy
		// or not; running tasks then finish.
		if w.opts.WorkerManager != nil && w.shouldTerminate(ctx) {
			w.logger.Info("worker-manager says to terminate; letting running tasks finish", "running", running)
			w.stop(ExitWorkerManagerShutdown, false)
			continue
		}
		if want > 0 {
			claims, err := w.opts.Queue.ClaimWork(ctx, w.credentials(), w.cfg.TaskQueueID(), ClaimWorkRequest{
				Tasks: min(want, 32), WorkerGroup: w.cfg.WorkerGroup, WorkerID: w.cfg.WorkerID})
			if err != nil && ctx.Err() == nil {
				// Not reported to worker-manager: the queue being briefly
				// unreachable is not a worker error.
				w.logger.Error("could not claim work", "err", err)
			}
			// Claims that arrive after a stop are the queue's grant all the
			// same: start runs them, or resolves them worker-shutdown.
			for _, c := range claims {
				w.start(c, wg)
			}
			if len(claims) > 0 {
				lastActive = w.opts.Now()
				continue
			}
		}
		if idle > 0 && running == 0 && w.opts.Now().Sub(lastActive) >= idle {
			w.logger.Info("worker idle; exiting", "idleFor", w.opts.Now().Sub(lastActive).String())
			return ExitIdleTimeout
		}
		timer := time.NewTimer(w.opts.ClaimInterval)
		select {
		case <-timer.C:
		case <-w.wake:
		}
		timer.Stop()
	}
}

func (w *Worker) start(c Claim, wg *sync.WaitGroup) {
	ctx, cancel := context.WithCancelCause(context.Background())
	rs := &runState{claim: c, creds: c.Credentials, takenUntil: c.TakenUntil, cancel: cancel}
	w.mu.Lock()
	w.claimed++
	used := map[int]bool{}
	for _, o := range w.running {
		used[o.slot] = true
	}
	for used[rs.slot] {
		rs.slot++
	}
	w.running[rs.key()] = rs
	w.writeStatus()
	if w.abortRuns {
		cancel(errWorkerShutdown)
	}
	w.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			w.mu.Lock()
			delete(w.running, rs.key())
			w.writeStatus()
			w.mu.Unlock()
			cancel(nil)
			w.poke()
		}()
		w.runTask(ctx, rs)
	}()
}

// TerminationAdvisor is workerManager.shouldWorkerTerminate.
type TerminationAdvisor interface {
	ShouldWorkerTerminate(ctx context.Context, creds Credentials, workerPoolID, workerGroup, workerID string) (bool, error)
}

// shouldTerminate asks worker-manager whether the worker should exit. When
// it cannot be asked the worker keeps running, as generic-worker.
func (w *Worker) shouldTerminate(ctx context.Context) bool {
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	term, err := w.opts.WorkerManager.ShouldWorkerTerminate(actx, w.credentials(), w.cfg.TaskQueueID(), w.cfg.WorkerGroup, w.cfg.WorkerID)
	if err != nil {
		if ctx.Err() == nil {
			w.logger.Warn("could not ask worker-manager whether to terminate; keeping running", "err", err)
		}
		return false
	}
	return term
}
