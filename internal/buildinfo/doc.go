// Package buildinfo is dwshim's version and source commit, stamped at build
// time by `make dist` (tools/dist) with
//
//	-ldflags "-X github.com/dwshim/dwshim/internal/buildinfo.version=V
//	          -X github.com/dwshim/dwshim/internal/buildinfo.commit=C"
//
// Unstamped builds (`go build`, `go test`) report version "dev" and the
// commit Go recorded from the work tree, if any.
//
// Entry points: Version, Commit, String (for --version, the worker's
// workerVersion and the lint writers). It does no I/O.
package buildinfo
