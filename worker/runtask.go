package worker

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// runState is the worker's book-keeping for one claimed run.
type runState struct {
	claim  Claim
	slot   int
	cancel context.CancelCauseFunc

	mu         sync.Mutex
	creds      Credentials
	takenUntil time.Time
	resolved   bool
}

func (rs *runState) key() string { return rs.claim.TaskID + "/" + strconv.Itoa(rs.claim.RunID) }

func (rs *runState) credentials() Credentials {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.creds
}

// resolve reports r once per run, whoever asks first (the task's goroutine,
// or the shutdown path when the grace is over).
func (rs *runState) resolve(ctx context.Context, w *Worker, r Resolution) {
	rs.mu.Lock()
	if rs.resolved {
		rs.mu.Unlock()
		return
	}
	rs.resolved = true
	rs.mu.Unlock()
	log := w.logger.With("taskId", rs.claim.TaskID, "runId", rs.claim.RunID)
	err := w.opts.Queue.Resolve(ctx, rs.credentials(), rs.claim.TaskID, rs.claim.RunID, r)
	var ae *APIError
	switch {
	case err == nil:
		log.Info("task resolved", "resolution", r.String())
	case errors.As(err, &ae) && ae.Status == 409 && ae.Attempts > 1:
		// An earlier attempt took effect but its response was lost.
		log.Info("task resolved (an earlier attempt's response was lost)", "resolution", r.String())
	default:
		log.Error("could not resolve task", "resolution", r.String(), "err", err)
		w.reportError("task-resolution", "could not resolve task "+rs.key(), err)
	}
}

// reclaimDelay: 3 minutes before takenUntil, or half the remaining time
// when the claim is shorter than 6 minutes.
func reclaimDelay(takenUntil, now time.Time) time.Duration {
	left := takenUntil.Sub(now)
	if left > 6*time.Minute {
		return left - 3*time.Minute
	}
	return max(left/2, 0)
}

// reclaimLoop keeps the claim alive until ctx ends. A reclaim the queue
// refuses means the run was resolved elsewhere (cancelled, expired): the
// task is cancelled with errClaimLost so the container is killed at once.
func (w *Worker) reclaimLoop(ctx context.Context, rs *runState) {
	log := w.logger.With("taskId", rs.claim.TaskID, "runId", rs.claim.RunID)
	for {
		rs.mu.Lock()
		until := rs.takenUntil
		rs.mu.Unlock()
		timer := time.NewTimer(reclaimDelay(until, w.opts.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		// The claim is ours until takenUntil and no longer: a reclaim still
		// retrying then (the queue unreachable) has lost it.
		rctx, cancel := context.WithDeadline(ctx, until)
		r, err := w.opts.Queue.ReclaimTask(rctx, rs.credentials(), rs.claim.TaskID, rs.claim.RunID)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			st := StatusOf(err)
			if (st >= 400 && st < 500) || !w.opts.Now().Before(until) {
				log.Warn("reclaim failed; aborting task", "err", err)
				rs.cancel(fmt.Errorf("%w: %w", errClaimLost, err))
				return
			}
			log.Warn("reclaim failed; will retry", "err", err)
			continue // retried at half the time left
		}
		rs.mu.Lock()
		rs.creds, rs.takenUntil = r.Credentials, r.TakenUntil
		rs.mu.Unlock()
		log.Debug("task reclaimed", "takenUntil", r.TakenUntil, "clientId", r.Credentials.ClientID)
	}
}

func token() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// runTask runs one claimed run from start to resolution.
func (w *Worker) runTask(ctx context.Context, rs *runState) {
	c := rs.claim
	log := w.logger.With("taskId", c.TaskID, "runId", c.RunID)
	log.Info("task claimed")
	go w.reclaimLoop(ctx, rs)
	// Uploads and the resolution outlive a cancelled task context, bounded
	// by the end of the shutdown grace.
	finish := context.WithoutCancel(ctx)
	finish, stopFinish := context.WithCancel(finish)
	defer stopFinish()
	defer context.AfterFunc(w.hardStop, stopFinish)()
	// A lost claim ends the uploads and the resolution too: the run is the
	// queue's again, and artifacts sent now would land on a run it resolved.
	defer context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), errClaimLost) {
			stopFinish()
		}
	})()

	dir := filepath.Join(w.cfg.TasksDir, c.TaskID+"-"+strconv.Itoa(c.RunID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Error("task directory", "err", err)
		w.reportError("task-setup", "cannot create task directory", err)
		rs.resolve(finish, w, Exception("internal-error"))
		return
	}
	if w.cfg.CleanUpTaskDirs {
		defer os.RemoveAll(dir)
	}
	tl, err := NewTaskLog(filepath.Join(dir, "live_backing.log"), w.opts.Now)
	if err != nil {
		log.Error("task log", "err", err)
		rs.resolve(finish, w, Exception("internal-error"))
		return
	}
	def, defErr := parseDefinition(c.Definition)
	arts := &Artifacts{queue: w.opts.Queue, creds: rs.credentials, taskID: c.TaskID, runID: c.RunID,
		tmpDir: dir, expires: def.Expires, client: w.opts.HTTPClient, retry: w.opts.Retry,
		hashes: map[string]string{}, names: map[string]bool{}}
	if w.cfg.CreateObjectArtifacts {
		arts.objects = w.opts.Objects
	}
	names := logNamesOf(def.Payload)
	live := ""
	if names.liveLog {
		live = w.publishLiveLog(finish, log, tl, arts, names.live, def.Expires)
	}
	if live != "" {
		defer w.live.Remove(live)
	}
	w.logHeader(tl, c.TaskID)
	started := w.opts.Now()
	var out Outcome
	switch {
	case defErr != nil:
		tl.Errorf("%v", defErr)
		out = Outcome{Resolution: Exception("malformed-payload")}
	case errors.Is(context.Cause(ctx), errWorkerShutdown):
		// Claimed as the worker stopped: not started at all.
		out = Outcome{Aborted: true}
	default:
		run := &TaskRun{TaskID: c.TaskID, RunID: c.RunID, Definition: c.Definition,
			Task: def, Log: tl, Artifacts: arts, Credentials: rs.credentials, Config: &w.cfg, Dir: dir, Slot: rs.slot,
			ExpandScopes: w.expandScopes(), Finish: finish, Devices: w.devices.forSlot(rs.slot), Interactive: w.shells}
		if w.purges != nil {
			run.PurgeRequests = w.purges.requests
		}
		out = w.execute(ctx, run)
	}
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errClaimLost):
		tl.Errorf("Aborting task: %v", cause)
		_ = tl.Close()
		log.Warn("task aborted: claim lost; not resolving", "cause", cause)
		rs.mu.Lock()
		rs.resolved = true // the queue resolved it
		rs.mu.Unlock()
		return
	case errors.Is(cause, errWorkerShutdown) && (out.Aborted || out.Resolution.State == ""):
		tl.Errorf("Aborting task: worker is shutting down")
		out.Resolution = Exception("worker-shutdown")
	case errors.Is(cause, errWorkerShutdown):
		log.Info("task ended by itself as the worker was shutting down; keeping its result", "resolution", out.Resolution.String())
	}
	if out.Resolution.State == "" {
		out.Resolution = Exception("internal-error")
	}
	log.Info("task finished", "resolution", out.Resolution.String(), "duration", w.opts.Now().Sub(started).Round(time.Millisecond).String())
	w.finishLogs(finish, log, tl, arts, rs, def, out, names, live != "")
	if cause := context.Cause(ctx); errors.Is(cause, errClaimLost) {
		log.Warn("claim lost while uploading; not resolving", "cause", cause)
		rs.mu.Lock()
		rs.resolved = true // the queue resolved it
		rs.mu.Unlock()
		return
	}
	rs.resolve(finish, w, out.Resolution)
}

// publishLiveLog serves tl live and points the live log artifact name at it,
// expiring at maxTaskRunTime + 15 minutes (as generic-worker). It returns
// the token, "" without a live-log server.
func (w *Worker) publishLiveLog(ctx context.Context, log *slog.Logger, tl *TaskLog, arts *Artifacts, name string, taskExpires time.Time) string {
	if w.live == nil {
		return ""
	}
	live := token()
	url := w.live.Add(live, tl)
	exp := taskExpires
	if d := w.opts.Now().Add(w.cfg.MaxRunTime() + 15*time.Minute); taskExpires.IsZero() || d.Before(exp) {
		exp = d
	}
	if err := arts.Reference(ctx, name, url, "text/plain; charset=utf-8", exp); err != nil {
		log.Warn("live log artifact", "err", err)
	}
	return live
}

func (w *Worker) logHeader(tl *TaskLog, taskID string) {
	meta := w.cfg.WorkerTypeMetadata
	var pretty []byte
	var v any
	if json.Unmarshal(meta, &v) == nil {
		pretty, _ = json.MarshalIndent(v, "  ", "  ")
	}
	tl.Infof("Worker Type (%s) settings:", w.cfg.TaskQueueID())
	tl.Infof("  %s", pretty)
	tl.Infof("Task ID: %s", taskID)
}

// finishLogs closes the log and uploads it under the names the payload
// chose (see logNames), then chain of trust.
func (w *Worker) finishLogs(ctx context.Context, log *slog.Logger, tl *TaskLog, arts *Artifacts, rs *runState, def TaskDefinition, out Outcome, names logNames, live bool) {
	if err := tl.Close(); err != nil {
		log.Error("task log", "err", err)
	}
	if names.liveLog {
		if err := arts.UploadFile(ctx, names.backing, tl.Path(), "text/plain; charset=utf-8", def.Expires); err != nil {
			log.Error("upload backing log", "err", err)
			return
		}
		if live {
			if err := arts.Link(ctx, names.live, names.backing, "text/plain; charset=utf-8", def.Expires); err != nil {
				log.Warn("re-point live log", "err", err)
			}
		}
	}
	if names.bulk {
		if err := arts.UploadFile(ctx, bulkLogName, tl.Path(), "text/plain; charset=utf-8", def.Expires); err != nil {
			log.Error("upload bulk log", "err", err)
			return
		}
	}
	if out.ChainOfTrust && w.cfg.EnableChainOfTrust && w.signer != nil {
		if err := w.chainOfTrust(ctx, tl, arts, rs, def, out); err != nil {
			log.Error("chain of trust", "err", err)
		}
	}
}

func (w *Worker) reportError(kind, title string, err error) {
	if w.opts.Protocol != nil {
		w.opts.Protocol.ErrorReport(kind, title, err.Error(), nil)
	}
}

// execute runs the executor, turning a panic into internal-error so one
// bad task cannot take the worker and its other tasks down.
func (w *Worker) execute(ctx context.Context, t *TaskRun) (out Outcome) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("executor panic: %v", r)
			w.logger.Error("task execution crashed", "taskId", t.TaskID, "err", err)
			w.reportError("worker-panic", "task execution crashed", err)
			t.Log.Errorf("worker internal error while running the task")
			out = Outcome{Resolution: Exception("internal-error")}
		}
	}()
	return w.opts.Executor.Execute(ctx, t)
}

// ScopeExpander is auth.expandScopes.
type ScopeExpander interface {
	ExpandScopes(ctx context.Context, creds Credentials, scopes []string) ([]string, error)
}

func (w *Worker) expandScopes() func(context.Context, []string) ([]string, error) {
	if w.opts.Auth == nil {
		return nil
	}
	return func(ctx context.Context, scopes []string) ([]string, error) {
		return w.opts.Auth.ExpandScopes(ctx, w.credentials(), scopes)
	}
}
