package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Executor runs one claimed task run. Implementations decode and translate
// the payload, run it, write its output to t.Log and upload its artifacts
// through t.Artifacts.
//
// Contract: Execute returns when the task is over. When ctx is cancelled
// (claim lost, worker shutdown) it stops the container at once, skips
// artifact collection, and returns promptly; the worker then overrides
// the resolution. Execute is called concurrently for different runs (up to
// capacity) and must not resolve the task itself.
type Executor interface {
	Execute(ctx context.Context, t *TaskRun) Outcome
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, t *TaskRun) Outcome

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, t *TaskRun) Outcome { return f(ctx, t) }

// Outcome is how an execution ended.
type Outcome struct {
	Resolution Resolution
	// ChainOfTrust: the task asked for (and was allowed) chain of trust.
	ChainOfTrust bool
	// Environment is merged under the certificate's environment (the
	// worker's keys win), e.g. {"imageHash": "sha256:…"}.
	Environment map[string]any
	// Aborted: the run was cut short because ctx ended (the container was
	// killed, or never started). The worker then resolves it as the
	// cancellation says (exception/worker-shutdown); a run that ended by
	// itself just before keeps its Resolution.
	Aborted bool
}

// TaskRun is one claimed run, as the Executor sees it.
type TaskRun struct {
	TaskID string
	RunID  int
	// Definition is the task definition exactly as claimed.
	Definition json.RawMessage
	Task       TaskDefinition
	Log        *TaskLog
	Artifacts  *Artifacts
	// Credentials returns the run's current temporary credentials (they
	// change on reclaim).
	Credentials func() Credentials
	Config      *Config
	// Dir is a scratch directory for this run, removed afterwards.
	Dir string
	// ExpandScopes expands assume: scopes with the worker's credentials
	// (auth.expandScopes, as generic-worker); nil when unavailable.
	ExpandScopes func(ctx context.Context, scopes []string) ([]string, error)
	// PurgeRequests returns the worker pool's purge-cache requests (see
	// purgePoller); nil when the worker has no purge-cache service.
	PurgeRequests func(ctx context.Context) ([]PurgeRequest, error)
	// Devices are the slot's loopback devices (see devices.go).
	Devices SlotDevices
	// Slot is the run's slot, 0 ≤ Slot < capacity, unique among running
	// runs: slot n uses the n-th loopback devices.
	Slot int
	// Finish outlives the Execute context: it is for uploading what a run
	// that ended by itself produced, even when a shutdown cancels ctx just
	// then. It ends when the worker's shutdown grace is over.
	Finish context.Context
	// Interactive serves the run's shell when it asks for one
	// (features.interactive) and the worker has enableInteractive; nil
	// otherwise.
	Interactive *InteractiveServer
}

// TaskDefinition is the part of a task definition the worker reads.
type TaskDefinition struct {
	TaskGroupID   string          `json:"taskGroupId"`
	SchedulerID   string          `json:"schedulerId"`
	ProjectID     string          `json:"projectId"`
	ProvisionerID string          `json:"provisionerId"`
	WorkerType    string          `json:"workerType"`
	TaskQueueID   string          `json:"taskQueueId"`
	Deadline      time.Time       `json:"deadline"`
	Expires       time.Time       `json:"expires"`
	Scopes        []string        `json:"scopes"`
	Dependencies  []string        `json:"dependencies"`
	Payload       json.RawMessage `json:"payload"`
}

func parseDefinition(raw json.RawMessage) (TaskDefinition, error) {
	var d TaskDefinition
	if err := json.Unmarshal(raw, &d); err != nil {
		return TaskDefinition{}, fmt.Errorf("task definition: %w", err)
	}
	return d, nil
}
