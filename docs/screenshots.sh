#!/usr/bin/env bash
# Renders pages of the status site in headless Chromium (Debian: apt-get install chromium) to PNG files in
# docs/: a spool is filled with 24 runs, 15 minutes apart and ending now, of 40 interfaces (a timeout that came
# and went, a 500 still failing, sporadic 404s, a certificate 9 days from expiry), the analyzer writes the site,
# and Chromium shoots the index, a service page, an interface page and the runs page at a phone (390 px) and a
# desktop (1280 px) width, light and dark.
# Headless Chromium lays a page out at least 500 px wide whatever --window-size says, so each page is shot in
# an iframe of the exact width (srcdoc: the pages have no external assets), as SiteBrowserTests measures them.
# The interfaces have Chinese names: install a CJK font (Debian: fonts-wqy-zenhei) or they show as boxes.
#   docs/screenshots.sh        (after: swift build --product analyzer)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/debug}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }
[ -x "$bin/analyzer" ] || { echo "build first: swift build --product analyzer" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'spool:\n  dir: %s/spool\nnotify:\n  timezone: Asia/Shanghai\n' "$work" > "$work/config.yaml"
for run in $(seq 0 23); do
    python3 - "$work/spool" "$run" <<'EOF'
import json, os, random, sys, time
spool, index = sys.argv[1], int(sys.argv[2])
rnd = random.Random(index)
start = (int(time.time()) // 900 - (23 - index)) * 900
run = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start)) + "-shots"
stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start))
expiry = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + 9 * 86400 + 3600))
lines = []
for i in range(40):
    service = ["user", "nurse", "admin", "billing"][i % 4]
    name = {0: "login", 1: "ward-list", 2: "export", 3: "invoice"}.get(i, f"item-{i}")
    rec = {"v": 1, "kind": "result", "attempts": 1, "id": f"{service}/api/{name}", "method": "GET", "name": f"{name} 接口",
           "outcome": "ok", "run": run, "service": service, "shard": "1/1", "started_at": stamp, "status": 200,
           "latency_ms": round(80 + 40 * (i % 5) + rnd.uniform(0, 60) + (300 if 8 <= index <= 10 and i == 0 else 0), 1),
           "url": f"https://{service}.example.com/api/{name}?page=1"}
    failure = None
    if i == 0 and 11 <= index <= 14:
        failure = dict(outcome="timeout", status=None, latency_ms=None, attempts=4, error="no complete answer within 10s")
    elif i == 3 and index >= 18:
        failure = dict(outcome="http_500", status=500, attempts=4, error="HTTP 500 Internal Server Error",
                       response={"headers": {"Content-Type": "application/json"}, "body": '{"code":500,"msg":"database unavailable"}'})
    elif i == 1 and index in (4, 15, 16):
        failure = dict(outcome="http_404", status=404, error="HTTP 404 Not Found",
                       response={"headers": {"Content-Type": "text/plain"}, "body": "no such ward"})
    elif i == 2:
        rec["tls"] = {"subject": "CN = admin.example.com", "issuer": "CN = Example CA", "not_after": expiry, "days_left": 9,
                      "earliest_not_after": expiry}
        if index >= 20:
            failure = dict(outcome="cert_expiring", error="certificate expires in 9 days")
    if failure:
        rec.update(failure)
        rec["request"] = {"headers": {"Authorization": "Bearer ***", "User-Agent": "Vigil/1 (prober)"}}
        rec = {k: v for k, v in rec.items() if v is not None}
    lines.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
lines.append(json.dumps({"v": 1, "kind": "batch", "count": 40, "finished_at": stamp, "prober": "shots:1", "run": run,
                         "shard": "1/1", "started_at": stamp}, separators=(",", ":")))
for q in ("runs", "results"):
    for d in ("tmp", "new"):
        os.makedirs(f"{spool}/{q}/{d}", exist_ok=True)
# The run's manifest first: the analyzer reports no run without one.
manifest = {"v": 1, "kind": "run", "run": run, "shards": 1, "started_at": stamp,
            "deadline": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + 600)), "trigger": "schedule"}
with open(f"{spool}/runs/tmp/{run}.run.ndjson", "w") as out:
    out.write(json.dumps(manifest, separators=(",", ":")) + "\n")
os.rename(f"{spool}/runs/tmp/{run}.run.ndjson", f"{spool}/runs/new/{run}.run.ndjson")
name = f"{run}.1of1.shots.gen-{os.getpid()}.ndjson"
with open(f"{spool}/results/tmp/{name}", "w") as out:
    out.write("\n".join(lines) + "\n")
os.rename(f"{spool}/results/tmp/{name}", f"{spool}/results/new/{name}")
EOF
    "$bin/analyzer" --config "$work/config.yaml" --once 2>/dev/null
done
site="$work/spool/site"
interface=$(grep -o 'href="i/[^"]*"' "$site/index.html" | head -1 | sed 's/href="//; s/"$//')
shoot() {  # name page width height scheme
    local frame="$site/.frame-$1.html"
    python3 - "$site/$2" "$3" "$4" > "$frame" <<'EOF'
import html, sys
page, width, height = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
print(f'<!DOCTYPE html><html><head><style>body{{margin:0}}iframe{{border:0;display:block}}</style></head><body>'
      f'<iframe width="{width}" height="{height}" srcdoc="{html.escape(page, quote=True)}"></iframe></body></html>')
EOF
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/chromium" --window-size="$3,$4" \
        --blink-settings="preferredColorScheme=$([ "$5" = dark ] && echo 0 || echo 1)" \
        --screenshot="docs/site-$1.png" "file://$frame" >/dev/null 2>&1
    echo "docs/site-$1.png"
}
shoot index index.html 1280 1100 light
shoot index-phone index.html 390 1500 light
shoot index-dark index.html 1280 1100 dark
shoot service s/user.html 1280 900 light
shoot interface "$interface" 1280 1500 light
shoot interface-phone "$interface" 390 2000 light
shoot interface-phone-dark "$interface" 390 2000 dark
shoot runs runs.html 1280 1000 light
shoot runs-phone runs.html 390 1200 light
