#!/usr/bin/env bash
# Benchmark: dwshim lint over the 30,000-task synthetic taskgraph graph
# (label → {task}), end to end. Prints wall and CPU time and peak RSS; the
# target is peak RSS <= 100 MiB (tasks are streamed). The corpus and graph
# are cached in /tmp/dwshim-bench (the same graph bench-convert.sh uses).
# The ratio to the JSON floor (decode every task into map[string]any and
# re-encode it) is measured by `go test -bench Lint30k ./lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DWSHIM_SHARED:-$(cd .. && pwd)/shared}
cache=/tmp/dwshim-bench
mkdir -p "$cache"
graph=$cache/graph-30k.json

if [ ! -x /usr/bin/time ]; then
  echo "bench-lint: installing time"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
fi
if [ ! -s "$graph" ]; then
  # The Go benchmark's setup generates the corpus and writes the graph.
  DWSHIM_SHARED=$shared go test -run '^$' -bench 'Lint30k' -benchtime 1x ./lint >/dev/null
fi
go build -trimpath -o bin/dwshim ./cmd/dwshim

printf 'input: %s (%s MiB, 30000 tasks)\n' "$graph" "$(($(stat -c %s "$graph") >> 20))"
out=$cache/lint-out.txt
status=0
set +e
/usr/bin/time -v -o "$cache/time-lint.txt" bin/dwshim lint "$graph" >"$out" 2>"$cache/stderr-lint.txt"
rc=$?
set -e
if [ "$rc" -ge 2 ]; then
  echo "lint failed (exit $rc):"; tail -5 "$cache/stderr-lint.txt"; exit 1
fi
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$cache/time-lint.txt")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$cache/time-lint.txt")
user=$(sed -n 's/.*User time (seconds): //p' "$cache/time-lint.txt")
sys=$(sed -n 's/.*System time (seconds): //p' "$cache/time-lint.txt")
rss_mib=$((rss / 1024))
verdict=ok
[ "$rss_mib" -le 100 ] || { verdict="OVER the 100 MiB target"; status=1; }
printf 'lint wall %s  cpu %ss user + %ss sys  peak RSS %d MiB (%s)  exit %d  %s\n' \
  "$wall" "$user" "$sys" "$rss_mib" "$verdict" "$rc" "$(tail -1 "$out")"
exit $status
