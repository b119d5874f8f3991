#!/usr/bin/env bash
# Soak: the three services (orchestrator, analyzer, notifier — release build) run for DURATION on a
# one-minute schedule against the mock API (`orchestrator mock-api`, 50 ms answers) with INTERFACES endpoints
# over 4 prober shards. Three endpoints fail in odd minutes and recover in even ones, so every run brings a new
# failure or recovery and the notifier delivers to the mock API's webhook every minute.
# Every 30 s it samples each service's RSS (VmRSS) and at the end prints, per service, the least-squares slope
# of RSS over time in MB per 24 h with its standard error — over all samples, and over the samples after the
# first 10 minutes (warm-up) — plus runs, reports and deliveries counted from the spool.
#   Benchmarks/soak.sh [DURATION_SECONDS] [INTERFACES]       e.g. Benchmarks/soak.sh 7200 2000
# (after: swift build -c release). Samples go to $SOAK_DIR/rss.tsv when SOAK_DIR is set (kept), else a
# temporary directory (removed).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-7200}
interfaces=${2:-2000}
bin=${BIN:-.build/release}
for p in orchestrator prober analyzer notifier; do
    [ -x "$bin/$p" ] || { echo "build first: swift build -c release" >&2; exit 1; }
done
bin=$(cd "$bin" && pwd)
if [ -n "${SOAK_DIR:-}" ]; then work=$SOAK_DIR; mkdir -p "$work"; keep=1; else work=$(mktemp -d); keep=0; fi
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

"$bin/orchestrator" mock-api --port 0 --latency 50ms > "$work/api.out" 2>"$work/api.err" &
pids+=($!)
for _ in $(seq 50); do grep -q "mock API on" "$work/api.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^mock API on \([^ ]*\).*/\1/p' "$work/api.out")
[ -n "$base" ] || { echo "the mock API did not start: $(cat "$work/api.err")" >&2; exit 1; }

mkdir -p "$work/pool/soak"
python3 - "$work/pool/soak/endpoints.json" "$interfaces" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
items = [{"id": f"e{i}", "name": f"endpoint {i}", "url": f"/bench/{i}"} for i in range(n - 3)]
items += [{"id": f"flap{i}", "name": f"flapping {i}", "url": f"/bench-flap/{i}"} for i in range(3)]
json.dump({"interfaces": items}, open(path, "w"))
PY
cat > "$work/config.yaml" <<YAML
monitor:
  interval: 1m
  timeout: 5s
  retry_attempts: 0
  concurrency: 50
  interface_pool: ./pool
scheduler:
  start_delay: 0s
  max_runtime: 50s
  probers: 4
services:
  soak: {base_url: "$base"}
alerts:
  mode: change
notify:
  wecom:
    webhook_url: "$base/cgi-bin/webhook/send?key=soak-webhook-key"
spool:
  dir: ./spool
  retention: 1h
YAML
"$bin/orchestrator" check --config "$work/config.yaml" > "$work/check.out" 2>&1 || { cat "$work/check.out" >&2; exit 1; }

declare -A service_pid
for s in orchestrator analyzer notifier; do
    "$bin/$s" --config "$work/config.yaml" 2>"$work/$s.err" &
    service_pid[$s]=$!
    pids+=($!)
done
echo "soak: $interfaces interfaces, 4 shards, a run every minute, for ${duration}s; files in $work" >&2

rss_mb() { awk '/^VmRSS:/ {printf "%.2f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo nan; }
printf 't_s\torchestrator\tanalyzer\tnotifier\n' > "$work/rss.tsv"
start=$(date +%s)
while :; do
    now=$(date +%s)
    elapsed=$((now - start))
    line="$elapsed"
    for s in orchestrator analyzer notifier; do
        kill -0 "${service_pid[$s]}" 2>/dev/null || { echo "soak: $s exited early; its log:" >&2; tail -n 20 "$work/$s.err" >&2; exit 1; }
        line+=$'\t'$(rss_mb "${service_pid[$s]}")
    done
    echo "$line" >> "$work/rss.tsv"
    [ "$elapsed" -ge "$duration" ] && break
    sleep 30
done

history=$(wc -l < "$work/spool/state/history.ndjson" 2>/dev/null || echo 0)
delivered=$(awk '$1 == "vigil_notifier_delivered_total" {print $2}' "$work"/spool/metrics/vigil-notifier-*.prom 2>/dev/null | head -n 1)
errors=$(cat "$work"/{orchestrator,analyzer,notifier}.err | grep -c ': error:' || true)
python3 - "$work/rss.tsv" "$duration" "$interfaces" "$history" "${delivered:-0}" "$errors" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])][1:]
duration, interfaces, history, delivered, errors = sys.argv[2:7]
names = ["orchestrator", "analyzer", "notifier"]
def fit(points):
    n = len(points)
    if n < 3: return float("nan"), float("nan")
    ts = [p[0] for p in points]; ys = [p[1] for p in points]
    tm, ym = sum(ts) / n, sum(ys) / n
    sxx = sum((t - tm) ** 2 for t in ts)
    b = sum((t - tm) * (y - ym) for t, y in points) / sxx
    a = ym - b * tm
    resid = sum((y - a - b * t) ** 2 for t, y in points)
    se = (resid / (n - 2) / sxx) ** 0.5
    day = 86400
    return b * day, se * day
print(f"soak: {float(duration) / 3600:.2f} h, {interfaces} interfaces, 4 shards, a run every minute; "
      f"{len(rows)} samples every 30 s; runs in history {history}, alerts delivered {delivered}, error log lines {errors}")
print(f"{'service':14s} {'first MB':>9s} {'last MB':>9s} {'max MB':>9s} {'slope MB/24h (all)':>22s} {'slope MB/24h (after 10 min)':>30s}")
for i, name in enumerate(names):
    pts = [(float(r[0]), float(r[i + 1])) for r in rows if r[i + 1] != "nan"]
    later = [p for p in pts if p[0] >= 600]
    b, se = fit(pts); b2, se2 = fit(later)
    ys = [p[1] for p in pts]
    print(f"{name:14s} {ys[0]:9.1f} {ys[-1]:9.1f} {max(ys):9.1f} {b:13.2f} ± {se:6.2f} {b2:21.2f} ± {se2:6.2f}")
PY
