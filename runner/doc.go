// Package runner runs a plan.Plan on a container Engine: prepare the image
// and caches, run with the deadline, stream the log, collect artifacts,
// apply the exit-status policy, destroy what was created.
//
// Data flow: translate's Plan → Runner.Run(Task) → Engine (Prepare, Run,
// CopyOut, Destroy; the contract is in Engine's doc comment) → Result, whose
// typed facts the worker and dwshim local turn into a resolution or an exit
// code. Entry points: New(Config), (*Runner).Run, the Engine interface,
// NewDirSink.
//
// A non-zero exit is a Result, never an error. It holds no Docker SDK code
// (runner/docker implements Engine on the Docker Engine API) and does not
// decode or translate tasks.
package runner
