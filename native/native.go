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
// The package is pure: no I/O.
package native

import (
	"encoding/json"
	"time"

	"github.com/dwshim/dwshim/translate"
)

// Payload is the generic-worker payload the native target emits: the
// subset of the multiuser posix schema it uses, in the schema's key order.
type Payload struct {
	Artifacts    []Artifact        `json:"artifacts,omitempty"`
	Command      [][]string        `json:"command"`
	Env          map[string]string `json:"env,omitempty"`
	Features     Features          `json:"features"`
	Logs         Logs              `json:"logs"`
	MaxRunTime   int64             `json:"maxRunTime"`
	Mounts       []Mount           `json:"mounts,omitempty"`
	OnExitStatus *OnExitStatus     `json:"onExitStatus,omitempty"`
	OSGroups     []string          `json:"osGroups"`
	// SupersederURL is carried over unchanged.
	SupersederURL             string `json:"supersederUrl,omitempty"`
	TaskclusterProxyInterface string `json:"taskclusterProxyInterface,omitempty"`
}

// Artifact is a generic-worker artifact read from the task directory.
type Artifact struct {
	Expires *Time  `json:"expires,omitempty"`
	Name    string `json:"name"`
	// Optional: a path the task did not produce becomes an error artifact
	// without failing the task, as in docker-worker.
	Optional bool   `json:"optional"`
	Path     string `json:"path"`
	Type     string `json:"type"`
}

// Features are the generic-worker features the payload turns on. liveLog
// and backingLog are always written since both default to true.
type Features struct {
	BackingLog       bool `json:"backingLog"`
	ChainOfTrust     bool `json:"chainOfTrust,omitempty"`
	Interactive      bool `json:"interactive,omitempty"`
	LiveLog          bool `json:"liveLog"`
	LoopbackAudio    bool `json:"loopbackAudio,omitempty"`
	LoopbackVideo    bool `json:"loopbackVideo,omitempty"`
	TaskclusterProxy bool `json:"taskclusterProxy,omitempty"`
}

// Logs names the log artifacts.
type Logs struct {
	Backing string `json:"backing"`
	Live    string `json:"live"`
}

// Mount is a writable directory cache ({cacheName, directory}) or a file
// mount of an artifact ({content, file, format?}).
type Mount struct {
	CacheName string   `json:"cacheName,omitempty"`
	Content   *Content `json:"content,omitempty"`
	Directory string   `json:"directory,omitempty"`
	File      string   `json:"file,omitempty"`
	Format    string   `json:"format,omitempty"`
}

// Content is a file mount's source: a task's artifact or an indexed one.
type Content struct {
	Artifact  string `json:"artifact"`
	Namespace string `json:"namespace,omitempty"`
	TaskID    string `json:"taskId,omitempty"`
}

// OnExitStatus is generic-worker's onExitStatus.
type OnExitStatus struct {
	PurgeCaches []int `json:"purgeCaches,omitempty"`
	Retry       []int `json:"retry,omitempty"`
}

// Time is written in Taskcluster's format (UTC, milliseconds, "Z").
type Time time.Time

// MarshalJSON writes the Taskcluster form.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z"))
}

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
	return "dwshim_" + taskID + "_" + itoa(runID)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
