package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dwshim/dwshim/internal/buildinfo"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/translate"
	"github.com/dwshim/dwshim/worker"
)

// runFlags are the flags of `dwshim run`, generic-worker's own.
type runFlags struct {
	config           string
	withWorkerRunner bool
	protocolPipe     string
	// claimInterval overrides the pause after an empty claimWork (tests).
	claimInterval time.Duration
	// pullAttempts overrides the engine's image pull attempts (tests: 1).
	pullAttempts int
	// labels are added to every Docker object (tests: dwshim.test=<name>).
	labels map[string]string
	// hostShutdown shuts the host down when worker-runner cannot be asked
	// to (default: `shutdown -h now`, as generic-worker).
	hostShutdown func(reason string) error
}

// runTestFlags, set only by tests that run the test binary as dwshim under
// the real worker-runner, supply the test-only fields of runFlags.
var runTestFlags runFlags

func init() {
	subcommands = append(subcommands, newRunCmd)
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run --config FILE [--with-worker-runner]",
		Short: "Run as a drop-in for generic-worker with d2g: claim and run docker-worker tasks",
		Long: "Reads a generic-worker JSON config, claims tasks from the Taskcluster queue and runs their\n" +
			"docker-worker payloads in Docker. worker-runner starts it as\n" +
			"  <path> run --config <configPath> --with-worker-runner\n" +
			"Exit codes are generic-worker's: 0 numberOfTasksToRun done, 64 config unreadable, 68 idle,\n" +
			"69 internal error, 70 worker-manager said to terminate, 71 SIGINT (running tasks finished),\n" +
			"72 graceful termination, SIGTERM or worker-runner gone (running tasks resolved\n" +
			"exception/worker-shutdown), 73 invalid config. See docs/worker.md.",
		Example: "  dwshim run --config /etc/generic-worker.json --with-worker-runner\n" +
			"  dwshim run --config generic-worker.json   # standalone, until numberOfTasksToRun or idle",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.config == "" {
				return usageError{"run: --config FILE is required"}
			}
			if f.protocolPipe != "" {
				return withCode(int(worker.ExitCantLoadConfig), errors.New("run: --worker-runner-protocol-pipe is Windows-only; use --with-worker-runner"))
			}
			// A vanished worker-runner must not kill the worker mid-task:
			// writes to a closed stdout/stderr return EPIPE instead.
			signal.Ignore(syscall.SIGPIPE)
			f.claimInterval, f.pullAttempts, f.labels = runTestFlags.claimInterval, runTestFlags.pullAttempts, runTestFlags.labels
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			code, err := runWorker(cmd.Context(), f, os.Stdin, os.Stdout, os.Stderr, sigs)
			if code == worker.ExitTasksComplete && err == nil {
				return nil
			}
			return withCode(int(code), err)
		},
	}
	cmd.Flags().StringVar(&f.config, "config", "", "generic-worker JSON config file (worker-runner writes it)")
	cmd.Flags().BoolVar(&f.withWorkerRunner, "with-worker-runner", false, "speak the worker-runner protocol on stdin/stdout")
	cmd.Flags().StringVar(&f.protocolPipe, "worker-runner-protocol-pipe", "", "Windows named pipe for the protocol (not supported)")
	return cmd
}

// lateWorker lets worker-runner messages and signals that arrive before
// the worker exists be applied once it does.
type lateWorker struct {
	mu    sync.Mutex
	w     *worker.Worker
	creds *worker.Credentials
	stops []stopRequest
}

type stopRequest struct {
	code  worker.ExitCode
	abort bool
}

func (l *lateWorker) newCredentials(c worker.Credentials) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		l.w.SetCredentials(c)
		return
	}
	l.creds = &c
}

func (l *lateWorker) gracefulTermination(finish bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		l.w.Terminate(finish)
		return
	}
	l.stops = append(l.stops, stopRequest{worker.ExitWorkerShutdown, !finish})
}

func (l *lateWorker) stop(code worker.ExitCode, abort bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		l.w.Stop(code, abort)
		return
	}
	l.stops = append(l.stops, stopRequest{code, abort})
}

func (l *lateWorker) set(w *worker.Worker) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = w
	if l.creds != nil {
		w.SetCredentials(*l.creds)
	}
	for _, s := range l.stops {
		w.Stop(s.code, s.abort)
	}
}

// handleSignals turns signals into stops, as generic-worker: SIGINT lets
// running tasks finish (71; a second SIGINT aborts them); SIGTERM is a
// graceful termination without time to finish (72).
func handleSignals(sigs <-chan os.Signal, late *lateWorker, logger *slog.Logger, cancelStartup context.CancelFunc) {
	interrupts := 0
	for sig := range sigs {
		switch sig {
		case syscall.SIGTERM:
			logger.Info("SIGTERM: resolving running tasks exception/worker-shutdown and exiting")
			late.stop(worker.ExitWorkerShutdown, true)
		default:
			interrupts++
			if interrupts == 1 {
				logger.Info("interrupt: claiming no more; running tasks finish (interrupt again to abort them)")
				late.stop(worker.ExitWorkerStopped, false)
				continue
			}
			logger.Info("second interrupt: resolving running tasks exception/worker-shutdown")
			late.stop(worker.ExitWorkerStopped, true)
		}
		cancelStartup()
	}
}

// runWorker is `dwshim run` without cobra: it returns the exit code and,
// for non-zero codes, why. sigs (may be nil) delivers SIGINT and SIGTERM.
func runWorker(ctx context.Context, f runFlags, stdin io.Reader, stdout, stderr io.Writer, sigs <-chan os.Signal) (code worker.ExitCode, err error) {
	var logOut io.Writer = stderr
	var proto *worker.Protocol
	late := &lateWorker{}
	runnerGone := make(chan struct{})
	if f.withWorkerRunner {
		proto = worker.StartProtocol(stdin, stdout, stderr, worker.ProtocolHandlers{
			GracefulTermination: late.gracefulTermination,
			NewCredentials:      late.newCredentials,
			RunnerGone:          func() { close(runnerGone) },
		})
		logOut = proto.LogWriter()
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if f.withWorkerRunner {
		go func() {
			<-runnerGone
			logger.Warn("worker-runner is gone (protocol stream closed): resolving running tasks exception/worker-shutdown and exiting")
			late.stop(worker.ExitWorkerShutdown, true)
		}()
	}
	// client-go's retry library logs through the standard logger; route it
	// to the worker log (and so to worker-runner), never to stdout.
	prevOut, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(stdLogBridge{logger})
	log.SetFlags(0)
	defer func() { log.SetOutput(prevOut); log.SetFlags(prevFlags) }()
	// Startup (connecting to Docker) ends early on a signal; the worker
	// itself is stopped through late.
	ctx, cancelStartup := context.WithCancel(ctx)
	defer cancelStartup()
	if sigs != nil {
		go handleSignals(sigs, late, logger, cancelStartup)
	}
	cfg, err := worker.LoadConfig(f.config)
	if err != nil {
		logger.Error("cannot use config", "err", err)
		var ce *worker.ConfigError
		if errors.As(err, &ce) {
			return ce.Code, err
		}
		return worker.ExitCantLoadConfig, err
	}
	if u := cfg.Unknown(); len(u) > 0 {
		logger.Info("ignoring config keys dwshim does not read", "keys", strings.Join(u, ","))
	}
	if cfg.D2GConfig, err = hostD2GConfig(cfg.D2GConfig); err != nil {
		logger.Error("cannot use config", "err", err)
		return worker.ExitInvalidConfig, err
	}
	defer func() { exitActions(cfg, f, proto, logger, code) }()
	fail := func(title string, err error) (worker.ExitCode, error) {
		logger.Error(title, "err", err)
		if proto != nil {
			proto.ErrorReport("worker-error", title, err.Error(), nil)
		}
		return worker.ExitInternalError, fmt.Errorf("%s: %w", title, err)
	}
	engine, closeEngine, err := newRunEngine(ctx, logger, cfg, f.pullAttempts, f.labels)
	if err != nil {
		return fail("cannot reach the container engine", err)
	}
	defer closeEngine()
	rn, err := runner.New(runner.Config{Engine: engine, Logger: logger, Worker: runner.WorkerInfo{
		WorkerID: cfg.WorkerID, WorkerGroup: cfg.WorkerGroup, WorkerNodeType: cfg.InstanceType,
		WorkerPool: cfg.TaskQueueID(), WorkerVersion: buildinfo.String(), PublicIP: cfg.PublicIP,
	}})
	if err != nil {
		return fail("cannot set up the runner", err)
	}
	exec := &worker.D2GExecutor{Runner: rn, Translate: translateTask}
	if cfg.EnableTaskclusterProxy {
		// Each proxied task gets its own network; the proxy listens on its gateway.
		exec.Proxy = &worker.TaskclusterProxy{Port: cfg.TaskclusterProxyPort, Logger: logger}
	}
	q := worker.NewTCQueue(cfg.RootURL, worker.DefaultRetryPolicy())
	opts := worker.Options{
		Queue: q, Objects: q, Auth: q, PurgeCache: q, Logger: logger, Protocol: proto, Executor: exec,
		ClaimInterval: f.claimInterval, StatusPath: worker.DefaultStatusPath(),
	}
	if sh, ok := engine.(runner.Shells); ok && cfg.EnableInteractive {
		opts.Shells, opts.Busybox = sh, findBusybox()
	}
	if f.withWorkerRunner {
		// As generic-worker: worker-manager is asked only under worker-runner.
		opts.WorkerManager = q
	}
	w, err := worker.New(cfg, opts)
	if err != nil {
		var ce *worker.ConfigError
		if errors.As(err, &ce) {
			logger.Error("invalid config", "err", err)
			return ce.Code, err
		}
		return fail("cannot start the worker", err)
	}
	late.set(w)
	code, err = w.Run(context.WithoutCancel(ctx))
	if err != nil {
		return fail("worker failed", err)
	}
	logger.Info("worker exiting", "exitCode", int(code))
	return code, nil
}

// exitActions does what generic-worker does on its way out: on exit 70,
// and on 68 / 69 when shutdownMachineOnIdle / shutdownMachineOnInternalError
// is set, it asks worker-runner to remove the worker (the protocol's
// shutdown), or without worker-runner shuts the host down.
func exitActions(cfg worker.Config, f runFlags, proto *worker.Protocol, logger *slog.Logger, code worker.ExitCode) {
	var reason string
	switch {
	case code == worker.ExitWorkerManagerShutdown:
		reason = "worker-manager requested termination"
	case code == worker.ExitIdleTimeout && cfg.ShutdownMachineOnIdle:
		reason = "idle timeout (shutdownMachineOnIdle)"
	case code == worker.ExitInternalError && cfg.ShutdownMachineOnInternalError:
		reason = "internal error (shutdownMachineOnInternalError)"
	default:
		return
	}
	// Sent only after the handshake (generic-worker waits for it too);
	// a runner that never completes it gets the host shutdown.
	if proto != nil && proto.AwaitInitialized(5*time.Second) && proto.Shutdown() {
		logger.Info("asked worker-runner to shut the worker down", "reason", reason)
		return
	}
	logger.Warn("shutting the host down", "reason", reason)
	shutdown := f.hostShutdown
	if shutdown == nil {
		shutdown = func(string) error { return exec.Command("shutdown", "-h", "now").Run() }
	}
	if err := shutdown(reason); err != nil {
		logger.Error("could not shut the host down", "err", err)
	}
}

// translateTask is the worker's TranslateFunc: the whole task definition,
// with assume: scopes expanded by the auth service.
func translateTask(task json.RawMessage, cfg translate.Config, expand func([]string) ([]string, error)) (*plan.Plan, []translate.Warning, error) {
	r, err := translate.TranslateTask(task, cfg, translate.TaskOptions{ExpandScopes: expand})
	if err != nil {
		return nil, nil, err
	}
	return r.Plan, r.Warnings, nil
}

// stdLogBridge turns standard-library log lines into one slog record each.
type stdLogBridge struct{ logger *slog.Logger }

func (b stdLogBridge) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if first, rest, multi := strings.Cut(msg, "\n"); multi {
		b.logger.Warn(first, "detail", rest)
	} else {
		b.logger.Warn(msg)
	}
	return len(p), nil
}
