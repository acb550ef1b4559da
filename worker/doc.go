// Package worker is dwshim's drop-in for generic-worker with d2g: it reads
// generic-worker's config file (through package gwconfig), speaks the
// worker-runner protocol, claims tasks from the Taskcluster queue, runs each
// through an Executor (the translate + runner glue), keeps the claim alive,
// uploads logs, artifacts and chain-of-trust certificates, and resolves
// every run exactly once.
//
// Data flow: the queue's task definition → D2GExecutor (translate.Verdict
// and TranslateTask, then runner.Runner on the Engine) → the resolution,
// decided in one place from the typed facts the runner returns. Entry
// points: LoadConfig, New, (*Worker).Run; NewTCQueue implements the small,
// context-first Queue interface defined here with client-go.
//
// It does not decode or validate payloads itself (translate does), never
// imports the Docker SDK (runner/docker does), and knows no flags: cmd/dwshim
// turns flags into Options.
package worker
