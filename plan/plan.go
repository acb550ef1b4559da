package plan

import (
	"encoding/json"
	"fmt"
	"time"
)

// Plan is one docker-worker task, ready to run.
type Plan struct {
	// Image is where the container image comes from.
	Image Image `json:"image"`
	// Command is the container CMD (after the image's ENTRYPOINT), verbatim.
	Command []string `json:"command"`
	// Env is the payload's env, sorted by name. Values may be of any size and
	// contain newlines. Worker-provided variables (see Identity.Env) are not
	// here: the runner adds them and they win over these, as in docker-worker.
	Env []EnvVar `json:"env"`
	// Caches are persistent named volumes, sorted by name.
	Caches []Cache `json:"caches"`
	// Artifacts to collect after the container stops, sorted by name.
	Artifacts []Artifact `json:"artifacts"`
	// Capabilities are already gated by worker config and scopes.
	Capabilities Capabilities `json:"capabilities"`
	// MaxRunTime bounds the container's run time.
	MaxRunTime Duration `json:"maxRunTime"`
	// OnExit is the exit-status policy.
	OnExit ExitPolicy `json:"onExitStatus"`
	// Features are the docker-worker features the task asked for, gated.
	Features Features `json:"features"`
	// ShmSize is the size of /dev/shm in bytes (docker-worker: 1,800,000,000).
	// Zero leaves the engine's default. Ignored when HostSharedMemory is set.
	ShmSize int64 `json:"shmSize"`
	// ExtraHosts are host entries added to /etc/hosts, "name:ip".
	ExtraHosts []string `json:"extraHosts"`
	// TTY allocates a terminal for the container, as docker-worker did.
	TTY bool `json:"tty"`
	// SupersederURL is carried for completeness; dwshim does not use it.
	SupersederURL string `json:"supersederUrl,omitempty"`
	// Limits are the resource bounds the worker pool sets; none by default,
	// as in d2g (docker run --memory-swap -1 --pids-limit -1).
	Limits Limits `json:"limits,omitzero"`
}

// DockerWorkerShmSize is docker-worker's /dev/shm size for every container.
const DockerWorkerShmSize = 1_800_000_000

// Limits are per-task resource bounds from the worker pool's config (not
// the payload). Zero means no limit.
type Limits struct {
	// MemoryBytes bounds the container's memory (swap included); a task
	// that exceeds it is OOM-killed and fails naming the limit.
	MemoryBytes int64 `json:"memoryBytes,omitempty"`
	// Pids bounds the number of processes and threads in the container; a
	// task that reaches it fails naming the limit.
	Pids int64 `json:"pids,omitempty"`
}

// Limit config keys (generic-worker has no per-task limits: these are
// dwshim's), named in messages about a task that exceeded one.
const (
	LimitKeyMemory = "taskMemoryLimitBytes"
	LimitKeyPids   = "taskPidsLimit"
)

// ImageKind says where an image comes from.
type ImageKind string

// Image kinds, one per docker-worker image form.
const (
	// ImageNamed is a registry reference (a string image or type docker-image).
	ImageNamed ImageKind = "named"
	// ImageTaskArtifact is an image tarball artifact of a task (type task-image).
	ImageTaskArtifact ImageKind = "task-image"
	// ImageIndexed is an image tarball artifact found through the index
	// (type indexed-image).
	ImageIndexed ImageKind = "indexed-image"
)

// Image says which image to run. Exactly the fields of its Kind are set.
type Image struct {
	Kind ImageKind `json:"kind"`
	// Ref is the validated registry reference as written in the payload
	// (ImageNamed). It can never start with "-".
	Ref string `json:"ref,omitempty"`
	// TaskID is the task that produced the artifact (ImageTaskArtifact).
	TaskID string `json:"taskId,omitempty"`
	// Namespace is the index namespace (ImageIndexed).
	Namespace string `json:"namespace,omitempty"`
	// Path is the artifact name (ImageTaskArtifact, ImageIndexed).
	Path string `json:"path,omitempty"`
}

// String names the image for logs and messages.
func (i Image) String() string {
	switch i.Kind {
	case ImageNamed:
		return i.Ref
	case ImageTaskArtifact:
		return fmt.Sprintf("task-image %s/%s", i.TaskID, i.Path)
	case ImageIndexed:
		return fmt.Sprintf("indexed-image %s/%s", i.Namespace, i.Path)
	}
	return string(i.Kind)
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Cache is a persistent cache volume mounted into the container.
type Cache struct {
	// Name is the docker-worker cache name (the key of payload.cache).
	Name string `json:"name"`
	// MountPath is the absolute path inside the container.
	MountPath string `json:"mountPath"`
}

// ArtifactKind is the docker-worker artifact type.
type ArtifactKind string

// Artifact kinds.
const (
	ArtifactFile      ArtifactKind = "file"
	ArtifactDirectory ArtifactKind = "directory"
	// ArtifactVolume is a directory backed by a volume mounted at Path, so
	// its content survives the container (d2g's "volume" type).
	ArtifactVolume ArtifactKind = "volume"
)

// Artifact is one artifact to collect from the container.
type Artifact struct {
	// Name is the artifact name, e.g. "public/build/target.tar.gz".
	Name string `json:"name"`
	// Path is the absolute path inside the container.
	Path string       `json:"path"`
	Kind ArtifactKind `json:"kind"`
	// Expires is the artifact's expiry; zero means the task's expiry.
	Expires time.Time `json:"expires,omitzero"`
}

// Capabilities are the container privileges the task gets. Translation has
// already checked them against worker config and scopes: the runner grants
// exactly what is here.
type Capabilities struct {
	Privileged     bool `json:"privileged"`
	DisableSeccomp bool `json:"disableSeccomp"`
	// Ptrace adds CAP_SYS_PTRACE (not needed when Privileged).
	Ptrace  bool     `json:"ptrace"`
	Devices []Device `json:"devices"`
	// GPUs is the value of docker's --gpus ("all", "device=GPU-…"); empty for none.
	GPUs string `json:"gpus,omitempty"`
}

// DeviceKind is a host device a task may use.
type DeviceKind string

// Device kinds.
const (
	DeviceKVM              DeviceKind = "kvm"
	DeviceHostSharedMemory DeviceKind = "hostSharedMemory"
	DeviceLoopbackVideo    DeviceKind = "loopbackVideo"
	DeviceLoopbackAudio    DeviceKind = "loopbackAudio"
	// DeviceHostPath is a host device node passed as is (e.g. /dev/nvidia0).
	DeviceHostPath DeviceKind = "hostPath"
)

// Device is one host device for the container.
type Device struct {
	Kind DeviceKind `json:"kind"`
	// HostPath is set for DeviceHostPath, and may be set by the worker for the
	// loopback kinds once it has allocated a device (one Device per node:
	// a loopback audio card is five).
	HostPath string `json:"hostPath,omitempty"`
	// ContainerPath is where the node appears in the container; empty is
	// HostPath.
	ContainerPath string `json:"containerPath,omitempty"`
}

// ExitPolicy is docker-worker's onExitStatus.
type ExitPolicy struct {
	// Retry lists exit codes that resolve the task exception/intermittent-task.
	Retry []int `json:"retry"`
	// PurgeCaches lists exit codes after which the task's caches are purged.
	PurgeCaches []int `json:"purgeCaches"`
}

// Features are the docker-worker features, gated by worker config.
type Features struct {
	TaskclusterProxy bool `json:"taskclusterProxy"`
	ChainOfTrust     bool `json:"chainOfTrust"`
	Interactive      bool `json:"interactive"`
	// UploadArtifacts is features.artifacts: when false no artifacts are
	// collected (but, unlike d2g, the logs are still kept).
	UploadArtifacts bool `json:"uploadArtifacts"`
	// LiveLog and BackingLog say whether the live log and the backing log
	// are published, under LiveLogName and BackingLogName.
	LiveLog        bool   `json:"liveLog"`
	BackingLog     bool   `json:"backingLog"`
	LiveLogName    string `json:"liveLogName"`
	BackingLogName string `json:"backingLogName"`
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1h0m0s"), for plans a person reads.
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("parse duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs int64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration must be a string like \"1h\" or a number of seconds: %w", err)
	}
	*d = Duration(time.Duration(secs) * time.Second)
	return nil
}

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }
