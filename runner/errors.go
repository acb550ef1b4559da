package runner

import "errors"

// Sentinel errors engines wrap so the runner can classify failures.
var (
	// ErrImageNotFound: the image does not exist (registry said so, or the
	// artifact is missing). The task cannot succeed by retrying on this worker.
	ErrImageNotFound = errors.New("image not found")
	// ErrPathNotFound: CopyOut's path does not exist in the container.
	ErrPathNotFound = errors.New("path not found in container")
	// ErrEngineUnavailable: the engine (daemon) cannot be reached.
	ErrEngineUnavailable = errors.New("container engine unavailable")
	// ErrImageUnavailable: the image is not present locally and could not
	// be fetched for another reason than "not found" (registry unreachable,
	// offline). An infrastructure failure for a worker (retried); dwshim
	// local exits with its image-not-found code.
	ErrImageUnavailable = errors.New("image not available")
)
