// Package lint checks docker-worker tasks before they run: schema validity,
// fields removed upstream, what the worker pool's d2g config allows, scopes,
// and the extra run-time requirements d2g adds (task-image dependencies,
// onExitStatus values generic-worker rejects, maxRunTime limits, image
// reference syntax). It reads every input shape package taskfile knows,
// tolerates taskgraph's unresolved task/artifact references, and writes
// problems as text, JSON, Treeherder lines, GitHub check-run annotations or
// SARIF.
//
// Data flow: files → taskfile (or tctemplate for .taskcluster.yml and
// hooks) → translate.DecodeTask and translate.Verdict, the same decode and
// verdict as convert, local and the worker → Problems → a Writer. Entry
// points: New(Options).Run, OptionsFor (a pool's gwconfig.Config),
// NewWriterOptions.
//
// Linting is streaming: tasks are checked one at a time as they are read,
// so memory does not grow with the size of a task graph. It runs nothing
// and validates nothing on its own terms: a task translate accepts is not
// an error here.
package lint
