package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/translate"
)

// translateTask translates a claimed task definition into a plan.
func translateTask(task json.RawMessage, cfg translate.Config) (*plan.Plan, []translate.Warning, error) {
	return nil, nil, errors.New("translate not wired yet")
}

// newRunEngine connects to the Docker daemon for `dwshim run`.
func newRunEngine(ctx context.Context, logger *slog.Logger, workerID string) (runner.Engine, func(), error) {
	return nil, nil, errors.New("engine not wired yet")
}
