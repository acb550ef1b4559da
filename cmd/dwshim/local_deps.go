package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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

// engineConn is the connection to the local Docker daemon, made (and
// its API version negotiated by a ping) while the task is read and
// translated: dialLocalEngine starts it, take waits for it, release ends
// it when the run never took it. An unreachable daemon is
// runner.ErrEngineUnavailable. Everything the engine creates is labelled
// with this process (labelLocalOwner), and what killed runs left is removed
// in the background while this one runs (take starts that).
type engineConn struct {
	done   chan struct{} // closed once e and err are set
	cancel context.CancelFunc
	e      *docker.Engine
	err    error
	taken  bool
}

func dialLocalEngine(ctx context.Context, logger *slog.Logger, labels map[string]string, pull docker.PullPolicy, autoRemove bool) *engineConn {
	labels = maps.Clone(labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[labelLocalOwner] = localOwner()
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	c := &engineConn{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		defer cancel()
		// One pull attempt: a local run should not wait minutes for an
		// unreachable registry when the image is already here (the engine
		// then uses the local copy, saying so in the log).
		e, err := docker.New(docker.Options{Logger: logger, ExtraLabels: labels, Pull: docker.RetryPolicy{Attempts: 1}, ImageRepo: localImageRepo,
			RecordsDir: localImageRecords(), PullPolicy: pull, AutoRemove: autoRemove})
		if err != nil {
			c.err = fmt.Errorf("connect to docker: %w: %w", runner.ErrEngineUnavailable, err)
			return
		}
		if err := e.Ping(pctx); err != nil {
			e.Close()
			if !errors.Is(err, runner.ErrEngineUnavailable) {
				err = fmt.Errorf("%w: %w", runner.ErrEngineUnavailable, err)
			}
			// Said once: the ping's error already names the sentinel.
			c.err = fmt.Errorf("cannot reach the Docker daemon (is the Docker daemon running?): %w", err)
			return
		}
		c.e = e
	}()
	return c
}

// take waits for the connection and starts the sweep of what killed runs
// left; the function it returns waits for the sweep and closes the
// connection.
func (c *engineConn) take(ctx context.Context, logger *slog.Logger) (*docker.Engine, func(), error) {
	<-c.done
	if c.err != nil {
		return nil, nil, c.err
	}
	c.taken = true
	e := c.e
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		if err := e.SweepOrphans(ctx, labelLocalOwner, ownerGone); err != nil {
			logger.Warn("could not remove what an earlier, killed dwshim local left", "err", err)
		}
	}()
	return e, func() { <-swept; e.Close() }, nil
}

// release ends a connection the run did not take (the task was
// malformed, or failed before it needed the engine).
func (c *engineConn) release() {
	if c == nil || c.taken {
		return
	}
	c.cancel()
	<-c.done
	if c.e != nil {
		c.e.Close()
	}
}

func randomSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
