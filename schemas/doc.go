// Package schemas holds dwshim's own JSON Schemas for the docker-worker v1
// payload, for the generic-worker payload that translation emits and for a
// (lenient) task definition, embedded in the binary as raw bytes
// (dwshim show-payload-schema prints them). The verdicts match the
// upstream Taskcluster v106 schemas. They are the published contract and
// the test oracle: commands decode tasks with translate.DecodeTask, whose
// verdict the parity tests hold equal to these schemas', and nothing in
// the binary validates with them.
//
// The validator is package schemas/validator, which only tests import:
// it compiles its meta-schemas when it is loaded, which would cost every
// dwshim start several milliseconds.
//
// Data flow: beside it, not on it. Entry points: the *Schema documents.
package schemas
