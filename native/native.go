// Package native builds the "native" conversion target: a self-contained
// generic-worker payload (multiuser posix engine, d2g off) that runs a
// docker-worker task with the docker CLI, on a stock generic-worker, with
// nothing for the worker to substitute.
//
// The payload's commands, run in order with the task directory as cwd:
//
//  1. obtain the image (docker pull, or docker load of a file mount that
//     generic-worker downloads) and write its ID to dwshim-image.id;
//  2. one /bin/sh script that runs the container under a fixed name derived
//     from $TASK_ID and $RUN_ID, copies the artifacts out with docker cp,
//     and removes the container from an EXIT trap, exiting with the
//     container's exit code.
//
// The shell scripts are constants: every payload value (image reference,
// command, env names, paths) reaches them only as separate argv elements
// ("$1", "$@"), and env values only through the process environment that
// generic-worker sets from the payload's env (docker run --env NAME), so
// nothing is interpolated into shell text and values are never printed.
// The payload is translate's GenericWorkerPayload, the one generic-worker
// payload type of both targets. The package is pure: no I/O.
package native

import (
	"strconv"

	"github.com/dwshim/dwshim/translate"
)

// Warning is a docker-worker behaviour the native target changes or cannot
// keep; Pointer is into the docker-worker payload. It is translate's type,
// so callers print both targets' warnings the same way.
type Warning = translate.Warning

// Files the commands keep in the task directory.
const (
	// ImageFile is the file mount an image artifact is downloaded to.
	ImageFile = "dockerimage"
	// ImageIDFile holds the ID of the image the container runs.
	ImageIDFile = "dwshim-image.id"
	// StartFile holds the Unix time the first command started.
	StartFile = "dwshim-start"
	// TimeoutFile exists once the run script's watchdog fired.
	TimeoutFile = "dwshim-timeout"
	// EnvFile holds the env vars that cannot be passed through the process
	// environment (see HostEnv).
	EnvFile = "dwshim.env"
	// HostEnvPrefix renames a payload env var that would change the host
	// side's behaviour (HostEnv) in the generic-worker env.
	HostEnvPrefix = "DWSHIM_ENV_"
)

// ContainerName is the container's name for a task run: what the run
// script computes from $TASK_ID and $RUN_ID.
func ContainerName(taskID string, runID int) string {
	return "dwshim_" + taskID + "_" + strconv.Itoa(runID)
}
