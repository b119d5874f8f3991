# The `once` step of deploy/test-deb.sh (sourced; uses its $work, in_root, ok, bad, indent): a loopback
# target with one healthy and one broken interface and a loopback webhook, both python3 on this host (the
# chroot shares its network), then `vigil-orchestrator once` as the vigil user with the installed binaries,
# one alert delivered to the webhook, and `status --json` (the image's health check) afterwards.

start_loopback_servers() {  # writes "<target port> <webhook port>" to $1, webhook bodies to $2
    python3 - "$1" "$2" <<'PYTHON' &
import http.server, sys, threading
ports_file, hook_file = sys.argv[1], sys.argv[2]

class Target(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path.startswith("/ok")
        body = b'{"code": 0}' if ok else b'{"code": 503, "msg": "down for the proof"}'
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass

class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(hook_file, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args): pass

servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), h) for h in (Target, Hook)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(ports_file + ".tmp", "w") as f:
    f.write(" ".join(str(s.server_address[1]) for s in servers))
import os
os.rename(ports_file + ".tmp", ports_file)
threading.Event().wait()
PYTHON
    servers_pid=$!
}

write_proof_config() {  # write_proof_config TARGET_PORT HOOK_PORT: /srv/vigil-proof in the root
    local dir="$work/srv/vigil-proof"
    mkdir -p "$dir/Interface-pool/shop"
    cat > "$dir/config.yaml" <<CONFIG
# deploy/test-deb.sh: one service on a loopback target, one webhook on loopback, the packaged spool.
monitor: {interval: 15, timeout: 5, retry_attempts: 0, interface_pool: ./Interface-pool}
scheduler: {start_delay: 0}
services:
  shop: {base_url: "http://127.0.0.1:$1"}
notify:
  webhooks:
    - {name: proof-hook, url: "http://127.0.0.1:$2/hook"}
spool: {dir: /var/lib/vigil/spool}
CONFIG
    echo '{"name": "shop ok", "method": "GET", "url": "/ok", "expect": {"status": 200}}' > "$dir/Interface-pool/shop/ok.json"
    echo '{"name": "shop broken", "method": "GET", "url": "/broken", "expect": {"status": 200}}' > "$dir/Interface-pool/shop/broken.json"
    chmod -R a+rX "$dir"
}

prove_once() {
    local ports="$work/tmp/ports" hook="$work/tmp/hook.ndjson" run status alerts health
    start_loopback_servers "$ports" "$hook"
    local waited=0
    while [ ! -s "$ports" ] && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    [ -s "$ports" ] || { bad once "the loopback servers did not start"; return; }
    read -r target_port hook_port < "$ports"
    write_proof_config "$target_port" "$hook_port"
    run=$(in_root runuser -u vigil -- vigil-orchestrator once --config /srv/vigil-proof/config.yaml 2>&1)
    status=$?
    alerts=$( [ -f "$hook" ] && wc -l < "$hook" || echo 0)
    # Exit 1: failures were found (the broken interface), as documented.
    if [ "$status" = 1 ] && [ "$alerts" = 1 ] && grep -q 'shop broken' "$hook"; then
        ok once "exit 1 (one of 2 interfaces failing), the webhook on 127.0.0.1:$hook_port received 1 alert naming 'shop broken':"
    else
        bad once "exit $status, $alerts webhook request(s):"
    fi
    printf '%s\n' "$run" | grep -E 'Report:|failed|interfaces|delivered|alert' | head -n 8 | indent
    [ ! -f "$hook" ] || head -c 300 "$hook" | indent
    echo
    health=$(in_root runuser -u vigil -- vigil-orchestrator status --json --config /srv/vigil-proof/config.yaml 2>&1)
    status=$?
    if [ "$status" = 0 ] && printf '%s' "$health" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
        ok "status --json" "exit 0, one JSON object ($(printf '%s' "$health" | wc -c) bytes):"
    else
        bad "status --json" "exit $status:"
    fi
    printf '%s\n' "$health" | head -c 600 | indent
    echo
    kill "$servers_pid" 2>/dev/null
    wait "$servers_pid" 2>/dev/null
    servers_pid=
}
