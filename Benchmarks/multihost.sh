#!/usr/bin/env bash
# M "hosts" on this machine sharing one spool: each an orchestrator with its own VIGIL_HOST and
# --hosts M --host-index i, running its shards of every scheduled run (interval 5 s, S probers per run) against
# the mock API; one analyzer for the spool. After R runs it prints, per run, which host probed which shards
# and the report's shard line — one report per run, every shard once.
#   Benchmarks/multihost.sh [M] [SHARDS] [RUNS] [INTERFACES]      (after: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-3}
shards=${2:-6}
runs=${3:-4}
n=${4:-3000}
bin=${BIN:-.build/release}
for p in orchestrator prober analyzer; do [ -x "$bin/$p" ] || { echo "build first: swift build -c release" >&2; exit 1; }; done
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/orchestrator" mock-api --port "$port" --latency 20ms > "$work/mock.log" 2>&1 &
pids+=($!)
mkdir -p "$work/pool/svc"
python3 -c 'import json,sys; json.dump({"interfaces":[{"id":f"e{i}","name":f"endpoint {i}","url":f"/api/health?i={i}"} for i in range(int(sys.argv[2]))]}, open(sys.argv[1],"w"))' \
    "$work/pool/svc/endpoints.json" "$n"
printf 'monitor:\n  interval: 5s\n  timeout: 5\n  concurrency: 200\n  retry_attempts: 0\n  interface_pool: %s/pool\nscheduler:\n  start_delay: 0\n  probers: %s\n  max_runtime: 60\nservices:\n  svc:\n    base_url: http://127.0.0.1:%s\nspool:\n  dir: %s/spool\n' \
    "$work" "$shards" "$port" "$work" > "$work/config.yaml"
"$bin/analyzer" --config "$work/config.yaml" 2> "$work/analyzer.log" &
pids+=($!)
for i in $(seq 1 "$hosts"); do
    VIGIL_HOST="host-$i" "$bin/orchestrator" --config "$work/config.yaml" --hosts "$hosts" --host-index "$i" 2> "$work/host-$i.log" &
    pids+=($!)
done
# Runs whose report exists, counted from the first tick every host took part in.
for _ in $(seq 1 $((runs * 10 + 60))); do
    [ "$(ls "$work/spool/reports" 2>/dev/null | wc -l)" -ge $((runs + 2)) ] && break
    sleep 1
done
for p in "${pids[@]:2}"; do kill -TERM "$p" 2>/dev/null || true; done
sleep 2
echo "hosts: $hosts, shards per run: $shards, interfaces: $n"
for report in $(ls "$work/spool/reports" | sort | tail -n "$runs"); do
    run=${report%.md}
    split=$(ls "$work/spool/results/archive" 2>/dev/null | grep "^$run\..*\.prober-" | sed -E 's/^[^.]+\.([0-9]+of[0-9]+)\.([^.]+)\.prober-.*/\2:\1/' | sort -t: -k1,1 -k2,2 |
        awk -F: '{a[$1]=a[$1] (a[$1]?",":"") $2} END {for (h in a) printf "%s %s  ", h, a[h]}')
    echo "$run: $(grep -o '| Shards | [^|]* |' "$work/spool/reports/$report" | sed 's/| Shards | //; s/ |$//') — $split"
done
echo "reports per run: $(ls "$work/spool/reports" | sed 's/\.md$//' | sort | uniq -d | wc -l) run(s) with more than one report"
