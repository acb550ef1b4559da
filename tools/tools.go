//go:build tools

// Package tools pins the real peers the tests run dwshim against; the
// Makefile builds them from this module (`make tools`), outside the main
// module so their dependencies stay out of dwshim's go.mod.
package tools

import (
	// worker-runner, as a pool runs generic-worker (and so dwshim) under it.
	_ "github.com/taskcluster/taskcluster/v44/tools/worker-runner/cmd/start-worker"
)
