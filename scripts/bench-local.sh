#!/usr/bin/env bash
# Benchmarks for `dwshim local` (run by make bench, after make build):
#  (a) a trivial task (`true`) through bin/dwshim local vs plain
#      `docker run --rm`, N runs each, interleaved: mean ms and ratio;
#  (b) a task printing 1 GiB of log: peak RSS of dwshim, bytes nothing lost;
#  (c) a task writing a 1 GiB directory artifact: peak RSS, bytes match.
# Needs the Docker daemon and the test images (scripts/test-env.sh images).
set -euo pipefail
cd "$(dirname "$0")/.."

# N: runs per side in (a). LOG_BYTES, ART_BYTES: sizes for (b) and (c)
# (1 GiB each; the Docker daemon's log path can be slow on a loaded host,
# ~1 MB/s, so LOG_BYTES=67108864 gives a quicker run).
N=${N:-10}
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

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# (a) trivial task.
cat >"$work/true.json" <<EOF
{"image": "$IMAGE", "command": ["true"], "maxRunTime": 60}
EOF
"$BIN" local --artifacts "$work/a" "$work/true.json" >/dev/null 2>&1 # warm up
docker run --rm "$IMAGE" true
tot_d=0
tot_r=0
for i in $(seq "$N"); do
  s=$(ms); "$BIN" local --artifacts "$work/a" "$work/true.json" >/dev/null 2>&1; e=$(ms)
  tot_d=$((tot_d + e - s))
  s=$(ms); docker run --rm "$IMAGE" true; e=$(ms)
  tot_r=$((tot_r + e - s))
done
mean_d=$((tot_d / N))
mean_r=$((tot_r / N))
ratio=$(awk -v a="$mean_d" -v b="$mean_r" 'BEGIN{printf "%.2f", a/b}')

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
printf '\n%-34s %14s %10s\n' "benchmark (dwshim local)" "figure" "goal"
printf '%-34s %11s ms %10s\n' "(a) trivial task, dwshim local" "$mean_d" ""
printf '%-34s %11s ms %10s\n' "(a) trivial task, docker run --rm" "$mean_r" ""
printf '%-34s %14s %10s\n' "(a) ratio dwshim/docker" "$ratio" "<= 0.8"
printf '%-34s %10s KiB %10s\n' "(b) log $LOG_BYTES B, peak RSS" "$log_rss" "$(goal "$log_rss")"
printf '%-34s %14s %10s\n' "(b) log lines (want $want_lines)" "$log_lines" "$log_ok"
printf '%-34s %10s KiB %10s\n' "(c) artifact $ART_BYTES B, peak RSS" "$art_rss" "$(goal "$art_rss")"
printf '%-34s %14s %10s\n' "(c) artifact bytes" "$art_bytes" "$art_ok"
