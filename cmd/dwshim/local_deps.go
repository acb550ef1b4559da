package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
	"github.com/dwshim/dwshim/translate"
)

// translateLocal decodes the input (translate's one verdict) and
// translates it into a plan, with the warnings about the plan (local runs
// no converted payload). Problems are a *translate.Error.
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
		if err := translate.Verdict(p, cfg, nil, ""); err != nil {
			return nil, nil, err
		}
		if res, err = translate.TranslatePayload(p, cfg); err != nil {
			return nil, nil, err
		}
	}
	var warnings []string
	for _, w := range res.Warnings {
		if w.Code.Concerns(translate.TargetPlan) { // not those about the d2g or native payload alone
			warnings = append(warnings, w.String())
		}
	}
	return res.Plan, warnings, nil
}

// newLocalEngine connects to the local Docker daemon; an unreachable
// daemon is runner.ErrEngineUnavailable. Everything the engine creates is
// labelled with this process (labelLocalOwner), and what killed runs left
// is removed in the background while this one runs.
func newLocalEngine(ctx context.Context, logger *slog.Logger, labels map[string]string, pull docker.PullPolicy, autoRemove bool) (*docker.Engine, func(), error) {
	labels = maps.Clone(labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[labelLocalOwner] = localOwner()
	// One pull attempt: a local run should not wait minutes for an
	// unreachable registry when the image is already here (the engine then
	// uses the local copy, saying so in the log).
	e, err := docker.New(docker.Options{Logger: logger, ExtraLabels: labels, Pull: docker.RetryPolicy{Attempts: 1}, ImageRepo: localImageRepo,
		RecordsDir: localImageRecords(), PullPolicy: pull, AutoRemove: autoRemove})
	if err != nil {
		return nil, nil, fmt.Errorf("connect to docker: %w: %w", runner.ErrEngineUnavailable, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := e.Ping(pctx); err != nil {
		e.Close()
		return nil, nil, fmt.Errorf("%w (is the Docker daemon running?): %w", runner.ErrEngineUnavailable, err)
	}
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		if err := e.SweepOrphans(ctx, labelLocalOwner, ownerGone); err != nil {
			logger.Warn("could not remove what an earlier, killed dwshim local left", "err", err)
		}
	}()
	return e, func() { <-swept; e.Close() }, nil
}

func randomSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
