#!/usr/bin/env bash
# Breaker recovery: how soon after a fix the team hears "recovered", and how many messages one outage costs.
# A temporary deployment (orchestrator, analyzer, notifier as services; monitor.interval 5s; 5 interfaces on a
# loopback target whose answer a flag file flips between 200 and 503, or a target that is stopped and started
# again for "connection refused"), two channels on one loopback receiver that records each message with its
# arrival time: a generic webhook (the alert record as is) and a WeCom robot (the chat text people read).
# Each outage is scripted: healthy runs, DOWN seconds of outage, fixed; then it waits for "recovered". Two
# configurations, REPS outages each: the default breaker with retry_attempts 0, and with retry_attempts 2.
# Prints per configuration: recovery delay (fix → "recovered" at the receiver), its parts (waiting for the next
# tick, the run, analyzer, notifier), messages per outage per channel, the outage the messages state vs the
# real one, and the requests sent to the target while it was down.
#   Benchmarks/breaker-recovery.sh [REPS] [DOWN_SECONDS]       default: 4 outages of 30 s per configuration
#   OUTAGE=refused Benchmarks/breaker-recovery.sh            the target stops listening instead of answering 503
# Uses the programs in $BIN (default .build/debug; swift build first). Files are kept in $BENCH_DIR when set,
# else in a temporary directory removed at exit. Every wait is bounded; about 3.5 minutes per configuration at 4 × 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-4}
down=${2:-30}
outage=${OUTAGE:-503}
case "$outage" in 503 | refused) ;; *) echo "OUTAGE must be 503 or refused" >&2; exit 2 ;; esac
bin=${BIN:-.build/debug}
for p in orchestrator prober analyzer notifier; do
    [ -x "$bin/$p" ] || { echo "build first: swift build ($bin/$p is missing)" >&2; exit 1; }
done
if [ -n "${BENCH_DIR:-}" ]; then root=$BENCH_DIR; mkdir -p "$root"; keep=1; else root=$(mktemp -d); keep=0; fi
root=$(cd "$root" && pwd)
# A copy, so that a build relinking them meanwhile changes nothing here (the orchestrator runs the prober beside it).
mkdir -p "$root/bin"
cp "$bin"/{orchestrator,prober,analyzer,notifier} "$root/bin/"
bin=$root/bin
pids=()
target_pid=
stop_all() {
    for pid in "${pids[@]}" $target_pid; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}" $target_pid; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    pids=()
    target_pid=
}
cleanup() {
    stop_all
    [ "$keep" = 1 ] || rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The target: 200 while the flag file says "up", else 503 with a JSON body. Read at every request; every
# answer is logged with its time and status.
cat > "$root/target.py" <<'PY'
import http.server, sys, time
port, flag, log = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        try:
            state = open(flag).read().strip()
        except OSError:
            state = "up"
        code, body = (200, b'{"ok":true}') if state == "up" else (503, b'{"error":"scripted outage"}')
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        log.write(f"{time.time()}\t{code}\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer.allow_reuse_address = True
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
# The receiver: every POST recorded with its arrival time; answers what both WeCom and a generic webhook accept.
cat > "$root/receiver.py" <<'PY'
import http.server, json, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
out = open(log, "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        t = time.time()
        out.write(json.dumps({"t": t, "path": self.path, "key": self.headers.get("Idempotency-Key"),
                              "body": body.decode("utf-8", "replace")}) + "\n")
        answer = b'{"errcode":0,"errmsg":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY

start_target() { # $1 work dir, $2 port; returns once it answers
    python3 "$root/target.py" "$2" "$1/target.flag" "$1/target.log" 2>>"$1/target.err" &
    target_pid=$!
    for _ in $(seq 100); do
        python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$2" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "the target did not start: $(cat "$1/target.err")" >&2
    exit 1
}
runs_done() { if [ -f "$1/spool/state/history.ndjson" ]; then wc -l < "$1/spool/state/history.ndjson"; else echo 0; fi; }
wait_runs() { # $1 work dir, $2 how many more runs; bounded by 4 intervals per run plus 20 s
    local target=$(($(runs_done "$1") + $2)) limit=$((($2 * 4 * 5 + 20) * 10))
    for _ in $(seq "$limit"); do
        [ "$(runs_done "$1")" -ge "$target" ] && return 0
        sleep 0.1
    done
    echo "no run recorded for $((limit / 10)) s; logs in $1" >&2
    tail -n 5 "$1"/*.err >&2
    return 1
}
recovered_after() { # $1 work dir, $2 time: true once the generic webhook got a "recovered" alert after it
    python3 - "$1/received.ndjson" "$2" <<'PY'
import json, sys
t0 = float(sys.argv[2])
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["t"] > t0 and m["path"] == "/hook" and '"change":"recovered"' in m["body"].replace(" ", ""):
        sys.exit(0)
sys.exit(1)
PY
}

scenario() { # $1 name, $2 retry_attempts
    local name=$1 retries=$2 work="$root/$1"
    mkdir -p "$work/pool/svc"
    local tport rport
    tport=$(free_port)
    rport=$(free_port)
    echo up > "$work/target.flag"
    : > "$work/received.ndjson"
    start_target "$work" "$tport"
    python3 "$root/receiver.py" "$rport" "$work/received.ndjson" 2>"$work/receiver.err" &
    pids+=($!)
    python3 -c 'import json,sys; json.dump({"interfaces":[{"id":f"health-{i}","name":f"health {i}","url":f"/health/{i}"} for i in range(5)]}, open(sys.argv[1],"w"))' \
        "$work/pool/svc/endpoints.json"
    cat > "$work/config.yaml" <<YAML
monitor:
  interval: 5s
  retry_attempts: $retries
  interface_pool: ./pool
scheduler:
  start_delay: 0s
  max_runtime: 30s
services:
  svc: {base_url: "http://127.0.0.1:$tport"}
notify:
  webhooks:
    - name: hook
      url: "http://127.0.0.1:$rport/hook"
  wecom:
    webhook_url: "http://127.0.0.1:$rport/cgi-bin/webhook/send?key=breaker-bench"
spool:
  dir: ./spool
YAML
    "$bin/orchestrator" check --config "$work/config.yaml" > "$work/check.out" 2>&1 || { cat "$work/check.out" >&2; exit 1; }
    for s in orchestrator analyzer notifier; do
        "$bin/$s" --config "$work/config.yaml" 2>"$work/$s.err" &
        pids+=($!)
    done
    echo "$name: retry_attempts $retries, default breaker, interval 5s, outage $outage for ${down}s × $reps; files in $work" >&2
    wait_runs "$work" 3
    local rep t_down t_fix
    for rep in $(seq "$reps"); do
        # A run has just been recorded (a tick and a fraction of a second ago): the outage starts a fraction
        # of the interval later, a different one each time, so that the fix falls at every phase of the
        # interval and the wait for the next tick is sampled over it (without this, a 30 s outage at a 5 s
        # interval ends just after a tick every time: the worst case, always).
        sleep "$(awk -v r="$rep" -v n="$reps" 'BEGIN { printf "%.2f", 5 * (r - 0.5) / n }')"
        t_down=$(now)
        if [ "$outage" = refused ]; then
            kill -TERM "$target_pid"
            for _ in $(seq 50); do kill -0 "$target_pid" 2>/dev/null || break; sleep 0.1; done
        else
            echo 503 > "$work/target.flag.new" && mv "$work/target.flag.new" "$work/target.flag"
        fi
        sleep "$down" # the scripted outage itself
        if [ "$outage" = refused ]; then
            start_target "$work" "$tport"
        else
            echo up > "$work/target.flag.new" && mv "$work/target.flag.new" "$work/target.flag"
        fi
        t_fix=$(now)
        local got=0
        for _ in $(seq 600); do # 60 s at most
            if recovered_after "$work" "$t_fix"; then got=1; break; fi
            sleep 0.1
        done
        [ "$got" = 1 ] || echo "$name outage $rep: no 'recovered' within 60 s of the fix" >&2
        wait_runs "$work" 3 # healthy runs between outages; late or repeated messages land in this window
        printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rep" "$t_down" "$t_fix" "$(now)" >> "$root/outages.tsv"
        echo "$name outage $rep done" >&2
    done
    stop_all
}

: > "$root/outages.tsv"
scenario retries-off 0
scenario retries-on 2

python3 - "$root" "$down" "$outage" <<'PY'
import datetime, glob, json, os, re, statistics, sys
root, down, outage = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
outages = [line.rstrip("\n").split("\t") for line in open(os.path.join(root, "outages.tsv"))]
rows = {}
for name, rep, t_down, t_fix, t_end in outages:
    t_down, t_fix, t_end = float(t_down), float(t_fix), float(t_end)
    work = os.path.join(root, name)
    msgs = [json.loads(l) for l in open(os.path.join(work, "received.ndjson")) if l.strip()]
    window = [m for m in msgs if t_down <= m["t"] < t_end]
    hook = [m for m in window if m["path"] == "/hook"]
    wecom = [m for m in window if m["path"].startswith("/cgi-bin/")]
    kinds, rec, first_down = [], None, None
    for m in hook:
        a = json.loads(m["body"])
        changes = sorted({t["change"] for t in a["transitions"]})
        kinds.append("+".join(changes) or a["reason"])
        if "new_failure" in changes and first_down is None:
            first_down = m
        if "recovered" in changes and rec is None:
            rec = (m, a)
    row = {"rep": rep, "hook": len(hook), "wecom": len(wecom), "kinds": ",".join(kinds), "real": t_fix - t_down}
    if first_down:
        row["detect"] = first_down["t"] - t_down
    if rec:
        m, a = rec
        st = a["stats"]
        row["delay"] = m["t"] - t_fix
        row["tick_wait"] = ts(st["started_at"]) - t_fix
        row["run"] = ts(st["finished_at"]) - ts(st["started_at"])
        row["analyzer"] = ts(a["created_at"]) - ts(st["finished_at"])
        row["notifier"] = m["t"] - ts(a["created_at"])
        spans = [ts(t["since"]) - ts(t["down_since"]) for t in a["transitions"] if t["change"] == "recovered" and t.get("down_since")]
        row["stated"] = (min(spans), max(spans)) if spans else None
        row["recovered_ifaces"] = len(spans)
    said = [re.findall(r"was down ([0-9]+ (?:min|h|d)(?: [0-9]+ (?:min|h))?)", json.loads(m["body"])["markdown"]["content"]) for m in wecom]
    row["chat"] = sorted({s for x in said for s in x})
    # Runs that saw the outage, those with the circuit open, and the requests sent to the target while it was
    # down: its 503 answers (503), or the attempts of the results that failed (refused: no one to count them).
    attempts, failing_runs, open_runs = 0, set(), set()
    for path in glob.glob(os.path.join(work, "spool/results/archive/*")):
        for line in open(path):
            r = json.loads(line) if line.strip() else {}
            if r.get("kind") == "result" and r["outcome"] != "ok" and t_down <= ts(r["started_at"]) <= t_fix:
                attempts += r["attempts"]
                failing_runs.add(r["run"])
                if r.get("circuit_open_since"):
                    open_runs.add(r["run"])
    if outage == "503":
        attempts = sum(1 for l in open(os.path.join(work, "target.log")) if l.split("\t")[1].strip() == "503"
                       and t_down <= float(l.split("\t")[0]) <= t_fix)
    row["attempts"], row["failing_runs"], row["open_runs"] = attempts, len(failing_runs), len(open_runs)
    rows.setdefault(name, []).append(row)

def f(x):
    return "—" if x is None else f"{x:5.1f}"
print(f"breaker-recovery: interval 5s, 5 interfaces, default breaker (failures 3, open_for 5m), outage: "
      f"{'503' if outage == '503' else 'connection refused'} for {down:.0f} s; times in seconds")
print(f"{'config':12s} {'#':>2s} {'real':>5s} {'stated':>11s} {'chat says':>10s} {'detect':>6s} {'recov':>6s} "
      f"{'= tick':>6s} {'+ run':>6s} {'+ anlz':>6s} {'+ notif':>7s} {'msgs hook/wecom':>15s} {'runs down/open':>14s} {'requests':>8s}  messages")
for name, rs in rows.items():
    for r in rs:
        st = r.get("stated")
        stated = "—" if not st else (f"{st[0]:.1f}" if abs(st[0] - st[1]) < 0.05 else f"{st[0]:.1f}–{st[1]:.1f}")
        print(f"{name:12s} {r['rep']:>2s} {r['real']:5.1f} {stated:>11s} {('/'.join(r['chat']) or '—'):>10s} {f(r.get('detect')):>6s} "
              f"{f(r.get('delay')):>6s} {f(r.get('tick_wait')):>6s} {f(r.get('run')):>6s} {f(r.get('analyzer')):>6s} "
              f"{f(r.get('notifier')):>7s} {str(r['hook']) + '/' + str(r['wecom']):>15s} {str(r['failing_runs']) + '/' + str(r['open_runs']):>14s} {r['attempts']:>8d}  {r['kinds']}")
print("real: flag down → flag up; stated: the webhook record's since − down_since (max over the 5 interfaces); chat says:")
print("the WeCom text's 'was down …'; detect: outage start → 'down' message; recov: fix → 'recovered' message at the")
print("receiver = tick (fix → start of the run that saw it) + run + anlz (run end → alert) + notif (alert → arrival);")
print("runs down/open: runs that saw the outage / with the circuit open; requests: the target's 503 answers in the outage")
print("(refused: the failed results' attempts); messages: the webhook's alerts in order (outage start → 3 healthy runs after recovery)")
print()
print(f"{'config':12s} {'outages':>7s} {'recovery median':>15s} {'max':>5s} {'detect median':>13s} {'msgs/outage (hook, wecom)':>26s} {'stated − real (s)':>18s}")
for name, rs in rows.items():
    d = [r["delay"] for r in rs if "delay" in r]
    det = [r["detect"] for r in rs if "detect" in r]
    diff = [r["stated"][1] - r["real"] for r in rs if r.get("stated")]
    msgs = sorted({(r["hook"], r["wecom"]) for r in rs})
    print(f"{name:12s} {len(rs):7d} {f(statistics.median(d) if d else None):>15s} {f(max(d) if d else None):>5s} "
          f"{f(statistics.median(det) if det else None):>13s} {', '.join(f'{h}, {w}' for h, w in msgs):>26s} "
          f"{(', '.join(f'{x:+.1f}' for x in diff) or '—'):>18s}")
PY
