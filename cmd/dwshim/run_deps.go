package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
)

// newRunEngine connects to the Docker daemon for `dwshim run` and removes
// what an earlier run of this worker left behind (containers, per-task
// volumes and networks labelled with its worker id), as generic-worker
// sweeps stale task containers at start. pullAttempts 0 keeps
// docker-worker's 5.
func newRunEngine(ctx context.Context, logger *slog.Logger, workerID string, pullAttempts int, labels map[string]string) (runner.Engine, func(), error) {
	e, err := docker.New(docker.Options{Logger: logger, Pull: docker.RetryPolicy{Attempts: pullAttempts}, ExtraLabels: labels})
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
