package lint

import "github.com/dwshim/dwshim/translate"

// schemaFastValid reports whether payload, already decoded as p, is
// certainly valid against the docker-worker schema without running the
// schema validator. It is conservative: false sends the payload to the
// full validator.
func schemaFastValid(payload []byte, p *translate.DockerWorkerPayload) bool {
	return false
}
