#!/usr/bin/env bash
# Benchmark (make bench): dwshim convert --graph and dwshim lint end to end
# on the 30,000-task synthetic task graph, side by side with the JSON floor
# (scripts/jsonfloor: decode each task into map[string]any and encode it
# again), interleaved, ROUNDS times (default 3), printing the median wall
# time of each, the ratios to the floor and the peak RSS. Targets (issue 9):
# convert and lint <= 0.35x the floor, peak RSS <= 100 MiB.
# The corpus and graph are cached in /tmp/dwshim-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DWSHIM_SHARED:-$(cd .. && pwd)/shared}
cache=/tmp/dwshim-bench
rounds=${ROUNDS:-3}
mkdir -p "$cache"
gz=$cache/tasks-n30000-seed1.jsonl.gz
graph=$cache/graph-30k-v4.json

if [ ! -x /usr/bin/time ]; then
  echo "bench-convert: installing time"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
fi
if [ ! -s "$gz" ]; then
  # The generator compresses only when -o ends in .gz.
  go run "$shared/corpus/synthetic/gen/main.go" -n 30000 -seed 1 -o "$gz.tmp.gz" >/dev/null
  mv "$gz.tmp.gz" "$gz"
fi
if [ ! -s "$graph" ]; then
  # One taskgraph entry per task, keyed by label, as full-task-graph.json.
  # About half of the generator's tasks have artifacts that expire after
  # the task, which the queue refuses (so dwshim does): clamp them, as
  # taskgraph does.
  python3 - "$gz" "$graph.tmp" <<'EOF'
import gzip, json, sys
src, dst = sys.argv[1], sys.argv[2]
seen = set()
with gzip.open(src, "rt") as f, open(dst, "w") as out:
    out.write("{\n")
    for i, line in enumerate(f):
        task = json.loads(line)
        for a in (task["payload"].get("artifacts") or {}).values():
            if a.get("expires", "") > task["expires"]:
                a["expires"] = task["expires"]
        tags = task.get("tags", {})
        label = tags.get("label") or task["metadata"]["name"]
        if label in seen:  # the generator repeats some labels; a graph cannot
            label += "-%d" % i
        seen.add(label)
        entry = {"attributes": {"kind": tags.get("kind", "")}, "dependencies": {},
                 "kind": tags.get("kind", ""), "label": label, "optimization": None,
                 "soft_dependencies": [], "task": task}
        out.write((",\n" if i else "") + json.dumps(label) + ": " + json.dumps(entry, indent=2))
    out.write("\n}\n")
EOF
  mv "$graph.tmp" "$graph"
fi
go build -trimpath -o bin/dwshim ./cmd/dwshim
go build -trimpath -o bin/jsonfloor ./scripts/jsonfloor

# measure NAME CMD...: one run; appends "wall_s rss_kib exit cpu_s" to $cache/NAME.runs
measure() {
  local name=$1; shift
  local code=0
  /usr/bin/time -f '%e %M %U %S' -o "$cache/$name.time" "$@" >"$cache/$name.out" 2>"$cache/$name.err" || code=$?
  read -r wall rss user sys < <(tail -1 "$cache/$name.time")
  echo "$wall $rss $code $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" >>"$cache/$name.runs"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf 'input: %s (%s MiB, 30000 tasks); %d interleaved rounds; %d CPUs, load %s\n' \
  "$graph" "$(($(stat -c %s "$graph") >> 20))" "$rounds" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$cache"/{floor,convert,lint}.runs
for _ in $(seq "$rounds"); do
  measure floor bin/jsonfloor "$graph"
  measure convert bin/dwshim convert --graph "$graph"
  measure lint bin/dwshim lint "$graph"
done
status=0
floor=$(cut -d' ' -f1 "$cache/floor.runs" | median)
floorcpu=$(cut -d' ' -f4 "$cache/floor.runs" | median)
printf '%-16s median wall %6.2fs  cpu %6.2fs  peak RSS %4d MiB\n' floor "$floor" "$floorcpu" $(($(cut -d' ' -f2 "$cache/floor.runs" | sort -n | tail -1) / 1024))
for name in convert lint; do
  wall=$(cut -d' ' -f1 "$cache/$name.runs" | median)
  rss=$(($(cut -d' ' -f2 "$cache/$name.runs" | sort -n | tail -1) / 1024))
  codes=$(cut -d' ' -f3 "$cache/$name.runs" | sort -u | tr '\n' ' ')
  ratio=$(awk -v a="$wall" -v b="$floor" 'BEGIN {printf "%.2f", a / b}')
  cpu=$(cut -d' ' -f4 "$cache/$name.runs" | median)
  cratio=$(awk -v a="$cpu" -v b="$floorcpu" 'BEGIN {printf "%.2f", a / b}')
  verdict=ok
  awk -v r="$ratio" 'BEGIN {exit !(r <= 0.35)}' || verdict="OVER 0.35x"
  [ "$rss" -le 100 ] || verdict="$verdict, RSS OVER 100 MiB"
  printf '%-16s median wall %6.2fs  %sx floor  cpu %6.2fs (%sx)  peak RSS %4d MiB  exit %s (%s)\n' "dwshim $name" "$wall" "$ratio" "$cpu" "$cratio" "$rss" "$codes" "$verdict"
  [ "$verdict" = ok ] || status=1
done
echo "(runs: $cache/{floor,convert,lint}.runs; the machine may be shared: compare ratios, not seconds)"
# Report, never fail make bench on a figure.
exit 0
