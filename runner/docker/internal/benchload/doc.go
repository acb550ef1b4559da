// Command benchload loads one image artifact file through the Engine's
// streaming path (Prepare of a task-image task) and prints the time it
// took; scripts/bench-engine.sh runs it under /usr/bin/time for peak RSS.
//
//	go build -o /tmp/benchload ./runner/docker/internal/benchload
//	benchload FILE [IDENTITY]
//
// Not on the data flow: a measurement tool for make bench.
package main
