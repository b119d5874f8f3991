#!/usr/bin/env bash
# One machine, a large pool, the real four programs: N interfaces (100 000 by default) in one list file against
# the mock API answering after 50 ms, probed at concurrency C (1 000), then
#   - the prober alone over the pool (the floor: N × 50 ms / C plus the prober's own cost),
#   - the analyzer's full run over that batch (lines/s, peak RSS),
#   - two full cycles with `orchestrator once` (the second compares against the state the first left),
# printing wall time and peak RSS of each program (their own "stopped (peak RSS …)" lines) and the ratio of a
# whole cycle to the prober-only time. Goals (issue 20): analyzer ≥ 100 000 lines/s and < 100 MB, prober < 100 MB,
# cycle ≤ 1.3× the prober alone.
# Then a third cycle with P prober processes (16 by default, scheduler.probers) sharing the same concurrency
# C (C / P each): the orchestrator's own CPU and peak RSS supervising them, and each prober's peak RSS.
# Last, a mass outage: the prober's batch with every result turned into an HTTP 500, analyzed in a fresh spool
# (every interface a new failure; the report lists them all, the alert and the status site stay bounded).
#   Benchmarks/scale.sh [N] [C] [P]        (after: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
c=${2:-1000}
probers=${3:-16}
bin=${BIN:-.build/release}
for p in orchestrator prober analyzer notifier; do
    [ -x "$bin/$p" ] || { echo "build first: swift build -c release" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'kill $mock 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/orchestrator" mock-api --port "$port" --latency 50ms > "$work/mock.log" 2>&1 &
mock=$!
for _ in $(seq 1 100); do grep -q "mock API on" "$work/mock.log" && break; sleep 0.1; done
mkdir -p "$work/pool/svc"
python3 - "$work/pool/svc/pool.json" "$n" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as out:
    out.write('{"interfaces": [\n')
    for i in range(n):
        out.write(json.dumps({"name": f"health {i}", "url": f"/api/health?i={i}"}) + (",\n" if i < n - 1 else "\n"))
    out.write("]}\n")
PY
config() {  # config SPOOL [PROBERS]
    local p=${2:-1}
    printf 'monitor:\n  interval: 1h\n  timeout: 10\n  concurrency: %s\n  retry_attempts: 0\n  interface_pool: %s/pool\nscheduler:\n  start_delay: 0\n  probers: %s\nservices:\n  svc:\n    base_url: http://127.0.0.1:%s\nspool:\n  dir: %s\n' \
        "$(( (c + p - 1) / p ))" "$work" "$p" "$port" "$1"
}
config "$work/alone" > "$work/alone.yaml"
config "$work/cycle" > "$work/cycle.yaml"
config "$work/sharded" "$probers" > "$work/sharded.yaml"
seconds() { python3 -c "print(f'{$1:.2f}')"; }
# /usr/bin/time's figures: its last line (a command that exits non-zero gets "Command exited with …" above them,
# which once made a figure Python could not read; the exit is said by the program's own log).
timed() { tail -n 1 "$work/t.$1"; }
# The analyzer's own time for the run (its "reported … in N s" line).
took() { grep -o "reports/[^ ]* in [0-9.]* s" "$1" | tail -1 | grep -o '[0-9.]* s$' || echo "? s"; }
peak() { grep -o "$1 stopped (peak RSS [0-9.]* MB)" "$2" | tail -1 | grep -o '[0-9.]* MB' || echo "? MB"; }

/usr/bin/time -f "%e" -o "$work/t.prober" "$bin/prober" --config "$work/alone.yaml" 2> "$work/prober.log"
prober_wall=$(timed prober)
/usr/bin/time -f "%e %U %S" -o "$work/t.analyzer" "$bin/analyzer" --config "$work/alone.yaml" --once 2> "$work/analyzer.log"
read -r analyzer_wall au as < <(timed analyzer)
/usr/bin/time -f "%e" -o "$work/t.cycle1" "$bin/orchestrator" once --config "$work/cycle.yaml" > /dev/null 2> "$work/cycle1.log" || true
/usr/bin/time -f "%e" -o "$work/t.cycle2" "$bin/orchestrator" once --config "$work/cycle.yaml" > /dev/null 2> "$work/cycle2.log" || true
/usr/bin/time -f "%e" -o "$work/t.sharded" "$bin/orchestrator" once --config "$work/sharded.yaml" > /dev/null 2> "$work/sharded.log" || true
cycle1=$(timed cycle1)
cycle2=$(timed cycle2)
echo "interfaces: $n, concurrency $c, targets answer after 50 ms; limit N × 50 ms / C = $(seconds "$n * 0.05 / $c") s"
echo "prober alone: ${prober_wall} s, peak RSS $(peak prober "$work/prober.log")"
echo "analyzer full run: ${analyzer_wall} s wall, $(seconds "$au + $as") s CPU → $(python3 -c "print(int($n / $analyzer_wall))") lines/s, peak RSS $(peak analyzer "$work/analyzer.log")"
echo "cycle 1 (once): ${cycle1} s → $(seconds "$cycle1 / $prober_wall")× the prober alone; prober $(peak prober "$work/cycle1.log"), analyzer $(took "$work/cycle1.log") and $(peak analyzer "$work/cycle1.log"), notifier $(peak notifier "$work/cycle1.log")"
echo "cycle 2 (state compared): ${cycle2} s → $(seconds "$cycle2 / $prober_wall")× the prober alone; analyzer $(took "$work/cycle2.log") and $(peak analyzer "$work/cycle2.log")"
sharded=$(timed sharded)
supervised=$(grep -o "[0-9]* prober(s) supervised; orchestrator CPU [0-9.]* s (peak RSS [0-9.]* MB)" "$work/sharded.log" | tail -1)
rss=$(grep -o "prober stopped (peak RSS [0-9.]* MB)" "$work/sharded.log" | grep -o "[0-9.]* MB" | sort -n | sed -n '1p;$p' | paste -sd- -)
echo "cycle with $probers probers (concurrency $(( (c + probers - 1) / probers )) each): ${sharded} s → $(seconds "$sharded / $prober_wall")× the prober alone; ${supervised:-prober(s) supervised: ?}; each prober ${rss:-?}; $(grep -o "[0-9]* of [0-9]* reported" "$work/sharded.log" | tail -1 || true)$(grep -o "reported: [0-9]* interfaces, [0-9]* ok, [0-9]* failed" "$work/sharded.log" | tail -1)"

# A mass outage: every result of the prober's batch failing, in a fresh spool.
batch=$(find "$work/alone/results" -name '*.ndjson' ! -name '*.run.ndjson' | head -1)
mkdir -p "$work/outage/results/new" "$work/outage/runs/new"
cp "$work"/alone/runs/*/*.run.ndjson "$work/outage/runs/new/" 2>/dev/null || cp "$work"/alone/results/archive/*.run.ndjson "$work/outage/runs/new/"
sed -e 's/"outcome":"ok"/"outcome":"http_500","error":"HTTP 500 Internal Server Error"/' -e 's/"status":200/"status":500/' \
    "$batch" > "$work/outage/results/new/$(basename "$batch")"
config "$work/outage" > "$work/outage.yaml"
/usr/bin/time -f "%e %U %S" -o "$work/t.outage" "$bin/analyzer" --config "$work/outage.yaml" --once 2> "$work/outage.log"
read -r outage_wall ou os < <(timed outage)
alert=$(find "$work/outage/outbox" -name '*.alert.ndjson' -printf '%s\n' | head -1)
report=$(find "$work/outage/reports" -name '*.md' -printf '%s\n' | head -1)
"$bin/notifier" --config "$work/outage.yaml" --once > /dev/null 2> "$work/outage-notifier.log" || true
delivered=$(grep -c "delivered to" "$work/outage-notifier.log" || true)
echo "mass outage (every interface failing): analyzer ${outage_wall} s wall, $(seconds "$ou + $os") s CPU, peak RSS $(peak analyzer "$work/outage.log"); $(grep -o "reported: [0-9]* interfaces, [0-9]* ok, [0-9]* failed" "$work/outage.log" | tail -1); report $(( ${report:-0} / 1048576 )) MiB, alert $(( ${alert:-0} / 1024 )) KiB (delivered: ${delivered}; notifier $(peak notifier "$work/outage-notifier.log")), $(find "$work/outage/site/i" -name '*.html' | wc -l) interface pages"
