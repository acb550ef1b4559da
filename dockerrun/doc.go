// Package dockerrun is the one builder of `docker run` options for a
// plan.Plan. Both conversion targets render the same ordered list:
// translate's d2g payload in upstream d2g's exact argv form (placeholders,
// `-v x`), the native payload in its run script's `--flag=value` form.
//
// The list is in upstream d2g's order, which docker does not care about;
// options whose value is only known on the worker (the task directory, the
// proxy network and gateway, the loopback video device) are typed, and each
// target says how it gets them. The names of the task-directory
// directories that back caches and volume artifacts are here too, so the
// payload's mounts and artifacts name what the options mount.
//
// The package is pure (no I/O, no Docker) and depends only on plan.
package dockerrun
