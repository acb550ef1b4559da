// Command testimages builds the project's test images (see package
// testimages) and writes them to a file, loads them into the Docker daemon
// through the Engine API, and pushes them to a registry.
//
//	go run ./runner/docker/internal/testimages/cmd/testimages [flags]
//
//	--out FILE       write the image tarball to FILE
//	--compress C     none, gzip, zstd, lz4, xz or bzip2 (for --out)
//	--tag REF        image tag (default dwshim-test/busybox:latest)
//	--load           load the image into the daemon (default when no --out)
//	--if-missing     do nothing when the tag is already in the daemon
//	--push REF       tag the loaded image as REF and push it
//	--filler N       add N incompressible bytes (benchmarks)
//	--label K=V      image label (repeatable)
//
// Not on the data flow: it prepares the test environment
// (scripts/test-env.sh).
package main
