// Package worker is dwshim's drop-in for generic-worker with d2g: it reads
// generic-worker's config file, speaks the worker-runner protocol, claims
// tasks from the Taskcluster queue, runs each through an Executor (the
// translate + runner glue), keeps the claim alive, uploads logs, artifacts
// and chain-of-trust certificates, and resolves every run exactly once.
//
// The queue is reached through the small, context-first Queue interface
// defined here; NewTCQueue implements it with client-go.
package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/translate"
)

// ExitCode is the process exit status, with generic-worker's values so that
// worker-runner and deployment tooling read them the same way.
type ExitCode int

// Exit codes (generic-worker usage.go).
const (
	ExitTasksComplete         ExitCode = 0  // numberOfTasksToRun reached
	ExitCantLoadConfig        ExitCode = 64 // config file unreadable or not JSON
	ExitIdleTimeout           ExitCode = 68 // idleTimeoutSecs passed with no task
	ExitInternalError         ExitCode = 69 // the worker itself failed
	ExitWorkerManagerShutdown ExitCode = 70 // worker-manager's shouldWorkerTerminate said so
	ExitWorkerStopped         ExitCode = 71 // SIGINT: running tasks were let finish
	ExitWorkerShutdown        ExitCode = 72 // graceful-termination, SIGTERM, or worker-runner gone
	ExitInvalidConfig         ExitCode = 73 // config loaded but invalid
)

// MaxCapacity is generic-worker's upper bound for capacity.
const MaxCapacity = 255

// Config is generic-worker's JSON config: the same keys and defaults. Keys
// dwshim does not use are accepted and ignored, as worker-runner and
// deployments add their own (e.g. deploymentId).
type Config struct {
	RootURL     string `json:"rootURL"`
	ClientID    string `json:"clientId"`
	AccessToken string `json:"accessToken"`
	Certificate string `json:"certificate"`

	ProvisionerID string `json:"provisionerId"`
	WorkerType    string `json:"workerType"`
	WorkerGroup   string `json:"workerGroup"`
	WorkerID      string `json:"workerId"`

	Capacity           int `json:"capacity"`
	MaxTaskRunTime     int `json:"maxTaskRunTime"`
	IdleTimeoutSecs    int `json:"idleTimeoutSecs"`
	NumberOfTasksToRun int `json:"numberOfTasksToRun"`

	// ShutdownMachineOnIdle / ShutdownMachineOnInternalError: on exit 68 /
	// 69, ask worker-runner to remove the worker (the protocol's shutdown),
	// or without worker-runner shut the host down, as generic-worker.
	ShutdownMachineOnIdle          bool `json:"shutdownMachineOnIdle"`
	ShutdownMachineOnInternalError bool `json:"shutdownMachineOnInternalError"`

	CachesDir                  string `json:"cachesDir"`
	TasksDir                   string `json:"tasksDir"`
	DownloadsDir               string `json:"downloadsDir"`
	CleanUpTaskDirs            bool   `json:"cleanUpTaskDirs"`
	RequiredDiskSpaceMegabytes int    `json:"requiredDiskSpaceMegabytes"`

	// TaskMemoryLimitBytes / TaskPidsLimit bound every task's container
	// (dwshim keys; generic-worker has none): 0, the default, is no
	// limit, as d2g. A task that exceeds one fails naming it.
	TaskMemoryLimitBytes int64 `json:"taskMemoryLimitBytes"`
	TaskPidsLimit        int64 `json:"taskPidsLimit"`

	D2GConfig             translate.Config `json:"d2gConfig"`
	DisableNativePayloads bool             `json:"disableNativePayloads"`

	EnableTaskclusterProxy bool `json:"enableTaskclusterProxy"`
	TaskclusterProxyPort   int  `json:"taskclusterProxyPort"`

	EnableChainOfTrust        bool   `json:"enableChainOfTrust"`
	Ed25519SigningKeyLocation string `json:"ed25519SigningKeyLocation"`

	// Loopback devices (generic-worker's keys, for one slot: /dev/video<N>
	// and the nodes of sound card <N> under /dev/snd), and dwshim's lists
	// for capacity > 1: one device per slot (video: device nodes; audio:
	// a card's controlC<N> node, its pcm nodes beside it). Without a list,
	// slot i uses number N+i. See devices.go.
	EnableLoopbackVideo       bool     `json:"enableLoopbackVideo"`
	LoopbackVideoDeviceNumber int      `json:"loopbackVideoDeviceNumber"`
	LoopbackVideoDevices      []string `json:"loopbackVideoDevices"`
	EnableLoopbackAudio       bool     `json:"enableLoopbackAudio"`
	LoopbackAudioDeviceNumber int      `json:"loopbackAudioDeviceNumber"`
	LoopbackAudioDevices      []string `json:"loopbackAudioDevices"`

	EnableLiveLog bool `json:"enableLiveLog"`
	// LiveLogExposePort is the port the live log is served on; 0 picks a
	// free port at start (generic-worker uses livelogPortBase+1 then).
	LiveLogExposePort int `json:"livelogExposePort"`
	LiveLogPortBase   int `json:"livelogPortBase"`

	CreateObjectArtifacts bool `json:"createObjectArtifacts"`

	// EnableInteractive allows features.interactive (generic-worker's
	// default: off); InteractivePort is where the shells are served.
	EnableInteractive bool `json:"enableInteractive"`
	InteractivePort   int  `json:"interactivePort"`

	// ImagePullPolicy says when a named image is pulled: "missing" (the
	// default, docker-worker's: only when the host lacks it) or "always"
	// (a pull per task, so a moved tag such as "latest" is never stale).
	ImagePullPolicy string `json:"imagePullPolicy"`
	// Registries are docker-worker's private registry credentials:
	// {"<host>" or "<host>/<user>": {"username", "password"}}, the longest
	// match winning (registries.go). Never logged.
	Registries map[string]RegistryCredentials `json:"registries"`

	// WSTServerURL and WSTAudience, both set, expose the live log and
	// interactive shells through that websocktunnel server (see expose.go).
	WSTServerURL string `json:"wstServerURL"`
	WSTAudience  string `json:"wstAudience"`

	WorkerTypeMetadata json.RawMessage `json:"workerTypeMetadata"`
	WorkerLocation     string          `json:"workerLocation"`
	PublicIP           string          `json:"publicIP"`
	PrivateIP          string          `json:"privateIP"`
	InstanceType       string          `json:"instanceType"`
	InstanceID         string          `json:"instanceId"`
	Region             string          `json:"region"`
	AvailabilityZone   string          `json:"availabilityZone"`
}

// DefaultConfig returns generic-worker's defaults.
func DefaultConfig() Config {
	return Config{
		ProvisionerID:              "test-provisioner",
		WorkerGroup:                "test-worker-group",
		Capacity:                   1,
		MaxTaskRunTime:             86400,
		CachesDir:                  "caches",
		TasksDir:                   "tasks",
		DownloadsDir:               "downloads",
		CleanUpTaskDirs:            true,
		RequiredDiskSpaceMegabytes: 10240,
		D2GConfig:                  translate.DefaultConfig(),
		EnableTaskclusterProxy:     true,
		TaskclusterProxyPort:       80,
		EnableChainOfTrust:         true,
		EnableLiveLog:              true,
		EnableLoopbackVideo:        true,
		EnableLoopbackAudio:        true,
		LoopbackAudioDeviceNumber:  16,
		LiveLogPortBase:            60098,
		InteractivePort:            53654,
		CreateObjectArtifacts:      false,
		WorkerTypeMetadata:         json.RawMessage(`{}`),
	}
}

// ConfigError is a config that cannot be used; Code says which exit code
// generic-worker would give (ExitCantLoadConfig or ExitInvalidConfig).
type ConfigError struct {
	Code ExitCode
	Path string
	Err  error
}

func (e *ConfigError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("config: %v", e.Err)
	}
	return fmt.Sprintf("config %s: %v", e.Path, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads the JSON config file at path over DefaultConfig and
// validates it. d2gConfig is merged key by key over its defaults.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, &ConfigError{Code: ExitCantLoadConfig, Path: path, Err: fmt.Errorf("read: %w", err)}
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.Path = path
		}
		return Config{}, err
	}
	return cfg, nil
}

// ParseConfig is LoadConfig on bytes.
func ParseConfig(b []byte) (Config, error) {
	cfg := DefaultConfig()
	if err := json.Unmarshal(b, &cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			err = fmt.Errorf("key %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		} else {
			err = fmt.Errorf("not a JSON object: %w", err)
		}
		return Config{}, &ConfigError{Code: ExitCantLoadConfig, Err: err}
	}
	if len(cfg.WorkerTypeMetadata) == 0 || string(cfg.WorkerTypeMetadata) == "null" {
		cfg.WorkerTypeMetadata = json.RawMessage(`{}`)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate lists every problem at once.
func (c *Config) Validate() error {
	var missing []string
	required := map[string]string{
		"rootURL": c.RootURL, "clientId": c.ClientID, "accessToken": c.AccessToken,
		"provisionerId": c.ProvisionerID, "workerType": c.WorkerType, "workerGroup": c.WorkerGroup,
		"workerId": c.WorkerID, "cachesDir": c.CachesDir, "tasksDir": c.TasksDir,
		"downloadsDir": c.DownloadsDir,
	}
	if c.EnableChainOfTrust {
		required["ed25519SigningKeyLocation"] = c.Ed25519SigningKeyLocation
	}
	for k, v := range required {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	var probs []string
	if len(missing) > 0 {
		probs = append(probs, "missing required keys: "+strings.Join(missing, ", "))
	}
	if p := c.ImagePullPolicy; p != "" && p != "missing" && p != "always" {
		probs = append(probs, fmt.Sprintf("imagePullPolicy %q is not \"missing\" or \"always\"", p))
	}
	if c.Capacity < 1 || c.Capacity > MaxCapacity {
		probs = append(probs, fmt.Sprintf("capacity %d is outside 1..%d", c.Capacity, MaxCapacity))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"maxTaskRunTime", c.MaxTaskRunTime}, {"idleTimeoutSecs", c.IdleTimeoutSecs}, {"numberOfTasksToRun", c.NumberOfTasksToRun}} {
		if f.v < 0 {
			probs = append(probs, fmt.Sprintf("%s %d is negative", f.name, f.v))
		}
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"livelogExposePort", c.LiveLogExposePort}, {"taskclusterProxyPort", c.TaskclusterProxyPort}, {"livelogPortBase", c.LiveLogPortBase}} {
		if p.v < 0 || p.v > 65535 {
			probs = append(probs, fmt.Sprintf("%s %d is not a port", p.name, p.v))
		}
	}
	probs = append(probs, c.loopbackProblems()...)
	if m := c.TaskMemoryLimitBytes; m < 0 || (m > 0 && m < minTaskMemory) {
		probs = append(probs, fmt.Sprintf("taskMemoryLimitBytes %d must be 0 (no limit) or at least %d (Docker's minimum)", m, minTaskMemory))
	}
	if c.TaskPidsLimit < 0 {
		probs = append(probs, fmt.Sprintf("taskPidsLimit %d must be 0 (no limit) or positive", c.TaskPidsLimit))
	}
	for _, ip := range []struct{ name, v string }{{"publicIP", c.PublicIP}, {"privateIP", c.PrivateIP}} {
		if ip.v != "" && net.ParseIP(ip.v) == nil {
			probs = append(probs, fmt.Sprintf("%s %q is not an IP address", ip.name, ip.v))
		}
	}
	if c.RootURL != "" && !strings.HasPrefix(c.RootURL, "http://") && !strings.HasPrefix(c.RootURL, "https://") {
		probs = append(probs, fmt.Sprintf("rootURL %q must start with https:// (or http://)", c.RootURL))
	}
	if len(probs) > 0 {
		return &ConfigError{Code: ExitInvalidConfig, Err: errors.New(strings.Join(probs, "; "))}
	}
	return nil
}

// minTaskMemory is the smallest memory limit Docker accepts (6 MiB).
const minTaskMemory = 6 << 20

// Limits are the per-task resource bounds of the config.
func (c *Config) Limits() plan.Limits {
	return plan.Limits{MemoryBytes: c.TaskMemoryLimitBytes, Pids: c.TaskPidsLimit}
}

// TaskQueueID is provisionerId/workerType.
func (c *Config) TaskQueueID() string { return c.ProvisionerID + "/" + c.WorkerType }

// MaxRunTime is maxTaskRunTime as a duration.
func (c *Config) MaxRunTime() time.Duration { return time.Duration(c.MaxTaskRunTime) * time.Second }
