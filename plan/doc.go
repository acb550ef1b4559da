// Package plan holds the typed execution plan: the one contract between
// translation (package translate) and execution (package runner).
//
// A Plan says everything the runner needs to run one docker-worker task in a
// container, already decided: capabilities are gated by worker config and
// scopes before they get here, caches and artifacts are sorted, and nothing
// is left as a placeholder string to be substituted later. The package has no
// dependencies beyond the standard library, so both sides can import it.
//
// Data flow: translate builds a Plan; runner (and runner/docker's pure
// convert.go) executes it; convert and local --dry-run print it. It holds
// types and their small invariants only: no decoding of payloads, no I/O.
package plan
