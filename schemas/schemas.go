package schemas

import _ "embed"

//go:embed docker-worker-payload.json
var dockerWorkerPayloadSchema []byte

//go:embed generic-worker-payload.json
var genericWorkerPayloadSchema []byte

//go:embed task-definition.json
var taskDefinitionSchema []byte

// Schema file names, also the last element of each schema's $id
// (BaseID + name).
const (
	DockerWorkerPayloadName  = "docker-worker-payload.json"
	GenericWorkerPayloadName = "generic-worker-payload.json"
	TaskDefinitionName       = "task-definition.json"
	BaseID                   = "https://dwshim.invalid/schemas/"
)

// DockerWorkerPayloadSchema returns the raw JSON Schema (draft-07) for the
// docker-worker v1 payload. The caller must not modify the returned slice.
func DockerWorkerPayloadSchema() []byte { return dockerWorkerPayloadSchema }

// GenericWorkerPayloadSchema returns the raw JSON Schema (draft-07) for the
// generic-worker multiuser posix payload. The caller must not modify the
// returned slice.
func GenericWorkerPayloadSchema() []byte { return genericWorkerPayloadSchema }

// TaskDefinitionSchema returns the raw, lenient JSON Schema (draft-07) for a
// task definition. The caller must not modify the returned slice.
func TaskDefinitionSchema() []byte { return taskDefinitionSchema }
