package gwconfig

import (
	"encoding/json"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/translate"
)

// MaxCapacity is generic-worker's upper bound for capacity.
const MaxCapacity = 255

// Config is generic-worker's JSON config: the same keys and defaults, and
// dwshim's own keys beside them. Parse says which keys a file set and which
// it had that are not config keys (see Parse for how those are treated).
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

	// EnableMounts / EnableOSGroups are generic-worker feature switches
	// that d2g's output needs (mounts for task and indexed images, the
	// docker OS group); dwshim's worker does not use them, lint checks
	// them (feature-disabled).
	EnableMounts   bool `json:"enableMounts"`
	EnableOSGroups bool `json:"enableOSGroups"`

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

	// set and unknown are filled by Parse: the top-level keys the file
	// set, and those that are no config key (sorted).
	set     map[string]bool
	unknown []string
}

// Default returns generic-worker's defaults (d2gConfig: translate's).
func Default() Config {
	return Config{
		ProvisionerID:              "test-provisioner",
		WorkerGroup:                "test-worker-group",
		Capacity:                   1,
		MaxTaskRunTime:             DefaultMaxTaskRunTime,
		CachesDir:                  "caches",
		TasksDir:                   "tasks",
		DownloadsDir:               "downloads",
		CleanUpTaskDirs:            true,
		RequiredDiskSpaceMegabytes: 10240,
		D2GConfig:                  translate.DefaultConfig(),
		EnableTaskclusterProxy:     true,
		TaskclusterProxyPort:       80,
		EnableMounts:               true,
		EnableOSGroups:             true,
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

// RegistryCredentials are one entry of the registries config.
type RegistryCredentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// String never shows the password (the config may be logged by mistake).
func (c RegistryCredentials) String() string { return c.Username + ":<redacted>" }

// IsSet reports whether the file Parse read set the top-level key (false
// for a Config built in code).
func (c *Config) IsSet(key string) bool { return c.set[key] }

// Unknown lists the file's top-level keys that are no config key, sorted.
func (c *Config) Unknown() []string { return c.unknown }

// Limits are the per-task resource bounds of the config.
func (c *Config) Limits() plan.Limits {
	return plan.Limits{MemoryBytes: c.TaskMemoryLimitBytes, Pids: c.TaskPidsLimit}
}

// TaskQueueID is provisionerId/workerType.
func (c *Config) TaskQueueID() string { return c.ProvisionerID + "/" + c.WorkerType }

// MaxRunTime is maxTaskRunTime as a duration.
func (c *Config) MaxRunTime() time.Duration { return time.Duration(c.MaxTaskRunTime) * time.Second }
