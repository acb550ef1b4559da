package taskfile

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Kind says what an Item's Raw holds.
type Kind string

// Item kinds.
const (
	// Payload is a bare payload; pointers into it start at "".
	Payload Kind = "payload"
	// TaskDefinition is a whole task definition; its payload is at "/payload".
	TaskDefinition Kind = "task-definition"
)

// PayloadFormat says which worker the payload is for.
type PayloadFormat string

// Payload formats.
const (
	// DockerWorker payloads have an "image": these are what dwshim handles.
	DockerWorker PayloadFormat = "docker-worker"
	// GenericWorker payloads have no "image" (native generic-worker tasks);
	// callers usually skip them.
	GenericWorker PayloadFormat = "generic-worker"
	// Unknown is a JSON value that is neither (a stray config file, a
	// non-object): callers skip it or report it.
	Unknown PayloadFormat = "unknown"
)

// Format is the syntax of the input.
type Format string

// Input formats.
const (
	JSON      Format = "json"
	JSONLines Format = "jsonl"
	YAML      Format = "yaml"
)

// Shape is how the tasks are laid out in the input.
type Shape string

// Input shapes.
const (
	// ShapeDocument is one payload or task definition.
	ShapeDocument Shape = "document"
	// ShapeTasks is one object with a "tasks" array of task definitions
	// (a rendered .taskcluster.yml); see Reader.Envelope.
	ShapeTasks Shape = "tasks"
	// ShapeGraph is a taskgraph task graph: key → {"task": {...}, ...}.
	// A top-level "{}" is an empty graph.
	ShapeGraph Shape = "graph"
	// ShapeArray is a JSON array of payloads or task definitions.
	ShapeArray Shape = "array"
	// ShapeStream is several documents: JSON lines, or YAML documents
	// separated by "---".
	ShapeStream Shape = "stream"
)

// Item is one task read from an input.
type Item struct {
	// File is the input's name as given to Open.
	File string
	// Index is the item's position in the input, from 0.
	Index int
	// Key is the graph key (label or taskId) for graph entries.
	Key string
	// Label is the taskgraph label (graph entries: the entry's "label", or
	// the key when the entry has none and the key is not the taskId).
	Label string
	// TaskID is the task's taskId ("taskId" in a task definition, or the
	// graph entry's "task_id"/key in a graph keyed by taskId).
	TaskID string
	// MetadataName is the task definition's metadata.name.
	MetadataName string
	Kind         Kind
	Format       PayloadFormat
	// Raw is the task definition (Kind TaskDefinition) or payload (Kind
	// Payload), as JSON. For JSON input these are the original bytes.
	Raw json.RawMessage
	// Pointer is the JSON pointer of the payload inside Raw: "/payload" for
	// a task definition, "" for a bare payload.
	Pointer string
	// Entry is the whole graph entry for ShapeGraph items (Raw is its
	// "task", at Entry[TaskOffset:]), nil otherwise.
	Entry      json.RawMessage
	TaskOffset int
	// Line and Column are where Raw starts in the file (1-based).
	Line, Column int

	loc          locator
	docPtr       string // pointer of Raw inside its document (YAML positions)
	unclassified bool   // read after DeferClassify: Classify fills it in
}

// Name is how messages name the item: its label, else its taskId, else its
// metadata.name, else "#<index>".
func (it *Item) Name() string {
	switch {
	case it.Label != "":
		return it.Label
	case it.TaskID != "":
		return it.TaskID
	case it.MetadataName != "":
		return it.MetadataName
	}
	return "#" + strconv.Itoa(it.Index)
}

// Locate returns the line and column (1-based) in the file of the value at
// pointer, a JSON pointer relative to Raw. When the pointer does not exist
// it returns the position of its deepest existing ancestor and ok=false.
func (it *Item) Locate(pointer string) (line, col int, ok bool) {
	if it.loc == nil {
		return it.Line, it.Column, false
	}
	return it.loc.locate(pointer)
}

// locator maps a JSON pointer relative to an item's Raw to a file position.
type locator interface {
	locate(pointer string) (line, col int, ok bool)
}

// SyntaxError is malformed input, located in the file.
type SyntaxError struct {
	File string
	// Line and Column are 1-based; Column is 0 when unknown (YAML).
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}
