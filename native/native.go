package native

import (
	"strconv"

	"github.com/dwshim/dwshim/translate"
)

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
	return "dwshim_" + taskID + "_" + strconv.Itoa(runID)
}
