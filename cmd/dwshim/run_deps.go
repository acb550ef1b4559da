package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/dwshim/dwshim/runner"
)

// newRunEngine connects to the Docker daemon for `dwshim run`.
func newRunEngine(ctx context.Context, logger *slog.Logger, workerID string) (runner.Engine, func(), error) {
	return nil, nil, errors.New("engine not wired yet")
}
