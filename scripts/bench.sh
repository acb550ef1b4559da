#!/usr/bin/env bash
# make bench: Go benchmarks, then every scripts/bench-*.sh (side-by-side
# comparisons that need whole commands). Results go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench . -benchmem -count 1 -timeout 60m ./...
for s in scripts/bench-*.sh; do
  [ -e "$s" ] || continue
  echo "== $s"
  bash "$s"
done
