package runner

import (
	"context"
	"io"
	"time"

	"github.com/dwshim/dwshim/plan"
)

// Task is one run of a plan on an engine.
type Task struct {
	Plan *plan.Plan
	// Identity is exported to the container's env (worker values win).
	Identity plan.Identity
	// Key uniquely names this run on this host, e.g. "<taskId>-<runId>"
	// (or a random id for local runs). The engine derives container names
	// from it, so two concurrent tasks never collide.
	Key string
	// WorkerID labels everything the engine creates, so a start-up sweep
	// removes only this worker's leftovers.
	WorkerID string
	// Images fetches image artifacts (task-image, indexed-image). Nil when
	// the plan's image is a named image, or when none can be fetched.
	Images ImageFetcher
	// RegistryAuth returns credentials for pulling a repository, named in
	// full as "<host>/<path>" (e.g. "registry.example.com/team/app",
	// "docker.io/library/ubuntu"); "" for none. They are sent to the
	// daemon only, never logged.
	RegistryAuth func(repository string) (username, password string)
	// IsolatedNetwork asks for a network of the task's own: Prepare
	// creates it, the container is attached to it only, Destroy removes
	// it. The engine must implement Networker. The worker sets it for
	// tasks using the taskcluster proxy, which listens on its gateway.
	IsolatedNetwork bool
}

// ImageFetcher opens image artifacts.
type ImageFetcher interface {
	// Fetch opens the artifact for img (a task-image or indexed-image) as a
	// stream of its stored bytes: tar, or tar compressed with gzip, zstd, lz4,
	// xz or bzip2; the engine detects which by content. Identity is stable for the
	// same artifact (e.g. "task/<taskId>/<path>") and decides image caching.
	// The caller closes the stream.
	Fetch(ctx context.Context, img plan.Image) (r io.ReadCloser, identity string, err error)
}

// Exit is how the container ended. A non-zero exit code is a result, not
// an error.
type Exit struct {
	Code      int  `json:"code"`
	OOMKilled bool `json:"oomKilled,omitempty"`
	// PidsLimitReached: the container's process count reached
	// Plan.Limits.Pids while it ran (sampled: a burst between samples can
	// go unseen, but the limit applied all the same).
	PidsLimitReached bool `json:"pidsLimitReached,omitempty"`
	// TimedOut: the container was killed at maxRunTime.
	TimedOut bool `json:"timedOut,omitempty"`
	// Cancelled: the container was killed because the context ended.
	Cancelled bool `json:"cancelled,omitempty"`
}

// Engine runs one container per Task. Methods are safe for concurrent use
// on different Tasks; the calls for one Task come in order:
// Prepare, Run, CopyOut (any number), Destroy.
//
// Contract:
//   - Prepare makes the image available (pull, or fetch and load an image
//     artifact) and the cache volumes, writing progress lines to log. Its
//     errors are infrastructure failures (see ErrImageNotFound).
//   - Run creates and starts the container and streams its output to out
//     as it comes, until the container exits. When ctx ends (deadline or
//     cancel) it kills the container within 2 s and returns an Exit with
//     TimedOut or Cancelled set and no error. Errors mean the engine failed.
//   - CopyOut returns a tar stream of path in the (stopped) container;
//     a missing path returns an error wrapping ErrPathNotFound.
//   - Destroy removes the container and its anonymous volumes. It is
//     idempotent and safe after a failed or skipped Prepare or Run.
//   - PurgeCaches removes every instance of the plan's named caches:
//     those no running task mounts at once, the others when their task is
//     destroyed. No task is given a purged instance.
type Engine interface {
	Prepare(ctx context.Context, t *Task, log io.Writer) error
	Run(ctx context.Context, t *Task, out io.Writer) (Exit, error)
	CopyOut(ctx context.Context, t *Task, path string) (io.ReadCloser, error)
	Destroy(ctx context.Context, t *Task) error
	PurgeCaches(ctx context.Context, t *Task) error
}

// ImageIdentifier is implemented by engines that can say which image a
// prepared task runs: the image ID ("sha256:…"), for chain of trust's
// imageHash. Call it only after a successful Prepare.
type ImageIdentifier interface {
	ImageID(ctx context.Context, t *Task) (string, error)
}

// ImageArtifactHasher is implemented by engines that can say the digest of
// the image artifact a prepared task's image came from: "sha256:<hex>" of
// its bytes as downloaded (chain of trust's imageArtifactHash), "" for a
// named image. Call it only after a successful Prepare.
type ImageArtifactHasher interface {
	ImageArtifactHash(t *Task) string
}

// Network is a task's own network (Task.IsolatedNetwork).
type Network struct {
	// Name is the engine's name of the network.
	Name string
	// Gateway is the host's IPv4 address on the network, e.g. "172.18.0.1".
	Gateway string
	// Subnet is the network's IPv4 subnet, e.g. "172.18.0.0/16": the
	// source of every connection from the task's container.
	Subnet string
}

// Networker is implemented by engines that can give a task a network of
// its own. Call TaskNetwork only after a successful Prepare of a task with
// IsolatedNetwork set.
type Networker interface {
	TaskNetwork(ctx context.Context, t *Task) (Network, error)
}

// ShellOptions configure an interactive shell in a task's container.
type ShellOptions struct {
	// Width and Height are the TTY's initial size (0: the engine's default).
	Width, Height uint
	// Busybox is the host path of a static busybox binary, copied into a
	// container whose image has no /bin/bash or /bin/sh (docker-worker
	// did the same); empty: such a container gets no shell.
	Busybox string
	// Snapshot (ShellContainer only): start from the task's stopped
	// container's file system instead of its image.
	Snapshot bool
}

// Session is an interactive shell on a TTY: Read the terminal's output,
// Write its input.
type Session interface {
	io.ReadWriter
	// Resize sets the TTY's size.
	Resize(ctx context.Context, width, height uint) error
	// Wait waits for the shell to end and returns its exit code.
	Wait(ctx context.Context) (int, error)
	// Close ends the session and removes what it created.
	Close() error
}

// Shells is implemented by engines that can give a person a shell in a
// task's container, with the task's env, caches and working directory.
type Shells interface {
	// Exec starts a shell in t's running container (features.interactive),
	// waiting a little for a container that is being started.
	Exec(ctx context.Context, t *Task, o ShellOptions) (Session, error)
	// ShellContainer starts a new container for t with a shell instead of
	// its command: from its image, or with o.Snapshot from its stopped
	// container (dwshim local --shell). Close removes it.
	ShellContainer(ctx context.Context, t *Task, o ShellOptions) (Session, error)
}

// CachePurger is implemented by engines that can purge a named cache for
// the purge-cache service: the instances of the cache created before
// before are removed (at once when no running task mounts them, else when
// that task is destroyed), and no task is given one of them afterwards.
// Safe for concurrent use with the Engine methods.
type CachePurger interface {
	PurgeCache(ctx context.Context, name string, before time.Time) error
}
