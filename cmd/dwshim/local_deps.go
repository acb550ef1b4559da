package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/translate"
)

// translateLocal validates and translates the input into a plan.
func translateLocal(in *localInput, cfg translate.Config) (*plan.Plan, []string, error) {
	return nil, nil, errors.New("translate not wired yet")
}

// newLocalEngine connects to the local Docker daemon.
func newLocalEngine(logger *slog.Logger, workerID string) (runner.Engine, func(), error) {
	return nil, nil, errors.New("engine not wired yet")
}

func randomSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
