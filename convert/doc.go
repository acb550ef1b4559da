// Package convert is dwshim convert without its flags: it streams the
// tasks of an input (a payload, task definitions, JSON lines, a rendered
// .taskcluster.yml or a whole task graph; taskfile reads them) through
// translate's one decoder and translation, and writes the generic-worker
// equivalent in the input's shape.
//
// A converted task definition is the original bytes with its payload (and
// scopes) spliced in; a graph entry likewise: nothing else is re-encoded.
// Both targets' output is valid by construction (the decoder and
// translate.GenericWorkerRefusals refuse up front what generic-worker's
// schema would reject; the tests hold it to that schema, convert does
// not validate); taskgraph's task-reference / artifact-reference
// objects survive. Output of a failed read is never a well-formed document.
// Warnings repeated by many tasks are grouped (report.go).
package convert
