// Package docker implements runner.Engine on the Docker Engine API (moby
// client, API version negotiated; Docker 20.10 / API 1.41 and later).
//
// It is the only package that imports the moby SDK. convert.go turns a
// runner.Task into container, host and network config without I/O; the
// other files make the SDK calls: images.go (named images, pulled per task
// with retries), artifact.go and decompress.go (image artifacts streamed,
// decompressed by content, stripped of their names and loaded, verified
// and tagged by identity; records.go the reuse records), engine.go
// (Prepare, Run with create/attach/start/wait/kill, CopyOut, Destroy),
// gc.go (Sweep and image GC). docs/runner.md describes the behaviour.
//
// Data flow: runner.Runner → Engine (New(Options)) → the Docker daemon.
// It decides nothing about tasks: what to run is the Plan's, what an exit
// means is package runner's.
package docker
