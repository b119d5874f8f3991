#!/usr/bin/env bash
# The status site at scale: 10 000 interfaces (by default) with 90 days of history. Writes 89 past days of
# rollups and a recent file as the analyzer would have left them, then lets the release analyzer report one
# run of that many results, then a second, and reads its own timing lines ("history rollup in X s, status
# site in Y s").
# Goals (issue 17): the site in under 2 s, state/history/ under 200 MB.
#   Benchmarks/site-bench.sh [INTERFACES]        (after: swift build -c release --product analyzer)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
bin=${BIN:-.build/release}
[ -x "$bin/analyzer" ] || { echo "build first: swift build -c release --product analyzer" >&2; exit 1; }
work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] && echo "work: $work" || trap 'rm -rf "$work"' EXIT
printf 'spool:\n  dir: %s/spool\n' "$work" > "$work/config.yaml"
python3 Benchmarks/gen_batch.py "$work/spool" "$n" --failures 5 >/dev/null
python3 - "$work/spool" "$n" <<'PY'
import json, os, random, sys, time
spool, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(17)
history = f"{spool}/state/history"
os.makedirs(f"{history}/days", exist_ok=True)
ids = [(["user", "nurse", "admin", "billing"][i % 4], i) for i in range(n)]
now = time.time()
for back in range(89, 0, -1):
    day = time.strftime("%Y-%m-%d", time.gmtime(now - back * 86400))
    with open(f"{history}/days/{day}.ndjson", "w") as out:
        runs = [time.strftime("%Y%m%dT%H%M%SZ-tick", time.gmtime(now - back * 86400 + k * 900)) for k in range(96)]
        out.write(json.dumps({"v": 1, "kind": "history_day", "day": day, "runs": runs}) + "\n")
        for service, i in ids:
            failed = rnd.choice([0, 0, 0, 1, 3])
            latency = [0] * 20
            for _ in range(96 - failed):
                latency[min(int(rnd.expovariate(1 / 4)), 19)] += 1
            out.write(json.dumps({"v": 1, "kind": "interface_day", "id": f"{service}/api/item-{i}", "day": day, "runs": 96,
                                  "ok": 96 - failed, "outcomes": {"timeout": failed} if failed else {}, "latency": latency},
                                 separators=(",", ":")) + "\n")
with open(f"{history}/recent.ndjson", "w") as out:
    for service, i in ids:
        out.write(json.dumps({"v": 1, "kind": "interface_recent", "id": f"{service}/api/item-{i}", "service": service,
                              "name": f"Item {i} 接口", "url": f"https://{service}.example.com/api/item/{i}",
                              "strip": "".join(rnd.choice("ooooooooot") for _ in range(89)),
                              "latencies": [round(rnd.uniform(5, 900), 1) for _ in range(89)],
                              "runs": [f"2026{k:04d}T000000Z-tick" for k in range(89)], "hours": []}, separators=(",", ":")) + "\n")
PY
before=$(du -sb "$work/spool/state/history" | cut -f1)
# The analyzer runs as the service does: the first run after start reads 30 days of rollups; every later run
# (each tick) reads only today's, the past days being kept in memory, and rewrites the pages in place.
"$bin/analyzer" --config "$work/config.yaml" 2> "$work/log" &
pid=$!
wait_for() {  # the n-th timing line
    for _ in $(seq 1 600); do
        [ "$(grep -c 'status site in' "$work/log")" -ge "$1" ] && return 0
        sleep 0.2
    done
    cat "$work/log" >&2
    exit 1
}
timing() { grep -o 'history rollup in [0-9.]* s, status site in [0-9.]* s' "$work/log" | sed -n "${1}p"; }
wait_for 1
first_rollup=$(timing 1 | awk '{print $4}')
first_site=$(timing 1 | awk '{print $9}')
sleep 1  # the next batch needs a run id of another second
python3 Benchmarks/gen_batch.py "$work/spool" "$n" --failures 5 >/dev/null
wait_for 2
rollup=$(timing 2 | awk '{print $4}')
site=$(timing 2 | awk '{print $9}')
cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$pid/stat")
rss=$(grep VmHWM "/proc/$pid/status" | awk '{print $2}')
kill -TERM "$pid"
wait "$pid" || true
after=$(du -sb "$work/spool/state/history" | cut -f1)
pages=$(find "$work/spool/site" -name '*.html' | wc -l)
sitebytes=$(du -sb --exclude='.*.swap' "$work/spool/site" | cut -f1)
echo "interfaces: $n, history: 90 days"
echo "status site, every run: ${site} s for $pages pages ($((sitebytes / 1048576)) MiB); goal < 2 s → $(python3 -c "print(f'{$site/2:.2f}')")× the budget"
echo "status site, first run after start (30 days read, every file new): ${first_site} s"
echo "history rollup of a run: ${rollup} s (first run ${first_rollup} s)"
echo "state/history/: $((after / 1048576)) MiB after 90 days (before the run: $((before / 1048576)) MiB); goal < 200 MB → $(python3 -c "print(f'{$after/200e6:.2f}')")× the budget"
echo "analyzer service over both runs: ${cpu} s CPU, peak RSS $((rss / 1024)) MB"
