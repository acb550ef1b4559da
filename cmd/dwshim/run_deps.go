package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
	"github.com/dwshim/dwshim/worker"
)

// newRunEngine connects to the Docker daemon for `dwshim run` and removes
// what an earlier run of this worker left behind (containers, per-task
// volumes and networks labelled with its worker id), as generic-worker
// sweeps stale task containers at start. pullAttempts 0 keeps
// docker-worker's 5. The image options come from cfg (engine_config.go).
func newRunEngine(ctx context.Context, logger *slog.Logger, cfg worker.Config, pullAttempts int, labels map[string]string) (runner.Engine, func(), error) {
	opts := workerEngineOptions(cfg)
	opts.Logger, opts.Pull.Attempts, opts.ExtraLabels = logger, pullAttempts, labels
	workerID := cfg.WorkerID
	e, err := docker.New(opts)
	if err != nil {
		return nil, nil, err
	}
	if err := e.Ping(ctx); err != nil {
		_ = e.Close()
		return nil, nil, fmt.Errorf("docker daemon: %w", err)
	}
	if err := e.Sweep(ctx, workerID); err != nil {
		logger.Warn("could not remove leftovers of an earlier run", "err", err)
	}
	return e, func() { _ = e.Close() }, nil
}
