// Package release tests what `make dist` ships, the way an operator uses
// it: the release build is reproducible and static and says its version;
// the Debian package installs in a Debian root filesystem built from
// Debian's packages (scripts/debian-root.sh, imported into the local
// Docker daemon as dwshim-test/debian:bookworm) and its systemd unit passes
// `systemd-analyze verify` there; and the worker-image recipe's builder
// scripts under deploy/monopacker install Docker, worker-runner, dwshim, its
// config and the chain-of-trust key in that root.
//
// It has no non-test code: the artifacts are built by tools/dist.
package release
