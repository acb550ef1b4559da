// Package fleet tests dwshim as a pool of workers on real Docker, the way a
// deployment fails: several `dwshim run` workers, each in its own container
// (the static binary in an image built locally from the busybox test image,
// the Docker socket mounted, no privileges) on a private Docker network,
// with internal/tcfake as the queue listening on that network's gateway.
// While a batch runs the test SIGKILLs one worker mid-task and restarts it,
// disconnects another from the network for longer than its claim, and
// restarts the rest one by one with SIGTERM; then it checks what a real
// queue would show (see TestFleet).
//
// It has no non-test code. DWSHIM_FLEET_WORKERS and DWSHIM_FLEET_TASKS size
// it (make test: 4 workers, 12 tasks; make soak: larger).
package fleet
