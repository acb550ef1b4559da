// Package schemas holds dwshim's own JSON Schemas for the docker-worker v1
// payload, for the generic-worker payload that translation emits and for a
// (lenient) task definition, embedded and compiled once, and validates
// documents against them. The verdicts match the upstream Taskcluster v106
// schemas. They are the published contract and the test oracle:
// commands decode tasks with translate.DecodeTask, whose verdict the
// parity tests hold equal to these schemas'; nothing validates with them on
// the hot path.
//
// Problems carry JSON pointers (RFC 6901) into the validated document and
// plain messages that say what is expected.
//
// Data flow: beside it, not on it: translate's decode is held equal to
// these schemas by parity tests, and convert's tests check output against
// the generic-worker schema. Entry points: the Validate* functions and the
// *Schema documents.
package schemas
