// Command demo-worker shows `dwshim run` working without a deployment
// (make demo-worker): it starts the queue double (internal/tcfake) on
// 127.0.0.1, runs the dwshim binary as a worker against it, submits a sample
// docker-worker task, waits for the queue to resolve it, prints the task log
// and the artifacts, writes them under -out, and stops the worker as systemd
// would (SIGTERM).
//
// Not on the data flow: a demonstration for make demo-worker. The worker's
// config is the fake's (tcfake WorkerConfig), as bench-run's.
package main
