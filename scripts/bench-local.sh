#!/usr/bin/env bash
# Benchmarks for `dwshim local` (run by make bench, after make build):
#  (a) a trivial task (`true`) through bin/dwshim local vs plain
#      `docker run --rm`, and the daemon's own cost (enginefloor), N runs
#      each, interleaved: medians, means and ratios;
#  (b) a task printing 1 GiB of log: peak RSS of dwshim, bytes nothing lost;
#  (c) a task writing a 1 GiB directory artifact: peak RSS, bytes match.
# Needs the Docker daemon and the test images (scripts/test-env.sh images).
set -euo pipefail
cd "$(dirname "$0")/.."

# N: runs per side in (a). LOG_BYTES, ART_BYTES: sizes for (b) and (c)
# (1 GiB each; the Docker daemon's log path can be slow on a loaded host,
# ~1 MB/s, so LOG_BYTES=67108864 gives a quicker run).
N=${N:-20}
LOG_BYTES=${LOG_BYTES:-1073741824}
ART_BYTES=${ART_BYTES:-1073741824}
IMAGE=dwshim-test/busybox:latest
BIN=./bin/dwshim
[ -x "$BIN" ] || go build -trimpath -o "$BIN" ./cmd/dwshim
if [ ! -x /usr/bin/time ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
bash scripts/test-env.sh images >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# (a) trivial task: three sides, each timed as a whole process, interleaved
# (each round starts with the next side); medians and means:
#  - dwshim local of the task;
#  - docker run --rm of the same image and command (the yardstick);
#  - enginefloor (internal/cmd/enginefloor): the least an Engine API client
#    can do for the container dwshim creates (ping, create, attach and
#    events, start, output until "die"): what the daemon itself costs.
# After each run the daemon is left to finish and go idle (dwshim and
# enginefloor exit at "die" and leave the removal to the daemon's
# auto-remove, which docker run waits for), so that no side is timed while
# the daemon still works on another's container.
cat >"$work/true.json" <<EOF
{"image": "$IMAGE", "command": ["true"], "maxRunTime": 60}
EOF
# The container dwshim local creates for that task (runner/docker's spec;
# TestBenchFloorBodyIsLocalsContainer keeps the file so).
floor_body=scripts/bench-local-floor.json
FLOOR=$work/enginefloor
go build -o "$FLOOR" ./internal/cmd/enginefloor
settle() {
  local n=0
  while [ -n "$(docker ps -aq --filter ancestor="$IMAGE")" ] && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1)) # at most ~10 s: a container of the image not ours may run
  done
  sleep 0.2
}
side() {
  case $1 in
    dwshim) "$BIN" local --artifacts "$work/a" "$work/true.json" >/dev/null 2>&1 ;;
    docker) docker run --rm "$IMAGE" true ;;
    floor) "$FLOOR" -body "$floor_body" ;;
  esac
}
sides=(dwshim docker floor)
for s in "${sides[@]}"; do side "$s"; settle; done # warm up
: >"$work/times"
for i in $(seq "$N"); do
  for j in 0 1 2; do
    s=${sides[$(((i + j) % 3))]}
    t0=$(date +%s%N); side "$s"; t1=$(date +%s%N)
    echo "$s $(((t1 - t0) / 1000))" >>"$work/times"
    settle
  done
done
# stat SIDE median|mean: milliseconds, one decimal.
stat() {
  awk -v s="$1" '$1 == s {print $2}' "$work/times" | sort -n | awk -v w="$2" '
    {v[NR] = $1; t += $1}
    END {
      if (w == "mean") { printf "%.1f", t / NR / 1000; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.1f", m / 1000
    }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
med_d=$(stat dwshim median) med_r=$(stat docker median) med_f=$(stat floor median)
mean_d=$(stat dwshim mean) mean_r=$(stat docker mean) mean_f=$(stat floor mean)
own=$(awk -v a="$med_d" -v b="$med_f" 'BEGIN {printf "%.1f", a - b}')

rss_kib() { awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$1"; }

# (b) 1 GiB of log. The container has a TTY (as docker-worker), so each
# "y\n" arrives as "y\r\n": count the lines, not the bytes.
cat >"$work/log.json" <<EOF
{"image": "$IMAGE", "command": ["sh", "-c", "yes | head -c $LOG_BYTES"], "maxRunTime": 7200}
EOF
/usr/bin/time -v -o "$work/log.time" "$BIN" local --artifacts "$work/b" "$work/log.json" >"$work/log.out" 2>"$work/log.err"
log_rss=$(rss_kib "$work/log.time")
log_lines=$(grep -c '^y' "$work/log.out" || true)
want_lines=$((LOG_BYTES / 2))
log_ok=$([ "$log_lines" = "$want_lines" ] && echo ok || echo MISMATCH)

# (c) 1 GiB directory artifact: four 256 MiB files.
cat >"$work/art.json" <<EOF
{"image": "$IMAGE", "command": ["sh", "-c", "mkdir -p /out/d && for i in 1 2 3 4; do head -c $((ART_BYTES / 4)) /dev/zero > /out/d/f\$i; done"],
 "maxRunTime": 600, "artifacts": {"public/big": {"type": "directory", "path": "/out"}}}
EOF
/usr/bin/time -v -o "$work/art.time" "$BIN" local --artifacts "$work/c" "$work/art.json" >"$work/art.out" 2>"$work/art.err"
art_rss=$(rss_kib "$work/art.time")
art_bytes=$(find "$work/c" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
art_ok=$([ "$art_bytes" = $((ART_BYTES / 4 * 4)) ] && echo ok || echo MISMATCH)

goal() { [ "$1" -le $((64 * 1024)) ] && echo ok || echo OVER; }
printf '\n%-42s %18s %8s\n' "benchmark (dwshim local), N=$N" "median (mean)" "goal"
printf '%-42s %18s %8s\n' "(a) trivial task, dwshim local" "$med_d ($mean_d) ms" ""
printf '%-42s %18s %8s\n' "(a) trivial task, docker run --rm" "$med_r ($mean_r) ms" ""
printf '%-42s %18s %8s\n' "(a) trivial task, engine floor" "$med_f ($mean_f) ms" ""
printf '%-42s %18s %8s\n' "(a) ratio dwshim / docker run" "$(ratio "$med_d" "$med_r") ($(ratio "$mean_d" "$mean_r"))" "<= 0.8"
printf '%-42s %18s %8s\n' "(a) ratio floor / docker run" "$(ratio "$med_f" "$med_r") ($(ratio "$mean_f" "$mean_r"))" ""
printf '%-42s %18s %8s\n' "(a) dwshim's own time (dwshim - floor)" "$own ms" ""
printf '%-42s %14s KiB %8s\n' "(b) log $LOG_BYTES B, peak RSS" "$log_rss" "$(goal "$log_rss")"
printf '%-42s %18s %8s\n' "(b) log lines (want $want_lines)" "$log_lines" "$log_ok"
printf '%-42s %14s KiB %8s\n' "(c) artifact $ART_BYTES B, peak RSS" "$art_rss" "$(goal "$art_rss")"
printf '%-42s %18s %8s\n' "(c) artifact bytes" "$art_bytes" "$art_ok"
