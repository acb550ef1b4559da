package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/taskcluster/slugid-go/slugid"

	"github.com/dwshim/dwshim/internal/yamljson"
	"github.com/dwshim/dwshim/taskfile"
)

// maxInput bounds one task definition read by dwshim local (a graph may be
// larger: it is streamed, and only the chosen task is kept).
const maxInput = 16 << 20

// localInput is what dwshim local was given: a whole task definition or
// just a docker-worker payload, decoded from JSON or YAML.
type localInput struct {
	// Doc is the decoded document (JSON-compatible types).
	Doc map[string]any
	// IsTask: Doc is a task definition (it has a "payload" key).
	IsTask bool
	// Payload is the docker-worker payload (Doc, or Doc["payload"]).
	Payload map[string]any
	// JSON is Doc re-encoded as JSON.
	JSON []byte
	// Name is how messages name the task: the file, and its label in a
	// graph; or the taskId fetched from a queue.
	Name string
	// TaskID is the definition's taskId (or the graph entry's task_id, or
	// the taskId fetched), or a fresh slug.
	TaskID string
	// RunID is the latest run of a task fetched from a queue, else 0.
	RunID       int
	TaskGroupID string
	// ProvisionerID and WorkerType come from the definition (taskQueueId
	// or provisionerId/workerType), empty for a bare payload.
	ProvisionerID string
	WorkerType    string
	// Expires is the definition's expiry, or a day from now.
	Expires time.Time
	// Scopes are the definition's scopes (the proxy's restriction).
	Scopes []string
}

// taskChoice picks one task of a file with several (--task, --task-index).
type taskChoice struct {
	Label string // label, graph key, taskId or metadata.name; "" for any
	Index int    // position in the file from 0; -1 for any
}

// choiceError is a file whose tasks do not give one task for the choice:
// a usage error (exit 2).
type choiceError struct{ msg string }

func (e *choiceError) Error() string { return e.msg }

// malformedInput is input that is not a task (syntax, shape): exit 100.
type malformedInput struct{ err error }

func (e *malformedInput) Error() string { return e.err.Error() }
func (e *malformedInput) Unwrap() error { return e.err }

// readInput reads the task of file name ("-" for stdin): a payload, a task
// definition, or one task chosen from a graph, JSON lines, a JSON array or
// a {"tasks": [...]} file. The file is streamed; only the chosen task is
// kept.
func readInput(name string, stdin io.Reader, choice taskChoice) (*localInput, error) {
	display := name
	if name == "-" {
		display = "standard input"
	} else if st, err := os.Stat(name); err == nil && st.IsDir() {
		return nil, fmt.Errorf("read task: %s is a directory; give a task file (or - for standard input)", name)
	}
	r, err := taskfile.OpenFile(name, stdin)
	if err != nil {
		var se *taskfile.SyntaxError
		if errors.As(err, &se) {
			return nil, &malformedInput{err}
		}
		return nil, fmt.Errorf("read task: %w", err)
	}
	defer r.Close()
	var (
		chosen *taskfile.Item
		count  int
		names  []string
	)
	for {
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *taskfile.SyntaxError
			if errors.As(err, &se) {
				return nil, &malformedInput{err}
			}
			return nil, fmt.Errorf("read task: %w", err)
		}
		unwrapEntry(it)
		if len(names) < 8 {
			names = append(names, label(it))
		}
		count++
		if choice.matches(it) {
			if chosen != nil && choice.Label != "" {
				return nil, &choiceError{fmt.Sprintf("%s: --task %q matches %s and %s; use --task-index N", display, choice.Label, label(chosen), label(it))}
			}
			if chosen == nil {
				chosen = it
			}
		}
	}
	switch {
	case count == 0:
		return nil, fmt.Errorf("read task: %s holds no task", display)
	case chosen == nil:
		return nil, &choiceError{fmt.Sprintf("%s: no task %s among its %d (%s)", display, choice, count, listNames(names, count))}
	case count > 1 && choice.Label == "" && choice.Index < 0:
		return nil, &choiceError{fmt.Sprintf("%s holds %d tasks (%s): choose one with --task LABEL or --task-index N", display, count, listNames(names, count))}
	}
	if len(chosen.Raw) > maxInput {
		return nil, fmt.Errorf("read task %s from %s: larger than %d bytes", label(chosen), display, maxInput)
	}
	in, err := decodeInput(chosen.Raw)
	if err != nil {
		return nil, &malformedInput{fmt.Errorf("task %s: %w", itemName(display, chosen, count), err)}
	}
	in.Name = itemName(display, chosen, count)
	if in.TaskID == "" {
		in.TaskID = chosen.TaskID
	}
	in.fillIDs()
	return in, nil
}

func (c taskChoice) matches(it *taskfile.Item) bool {
	if c.Index >= 0 && it.Index != c.Index {
		return false
	}
	return c.Label == "" || it.Label == c.Label || it.Key == c.Label || it.TaskID == c.Label || it.MetadataName == c.Label
}

func (c taskChoice) String() string {
	var parts []string
	if c.Label != "" {
		parts = append(parts, strconv.Quote(c.Label))
	}
	if c.Index >= 0 {
		parts = append(parts, "at index "+strconv.Itoa(c.Index))
	}
	return strings.Join(parts, " ")
}

// itemName is file, or file:label when the file holds several tasks.
func itemName(display string, it *taskfile.Item, count int) string {
	if count <= 1 {
		return display
	}
	return display + ": " + label(it)
}

// label names a task of a file: its label, else metadata.name, else
// taskId, else its position.
func label(it *taskfile.Item) string {
	switch {
	case it.Label != "":
		return it.Label
	case it.MetadataName != "":
		return it.MetadataName
	}
	return it.Name()
}

func listNames(names []string, count int) string {
	s := strings.Join(names, ", ")
	if count > len(names) {
		s += ", …"
	}
	return s
}

// unwrapEntry makes a lone taskgraph entry ({"label": …, "task": {…}}, one
// line of `jq '.[]'` over a graph) into the task definition it holds.
func unwrapEntry(it *taskfile.Item) {
	if it.Kind != taskfile.Payload || it.Format != taskfile.Unknown {
		return
	}
	var e struct {
		Label  string          `json:"label"`
		TaskID string          `json:"task_id"`
		Task   json.RawMessage `json:"task"`
	}
	if json.Unmarshal(it.Raw, &e) != nil || len(e.Task) == 0 || e.Task[0] != '{' {
		return
	}
	var md struct {
		TaskID   string         `json:"taskId"`
		Payload  map[string]any `json:"payload"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if json.Unmarshal(e.Task, &md) != nil {
		return
	}
	it.Entry, it.Raw, it.Kind, it.Format = it.Raw, e.Task, taskfile.TaskDefinition, taskfile.DockerWorker
	it.Label, it.MetadataName, it.TaskID = e.Label, md.Metadata.Name, md.TaskID
	if e.TaskID != "" {
		it.TaskID = e.TaskID
	}
}

// decodeInput decodes a task definition or payload, JSON or YAML (YAML
// is a superset of JSON, so one decoder reads both). TaskID is left empty
// when the document has none (see fillIDs).
func decodeInput(b []byte) (*localInput, error) {
	y, err := yamljson.First(b, yamljson.Options{}) // as taskfile reads YAML
	if err != nil {
		return nil, fmt.Errorf("not JSON or YAML: %w", err)
	}
	js := y.JSON
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil || doc == nil {
		return nil, errors.New(`want an object (a task definition with "payload", or a docker-worker payload with "image")`)
	}
	in := &localInput{Doc: doc, JSON: js, Expires: time.Now().Add(24 * time.Hour).UTC()}
	switch {
	case doc["payload"] != nil:
		p, ok := doc["payload"].(map[string]any)
		if !ok {
			return nil, errors.New("/payload: want an object")
		}
		in.IsTask, in.Payload = true, p
		in.TaskID, _ = doc["taskId"].(string)
		in.TaskGroupID, _ = doc["taskGroupId"].(string)
		in.ProvisionerID, _ = doc["provisionerId"].(string)
		in.WorkerType, _ = doc["workerType"].(string)
		if q, ok := doc["taskQueueId"].(string); ok && in.WorkerType == "" {
			in.ProvisionerID, in.WorkerType = splitQueue(q)
		}
		if sc, ok := doc["scopes"].([]any); ok {
			for _, v := range sc {
				if str, ok := v.(string); ok {
					in.Scopes = append(in.Scopes, str)
				}
			}
		}
		if s, ok := doc["expires"].(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				in.Expires = t
			}
		}
	case doc["image"] != nil:
		in.Payload = doc
	default:
		return nil, errors.New(`neither a task definition (no "payload") nor a docker-worker payload (no "image")`)
	}
	return in, nil
}

// fillIDs gives a task without a taskId a fresh one, and a task without a
// group its own.
func (in *localInput) fillIDs() {
	if in.TaskID == "" {
		in.TaskID = slugid.Nice()
	}
	if in.TaskGroupID == "" {
		in.TaskGroupID = in.TaskID
	}
}

// looksLikeTaskID reports whether s has the shape of a slugid (22 URL-safe
// base64 characters).
func looksLikeTaskID(s string) bool {
	if len(s) != 22 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func splitQueue(q string) (string, string) {
	if p, w, ok := strings.Cut(q, "/"); ok {
		return p, w
	}
	return "", q
}
