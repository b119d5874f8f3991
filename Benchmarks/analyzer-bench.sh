#!/usr/bin/env bash
# Analyzer throughput on one 100 000-line batch, pinned to one core, beside a peer measured in the same run
# on the same file (Python's json.loads over every line: parsing only). Two analyzer figures:
#   ingest   — claim, read, validate and decode the batch (its run waits for a second shard, so no report);
#   full run — ingest plus report, interface state, alert, history and metrics for 100 000 interfaces.
# Ratios against the peer are what compare across machines; absolute numbers depend on the machine.
#   Benchmarks/analyzer-bench.sh [LINES] [FAILURE_PERCENT]     (after: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-100000}
failures=${2:-10}
bin=${BIN:-.build/release}
[ -x "$bin/analyzer" ] || { echo "build first: swift build -c release --product analyzer" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # prints: wall_s cpu_s maxrss_kb
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$work/time"
}

# Ingest only: a manifest says the run has two shards and ends in an hour, so the analyzer reads the batch,
# waits for the other shard, and hands the batch back when --once ends.
mkdir -p "$work/a" "$work/b"
printf 'spool:\n  dir: %s/a/spool\n' "$work" > "$work/a/config.yaml"
printf 'spool:\n  dir: %s/b/spool\n' "$work" > "$work/b/config.yaml"
file=$(python3 Benchmarks/gen_batch.py "$work/a/spool" "$lines" --failures "$failures")
size=$(stat -c %s "$file")
run=$(basename "$file" | cut -d. -f1)
mkdir -p "$work/a/spool/runs/new"
python3 - "$work/a/spool/runs/new/$run.run.ndjson" "$run" <<'PY'
import json, sys, time
start = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
end = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 3600))
open(sys.argv[1], "w").write(json.dumps({"v": 1, "kind": "run", "run": sys.argv[2], "shards": 2, "started_at": start,
                                         "deadline": end, "trigger": "schedule"}) + "\n")
PY
python3 Benchmarks/gen_batch.py "$work/b/spool" "$lines" --failures "$failures" >/dev/null
cp "$file" "$work/copy.ndjson"

read -r i_wall i_cpu i_rss < <(measure taskset -c 0 "$bin/analyzer" --config "$work/a/config.yaml" --once)
read -r a_wall a_cpu a_rss < <(measure taskset -c 0 "$bin/analyzer" --config "$work/b/config.yaml" --once)
read -r p_wall p_cpu p_rss < <(measure taskset -c 0 python3 -c '
import json, sys
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
' "$work/copy.ndjson")

python3 - "$lines" "$size" "$failures" "$i_wall" "$i_cpu" "$i_rss" "$a_wall" "$a_cpu" "$a_rss" "$p_wall" "$p_cpu" "$p_rss" <<'PY'
import sys
lines, size, failures = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
i_wall, i_cpu, i_rss, a_wall, a_cpu, a_rss, p_wall, p_cpu, p_rss = map(float, sys.argv[4:])
print(f"batch: {lines} lines, {size / 1e6:.1f} MB, {failures}% failures with excerpts; one core (taskset -c 0)")
print(f"  analyzer ingest   : {i_wall:5.2f} s wall {i_cpu:5.2f} s CPU  {lines / i_wall:9,.0f} lines/s  peak RSS {i_rss / 1024:6.1f} MB")
print(f"  analyzer full run : {a_wall:5.2f} s wall {a_cpu:5.2f} s CPU  {lines / a_wall:9,.0f} lines/s  peak RSS {a_rss / 1024:6.1f} MB")
print(f"  peer json.loads   : {p_wall:5.2f} s wall {p_cpu:5.2f} s CPU  {lines / p_wall:9,.0f} lines/s  peak RSS {p_rss / 1024:6.1f} MB")
print(f"  ratios to the peer: ingest {p_wall / i_wall:.2f}x, full run {p_wall / a_wall:.2f}x"
      f"   goal >= 100,000 lines/s: ingest {'met' if lines / i_wall >= 1e5 else 'not met'}, full run {'met' if lines / a_wall >= 1e5 else 'not met'}")
PY
