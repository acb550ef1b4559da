package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/internal/ctxwait"
	"github.com/dwshim/dwshim/runner"
)

// Options configures an Engine. The zero value works: defaults are filled
// in by New.
type Options struct {
	// Logger receives engine diagnostics (never env values). Default: discard.
	Logger *slog.Logger
	// Host is the daemon address ("unix:///var/run/docker.sock",
	// "tcp://…"). Empty: DOCKER_HOST and the other DOCKER_* variables, else
	// the default socket.
	Host string
	// PullPolicy says when named images are pulled. Default PullIfMissing.
	PullPolicy PullPolicy
	// Pull is the retry policy of image pulls.
	Pull RetryPolicy
	// Now is the clock (image GC recency). Default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends (pull backoff). Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxImages bounds how many loaded image artifacts GC keeps.
	// Default 20; negative: keep none that are unused.
	MaxImages int
	// ImageRepo is the repository loaded image artifacts are tagged in,
	// as <ImageRepo>:<sha256(identity)[:32]>; GC manages only its tags.
	// Default ArtifactRepo ("dwshim/artifact").
	ImageRepo string
	// RecordsDir keeps, one small file per loaded artifact, which image
	// the engine verified it loaded for which identity, so a later process
	// reuses it. Empty: records live as long as the Engine, and images
	// loaded by an earlier process are loaded again (their tags are never
	// trusted without a record).
	RecordsDir string
	// ExtraLabels are added to every container, volume and network the
	// engine creates (tests use dwshim.test=<name>).
	ExtraLabels map[string]string
	// AutoRemove lets the daemon remove the container of a task with no
	// artifacts, caches, network of its own or memory limit as soon as it
	// exits (dwshim local): nothing is copied out or released after it,
	// and its state is not needed to tell an OOM kill; Destroy does not
	// wait for the removal, and such a container never outlives a dwshim
	// that was killed.
	AutoRemove bool
}

// RetryPolicy is how image pulls are retried: Attempts in all, waiting
// Base·2^(n-1) ± Jitter·that between attempt n and n+1. A registry's
// "not found" is never retried.
type RetryPolicy struct {
	Attempts int           // default 5, as docker-worker
	Base     time.Duration // default 15 s, as docker-worker
	Jitter   float64       // fraction, default 0.25
	// Rand returns a number in [0,1) for the jitter. Default math/rand/v2.
	Rand func() float64
}

// delay is the wait after failed attempt n (1-based).
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.Base << (n - 1)
	if p.Jitter > 0 {
		d += time.Duration(float64(d) * p.Jitter * (2*p.Rand() - 1))
	}
	return d
}

// Engine runs tasks in Docker containers. It implements runner.Engine and
// is safe for concurrent use.
type Engine struct {
	cli  *client.Client
	log  *slog.Logger
	opts Options

	mu    sync.Mutex
	tasks map[string]*taskState // by Task.Key
	loads map[string]*loadCall  // in-flight artifact loads by tag
	used  map[string]time.Time  // artifact tag → last use, for GC
	pins  map[string]int        // artifact tag → tasks using it now
	// records: artifact tag → what was verified loaded as it (records.go)
	records map[string]imageRecord

	// Cache instances (caches.go): cacheLoad serialises the one listing
	// of existing cache volumes, cacheMu guards the pool.
	cacheLoad    sync.Mutex
	cachesLoaded bool
	cacheMu      sync.Mutex
	caches       *cachePool
}

var _ runner.Engine = (*Engine)(nil)

// taskState is what Prepare and Run learnt about one task.
type taskState struct {
	image string // reference to create the container from
	// imageID is the image's ID when Prepare learnt it on the way (an
	// inspect of a present image, a verified artifact load), else "".
	imageID string
	// artifactSHA256 is the sha256 of the image artifact's bytes (task-image,
	// indexed-image), for chain of trust's imageArtifactHash.
	artifactSHA256 string
	pinned         string // the artifact tag Prepare pinned against GC
	containerID    string
	network        runner.Network            // Task.IsolatedNetwork: created by Prepare
	caches         map[string]*cacheInstance // by cache name: the instances it mounts
	// autoRemoved: the container ran to its exit with AutoRemove, so the
	// daemon removes it; Destroy does not wait for that.
	autoRemoved bool
}

// New connects to the daemon (lazily: the first call negotiates the API
// version) with defaults filled into opts.
func New(opts Options) (*Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Pull.Attempts <= 0 {
		opts.Pull.Attempts = 5
	}
	if opts.Pull.Base <= 0 {
		opts.Pull.Base = 15 * time.Second
	}
	if opts.Pull.Jitter == 0 {
		opts.Pull.Jitter = 0.25
	}
	if opts.Pull.Rand == nil {
		opts.Pull.Rand = rand.Float64
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = ctxwait.Sleep
	}
	if opts.MaxImages == 0 {
		opts.MaxImages = 20
	}
	if opts.PullPolicy == "" {
		opts.PullPolicy = PullIfMissing
	}
	if opts.ImageRepo == "" {
		opts.ImageRepo = ArtifactRepo
	}
	opts.ExtraLabels = maps.Clone(opts.ExtraLabels)
	clientOpts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if opts.Host != "" {
		clientOpts = append(clientOpts, client.WithHost(opts.Host))
	}
	cli, err := client.New(clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	e := &Engine{
		cli:   cli,
		log:   opts.Logger,
		opts:  opts,
		tasks: map[string]*taskState{},
		loads: map[string]*loadCall{},
		used:  map[string]time.Time{},
		pins:  map[string]int{},

		records: map[string]imageRecord{},
	}
	e.caches = newCachePool()
	return e, nil
}

// Close releases the client's connections.
func (e *Engine) Close() error { return e.cli.Close() }

// Ping checks that the daemon answers, and negotiates the API version
// with its answer (otherwise the first request pings again to do so).
func (e *Engine) Ping(ctx context.Context) error {
	if _, err := e.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return wrap("ping docker daemon", err)
	}
	return nil
}

// wrap adds context to an SDK error, marking daemon-unreachable errors
// with runner.ErrEngineUnavailable.
func wrap(op string, err error) error {
	if client.IsErrConnectionFailed(err) {
		return fmt.Errorf("%s: %w: %w", op, runner.ErrEngineUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// state returns the state of the task, creating it.
func (e *Engine) state(key string) *taskState {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.tasks[key]
	if s == nil {
		s = &taskState{}
		e.tasks[key] = s
	}
	return s
}

var errNoPrepare = errors.New("task was not prepared")
