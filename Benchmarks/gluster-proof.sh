#!/usr/bin/env bash
# Many hosts on one spool over a real distributed file system (issue 33): a GlusterFS volume on loopback (one
# brick under /var/tmp), mounted three times by separate FUSE clients, one per "host"; an orchestrator per host
# (--hosts 3 --host-index i) on its own mount, the analyzer and notifier on host 1's mount, a run every 10 s
# against the mock API. Faults injected while it runs:
#   A  a second analyzer and notifier started on host 2 (the owner healthy)
#   B  brick restart (the brick process killed, `gluster volume start force`)
#   C  host 1's FUSE client killed, its mount lazily unmounted and mounted again (under the running analyzer)
#   D  a second analyzer and notifier started on host 2 again (after B and C)
#   E  standbys (--standby) on host 3, then the owner analyzer and notifier killed (-9): the standbys take over
#   F  standbys on host 2, then the new owner paused (SIGSTOP) and host 3's FUSE client killed and remounted
#      (its flock lost): host 2 takes over; the paused owner resumed (SIGCONT) must stop without committing
# Then, per spool: runs reported once and twice (run_summary lines in state/history.ndjson and "reported" log
# lines), lost ticks (no report and no gap in any manifest), alerts built from part of a run, tick → report
# latency p50/p95 and leftovers in tmp/new/cur; and the same workload on a local directory, without faults.
#   sudo Benchmarks/gluster-proof.sh [RUNS] [INTERFACES] [LOCAL_RUNS]     (default 36 800 12)
# Environment: BIN (the programs, .build/debug), PAGES (web.interface_pages, failing), RESCAN (spool.rescan, 3s),
# SITE_LOCAL=1 (web.dir on a local directory instead of the spool),
# KEEP=1 keeps the work directory (logs) under /tmp.
# The whole script is one block, read before it runs: editing the file under a running proof changes nothing.
{
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-36}
n=${2:-800}
local_runs=${3:-12}
hosts=3
shards=4
pages=${PAGES:-failing}   # web.interface_pages: the status site is written on the spool
rescan=${RESCAN:-3s}      # spool.rescan
site_local=${SITE_LOCAL:-}  # 1: web.dir under the work directory (local), not in the spool
src=${BIN:-.build/debug}
[ "$(id -u)" = 0 ] || { echo "run as root (glusterd, FUSE mounts)" >&2; exit 1; }
for p in orchestrator prober analyzer notifier; do [ -x "$src/$p" ] || { echo "build first: swift build" >&2; exit 1; }; done
if ! command -v gluster > /dev/null || ! command -v mount.glusterfs > /dev/null; then
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y glusterfs-server glusterfs-client > /dev/null
fi
work=$(mktemp -d /tmp/vigil-gluster.XXXXXX)
vol=vigilproof$$
brick=/var/tmp/vigil-proof-$$/brick
pids=()
started_glusterd=
mounts=()
say() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
cleanup() {
    set +e
    for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null; done
    sleep 2
    for p in "${pids[@]}"; do kill -KILL "$p" 2> /dev/null; done
    for m in "${mounts[@]}"; do umount -l "$m" 2> /dev/null; done
    if gluster --mode=script volume info "$vol" > /dev/null 2>&1; then
        timeout 60 gluster --mode=script volume stop "$vol" force > /dev/null 2>&1
        timeout 60 gluster --mode=script volume delete "$vol" > /dev/null 2>&1
    fi
    rm -rf "/var/tmp/vigil-proof-$$"
    [ -n "$started_glusterd" ] && kill "$started_glusterd" 2> /dev/null
    [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Private copies: other builds in the tree must not replace the programs under a running test.
mkdir -p "$work/bin"
cp "$src"/{orchestrator,prober,analyzer,notifier} "$work/bin/"
bin=$work/bin

# --- GlusterFS: glusterd, a one-brick volume (force: the brick is on the root file system), three FUSE clients.
if ! pgrep -x glusterd > /dev/null; then
    timeout 30 glusterd -p "$work/glusterd.pid"
    for _ in $(seq 1 50); do [ -s "$work/glusterd.pid" ] && break; sleep 0.2; done
    started_glusterd=$(cat "$work/glusterd.pid")
fi
server=$(hostname)  # glusterd refuses 127.0.0.1 and "localhost" for a brick; the host name resolves to loopback
mkdir -p "$brick"
timeout 60 gluster --mode=script volume create "$vol" "$server:$brick" force > /dev/null
timeout 60 gluster --mode=script volume start "$vol" > /dev/null
client_pid() { pgrep -f -- "--volfile-id=/$vol $1\$" | head -1 || true; }
brick_pid() { pgrep -f -- "glusterfsd .*--volfile-id $vol\." | head -1 || true; }
mount_host() {  # mount_host I
    local m=$work/h$1
    mkdir -p "$m"
    timeout 60 mount -t glusterfs "$server:/$vol" "$m"
}
for i in 1 2 3; do mount_host "$i"; mounts+=("$work/h$i"); done
say "volume $vol ($(gluster --version | head -1)), brick $server:$brick, clients: $(for i in 1 2 3; do printf 'h%s pid %s  ' "$i" "$(client_pid "$work/h$i")"; done)"

# --- The workload: N interfaces, 1 in 20 flapping each minute (alerts every minute), 20 ms per answer.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/orchestrator" mock-api --port "$port" --latency 20ms > "$work/mock.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "mock API on" "$work/mock.log" && break; sleep 0.1; done
mkdir -p "$work/pool/svc"
python3 -c 'import json,sys; json.dump({"interfaces":[{"id":f"e{i}","name":f"endpoint {i}","url":(f"/bench-flap/{i}" if i%20==0 else f"/bench/{i}")} for i in range(int(sys.argv[2]))]}, open(sys.argv[1],"w"))' \
    "$work/pool/svc/endpoints.json" "$n"
config() {  # config SPOOL
    printf 'monitor:\n  interval: 10s\n  timeout: 5\n  concurrency: 100\n  retry_attempts: 0\n  interface_pool: %s/pool\n' "$work"
    printf 'scheduler:\n  start_delay: 0\n  probers: %s\n  max_runtime: 60\n' "$shards"
    printf 'services:\n  svc:\n    base_url: http://127.0.0.1:%s\n' "$port"
    printf 'notify:\n  wecom:\n    webhook_url: "http://127.0.0.1:%s/cgi-bin/webhook/send?key=proof"\n' "$port"
    printf 'web:\n  interface_pages: %s\n' "$pages"
    if [ -n "$site_local" ]; then printf '  dir: %s/site-%s\n' "$work" "$(printf '%s' "$1" | cksum | cut -d' ' -f1)"; fi
    printf 'spool:\n  dir: %s\n  rescan: %s\n' "$1" "$rescan"
}
started=  # the pid of the last program `start` started
start() {  # start NAME HOST CONFIG PROGRAM [ARGS…]: in the background, its output in $work/logs/NAME.log
    local name=$1 host=$2 cfg=$3 program=$4
    shift 4
    VIGIL_HOST=$host "$bin/$program" --config "$cfg" "$@" > "$work/logs/$name.log" 2>&1 &
    started=$!
    pids+=("$started")
}
alive() { kill -0 "$1" 2> /dev/null; }
reported_lines() { cat "$work"/logs/"$1"-analyzer*.log 2> /dev/null | grep -c " reported: " || true; }

observed=  # the pid of the last program `observe` started
observe() {  # observe WHAT LABEL HOST CONFIG OWNER_PID: start a second WHAT (analyzer|notifier), say what happened in 20 s
    local what=$1 label=$2 host=$3 cfg=$4 owner=$5 verdict rc=0
    start "$label-$what" "$host" "$cfg" "$what"
    observed=$started
    for _ in $(seq 1 40); do alive "$observed" || break; sleep 0.5; done
    if ! alive "$observed"; then
        wait "$observed" 2> /dev/null || rc=$?
        verdict="refused (exit $rc): $(grep -E 'error|notice|warning' "$work/logs/$label-$what.log" | tail -1 | cut -c1-240 || true)"
    elif alive "$owner"; then
        verdict="ran beside the owner (both running 20 s later)"
    else
        verdict="took over: the owner (pid $owner) stopped"
    fi
    echo "$label: second $what started on $host: $verdict" >> "$work/events.txt"
    say "$label: second $what: ${verdict:0:100}"
}

# first_after EPOCH PATTERN FILE…: seconds from EPOCH to the first line logged after it that matches PATTERN.
first_after() {
    python3 - "$@" <<'PY2'
import re, sys, datetime as dt
since, pattern, best = float(sys.argv[1]), re.compile(sys.argv[2]), None
for f in sys.argv[3:]:
    try: lines = open(f, errors="replace").readlines()
    except OSError: continue
    for line in lines:
        try: t = dt.datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00")).timestamp()
        except ValueError: continue
        if t > since and pattern.search(line):
            best = t if best is None else min(best, t)
            break
print(f"{best - since:.1f}" if best is not None else "")
PY2
}
# wait_for LIMIT EPOCH PATTERN FILE…: waits up to LIMIT s for such a line; prints its delay in seconds, or "never".
wait_for() {
    local limit=$1 d
    shift
    for _ in $(seq 1 "$limit"); do
        d=$(first_after "$@")
        [ -n "$d" ] && { echo "$d"; return 0; }
        sleep 1
    done
    echo never
}
last_time() { python3 -c 'import sys, datetime as d; l=open(sys.argv[1]).read().split("\n")[-2]; print(d.datetime.fromisoformat(l.split(" ")[0].replace("Z", "+00:00")).timestamp())' "$1"; }
state() { alive "$1" && echo running || { local rc=0; wait "$1" 2> /dev/null || rc=$?; echo "exited $rc"; }; }
last_line() { grep -hE ': (notice|warning|error): ' "$@" 2> /dev/null | tail -1 | cut -d' ' -f2- | cut -c1-230 || true; }
# window START DELAY…: runs ticked from START to the longest DELAY after it had no analyzer (excluded from latency).
window() { python3 -c 'import sys; d=[float(x) for x in sys.argv[2:] if x != "never"]; print(sys.argv[1], float(sys.argv[1]) + (max(d) if d else 90))' "$@" >> "$work/windows"; }

# inject_faults LABEL OWNER_ANALYZER OWNER_NOTIFIER: faults A–F (see the header) on the GlusterFS proof.
inject_faults() {
    local label=$1 a1=$2 n1=$3 a2 n2 bp cp t d r dn sa sn fa fn
    local h2=$work/$label-h2.yaml h3=$work/$label-h3.yaml
    observe analyzer A host-2 "$h2" "$a1"
    a2=$observed
    observe notifier A host-2 "$h2" "$n1"
    n2=$observed
    bp=$(brick_pid)
    say "B: killing the brick process (pid $bp), then volume start force"
    [ -n "$bp" ] && kill -KILL "$bp"
    sleep 5
    timeout 60 gluster --mode=script volume start "$vol" force > /dev/null
    for _ in $(seq 1 60); do [ -n "$(brick_pid)" ] && break; sleep 0.5; done
    echo "B: brick restarted (pid $bp killed, new pid $(brick_pid))" >> "$work/events.txt"
    sleep 20
    cp=$(client_pid "$work/h1")
    say "C: killing host 1's FUSE client (pid $cp), umount -l, mount again"
    [ -n "$cp" ] && kill -KILL "$cp"
    sleep 2
    umount -l "$work/h1"
    mount_host 1
    echo "C: host 1's client pid $cp killed, remounted (new client pid $(client_pid "$work/h1")); owner analyzer $(state "$a1"), notifier $(state "$n1")" >> "$work/events.txt"
    sleep 20
    alive "$a2" || observe analyzer D host-2 "$h2" "$a1"
    alive "$n2" || observe notifier D host-2 "$h2" "$n1"
    echo "after B and C, listing errors in the metrics files: $(grep -h '^vigil_spool_listing_errors_total{' "$work"/h1/spool/metrics/*.prom 2> /dev/null | tr '\n' ' ' | grep . || echo none)" >> "$work/events.txt"
    # E: standbys on host 3 wait while the owner lives; the owner is killed (-9) and they take over.
    start E-analyzer host-3 "$h3" analyzer --standby
    sa=$started
    start E-notifier host-3 "$h3" notifier --standby
    sn=$started
    sleep 10
    echo "E: standbys started on host-3 with --standby: analyzer $(state "$sa"), notifier $(state "$sn") 10 s later ($(last_line "$work/logs/E-analyzer.log"))" >> "$work/events.txt"
    say "E: killing the owner analyzer (pid $a1) and notifier (pid $n1)"
    # An owner that already stopped (a fault before) ended at its last log line; the others end at the kill.
    local end_a end_n how_a how_n
    t=$(date +%s.%N)
    if alive "$a1"; then end_a=$t how_a="killed (-9)"; else end_a=$(last_time "$work/logs/$label-analyzer-h1.log") how_a="already $(state "$a1")"; fi
    if alive "$n1"; then end_n=$t how_n="killed (-9)"; else end_n=$(last_time "$work/logs/$label-notifier-h1.log") how_n="already $(state "$n1")"; fi
    kill -KILL "$a1" "$n1" 2> /dev/null || true
    d=$(wait_for 90 "$end_a" "taking over the analyzer role" "$work/logs/E-analyzer.log")
    dn=$(wait_for 30 "$end_n" "taking over the notifier role" "$work/logs/E-notifier.log")
    r=$(wait_for 30 "$end_a" " reported: " "$work/logs/E-analyzer.log")
    window "$end_a" "$d" "$r"
    echo "E: owner analyzer $how_a at $(date -u -d "@${end_a%.*}" +%H:%M:%S), notifier $how_n at $(date -u -d "@${end_n%.*}" +%H:%M:%S): the analyzer standby took over $d s after the owner's end (first report $r s after it), the notifier standby $dn s after its owner's" >> "$work/events.txt"
    # F: the new owner (host 3) paused, its host's FUSE client killed and remounted (its flock lost); a standby
    # on host 2 takes over; then the paused owner resumes: it must stop, committing nothing.
    start F-analyzer host-2 "$h2" analyzer --standby
    fa=$started
    start F-notifier host-2 "$h2" notifier --standby
    fn=$started
    sleep 5
    say "F: pausing the owner analyzer (pid $sa) and notifier (pid $sn), killing host 3's FUSE client, remounting"
    kill -STOP "$sa" "$sn" 2> /dev/null || true
    t=$(date +%s.%N)
    cp=$(client_pid "$work/h3")
    [ -n "$cp" ] && kill -KILL "$cp"
    sleep 2
    umount -l "$work/h3"
    mount_host 3
    d=$(wait_for 90 "$t" "taking over the analyzer role" "$work/logs/F-analyzer.log")
    dn=$(wait_for 30 "$t" "taking over the notifier role" "$work/logs/F-notifier.log")
    r=$(wait_for 30 "$t" " reported: " "$work/logs/F-analyzer.log")
    window "$t" "$d" "$r"
    echo "F: owner on host-3 paused (SIGSTOP) and its client killed and remounted at $(date -u -d "@${t%.*}" +%H:%M:%S): the host-2 analyzer standby took over $d s later (first report $r s after the pause), the notifier standby $dn s later" >> "$work/events.txt"
    kill -CONT "$sa" "$sn" 2> /dev/null || true
    t=$(date +%s.%N)
    for _ in $(seq 1 60); do alive "$sa" || alive "$sn" || break; sleep 0.5; done
    echo "F: the paused owner resumed: analyzer $(state "$sa") ($(last_line "$work/logs/E-analyzer.log")); notifier $(state "$sn") ($(last_line "$work/logs/E-notifier.log")); reports it wrote after resuming: $(first_after "$t" " reported: " "$work/logs/E-analyzer.log" | grep -q . && echo some || echo none)" >> "$work/events.txt"
    echo "F: the new owners on host-2: analyzer $(state "$fa"), notifier $(state "$fn")" >> "$work/events.txt"
}

# run_proof SPOOL_ROOT_PREFIX LABEL RUNS FAULTS: hosts on $prefix1..3 (mounts or local directories).
run_proof() {
    local prefix=$1 label=$2 count=$3 faults=$4
    mkdir -p "$work/logs"
    # With faults each host has its own mount of the volume; without, the three share one local directory.
    for i in 1 2 3; do config "$prefix$([ "$faults" = yes ] && echo "$i")/spool" > "$work/$label-h$i.yaml"; done
    local a1 n1 orch=()
    start "$label-analyzer-h1" host-1 "$work/$label-h1.yaml" analyzer
    a1=$started
    start "$label-notifier-h1" host-1 "$work/$label-h1.yaml" notifier
    n1=$started
    for i in 1 2 3; do
        start "$label-orchestrator-h$i" "host-$i" "$work/$label-h$i.yaml" orchestrator --hosts "$hosts" --host-index "$i"
        orch+=("$started")
    done
    local began
    began=$(date +%s)
    for _ in $(seq 1 120); do [ "$(reported_lines "$label")" -ge 1 ] && break; sleep 1; done
    say "$label: first run reported $(( $(date +%s) - began )) s after start"
    [ "$faults" = yes ] && inject_faults "$label" "$a1" "$n1"
    # The rest of the runs, then the orchestrators stop and the consumers drain what is left (bounded).
    while [ $(( $(date +%s) - began )) -lt $(( count * 10 )) ]; do sleep 2; done
    # Stop halfway between ticks (they fall on multiples of 10 s), so that no run is cut short by the stop.
    while [ $(( $(date +%s) % 10 )) -ne 5 ]; do sleep 0.2; done
    local stopped
    stopped=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    for p in "${orch[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
    for p in "${orch[@]}"; do for _ in $(seq 1 100); do alive "$p" || break; sleep 0.5; done; done
    local spool
    spool=$(sed -n '/^spool:/,/^[a-z]/s/^  dir: //p' "$work/$label-h1.yaml")   # spool.dir, not web.dir
    for _ in $(seq 1 90); do
        [ -z "$(find "$spool"/runs/new "$spool"/runs/cur "$spool"/results/new "$spool"/results/cur -type f 2> /dev/null | head -1)" ] && break
        sleep 1
    done
    sleep 5
    for p in "${pids[@]}"; do
        case " ${orch[*]} " in *" $p "*) continue ;; esac
        [ "$p" = "${pids[0]}" ] && continue  # the mock API
        kill -TERM "$p" 2> /dev/null || true
    done
    sleep 3
    python3 - "$spool" "$work/logs" "$label" "$n" "$stopped" "$([ "$faults" = yes ] && echo "$work/windows")" <<'PY'
import glob, json, os, re, sys, datetime as dt
spool, logs, label, n, stopped, windows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
# Spans with no analyzer (from a kill or pause to the standby's first report): runs ticked then wait for it.
ownerless = [tuple(map(float, l.split())) for l in open(windows)] if windows and os.path.exists(windows) else []
ts = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
tick = lambda run: dt.datetime.strptime(run[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
summaries = {}
for line in open(os.path.join(spool, "state/history.ndjson"), errors="replace") if os.path.exists(os.path.join(spool, "state/history.ndjson")) else []:
    try: r = json.loads(line)
    except ValueError: continue
    if r.get("kind") == "run_summary": summaries.setdefault(r["run"], []).append(r)
site = []  # seconds the status site took per run
reported = {}  # run -> [log time of each "reported" line]
for f in glob.glob(os.path.join(logs, f"{label}-analyzer*.log")) + (glob.glob(os.path.join(logs, "[A-F]-analyzer*.log")) if label == "gluster" else []):
    for line in open(f, errors="replace"):
        m = re.match(r"(\S+) analyzer\[\d+\]: \w+: run (\S+) reported: ", line)
        if m: reported.setdefault(m.group(2), []).append(ts(m.group(1)))
        m = re.search(r"status site in ([0-9.]+) s", line)
        if m: site.append(float(m.group(1)))
deliveries = {}  # (alert, channel) -> number of "delivered" log lines
for f in glob.glob(os.path.join(logs, f"{label}-notifier*.log")) + (glob.glob(os.path.join(logs, "[A-F]-notifier*.log")) if label == "gluster" else []):
    for line in open(f, errors="replace"):
        m = re.search(r" alert (\S+) delivered to (\S+) ", line)
        if m: deliveries[m.groups()] = deliveries.get(m.groups(), 0) + 1
gaps = []
for f in glob.glob(os.path.join(spool, "results/archive/*.run.ndjson*")) + glob.glob(os.path.join(spool, "runs/*/*")):
    for line in open(f, errors="replace"):
        try: r = json.loads(line)
        except ValueError: continue
        for g in r.get("gaps") or []: gaps.append((ts(g["from"]) - 1, ts(g["to"]) + 1))
alerts = {}
for f in glob.glob(os.path.join(spool, "outbox/**/*"), recursive=True):
    if not os.path.isfile(f): continue
    for line in open(f, errors="replace"):
        try: r = json.loads(line)
        except ValueError: continue
        if r.get("kind") == "alert": alerts[r["id"]] = r
runs = sorted(set(summaries) | set(reported), key=tick)
scheduled = [r for r in runs if r.endswith("-tick")]
once = [r for r in scheduled if len(summaries.get(r, [])) == 1]
twice = [r for r in scheduled if len(summaries.get(r, [])) > 1]
logtwice = [r for r in scheduled if len(reported.get(r, [])) > 1]
lost = []
if scheduled:
    t, end = tick(scheduled[0]), ts(stopped) - 12  # a tick this close to the stop may not have started
    have = {tick(r) for r in scheduled}
    while t <= end:
        if not any(abs(t - h) < 1 for h in have) and not any(a <= t <= b for a, b in gaps): lost.append(dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%H:%M:%S"))
        t += 10
partial_reports = [r for r in scheduled if any(s["stats"]["interfaces"] < n or s["stats"]["missing_shards"] for s in summaries.get(r, []))]
per_run_alerts = {}
for a in alerts.values(): per_run_alerts.setdefault(a["run"], []).append(a)
partial_alerts = [a for a in alerts.values() if a["stats"]["interfaces"] < n or a["stats"]["missing_shards"]]
split_alerts = [a for a in partial_alerts if len(summaries.get(a["run"], [])) > 1]
lat = sorted(min(v) - tick(r) for r, v in reported.items() if r.endswith("-tick"))
owned = sorted(min(v) - tick(r) for r, v in reported.items() if r.endswith("-tick") and not any(a - 10 <= tick(r) <= b for a, b in ownerless))
pct = lambda p, xs=lat: xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))] if xs else float("nan")
left = {q: len([f for f in glob.glob(os.path.join(spool, q, "*")) if os.path.isfile(f)]) for q in ["runs/tmp", "runs/new", "runs/cur", "results/tmp", "results/new", "results/cur", "outbox/new", "outbox/cur"]}
print(f"== {label}: spool {spool}")
print(f"scheduled runs reported: {len(scheduled)} ({len(once)} once, {len(twice)} twice or more in history.ndjson; {len(logtwice)} with two 'reported' log lines)" + (f": {' '.join(twice + [r for r in logtwice if r not in twice])}" if twice or logtwice else ""))
print(f"lost ticks (no report, no gap): {len(lost)}" + (f": {' '.join(lost)}" if lost else "") + f"; gaps named in manifests: {len(gaps)}")
recorded = {os.path.basename(f).split(".")[0] for f in glob.glob(os.path.join(spool, "runs/*/*.run.ndjson*")) + glob.glob(os.path.join(spool, "results/archive/*.run.ndjson*"))}
unreported = sorted(r for r in recorded if r.endswith("-tick") and r not in summaries)
print(f"runs with a manifest but no report (yet): {len(unreported)}" + (f": {' '.join(unreported)}" if unreported else ""))
# A run with shards missing is reported honestly as incomplete (its report and alert name them); a run split
# between two analyzers is reported twice, each time from part of its batches.
print(f"reports naming missing shards (incomplete runs, said so): {len(partial_reports)}" + (f": " + "; ".join(f"{r} {[(s['stats']['interfaces'], s['stats']['missing_shards']) for s in summaries[r]]}" for r in partial_reports) if partial_reports else ""))
print(f"alerts: {len(alerts)} for {len(per_run_alerts)} runs ({sum(1 for v in per_run_alerts.values() if len(v) > 1)} runs with more than one); built from part of a run (the run split between analyzers, reported twice): {len(split_alerts)}; of an incomplete run: {len(partial_alerts)}")
print(f"deliveries: {sum(deliveries.values())} of {len(deliveries)} alert×channel; delivered more than once: {sum(1 for v in deliveries.values() if v > 1)}")
print(f"tick → report latency over {len(lat)} runs: p50 {pct(0.5):.1f} s, p95 {pct(0.95):.1f} s, max {max(lat) if lat else float('nan'):.1f} s" + (f"; outside the {len(ownerless)} spans without an analyzer (kill or pause → the standby's first report), over {len(owned)} runs: p50 {pct(0.5, owned):.1f} s, p95 {pct(0.95, owned):.1f} s, max {max(owned) if owned else float('nan'):.1f} s" if ownerless else ""))
def unreadable(name):  # lines of an appended state file that are not one JSON record (torn or interleaved appends)
    path = os.path.join(spool, "state", name)
    if not os.path.exists(path): return "absent"
    lines = open(path, "rb").read().split(b"\n")[:-1]
    bad = 0
    for l in lines:
        try: json.loads(l)
        except ValueError: bad += 1
    return f"{len(lines)} lines, {bad} unreadable"
print(f"appended by every host: state/orchestrator-runs.ndjson {unreadable('orchestrator-runs.ndjson')}; by the analyzer: state/history.ndjson {unreadable('history.ndjson')}")
site.sort()
print(f"status site (web.interface_pages: {os.environ.get('PAGES', 'failing')}) per run: p50 {site[len(site) // 2] if site else float('nan'):.2f} s, max {site[-1] if site else float('nan'):.2f} s")
print("left in the queues: " + ", ".join(f"{q} {c}" for q, c in left.items()))
stranded = sorted(os.path.basename(f) for q in ("runs/cur", "results/cur", "outbox/cur") for f in glob.glob(os.path.join(spool, q, "*")))
if stranded:  # claims nobody works on: their holder died or stopped; the lease (spool.lease) hands them back
    print("claims left in cur/ (name~claimer): " + " ".join(stranded))
PY
}

say "GlusterFS: $runs runs of $n interfaces, $hosts hosts × 1 mount each, $shards shards a run, every 10 s"
run_proof "$work/h" gluster "$runs" yes > "$work/gluster.txt"
cat "$work/gluster.txt"
mkdir -p "$work/local"
say "local directory: $local_runs runs, same workload, no faults"
run_proof "$work/local" local "$local_runs" no > "$work/local.txt"
cat "$work/local.txt"
echo "== faults injected"
cat "$work/events.txt"
echo "== listing errors logged (ENOTCONN, EIO, …) and re-watches"
grep -hoE "cannot list [^ ]+: [^(]*|re-watching [^:]*: it was remounted" "$work"/logs/*.log | sed -E "s|$work/||" | sort | uniq -c | head -20 || true
echo "== warnings and errors of the consumers (first 30, deduplicated)"
grep -hE ": (warning|error|critical): " "$work"/logs/*analyzer*.log "$work"/logs/*notifier*.log | sed -E 's/^\S+ //; s/\[[0-9]+\]//' | sort | uniq -c | sort -rn | head -30 | cut -c1-260 || true
exit 0
}
