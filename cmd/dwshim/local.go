package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dwshim/dwshim/internal/buildinfo"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/report"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/translate"
)

// Exit codes of dwshim local besides the task's own (see docs/local.md).
const (
	exitMalformed         = 100 // validation or translation failed
	exitImageNotFound     = 101
	exitEngineUnavailable = 102
	exitInternal          = 103
	exitMaxRunTime        = 104
	exitCancelled         = 130 // Ctrl-C / SIGTERM
)

func init() { subcommands = append(subcommands, newLocalCmd) }

// localFlags are dwshim local's flags.
type localFlags struct {
	Artifacts string
	ImageFile string
	RootURL   string
	Config    string
	DryRun    bool
	LogFile   string
	// Task and TaskIndex choose one task of a file with several.
	Task      string
	TaskIndex int
	// Shell is "" (no shell), "after" or "before" (--shell).
	Shell string
	// ShowEnv prints env values in --dry-run (masked otherwise: secrets).
	ShowEnv bool
	// Pull pulls a named image even when it is present (--pull).
	Pull bool
}

// localLabels are extra labels on everything dwshim local creates in
// Docker; tests set dwshim.test.
var localLabels map[string]string

// localImageRepo is where the engine tags loaded image artifacts; empty is
// the engine's default. Tests use their own so they can remove theirs.
var localImageRepo string

// localIO is where dwshim local reads and writes.
type localIO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Terminal is set when Stdout is a terminal: image loads draw a
	// progress bar on it.
	Terminal bool
	// StderrTerminal is set when Stderr is a terminal too: the summary
	// then leaves out the error the task log just showed.
	StderrTerminal bool
}

func newLocalCmd() *cobra.Command {
	var f localFlags
	cmd := &cobra.Command{
		Use:   "local [flags] TASK|TASKID|-",
		Short: "Run a docker-worker task on this machine's Docker",
		Long: `Run a docker-worker task definition or payload (JSON or YAML; "-" reads
standard input) on the local Docker daemon, as docker-worker would: the
task log goes to standard output, artifacts to a folder. A file with
several tasks (a task graph, JSON lines, {"tasks": [...]}) needs --task
or --task-index. A taskId fetches the task (and its latest run's ID) from
the queue of --root-url or TASKCLUSTER_ROOT_URL. The exit code is
the task's own exit code, or 100-104 for failures that are not the
task's (see docs/local.md).`,
		Example: `  dwshim local task.yml
  dwshim local --dry-run task.json
  dwshim local --task test-linux/opt full-task-graph.json
  dwshim local --image-file image.tar.zst --artifacts out task.json
  dwshim local --root-url https://tc.example.com fUbnMNH6Q5kStIRh2P_g1w
  dwshim local --shell task.yml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if f.RootURL == "" {
				f.RootURL = os.Getenv("TASKCLUSTER_ROOT_URL")
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			out := cmd.OutOrStdout()
			sio := localIO{Stdin: cmd.InOrStdin(), Stdout: out, Stderr: cmd.ErrOrStderr()}
			sio.Terminal = report.IsTerminal(out)
			sio.StderrTerminal = sio.Terminal && report.IsTerminal(sio.Stderr)
			code, err := runLocal(ctx, f, args[0], sio)
			if code == 0 && err == nil {
				return nil
			}
			return withCode(code, err)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Artifacts, "artifacts", "artifacts", "folder for the task's artifacts (artifact NAME is written to DIR/NAME)")
	fl.StringVar(&f.ImageFile, "image-file", "", "image tarball to use for a task-image or indexed-image")
	fl.StringVar(&f.RootURL, "root-url", "", "Taskcluster root URL to fetch a TASKID and task-image / indexed-image artifacts from (default $TASKCLUSTER_ROOT_URL)")
	fl.StringVar(&f.Task, "task", "", "run the task with this label (or taskId, or metadata.name) of a file with several")
	fl.IntVar(&f.TaskIndex, "task-index", -1, "run the task at this position (from 0) of a file with several")
	fl.StringVar(&f.Config, "config", "", "generic-worker config JSON whose d2gConfig gates capabilities (default: the offline d2g config)")
	fl.BoolVar(&f.DryRun, "dry-run", false, "print the execution plan as JSON and run nothing")
	fl.StringVar(&f.Shell, "shell", "", "open an interactive shell in the task's container: after the command ends (--shell), or instead of it (--shell=before)")
	fl.Lookup("shell").NoOptDefVal = shellAfter
	fl.BoolVar(&f.ShowEnv, "show-env", false, "with --dry-run, print env values (masked by default: they may hold secrets)")
	fl.StringVar(&f.LogFile, "log", "", "also write the task log to this file")
	fl.BoolVar(&f.Pull, "pull", false, "pull a named image even when it is present locally (a tag such as latest may have moved)")
	return cmd
}

// runLocal is dwshim local without cobra. It returns the process exit
// code, and an error to print when the failure is not the task's own.
func runLocal(ctx context.Context, f localFlags, name string, sio localIO) (int, error) {
	if err := checkShellFlag(f.Shell); err != nil {
		return 2, err
	}
	if f.Shell != "" && name == "-" {
		return 2, usageError{"--shell reads the terminal: give the task as a file or taskId, not on standard input"}
	}
	logger := slog.New(slog.NewTextHandler(sio.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var conn *engineConn
	if !f.DryRun {
		// The daemon is connected to while the task is read and translated.
		conn = dialLocalEngine(ctx, logger, localLabels, localPullPolicy(f.Pull), f.Shell == "")
		defer conn.release()
	}
	in, code, err := loadInput(f, name, sio.Stdin)
	if err != nil {
		return code, err
	}
	cfg, cfgWarns, err := loadD2GConfig(f.Config)
	if err != nil {
		return 1, err
	}
	for _, w := range cfgWarns {
		fmt.Fprintf(sio.Stderr, "dwshim: warning: %s\n", w)
	}
	cfg.ContainerName = func() string { return "taskcontainer_" + in.TaskID }
	p, warnings, err := translateLocal(in, cfg)
	for _, w := range warnings {
		fmt.Fprintf(sio.Stderr, "dwshim: warning: %s\n", w)
	}
	if err != nil {
		var te *translate.Error
		if errors.As(err, &te) && te.Reason == translate.InternalError {
			return exitInternal, err
		}
		return exitMalformed, problemsError(in.Name, err)
	}
	if f.DryRun {
		enc := json.NewEncoder(sio.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		shown := p
		if !f.ShowEnv {
			shown = maskEnv(p)
		}
		if err := enc.Encode(shown); err != nil {
			return 1, fmt.Errorf("write plan: %w", err)
		}
		return 0, nil
	}
	return runPlan(ctx, f, in, p, sio, conn, logger)
}

// maskEnv returns a copy of p whose env values are replaced by their size.
func maskEnv(p *plan.Plan) *plan.Plan {
	c := *p
	c.Env = make([]plan.EnvVar, len(p.Env))
	for i, e := range p.Env {
		c.Env[i] = plan.EnvVar{Name: e.Name, Value: fmt.Sprintf("<masked: %d bytes; --show-env prints it>", len(e.Value))}
	}
	return &c
}

// loadInput reads the task named on the command line: a file, standard
// input, or a taskId fetched from the queue. It returns the exit code for
// an error.
func loadInput(f localFlags, name string, stdin io.Reader) (*localInput, int, error) {
	if name != "-" && looksLikeTaskID(name) {
		if _, err := os.Stat(name); errors.Is(err, os.ErrNotExist) {
			if f.RootURL == "" {
				return nil, 2, usageError{fmt.Sprintf("%s is not a file; to run the task with this taskId, pass --root-url URL or set TASKCLUSTER_ROOT_URL", name)}
			}
			if f.Task != "" || f.TaskIndex >= 0 {
				return nil, 2, usageError{"--task and --task-index choose a task of a file, not of a taskId"}
			}
			in, err := fetchTask(f.RootURL, credentialsFromEnv(), name, cliRetry)
			if err != nil {
				return nil, 1, err
			}
			return in, 0, nil
		}
	}
	in, err := readInput(name, stdin, taskChoice{Label: f.Task, Index: f.TaskIndex})
	var ce *choiceError
	var mi *malformedInput
	switch {
	case err == nil:
		return in, 0, nil
	case errors.As(err, &ce):
		return nil, 2, usageError{ce.msg}
	case errors.As(err, &mi):
		return nil, exitMalformed, err
	}
	return nil, 1, err
}

// runPlan runs a translated task on the local Docker daemon.
func runPlan(ctx context.Context, f localFlags, in *localInput, p *plan.Plan, sio localIO, conn *engineConn, logger *slog.Logger) (int, error) {
	host, _ := os.Hostname()
	workerID := "local-" + host
	task := &runner.Task{
		Plan: p,
		Identity: plan.Identity{
			TaskID: in.TaskID, RunID: in.RunID, TaskGroupID: in.TaskGroupID, RootURL: f.RootURL,
			WorkerType: in.WorkerType, WorkerGroup: "local", WorkerID: workerID,
		},
		Key:      fmt.Sprintf("%s-%d-%s", in.TaskID, in.RunID, randomSuffix()),
		WorkerID: workerID,
		// The user's Docker credentials, as `docker pull` would use.
		RegistryAuth: dockerCredentials(dockerConfigPath()),
	}
	if in.ProvisionerID != "" {
		task.Identity.WorkerPool = in.ProvisionerID + "/" + in.WorkerType
	}
	var bar *termLines
	terminal := sio.Stdout // the shell (--shell) writes to the terminal itself
	if fh, ok := sio.Stdout.(*os.File); ok && sio.Terminal {
		// The task log and the progress bars share the terminal.
		bar = newTermLines(fh)
		sio.Stdout = bar
	}
	images, err := imageFetcher(f, p.Image, sio, bar)
	if err != nil {
		return 2, err
	}
	task.Images = images
	beforeStart, stopProxy := setupProxy(f, in, task, sio.Stderr)
	defer stopProxy()

	logOut := sio.Stdout
	if f.LogFile != "" {
		lf, err := os.Create(f.LogFile)
		if err != nil {
			return 1, fmt.Errorf("create log file: %w", err)
		}
		defer lf.Close()
		logOut = io.MultiWriter(sio.Stdout, lf)
	}
	sink, err := runner.NewDirSink(f.Artifacts)
	if err != nil {
		return 1, err
	}
	defer sink.Close()

	engine, closeEngine, err := conn.take(ctx, logger)
	if err != nil {
		if errors.Is(err, runner.ErrEngineUnavailable) {
			return exitEngineUnavailable, err
		}
		return exitInternal, err
	}
	defer closeEngine()
	var eng runner.Engine = engine
	if f.Shell != "" {
		eng = &shellEngine{Engine: engine, ctx: ctx, mode: f.Shell, busybox: findBusybox(), in: sio.Stdin, out: terminal, errOut: sio.Stderr}
	}
	r, err := runner.New(runner.Config{
		Engine: eng, Logger: logger,
		Worker: runner.WorkerInfo{
			WorkerID: workerID, WorkerGroup: "local", WorkerNodeType: "local",
			WorkerPool: task.Identity.WorkerPool, WorkerVersion: buildinfo.String(), Hostname: host,
		},
	})
	if err != nil {
		return exitInternal, err
	}
	res, err := r.Run(ctx, task, runner.RunOptions{Log: logOut, Artifacts: sink, Expires: in.Expires, BeforeStart: beforeStart})
	summarize(sio.Stderr, in.TaskID, res, f.Artifacts, !sio.StderrTerminal)
	code := exitCodeFor(res, err)
	// The task log and summary already said why the run failed; only
	// other problems (cleanup) are logged.
	if err != nil && err.Error() != res.Message {
		logger.Warn("task run had infrastructure errors", "err", err)
	}
	return code, nil
}

// exitCodeFor maps a run to dwshim local's exit code.
func exitCodeFor(res *runner.Result, err error) int {
	switch {
	case res.Cancelled:
		return exitCancelled
	case res.TimedOut:
		return exitMaxRunTime
	case res.Resolution == runner.Completed:
		return 0
	case res.ExitCode > 0 && (res.Reason == runner.ReasonFailed || res.Reason == runner.ReasonIntermittentTask):
		return res.ExitCode
	case errors.Is(err, runner.ErrImageNotFound), errors.Is(err, runner.ErrImageUnavailable):
		return exitImageNotFound
	case errors.Is(err, runner.ErrEngineUnavailable):
		return exitEngineUnavailable
	case res.Reason == runner.ReasonMalformedPayload:
		return exitMalformed
	}
	return exitInternal
}

// summarize prints one line about the run, and the error artifacts. The
// line ends with the run's error message when withMessage is set (the task
// log on a terminal has just shown it otherwise).
func summarize(w io.Writer, taskID string, res *runner.Result, dir string, withMessage bool) {
	files := 0
	for _, a := range res.Artifacts {
		if a.Kind == "error" {
			fmt.Fprintf(w, "dwshim: artifact %s: %s: %s\n", a.Name, a.Reason, a.Message)
		} else {
			files++
		}
	}
	msg := ""
	if withMessage && res.Message != "" && res.Resolution != runner.Completed {
		msg = ": " + res.Message
	}
	fmt.Fprintf(w, "dwshim: task %s %s/%s, exit code %d, %d artifact files in %s, %s%s\n",
		taskID, res.Resolution, res.Reason, res.ExitCode, files, dir, res.Duration.Round(time.Millisecond), msg)
}

// imageFetcher picks where image artifacts come from.
func imageFetcher(f localFlags, img plan.Image, sio localIO, bar *termLines) (runner.ImageFetcher, error) {
	var progress, download func(io.ReadCloser, int64) io.ReadCloser
	if bar != nil {
		progress = newProgress(bar, "Loading image", time.Now)
		download = newProgress(bar, "Downloading image", time.Now)
	}
	switch {
	case img.Kind == plan.ImageNamed:
		return nil, nil
	case f.ImageFile != "":
		return &fileImages{path: f.ImageFile, progress: progress}, nil
	case f.RootURL != "":
		return &tcImages{
			rootURL: f.RootURL, creds: credentialsFromEnv(), cacheDir: defaultImageCache(), progress: progress, dlProgress: download, maxCache: imageCacheBound(),
			logf: func(format string, args ...any) { fmt.Fprintf(sio.Stderr, "dwshim: "+format+"\n", args...) },
		}, nil
	}
	return nil, usageError{fmt.Sprintf("the task's image is a %s: pass --image-file FILE, or --root-url URL to fetch it", img)}
}

// loadD2GConfig is poolD2GConfig for local, which always runs the task
// through d2g, so enableD2G is set.
func loadD2GConfig(file string) (translate.Config, []string, error) {
	cfg, warns, err := poolD2GConfig(file)
	cfg.EnableD2G = true
	return cfg, warns, err
}

// problemsError lists a translation error's problems one per line.
func problemsError(name string, err error) error {
	if name == "-" {
		name = "standard input"
	}
	var te *translate.Error
	if !errors.As(err, &te) || len(te.Problems) == 0 {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s:", name, te.Reason)
	for _, p := range te.Problems {
		b.WriteString("\n  " + p.String())
	}
	return errors.New(b.String())
}
