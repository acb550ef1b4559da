package convert

import "github.com/dwshim/dwshim/schemas"

// checkOutput validates a converted payload against the generic-worker
// schema, as upstream's CLI validates its output. Some docker-worker
// payloads the docker-worker schema accepts are still rejected there (an
// image taskId that is not a slugid, onExitStatus values): those are
// problems with the task, located by its payload's pointer ptr and the
// pointer inside the converted payload.
func checkOutput(ptr string, raw []byte) []string {
	doc, err := schemas.DecodeJSON(raw)
	if err != nil {
		return []string{"/: internal error: converted payload is not JSON: " + err.Error()}
	}
	if ptr == "" {
		ptr = "/"
	}
	var out []string
	for _, p := range schemas.ValidateGenericWorkerPayload(doc) {
		out = append(out, ptr+": generic-worker would reject the converted payload: "+p.String())
	}
	return out
}
