package main

import "github.com/dwshim/dwshim/schemas"

func init() {
	validateDockerWorker = func(payload any) []schemaProblem {
		probs := schemas.ValidateDockerWorkerPayload(payload)
		out := make([]schemaProblem, len(probs))
		for i, p := range probs {
			out[i] = schemaProblem{Pointer: p.Pointer, Message: p.Message}
		}
		return out
	}
}

// checkNative validates a native payload against the generic-worker
// schema, as upstream's CLI validates its output: a failure here is a
// dwshim bug, reported as a problem rather than written out.
func checkNative(raw []byte) []string {
	doc, err := schemas.DecodeJSON(raw)
	if err != nil {
		return []string{"/: internal error: native payload is not JSON: " + err.Error()}
	}
	var out []string
	for _, p := range schemas.ValidateGenericWorkerPayload(doc) {
		out = append(out, "internal error: the native payload fails the generic-worker schema at "+p.String())
	}
	return out
}
