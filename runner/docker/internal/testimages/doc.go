// Package testimages builds small container images for the tests, with no
// registry and no internet: a docker-archive tarball (manifest.json, config
// JSON, one layer) whose layer holds Debian's static busybox at
// /bin/busybox, applet symlinks and /tmp. Build streams it, optionally
// compressed; the layer is generated twice (once to hash it, once to write
// it) so memory stays flat even with a large Filler.
//
// Entry points: Build, BuildFile. Tests and the testimages command only.
package testimages
