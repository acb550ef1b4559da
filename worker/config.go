package worker

import (
	"errors"
	"fmt"

	"github.com/dwshim/dwshim/gwconfig"
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
const MaxCapacity = gwconfig.MaxCapacity

// Config is generic-worker's config file (package gwconfig reads it, knows
// its keys and defaults, and validates it).
type Config = gwconfig.Config

// RegistryCredentials are one entry of the registries config.
type RegistryCredentials = gwconfig.RegistryCredentials

// DefaultConfig returns generic-worker's defaults.
func DefaultConfig() Config { return gwconfig.Default() }

// ConfigError is a config that cannot be used; Code says which exit code
// generic-worker would give (ExitCantLoadConfig or ExitInvalidConfig).
type ConfigError struct {
	Code ExitCode
	Path string
	Err  error
}

func (e *ConfigError) Error() string {
	var ge *gwconfig.Error
	if errors.As(e.Err, &ge) { // it names the file and key itself
		return e.Err.Error()
	}
	if e.Path == "" {
		return fmt.Sprintf("config: %v", e.Err)
	}
	return fmt.Sprintf("config %s: %v", e.Path, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads the config file at path (gwconfig.Load) and validates
// it; errors name the file and the key.
func LoadConfig(path string) (Config, error) {
	cfg, err := gwconfig.Load(path)
	if err != nil {
		return Config{}, &ConfigError{Code: ExitCantLoadConfig, Path: path, Err: err}
	}
	if err := cfg.Validate(); err != nil {
		setPath(err, path)
		return Config{}, &ConfigError{Code: ExitInvalidConfig, Path: path, Err: err}
	}
	return cfg, nil
}

// ParseConfig is LoadConfig on bytes.
func ParseConfig(b []byte) (Config, error) {
	cfg, err := gwconfig.Parse(b)
	if err != nil {
		return Config{}, &ConfigError{Code: ExitCantLoadConfig, Err: err}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, &ConfigError{Code: ExitInvalidConfig, Err: err}
	}
	return cfg, nil
}

func setPath(err error, path string) {
	var ce *gwconfig.Error
	if errors.As(err, &ce) {
		ce.Path = path
	}
}
