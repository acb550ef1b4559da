// Package translate turns a docker-worker task into what runs it: the typed
// plan.Plan for dwshim's runner, the generic-worker payload that upstream
// d2g would produce (or a self-contained native one), the converted scopes,
// and warnings.
//
// Data flow: bytes → DecodeTask / DecodePayload (the one strict decode:
// case-sensitive names, duplicate and unknown members rejected, every
// problem with its JSON pointer) → Verdict (the one accept/refuse decision
// for a pool's Config and the task's scopes) → TranslatePayload /
// TranslateTask (Plan, GenericWorkerPayload, scopes, warnings) → runner
// (dwshim local, run) or the converted output (convert). lint, convert,
// local and the worker all call these, so they agree.
//
// The docker-worker payload's shape is described in Go in one place:
// payload.go (DockerWorkerPayload and its DW* member types, the schema
// defaults in DefaultDockerWorkerPayload, and the member-by-member decode
// that says which keys exist and what each may hold), with image.go for
// the image member and checks.go for what the schema allows but a worker
// refuses at run time. The task definition around it is taskdef.go. The
// JSON Schema in package schemas (docker-worker-payload.json) is the
// published contract and the test oracle the decode is held equal to; it
// is not consulted at run time. The generic-worker payload is gw.go.
//
// It is pure: no I/O, no Docker, no clock or randomness of its own
// (deterministic output, with the container name and host devices
// injected through Config); scope expansion comes in as a function.
package translate
