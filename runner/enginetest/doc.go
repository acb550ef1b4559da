// Package enginetest is the conformance suite of runner.Engine: every
// implementation runs Run against real infrastructure (for runner/docker,
// the Docker daemon and a local registry). Engine-specific facts the
// contract cannot observe (is the container still running, its labels)
// come in through Fixtures.
//
// Entry point: Run(t, newEngine, Fixtures), called from each Engine's
// tests. Not on the data flow: tests only.
package enginetest
