#!/usr/bin/env bash
# make fuzz: run every Fuzz target for FUZZTIME (default 20s) each.
#
# Minimization is bounded (FUZZMINIMIZETIME, default 10x: ten runs per
# input): with Go's default of 60 s per new input, targets whose seeds are
# large (image tarballs) spend the whole FUZZTIME minimizing and execute a
# handful of inputs. A target that still ran fewer than FUZZMINEXECS
# (default 100) inputs did not really fuzz, and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-20s}
m=${FUZZMINIMIZETIME:-10x}
min=${FUZZMINEXECS:-100}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "== $pkg $f"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime "$m" "$pkg" 2>&1 | tee "$out"
    execs=$(grep -o 'execs: [0-9]*' "$out" | tail -1 | grep -o '[0-9]*' || echo 0)
    if [ "${execs:-0}" -lt "$min" ]; then
      echo "FAIL: $pkg $f ran ${execs:-0} inputs in $t (want >= $min): it did not really fuzz" >&2
      fail=1
    fi
  done
done
exit $fail
