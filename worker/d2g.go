package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/translate"
)

// TranslateFunc turns a claimed task definition (docker-worker payload
// inside) into a plan. expand expands assume: scopes (nil: none). Problems
// with the task are a *translate.Error whose Reason becomes the exception
// reason; other errors are internal errors; warnings go to the task log.
type TranslateFunc func(task json.RawMessage, cfg translate.Config, expand func([]string) ([]string, error)) (*plan.Plan, []translate.Warning, error)

// D2GExecutor is the real Executor: docker-worker payload → plan →
// runner.Runner on a container Engine.
type D2GExecutor struct {
	Runner    *runner.Runner
	Translate TranslateFunc
	// Images fetches image artifacts with the run's credentials; nil
	// uses the queue (and index) at the worker's root URL.
	Images func(t *TaskRun) runner.ImageFetcher
	// Proxy serves the taskcluster proxy of runs that ask for it. Nil:
	// such tasks are resolved malformed-payload, as generic-worker does
	// when the feature is disabled.
	Proxy *TaskclusterProxy
}

// Execute implements Executor.
func (e *D2GExecutor) Execute(ctx context.Context, t *TaskRun) (out Outcome) {
	ran := false
	defer func() {
		// Stopped before the runner could run it (scope expansion, proxy).
		if !ran && ctx.Err() != nil {
			out.Aborted = true
		}
	}()
	cfg := t.Config
	// The one verdict (translate.DecodeTask), before anything else: a
	// payload that is not an object or has no image is named as such.
	if _, err := translate.DecodeTask(t.Definition); err != nil {
		return translateFailure(t, err)
	}
	if !cfg.D2GConfig.EnableD2G {
		t.Log.Errorf("docker worker payload detected, but D2G is not enabled on this worker pool (%s).\n"+
			"Set d2gConfig.enableD2G to true in the worker pool config to run docker-worker payloads.", cfg.TaskQueueID())
		return Outcome{Resolution: Exception("malformed-payload")}
	}
	p, warnings, err := e.Translate(t.Definition, cfg.D2GConfig, func(scopes []string) ([]string, error) {
		if t.ExpandScopes == nil || !hasAssume(scopes) {
			return scopes, nil
		}
		return t.ExpandScopes(ctx, scopes)
	})
	for _, w := range warnings {
		if w.Code.Concerns(translate.TargetPlan) { // not those about converted payloads alone
			t.Log.Warnf("[d2g] %s", w)
		}
	}
	if err != nil {
		return translateFailure(t, err)
	}
	if max := cfg.MaxRunTime(); p.MaxRunTime.Std() > max {
		t.Log.Errorf("task's maxRunTime of %s exceeded allowed maximum of %s (maxTaskRunTime in the worker config)",
			p.MaxRunTime.Std(), max)
		return Outcome{Resolution: Exception("malformed-payload")}
	}
	p.Limits = cfg.Limits()
	id := plan.Identity{
		TaskID: t.TaskID, RunID: t.RunID, TaskGroupID: t.Task.TaskGroupID, RootURL: cfg.RootURL,
		WorkerType: cfg.WorkerType, WorkerPool: cfg.TaskQueueID(), WorkerGroup: cfg.WorkerGroup,
		WorkerID: cfg.WorkerID, InstanceType: cfg.InstanceType, PublicIP: cfg.PublicIP,
		WorkerLocation: cfg.WorkerLocation,
	}
	if p.Features.TaskclusterProxy {
		if e.Proxy == nil || !cfg.EnableTaskclusterProxy {
			t.Log.Errorf("task requests the taskcluster proxy (features.taskclusterProxy), which this worker (%s) does not provide.\n"+
				"Remove features.taskclusterProxy, or run the task on a generic-worker pool with enableTaskclusterProxy.", cfg.TaskQueueID())
			return Outcome{Resolution: Exception("malformed-payload")}
		}
	}
	if p.Features.Interactive && (t.Interactive == nil || !cfg.EnableInteractive) {
		// As generic-worker (issue 6208).
		t.Log.Errorf("task requests an interactive shell (features.interactive), but this worker pool (%s) has enableInteractive off.\n"+
			"Remove features.interactive, or run the task on a worker pool with enableInteractive: true.", cfg.TaskQueueID())
		return Outcome{Resolution: Exception("malformed-payload")}
	}
	if o, ok := allocateDevices(t, p, &id); !ok {
		return o
	}
	task := &runner.Task{Plan: p, Identity: id, Key: t.TaskID + "-" + fmt.Sprint(t.RunID), WorkerID: cfg.WorkerID,
		IsolatedNetwork: p.Features.TaskclusterProxy}
	if p.Image.Kind == plan.ImageNamed && len(cfg.Registries) > 0 {
		task.RegistryAuth = RegistryAuth(cfg.Registries)
	}
	if p.Image.Kind != plan.ImageNamed {
		if e.Images != nil {
			task.Images = e.Images(t)
		} else {
			task.Images = queueImages(t)
		}
	}
	if e.Runner == nil {
		t.Log.Errorf("worker internal error: no task runner configured")
		return Outcome{Resolution: Exception("internal-error")}
	}
	if len(p.Caches) > 0 && t.PurgeRequests != nil {
		names := make(map[string]bool, len(p.Caches))
		for _, c := range p.Caches {
			names[c.Name] = true
		}
		applyPurges(ctx, t, e.Runner, names)
	}
	opts := runner.RunOptions{Log: t.Log, Artifacts: artifactSink{t.Artifacts}, Expires: t.Task.Expires, Finish: t.Finish}
	if task.IsolatedNetwork {
		var stop func()
		defer func() {
			if stop != nil {
				stop()
			}
		}()
		opts.BeforeStart = func(ctx context.Context, rt *runner.Task, n *runner.Network) (err error) {
			stop, err = e.startProxy(ctx, t, rt, n)
			return err
		}
	}
	if p.Features.Interactive {
		remove := e.publishInteractive(ctx, t, task)
		defer remove()
	}
	res, err := e.Runner.Run(ctx, task, opts)
	ran = true
	if err != nil && res.Resolution != runner.Completed {
		// Infrastructure details for the worker's own log are in err; the
		// runner already wrote the task-facing message.
		t.Log.Warnf("worker: %v", err)
	}
	out = Outcome{
		Resolution:   Resolution{State: string(res.Resolution), Reason: string(res.Reason)},
		ChainOfTrust: p.Features.ChainOfTrust,
		Aborted:      res.Cancelled,
	}
	if res.ImageID != "" {
		out.Environment = map[string]any{"imageHash": res.ImageID}
		if res.ImageArtifactHash != "" {
			// docker-worker: the sha256 of the artifact as downloaded,
			// for task-image and indexed-image (scriptworker checks it).
			out.Environment["imageArtifactHash"] = res.ImageArtifactHash
		}
	}
	return out
}

// publishInteractive opens the run's shell endpoint and publishes
// interactiveArtifact pointing the UI's shell page at it, expiring at
// maxRunTime + 15 minutes (as generic-worker). It returns what closes the
// endpoint (and its shells) when the run ends.
func (e *D2GExecutor) publishInteractive(ctx context.Context, t *TaskRun, task *runner.Task) func() {
	socket, remove := t.Interactive.Add(task)
	page := shellPageURL(t.Config.RootURL, socket, t.TaskID, t.RunID)
	exp := time.Now().Add(task.Plan.MaxRunTime.Std() + 15*time.Minute)
	if err := t.Artifacts.Reference(ctx, interactiveArtifact, page, "text/html; charset=utf-8", exp); err != nil {
		t.Log.Warnf("[interactive] could not upload the interactive artifact: %v", err)
	}
	return remove
}

// startProxy serves the taskcluster proxy of run t on the gateway of its
// own network n, admitting only that network's subnet, and points the
// container at it.
func (e *D2GExecutor) startProxy(ctx context.Context, t *TaskRun, rt *runner.Task, n *runner.Network) (func(), error) {
	if n == nil {
		return nil, errors.New("taskcluster proxy: the task has no network of its own")
	}
	_, subnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return nil, fmt.Errorf("taskcluster proxy: subnet of network %s: %w", n.Name, err)
	}
	url, host, stop, err := e.Proxy.Start(ctx, t, n.Gateway, subnet)
	if err != nil {
		return nil, err
	}
	rt.Identity.ProxyURL = url
	rt.Plan.ExtraHosts = append(rt.Plan.ExtraHosts, host)
	return stop, nil
}

// translateFailure writes every problem to the task log.
func translateFailure(t *TaskRun, err error) Outcome {
	var te *translate.Error
	if !errors.As(err, &te) {
		t.Log.Errorf("failed to convert docker worker payload: %v", err)
		return Outcome{Resolution: Exception("internal-error")}
	}
	reason := string(te.Reason)
	if reason == "" {
		reason = string(translate.MalformedPayload)
	}
	lines := make([]string, 0, len(te.Problems)+1)
	lines = append(lines, fmt.Sprintf("%s: the task cannot run (%d problem(s)):", reason, len(te.Problems)))
	for _, p := range te.Problems {
		lines = append(lines, "  "+p.String())
	}
	t.Log.Errorf("%s", strings.Join(lines, "\n"))
	return Outcome{Resolution: Exception(reason)}
}

// artifactSink adapts Artifacts to runner.ArtifactSink.
type artifactSink struct{ a *Artifacts }

func (s artifactSink) PutFile(ctx context.Context, name string, r io.Reader, size int64, expires time.Time) error {
	if size >= 0 {
		r = io.LimitReader(r, size)
	}
	return s.a.Upload(ctx, name, "", expires, r)
}

func (s artifactSink) PutError(ctx context.Context, name, reason, message string, expires time.Time) error {
	return s.a.Error(ctx, name, reason, message, expires)
}

func hasAssume(scopes []string) bool {
	for _, s := range scopes {
		if strings.HasPrefix(s, "assume:") {
			return true
		}
	}
	return false
}
