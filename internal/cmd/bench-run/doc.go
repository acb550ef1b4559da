// Command bench-run measures a trivial task (`exit 0`, a named image
// present locally) through `dwshim run` against the queue double
// (internal/tcfake), claim to resolution, beside `docker run --rm` of the
// same container, interleaved in one run; it prints the medians and their
// ratio (scripts/bench-run.sh, make bench). The claim time is the fake's
// (takenUntil minus the claim duration, no reclaims), the resolution time
// the fake's receipt of reportCompleted, so the worker's idle claim polling
// is not counted; the task log is uploaded as usual.
//
// Not on the data flow: a benchmark driver for make bench. The worker's
// config is the fake's (tcfake WorkerConfig), as demo-worker's.
package main
