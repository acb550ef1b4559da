// Command enginefloor runs one container the least any Docker Engine API
// client can, to measure what the daemon itself costs a trivial task: a
// ping, the create (from a JSON body given in a file), the attach and the
// events subscription together, the start, the output to standard output
// until the container's "die" event, whose exit code it exits with. The
// daemon removes the container (the body asks for auto-remove).
//
// scripts/bench-local.sh times it beside `dwshim local` and `docker run
// --rm` of the same container (make bench): dwshim's time minus this one is
// what dwshim itself adds, and this one over docker run's is the lowest
// ratio any client of this daemon could reach.
//
// Not on the data flow: a benchmark yardstick. It speaks HTTP on the
// daemon's Unix socket with the standard library only, so it starts as
// fast as a Go program can (the SDK stays in runner/docker).
package main
