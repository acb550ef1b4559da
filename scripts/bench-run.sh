#!/usr/bin/env bash
# Benchmark for `dwshim run` (run by make bench): a trivial task (`exit 0`,
# named image present locally) through bin/dwshim run against the queue
# double, claim to resolution with the log uploaded, beside `docker run
# --rm` of the same container, N runs each, interleaved: medians and ratio
# (issue 10's target: <= 1.1). Needs the Docker daemon and the test images.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10}
BIN=./bin/dwshim
[ -x "$BIN" ] || go build -trimpath -o "$BIN" ./cmd/dwshim
bash scripts/test-env.sh images >/dev/null
go run ./internal/cmd/bench-run --dwshim "$BIN" -n "$N"
