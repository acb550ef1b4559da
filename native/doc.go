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
//
// Data flow: translate's Plan → Build / BuildTask → the payload convert
// --target native writes. It never runs anything and never substitutes
// text at run time.
package native
