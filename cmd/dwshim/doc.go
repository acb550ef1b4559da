// Command dwshim runs legacy Taskcluster docker-worker tasks: as a drop-in
// worker in place of generic-worker (run), on this machine (local), or
// converts and lints their payloads offline (convert, lint).
//
// This package only turns flags and env into config structs, sets up slog
// and signals, and calls the packages that do the work. Each subcommand
// lives in its own file and registers itself in init.
//
// Data flow: the outermost shell around bytes → translate → runner →
// worker. Subcommands: convert.go (package convert), lint.go (package lint),
// local*.go (translate, runner on runner/docker), run.go (package worker);
// --config files are read by package gwconfig. It must not decide anything
// about tasks itself: no validation, translation or resolution here.
package main
