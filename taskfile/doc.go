// Package taskfile reads task inputs for convert and lint: a bare
// docker-worker payload, a task definition, JSON lines of either, a rendered
// .taskcluster.yml ({"tasks": [...]}), a JSON array of tasks, or a taskgraph
// task-graph JSON object (label or taskId → {"task": {...}, ...}), in JSON or
// YAML, optionally gzip-compressed.
//
// Large inputs are streamed: a task graph or JSON-lines file is read entry by
// entry with a json.Decoder, so memory does not grow with the number of
// tasks. Syntax errors name the file, line and column. Every Item keeps the
// original JSON bytes of its task definition or payload, and can map a JSON
// pointer back to a line and column in the file.
//
// Data flow: the first step, bytes → Items (Open, OpenFile, Reader.Next);
// each Item's raw payload or task definition then goes to translate's
// decode. YAML is read through internal/yamljson. It only finds tasks and
// keeps their bytes: it does not validate or translate them.
package taskfile
