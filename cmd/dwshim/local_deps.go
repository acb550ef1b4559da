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

// translateLocal validates and translates the input into a plan. Schema
// problems and translation errors are a *translate.Error.
func translateLocal(in *localInput, cfg translate.Config) (*plan.Plan, []string, error) {
	var res *translate.Result
	if in.IsTask {
		tr, err := translate.TranslateTask(in.JSON, cfg, translate.TaskOptions{})
		if err != nil {
			return nil, nil, err
		}
		res = &tr.Result
	} else {
		p, err := translate.DecodePayload(in.JSON)
		if err != nil {
			return nil, nil, err
		}
		if res, err = translate.TranslatePayload(p, cfg); err != nil {
			return nil, nil, err
		}
	}
	warnings := make([]string, len(res.Warnings))
	for i, w := range res.Warnings {
		warnings[i] = w.String()
	}
	return res.Plan, warnings, nil
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
