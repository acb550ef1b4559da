#!/usr/bin/env bash
# Benchmark of image artifact loading (run by make bench):
#   dwshim's streaming path (runner/docker: detect zstd by content, decompress
#   while streaming into the Engine API's image load) vs `zstd -dc | docker load`,
#   on a ~100 MB .tar.zst of incompressible data built by testimages.
#   Reports wall time and peak RSS (MiB) of each side.
# Needs the Docker daemon. SIZE_MB overrides the size.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-100}
if [ ! -x /usr/bin/time ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
work=$(mktemp -d)
label=dwshim.test=bench-engine
cleanup() {
  ids=$(docker images -q --filter "label=$label" | sort -u)
  [ -z "$ids" ] || docker rmi -f $ids >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/testimages" ./runner/docker/internal/testimages/cmd/testimages
go build -o "$work/benchload" ./runner/docker/internal/benchload
img="$work/image.tar.zst"
"$work/testimages" --out "$img" --compress zstd --filler $((SIZE_MB * 1000 * 1000)) \
  --tag dwshim-bench/load:latest --label "$label"
size=$(stat -c %s "$img")

rmimg() {
  ids=$(docker images -q --filter "label=$label" | sort -u)
  [ -z "$ids" ] || docker rmi -f $ids >/dev/null
}

# Peak RSS in KiB and wall seconds of a command, via /usr/bin/time.
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null
  read -r secs kib <"$work/time"
  echo "$secs $((kib / 1024))"
}

rmimg
read -r d_secs d_mib < <(measure "$work/benchload" "$img")
rmimg
read -r c_secs c_mib < <(measure sh -c "zstd -dc '$img' | docker load")
rmimg

printf 'artifact: %s bytes (.tar.zst, incompressible filler %d MB)\n' "$size" "$SIZE_MB"
printf '%-34s %8s %10s\n' "" "wall s" "peak MiB"
printf '%-34s %8s %10s\n' "dwshim Engine (stream, API load)" "$d_secs" "$d_mib"
printf '%-34s %8s %10s\n' "zstd -dc | docker load" "$c_secs" "$c_mib"
if [ "$d_mib" -gt 64 ]; then
  echo "bench-engine: peak RSS $d_mib MiB is over the 64 MiB target" >&2
  exit 1
fi
