package translate

// Config is generic-worker's d2gConfig: the same JSON keys and defaults.
// Package gwconfig reads it from a config file (an unknown key is an error
// there, as in generic-worker).
type Config struct {
	EnableD2G             bool   `json:"enableD2G"`
	AllowChainOfTrust     bool   `json:"allowChainOfTrust"`
	AllowDisableSeccomp   bool   `json:"allowDisableSeccomp"`
	AllowGPUs             bool   `json:"allowGPUs"`
	AllowHostSharedMemory bool   `json:"allowHostSharedMemory"`
	AllowInteractive      bool   `json:"allowInteractive"`
	AllowKVM              bool   `json:"allowKVM"`
	AllowLoopbackAudio    bool   `json:"allowLoopbackAudio"`
	AllowLoopbackVideo    bool   `json:"allowLoopbackVideo"`
	AllowPrivileged       bool   `json:"allowPrivileged"`
	AllowPtrace           bool   `json:"allowPtrace"`
	AllowTaskclusterProxy bool   `json:"allowTaskclusterProxy"`
	GPUs                  string `json:"gpus"`
	LogTranslation        bool   `json:"logTranslation"`

	// NvidiaDevices are the host's /dev/nvidia* names (e.g. "nvidia0"),
	// sorted, read by the caller when AllowGPUs is set. Not a config key.
	NvidiaDevices []string `json:"-"`
	// ContainerName returns the container name for one translation; nil
	// gives "taskcontainer_" plus a random slug. Not a config key.
	ContainerName func() string `json:"-"`
}

// DefaultConfig returns generic-worker's d2gConfig defaults: d2g off, every
// allow-flag on but GPUs, gpus "all".
func DefaultConfig() Config {
	return Config{
		AllowChainOfTrust:     true,
		AllowDisableSeccomp:   true,
		AllowHostSharedMemory: true,
		AllowInteractive:      true,
		AllowKVM:              true,
		AllowLoopbackAudio:    true,
		AllowLoopbackVideo:    true,
		AllowPrivileged:       true,
		AllowPtrace:           true,
		AllowTaskclusterProxy: true,
		GPUs:                  "all",
		LogTranslation:        true,
	}
}

// OfflineConfig is what upstream's offline CLI (taskcluster d2g) uses:
// the defaults with d2g enabled.
func OfflineConfig() Config {
	c := DefaultConfig()
	c.EnableD2G = true
	return c
}
