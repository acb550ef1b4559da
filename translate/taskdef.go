package translate

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Task is a decoded task definition whose payload is a docker-worker one.
// Members dwshim does not read are allowed (and left in the bytes).
type Task struct {
	Payload *DockerWorkerPayload
	// TaskQueueID, ProvisionerID and WorkerType are as given.
	TaskQueueID, ProvisionerID, WorkerType string
	// HasScopes says whether the definition has a scopes member.
	HasScopes    bool
	Scopes       []string
	Dependencies []string
	// Expires is the task's expiry; zero when absent.
	Expires time.Time
	// Deadline is the task's deadline as given ("" when absent).
	Deadline string
	// PayloadSpan and ScopesSpan are where the payload and scopes values
	// are in the definition's bytes ([start, end) offsets; zero when
	// absent), for rewriting a definition without re-encoding it.
	PayloadSpan, ScopesSpan Span
}

// Span is a byte range [Start, End) of a document.
type Span struct{ Start, End int64 }

// QueueID is taskQueueId, or provisionerId/workerType, or "".
func (t *Task) QueueID() string {
	if t.TaskQueueID == "" && t.ProvisionerID != "" && t.WorkerType != "" {
		return t.ProvisionerID + "/" + t.WorkerType
	}
	return t.TaskQueueID
}

// DecodeTask is the one entry point for a task definition: it decodes
// raw once, strictly, and checks it (the task-definition and docker-worker
// payload schemas of package schemas, plus what a worker would refuse at
// run time that is knowable offline). Every problem is in the *Error
// (Reason MalformedPayload), pointers into the definition.
func DecodeTask(raw []byte) (*Task, error) {
	w := newWalker(raw)
	defer w.release()
	t := w.task(raw)
	w.end()
	if len(w.probs) > 0 {
		return nil, &Error{Reason: MalformedPayload, Problems: w.probs}
	}
	return t, nil
}

// taskStrings are the task members that must be strings.
var taskStrings = map[string]bool{"schedulerId": true, "taskGroupId": true, "priority": true, "created": true, "taskId": true}

func (w *walker) task(raw []byte) *Task {
	t := &Task{}
	hasPayload := false
	var expires string
	w.kind = ProblemTaskDefinition
	isObj := w.object(func(name string) {
		start := w.dec.InputOffset()
		switch name {
		case "payload":
			hasPayload = true
			w.base, w.kind = "/payload", ProblemSchema
			t.Payload = w.payload()
			w.kind = ProblemTaskDefinition
			t.PayloadSpan = valueSpan(raw, start, w.dec.InputOffset())
		case "scopes":
			t.HasScopes = true
			t.Scopes = w.strings()
			t.ScopesSpan = valueSpan(raw, start, w.dec.InputOffset())
		case "dependencies":
			t.Dependencies = w.strings()
		case "routes":
			w.strings()
		case "taskQueueId":
			if s, ok := w.str(); ok {
				t.TaskQueueID = s
				if a, b, ok := strings.Cut(s, "/"); !ok || a == "" || b == "" || strings.Contains(b, "/") {
					w.problem(w.here(), fmt.Sprintf(`must be "<provisionerId>/<workerType>", got %s`, quoteShort(s)))
				}
			}
		case "provisionerId", "workerType":
			if s, ok := w.str(); ok {
				if s == "" {
					w.problem(w.here(), "must be at least 1 character(s) long")
				}
				if name == "provisionerId" {
					t.ProvisionerID = s
				} else {
					t.WorkerType = s
				}
			}
		case "expires":
			expires, _ = w.str()
		case "deadline":
			t.Deadline, _ = w.str()
		case "requires":
			if s, ok := w.str(); ok && s != "all-completed" && s != "all-resolved" {
				w.problem(w.here(), fmt.Sprintf(`must be one of "all-completed", "all-resolved", got %s`, quoteShort(s)))
			}
		case "retries":
			if n, ok := w.integer(); ok && n < 0 {
				w.problem(w.here(), "must be at least 0")
			}
		case "tags":
			w.strMap()
		case "extra", "metadata":
			if w.dec.PeekKind() != '{' {
				w.typeError("an object")
			} else {
				w.skip()
			}
		default:
			if taskStrings[name] {
				w.str()
			} else {
				w.skip()
			}
		}
	})
	defer func() { w.kind = ProblemSchema }()
	if !isObj || w.fatal {
		if !isObj && !w.fatal {
			w.probs[len(w.probs)-1].Message = "must be an object (a task definition)"
		}
		return t
	}
	at := w.here()
	if !hasPayload {
		w.problem(at, `required property "payload" is missing: a task definition has a docker-worker payload`)
	}
	if (t.ProvisionerID == "") != (t.WorkerType == "") {
		missing, present := "workerType", "provisionerId"
		if t.ProvisionerID == "" {
			missing, present = present, missing
		}
		w.problem(at, fmt.Sprintf("required property %q is missing (needed when %q is present)", missing, present))
	}
	if e, err := parseDateTime(expires); err == nil && t.Payload != nil {
		t.Expires = e
		w.checkArtifactExpiry("/payload", t.Payload, e)
	}
	return t
}

// valueSpan trims the separator before a member's value: the decoder's
// offset after the name is before the ':'.
func valueSpan(raw []byte, start, end int64) Span {
	if end > int64(len(raw)) || start > end {
		return Span{}
	}
	i := start + int64(len(raw[start:end])-len(bytes.TrimLeft(raw[start:end], " \t\r\n:")))
	return Span{i, end}
}
