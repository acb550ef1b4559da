package schemas

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestSchemasAreRawJSON(t *testing.T) {
	for name, b := range map[string][]byte{
		"docker-worker":  DockerWorkerPayloadSchema(),
		"generic-worker": GenericWorkerPayloadSchema(),
		"task":           TaskDefinitionSchema(),
	} {
		if !json.Valid(b) || !bytes.Contains(b, []byte(`"$schema"`)) {
			t.Errorf("%s schema is not a JSON Schema document", name)
		}
	}
}
