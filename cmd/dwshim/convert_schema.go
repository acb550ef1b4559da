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
