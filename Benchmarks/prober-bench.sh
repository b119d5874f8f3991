#!/usr/bin/env bash
# Prober throughput against loopback endpoints that answer after 50 ms (`orchestrator mock-api`, a separate
# process). For each pool size N and concurrency C it prints wall time, the physical limit N × 50 ms / C,
# their ratio, CPU time (and per probe) and peak RSS of the prober; then 50 targets that accept and never
# answer (timeout 3 s): the CPU the prober spends waiting on them. Goals (issue 11): ≤ 1.10× the limit for
# 1 000 at C=50, ≤ 1.3× for 10 000 at C=200, ≤ 0.2 ms CPU per probe on kept-alive connections, ≤ 0.05 s of CPU
# in all for the 50 hanging targets, < 100 MB peak RSS for 100 000 interfaces at C=1000.
#   Benchmarks/prober-bench.sh [SIZES] [CONCURRENCIES]     e.g. Benchmarks/prober-bench.sh "1000 10000" "5 50 200"
# (after: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-"1000 10000"}
concurrencies=${2:-"5 50 200"}
latency_ms=50
bin=${BIN:-.build/release}
for p in prober orchestrator; do
    [ -x "$bin/$p" ] || { echo "build first: swift build -c release" >&2; exit 1; }
done
work=$(mktemp -d)
"$bin/orchestrator" mock-api --port 0 --latency ${latency_ms}ms > "$work/api.out" 2>"$work/api.err" &
api=$!
trap 'kill $api 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q "mock API on" "$work/api.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^mock API on \([^ ]*\).*/\1/p' "$work/api.out")
[ -n "$base" ] || { echo "the mock API did not start: $(cat "$work/api.err")" >&2; exit 1; }

# probe POOL TIMEOUT CONCURRENCY [TIMEFILE]: one prober run over POOL into a fresh spool; wall, user, sys and
# peak RSS (KB) go to TIMEFILE (default $work/time).
probe() {
    rm -rf "$work/spool"
    cat > "$work/config.yaml" <<YAML
monitor:
  timeout: $2
  retry_attempts: 0
  concurrency: $3
  interface_pool: $1
services:
  bench: {base_url: "$base"}
spool: {dir: $work/spool, min_free: 0}
YAML
    /usr/bin/time -f "%e %U %S %M" -o "${4:-$work/time}" "$bin/prober" --config "$work/config.yaml" 2>"$work/prober.err" \
        || { cat "$work/prober.err" >&2; exit 1; }
}

printf '%7s %5s %9s %9s %7s %8s %11s %9s %9s\n' "N" "C" "wall s" "limit s" "ratio" "CPU s" "CPU/probe" "RSS MB" "P95 ms"
for n in $sizes; do
    mkdir -p "$work/pool-$n/bench"
    python3 - "$work/pool-$n/bench/endpoints.json" "$n" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
json.dump({"interfaces": [{"id": f"e{i}", "name": f"endpoint {i}", "url": f"/bench/{i}"} for i in range(n)]}, open(path, "w"))
PY
    for c in $concurrencies; do
        probe "$work/pool-$n" 10 "$c"
        read -r wall user sys rss < "$work/time"
        ok=$(grep -c '"outcome":"ok"' "$work"/spool/results/new/*.ndjson || true)
        [ "$ok" = "$n" ] || echo "warning: only $ok of $n probes ok" >&2
        python3 - "$n" "$c" "$wall" "$user" "$sys" "$rss" "$latency_ms" "$work"/spool/results/new/*.ndjson <<'PY'
import json, sys
n, c = int(sys.argv[1]), int(sys.argv[2])
wall, user, sys_, rss, lat = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
# Latency fidelity: what the prober recorded for targets that answer after exactly `lat` ms.
recorded = sorted(r["latency_ms"] for f in sys.argv[8:] for r in map(json.loads, open(f)) if r.get("kind") == "result")
p95 = recorded[max(0, int(len(recorded) * 0.95 + 0.5) - 1)]
limit = n * lat / 1000 / c
print(f"{n:7d} {c:5d} {wall:9.2f} {limit:9.2f} {wall / limit:6.2f}x {user + sys_:8.2f} {(user + sys_) / n * 1000:8.3f} ms {rss / 1024:9.1f} {p95:9.1f}")
PY
    done
done

echo "== a fresh connection per probe (Connection: close), 1000 × 50 ms at C=50; goal ≤ 0.5 ms CPU per probe"
mkdir -p "$work/pool-fresh/bench"
python3 -c 'import json,sys; json.dump({"interfaces":[{"id":f"f{i}","name":f"fresh {i}","url":f"/bench/{i}","headers":{"Connection":"close"}} for i in range(1000)]}, open(sys.argv[1],"w"))' \
    "$work/pool-fresh/bench/endpoints.json"
probe "$work/pool-fresh" 10 50
read -r wall user sys rss < "$work/time"
python3 -c 'import sys; w,u,s=map(float,sys.argv[1:4]); print(f"wall {w:.2f} s ({w/1.0:.2f}x the limit), CPU {u+s:.2f} s = {(u+s):.3f} ms per probe")' "$wall" "$user" "$sys"

echo "== 50 targets that accept and never answer, timeout 3s, C=50"
mkdir -p "$work/pool-hang/bench"
python3 -c 'import json,sys; json.dump({"interfaces":[{"id":f"h{i}","name":f"hang {i}","url":f"/bench-hang/{i}"} for i in range(50)]}, open(sys.argv[1],"w"))' \
    "$work/pool-hang/bench/endpoints.json"
probe "$work/pool-hang" 3 50
read -r wall user sys rss < "$work/time"
timeouts=$(grep -c '"outcome":"timeout"' "$work"/spool/results/new/*.ndjson || true)
python3 -c 'import sys; w,u,s,t=map(float,sys.argv[1:5]); print(f"wall {w:.2f} s, CPU {u+s:.3f} s for 50 hanging probes ({int(t)} timeouts); goal ≤ 0.05 s")' \
    "$wall" "$user" "$sys" "$timeouts"


echo "== 3 concurrent answers of 100 MiB against 3 small ones: the prober's peak RSS"
for kind in bench bench-big; do
    mkdir -p "$work/pool-$kind/bench"
    python3 -c 'import json,sys; json.dump({"interfaces":[{"id":f"b{i}","name":f"b {i}","url":f"/{sys.argv[2]}/{i}"} for i in range(3)]}, open(sys.argv[1],"w"))' \
        "$work/pool-$kind/bench/endpoints.json" "$kind"
    probe "$work/pool-$kind" 60 3 "$work/time-$kind"
done
read -r _ _ _ small < "$work/time-bench"
read -r wall _ _ large < "$work/time-bench-big"
bytes=$(grep -o '"body_bytes":[0-9]*' "$work"/spool/results/new/*.ndjson | head -1)
python3 -c 'import sys; s,l,w=map(float,sys.argv[1:4]); print(f"peak RSS {s/1024:.1f} MB with small answers, {l/1024:.1f} MB with three 100 MiB answers: +{(l-s)/1024:.1f} MB (goal ≤ 16); {w:.1f} s; {sys.argv[4]}")' \
    "$small" "$large" "$wall" "$bytes"

if [ "${PROBER_BENCH_BIG:-1}" = 1 ]; then
    echo "== 100 000 interfaces in one prober, one file, C=1000: peak RSS (goal < 100 MB); skip with PROBER_BENCH_BIG=0"
    mkdir -p "$work/pool-100k/bench"
    python3 -c 'import json,sys; json.dump({"interfaces":[{"id":f"e{i}","name":f"endpoint {i}","url":f"/bench/{i}"} for i in range(100000)]}, open(sys.argv[1],"w"))' \
        "$work/pool-100k/bench/endpoints.json"
    probe "$work/pool-100k" 10 1000
    read -r wall user sys rss < "$work/time"
    ok=$(grep -c '"outcome":"ok"' "$work"/spool/results/new/*.ndjson || true)
    python3 -c 'import sys; w,u,s,r,ok=map(float,sys.argv[1:6]); limit=100000*0.05/1000; print(f"wall {w:.2f} s ({w/limit:.2f}x the limit {limit:.1f} s), CPU {u+s:.2f} s = {(u+s)/100:.3f} ms per probe, peak RSS {r/1024:.1f} MB ({r/1024/100:.2f}x the 100 MB goal), {int(ok)} ok")' \
        "$wall" "$user" "$sys" "$rss" "$ok"
fi
