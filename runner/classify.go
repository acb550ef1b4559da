package runner

import (
	"context"
	"errors"

	"github.com/dwshim/dwshim/translate"
)

// Resolution is how the queue resolves a run.
type Resolution string

// Resolutions.
const (
	Completed Resolution = "completed"
	Failed    Resolution = "failed"
	Exception Resolution = "exception"
)

// Reason is the queue's reason for a resolution. Completed and failed
// runs carry "completed" and "failed"; exceptions carry the queue's
// exception reason.
type Reason string

// Reasons.
const (
	ReasonCompleted           Reason = "completed"
	ReasonFailed              Reason = "failed"
	ReasonIntermittentTask    Reason = "intermittent-task"
	ReasonMalformedPayload    Reason = "malformed-payload"
	ReasonInternalError       Reason = "internal-error"
	ReasonResourceUnavailable Reason = "resource-unavailable"
	ReasonWorkerShutdown      Reason = "worker-shutdown"
)

// Classify is the one place that maps an infrastructure error to a queue
// resolution:
//
//   - nil: completed/completed.
//   - *translate.Error: exception with its Reason (malformed-payload for
//     anything wrong with the task itself).
//   - ErrImageNotFound: failed/failed. docker-worker failed tasks whose
//     image could not be pulled; retrying on another worker cannot help.
//   - context.Canceled: exception/worker-shutdown (the caller stopped the
//     run; a worker may report another reason, see Result.Cancelled).
//   - ErrEngineUnavailable and everything else: exception/internal-error:
//     the worker failed, the task may be fine.
func Classify(err error) (Resolution, Reason) {
	var te *translate.Error
	switch {
	case err == nil:
		return Completed, ReasonCompleted
	case errors.As(err, &te):
		if te.Reason == "" {
			return Exception, ReasonMalformedPayload
		}
		return Exception, Reason(te.Reason)
	case errors.Is(err, ErrImageNotFound):
		return Failed, ReasonFailed
	case errors.Is(err, context.Canceled):
		return Exception, ReasonWorkerShutdown
	}
	return Exception, ReasonInternalError
}
