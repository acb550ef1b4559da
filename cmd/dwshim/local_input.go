package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/taskcluster/slugid-go/slugid"
	"go.yaml.in/yaml/v3"
)

// maxInput bounds a task definition read by dwshim local.
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
	// TaskID is the definition's taskId, or a fresh slug.
	TaskID      string
	TaskGroupID string
	// ProvisionerID and WorkerType come from the definition (taskQueueId
	// or provisionerId/workerType), empty for a bare payload.
	ProvisionerID string
	WorkerType    string
	// Expires is the definition's expiry, or a day from now.
	Expires time.Time
}

// readInput reads name ("-" for r) and decodes it.
func readInput(name string, stdin io.Reader) (*localInput, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, maxInput+1))
		name = "standard input"
	} else {
		var f *os.File
		f, err = os.Open(name)
		if err == nil {
			b, err = io.ReadAll(io.LimitReader(f, maxInput+1))
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read task: %w", err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("read task from %s: larger than %d bytes", name, maxInput)
	}
	in, err := decodeInput(b)
	if err != nil {
		return nil, fmt.Errorf("task from %s: %w", name, err)
	}
	return in, nil
}

// decodeInput decodes a task definition or payload, JSON or YAML (YAML
// is a superset of JSON, so one decoder reads both).
func decodeInput(b []byte) (*localInput, error) {
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not JSON or YAML: %w", err)
	}
	// Round-trip through JSON so the document holds only JSON types.
	js, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("not a JSON-compatible document: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil || doc == nil {
		return nil, fmt.Errorf("want an object (a task definition with \"payload\", or a docker-worker payload with \"image\")")
	}
	in := &localInput{Doc: doc, JSON: js, Expires: time.Now().Add(24 * time.Hour).UTC()}
	switch {
	case doc["payload"] != nil:
		p, ok := doc["payload"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("/payload: want an object")
		}
		in.IsTask, in.Payload = true, p
		in.TaskID, _ = doc["taskId"].(string)
		in.TaskGroupID, _ = doc["taskGroupId"].(string)
		in.ProvisionerID, _ = doc["provisionerId"].(string)
		in.WorkerType, _ = doc["workerType"].(string)
		if q, ok := doc["taskQueueId"].(string); ok && in.WorkerType == "" {
			in.ProvisionerID, in.WorkerType = splitQueue(q)
		}
		if s, ok := doc["expires"].(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				in.Expires = t
			}
		}
	case doc["image"] != nil:
		in.Payload = doc
	default:
		return nil, fmt.Errorf("neither a task definition (no \"payload\") nor a docker-worker payload (no \"image\")")
	}
	if in.TaskID == "" {
		in.TaskID = slugid.Nice()
	}
	if in.TaskGroupID == "" {
		in.TaskGroupID = in.TaskID
	}
	return in, nil
}

func splitQueue(q string) (string, string) {
	for i := 0; i < len(q); i++ {
		if q[i] == '/' {
			return q[:i], q[i+1:]
		}
	}
	return "", q
}
