#!/usr/bin/env bash
# Benchmark: dwshim convert --graph over a 30,000-task taskgraph task graph
# (the synthetic Firefox-CI-like corpus), both targets. Prints wall time and
# peak RSS; the target is peak RSS <= 100 MiB (the graph is streamed).
# The corpus and graph are cached in /tmp/dwshim-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DWSHIM_SHARED:-$(cd .. && pwd)/shared}
cache=/tmp/dwshim-bench
mkdir -p "$cache"
gz=$cache/tasks-30k.jsonl.gz
graph=$cache/graph-30k-v2.json

if [ ! -x /usr/bin/time ]; then
  echo "bench-convert: installing time"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
fi
if [ ! -s "$gz" ]; then
  go run "$shared/corpus/synthetic/gen/main.go" -n 30000 -seed 1 -o "$gz.tmp" >/dev/null
  mv "$gz.tmp" "$gz"
fi
if [ ! -s "$graph" ]; then
  # One taskgraph entry per task, keyed by label, as full-task-graph.json.
  python3 - "$gz" "$graph.tmp" <<'EOF'
import gzip, json, sys
src, dst = sys.argv[1], sys.argv[2]

def slugid(s):
    # The generator's ids are not v4 slugids, which generic-worker's schema
    # requires of an image taskId: fix the version and variant characters.
    return s[:8] + "Q" + s[9] + "C" + s[11:21] + "A" if len(s) == 22 else s

with gzip.open(src, "rt") as f, open(dst, "w") as out:
    out.write("{\n")
    for i, line in enumerate(f):
        task = json.loads(line)
        task["dependencies"] = [slugid(d) for d in task.get("dependencies", [])]
        image = task["payload"].get("image")
        if isinstance(image, dict) and image.get("type") == "task-image":
            image["taskId"] = slugid(image["taskId"])
        tags = task.get("tags", {})
        label = tags.get("label") or task["metadata"]["name"]
        entry = {"attributes": {"kind": tags.get("kind", "")}, "dependencies": {},
                 "kind": tags.get("kind", ""), "label": label, "optimization": None,
                 "soft_dependencies": [], "task": task}
        out.write((",\n" if i else "") + json.dumps(label) + ": " + json.dumps(entry, indent=2))
    out.write("\n}\n")
EOF
  mv "$graph.tmp" "$graph"
fi
go build -trimpath -o bin/dwshim ./cmd/dwshim

printf 'input: %s (%s MiB, %s tasks)\n' "$graph" "$(($(stat -c %s "$graph") >> 20))" 30000
status=0
for target in d2g native; do
  out=$cache/out-$target.json
  # Exit 1 is expected: the generator's image taskIds are not slugids, which
  # generic-worker's schema rejects; those tasks are reported, not written.
  code=0
  /usr/bin/time -v -o "$cache/time-$target.txt" bin/dwshim convert --graph --target "$target" "$graph" \
    >"$out" 2>"$cache/stderr-$target.txt" || code=$?
  if [ "$code" -gt 1 ]; then echo "convert --target $target failed ($code):"; tail -5 "$cache/stderr-$target.txt"; status=1; fi
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$cache/time-$target.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$cache/time-$target.txt")
  user=$(sed -n 's/.*User time (seconds): //p' "$cache/time-$target.txt")
  sys=$(sed -n 's/.*System time (seconds): //p' "$cache/time-$target.txt")
  rss_mib=$((rss / 1024))
  verdict=ok
  [ "$rss_mib" -le 100 ] || { verdict="OVER the 100 MiB target"; status=1; }
  printf 'convert --graph --target %-6s wall %s  cpu %ss user + %ss sys  peak RSS %d MiB (%s)  output %d MiB  problems %d  warnings %d\n' \
    "$target" "$wall" "$user" "$sys" "$rss_mib" "$verdict" "$(($(stat -c %s "$out") >> 20))" \
    "$(grep -vc '^warning: ' "$cache/stderr-$target.txt" || true)" "$(grep -c '^warning: ' "$cache/stderr-$target.txt" || true)"
done
exit $status
