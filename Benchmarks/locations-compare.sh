#!/usr/bin/env bash
# Locations compared (issue 34): false pages, missed outages and page delay over one seeded timeline of real
# outages (a target down for everyone: its file removed → 404, its server stopped → connection refused) and
# location-side faults (a location's link down, a prohibit route to one target there, its name not resolving
# there), played four times over fresh spools with the real prober and analyzer:
#   A  one location (bj, no locations: section), bj's faults included
#   A2 the same with alerts.failure_threshold 2 — the usual answer to false pages (waiting a run), for its delay
#   B  three locations bj, sh, sg with quorum 2 (each prober in its own network namespace)
#   C  one location (bj) with monitor.canaries: a canary served in the router namespace
# Each prober location is a network namespace with a veth pair to a router namespace where the targets listen
# (python3 http.server), as in Tests/ProofTests/LocationQuorumTests.swift. Per run: the timeline's state is set,
# the run's manifest published, the probers run (all at once), then `analyzer --once`; the alerts it leaves in
# outbox/new are scored against the timeline (Benchmarks/locations_compare.py). Runs are stamped a minute apart
# (the manifest's started_at and the run id, ending now), so that the analyzer, which decides by the run's own
# times, sees the pace of a 1-minute interval: repeat_interval (1h) spans the whole timeline.
#   sudo Benchmarks/locations-compare.sh                 SEED=34 RUNS=60 MODES="A A2 B C"
#   SEED=7 RUNS=40 MODES="A B" Benchmarks/locations-compare.sh
#   EVENTS=events.json RUNS=8 MODES=B Benchmarks/locations-compare.sh    a timeline by hand instead of the seed's:
#     [{"kind": "link"|"route"|"dns", "what": "bj", "start": 2, "runs": 1}, {"kind": "file", "what": "api/b0", …},
#      {"kind": "server", "what": "web"|"api"|"pay", …}]
# Needs root, iproute2, python3 and the programs in $BIN (default .build/debug; this script does not build).
# Files are kept in $BENCH_DIR when set, else in a temporary directory removed at exit. About 0.5-1 s a run:
# some 3 minutes for the default.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${SEED:-34}
runs=${RUNS:-60}
modes=${MODES:-A A2 B C}
bin=${BIN:-.build/debug}
helper=$PWD/Benchmarks/locations_compare.py
for p in prober analyzer; do
    [ -x "$bin/$p" ] || { echo "missing $bin/$p: build first (swift build); this script does not build" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
command -v ip >/dev/null || { echo "needs iproute2 (ip)" >&2; exit 1; }
py=$(python3 -c 'import sys; print(sys.executable)') # the interpreter itself, not a pyenv shim, in the namespaces
if [ -n "${BENCH_DIR:-}" ]; then root=$BENCH_DIR; mkdir -p "$root"; keep=1; else root=$(mktemp -d /tmp/locations-compare.XXXXXX); keep=0; fi
root=$(cd "$root" && pwd)
mkdir -p "$root/bin"
cp "$bin/prober" "$bin/analyzer" "$root/bin/" # a build relinking them meanwhile changes nothing here
bin=$root/bin

tag=vlc$(($$ % 100000))
router=${tag}r
locations=(bj sh sg)
k=$(($$ % 200 + 20))
net=10.241.$k # on the router's loopback: .1 web (by name) and api, .3 pay, .9 the canary
declare -A server_pid=() server_spec=()
canary_pid=
made_ns=()
cleanup() {
    for pid in "${server_pid[@]}" $canary_pid; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    for ns in "${made_ns[@]}"; do ip netns del "$ns" 2>/dev/null || true; rm -rf "/etc/netns/$ns"; done
    [ "$keep" = 1 ] || rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the network: a router namespace, and per location a namespace with a veth pair to it -------------------
ip netns add "$router" && made_ns+=("$router")
ip -n "$router" link set lo up
for a in 1 3 9; do ip -n "$router" addr add "$net.$a/32" dev lo; done
for i in "${!locations[@]}"; do
    loc=${locations[$i]} ns=$tag${locations[$i]} sub=10.$((242 + i)).$k
    ip netns add "$ns" && made_ns+=("$ns")
    ip link add "${ns}a" type veth peer name "${ns}b"
    ip link set "${ns}a" netns "$ns"
    ip link set "${ns}b" netns "$router"
    ip -n "$ns" addr add "$sub.2/24" dev "${ns}a"
    ip -n "$router" addr add "$sub.1/24" dev "${ns}b"
    ip -n "$ns" link set "${ns}a" up
    ip -n "$router" link set "${ns}b" up
    ip -n "$ns" link set lo up
    ip -n "$ns" route add "$net.0/24" via "$sub.1"
    # `ip netns exec` mounts these over /etc: web.vigil.test resolves from the hosts file; a name not there goes
    # to a resolver on the namespace's own loopback, where nothing listens (a fast DNS failure).
    mkdir -p "/etc/netns/$ns"
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$ns/resolv.conf"
done
hosts() { # $1 location, $2 up|down: whether web.vigil.test resolves there
    { echo "127.0.0.1 localhost"; [ "$2" = down ] || echo "$net.1 web.vigil.test"; } >"/etc/netns/$tag$1/hosts"
}
for loc in "${locations[@]}"; do hosts "$loc" up; done

# ---- the targets: three servers and a canary, python3 http.server in the router namespace --------------------
site=$root/site
server_spec=([web]="$net.1 8080" [api]="$net.1 8081" [pay]="$net.3 8082")
declare -A files=([web]="a0 a1 a2 a3" [api]="b0 b1 b2" [pay]="c0 c1 c2")
listening() { # $1 address, $2 port: waits (10 s at most) until the router namespace accepts there
    ip netns exec "$router" "$py" -c '
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$1" "$2" || { echo "nothing listens on $1:$2 after 10 s" >&2; exit 1; }
}
start_server() { # $1 name
    local spec=(${server_spec[$1]})
    ip netns exec "$router" "$py" -m http.server "${spec[1]}" --bind "${spec[0]}" --directory "$site/$1" >/dev/null 2>&1 &
    server_pid[$1]=$!
    listening "${spec[0]}" "${spec[1]}"
}
stop_server() { # $1 name
    kill -KILL "${server_pid[$1]}" 2>/dev/null || true
    wait "${server_pid[$1]}" 2>/dev/null || true
    unset "server_pid[$1]"
}
restore_files() { # $1 server: every file of it back
    local f
    for f in ${files[$1]}; do echo "{\"ok\":\"$f\"}" >"$site/$1/$f"; done
}
for s in web api pay; do mkdir -p "$site/$s"; restore_files "$s"; start_server "$s"; done
mkdir -p "$site/canary" && echo up >"$site/canary/health"
ip netns exec "$router" "$py" -m http.server 8090 --bind "$net.9" --directory "$site/canary" >/dev/null 2>&1 &
canary_pid=$!
listening "$net.9" 8090
reaches() { # $1 location, $2 url: waits (10 s at most) until the location fetches it
    ip netns exec "$tag$1" "$py" -c '
import sys, time, urllib.request as u
end = time.time() + 10
while time.time() < end:
    try:
        u.urlopen(sys.argv[1], timeout=1); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$2" || { echo "$1 does not reach $2 after 10 s" >&2; exit 1; }
}
for loc in "${locations[@]}"; do reaches "$loc" http://web.vigil.test:8080/a0; done

# ---- the timeline's state, applied as a difference from the current one -----------------------------------
declare -A cur=() # "server:web" "file:web/a0" "link:bj" "route:bj" "dns:bj" → 1 while in effect
in_list() { [[ ",$2," == *",$1,"* ]]; }
apply() { # $1 servers down, $2 files down, $3 links down, $4 routes, $5 dns faults (comma lists, "-" for none)
    local s f loc ns
    for s in web api pay; do
        if in_list "$s" "$1" && [ -z "${cur[server:$s]:-}" ]; then stop_server "$s"; cur[server:$s]=1; fi
        if ! in_list "$s" "$1" && [ -n "${cur[server:$s]:-}" ]; then start_server "$s"; unset "cur[server:$s]"; fi
        for f in ${files[$s]}; do
            if in_list "$s/$f" "$2" && [ -z "${cur[file:$s/$f]:-}" ]; then rm "$site/$s/$f"; cur[file:$s/$f]=1; fi
            if ! in_list "$s/$f" "$2" && [ -n "${cur[file:$s/$f]:-}" ]; then echo "{\"ok\":\"$f\"}" >"$site/$s/$f"; unset "cur[file:$s/$f]"; fi
        done
    done
    for i in "${!locations[@]}"; do
        loc=${locations[$i]} ns=$tag${locations[$i]}
        if in_list "$loc" "$3" && [ -z "${cur[link:$loc]:-}" ]; then ip -n "$ns" link set "${ns}a" down; cur[link:$loc]=1; fi
        if ! in_list "$loc" "$3" && [ -n "${cur[link:$loc]:-}" ]; then
            ip -n "$ns" link set "${ns}a" up
            ip -n "$ns" route replace "$net.0/24" via "10.$((242 + i)).$k.1" # the link's routes went with it
            reaches "$loc" "http://$net.9:8090/health"
            unset "cur[link:$loc]"
        fi
        if in_list "$loc" "$4" && [ -z "${cur[route:$loc]:-}" ]; then ip -n "$ns" route add prohibit "$net.3/32"; cur[route:$loc]=1; fi
        if ! in_list "$loc" "$4" && [ -n "${cur[route:$loc]:-}" ]; then ip -n "$ns" route del prohibit "$net.3/32"; unset "cur[route:$loc]"; fi
        if in_list "$loc" "$5" && [ -z "${cur[dns:$loc]:-}" ]; then hosts "$loc" down; cur[dns:$loc]=1; fi
        if ! in_list "$loc" "$5" && [ -n "${cur[dns:$loc]:-}" ]; then hosts "$loc" up; unset "cur[dns:$loc]"; fi
    done
}

# ---- one setup over the timeline ---------------------------------------------------------------------------
write_config() { # $1 mode, $2 directory
    local d=$2 s
    {
        echo "monitor:"
        echo "  interval: 1h"
        echo "  timeout: 2"
        echo "  retry_attempts: 0"
        echo "  interface_pool: $d/pool"
        [ "$1" != C ] || echo "  canaries: [http://$net.9:8090/health]"
        echo "scheduler: {start_delay: 0, graceful_shutdown: 1}"
        [ "$1" != B ] || echo "locations: {names: [bj, sh, sg], quorum: 2}"
        [ "$1" != A2 ] || echo "alerts: {failure_threshold: 2}"
        echo "services:"
        echo "  web: {base_url: 'http://web.vigil.test:8080'}"
        echo "  api: {base_url: 'http://$net.1:8081'}"
        echo "  pay: {base_url: 'http://$net.3:8082'}"
        echo "spool: {dir: $d/spool}"
    } >"$d/config.yaml"
    for s in web api pay; do
        mkdir -p "$d/pool/$s"
        for f in ${files[$s]}; do printf 'name: %s\nurl: /%s\n' "$f" "$f" >"$d/pool/$s/$f.yaml"; done
    done
}
python3 "$helper" timeline "$seed" "$runs" "$root/timeline.json" >"$root/states"
echo
scores=()
for mode in $modes; do
    d=$root/$mode
    mkdir -p "$d"
    write_config "$mode" "$d"
    if [ "$mode" = B ]; then at=(bj sh sg); else at=(bj); fi
    : >"$d/ids"
    started=$(date +%s.%N)
    clock=$(($(date +%s) - 60 * runs))
    problems=0
    while read -r r servers down links routes dns; do
        apply "$servers" "$down" "$links" "$routes" "$dns"
        at_time=$((clock + 60 * r)) # the timeline's clock: a run a minute, ending now
        id=$(date -u -d "@$at_time" +%Y%m%dT%H%M%SZ)-m$(printf %04d "$r")
        echo "$r $id" >>"$d/ids"
        if [ "$mode" = B ]; then where=bj,sh,sg; else where=; fi
        python3 "$helper" manifest "$d/spool" "$id" "$at_time" $where
        pids=()
        for loc in "${at[@]}"; do
            where=()
            [ "$mode" != B ] || where=(--location "$loc")
            timeout 60 ip netns exec "$tag$loc" env VIGIL_HOST="host-$loc" VIGIL_LOCATION= "$bin/prober" --config "$d/config.yaml" \
                --run "$id" "${where[@]}" >>"$d/prober-$loc.log" 2>&1 &
            pids+=($!)
        done
        for i in "${!pids[@]}"; do
            rc=0
            wait "${pids[$i]}" || rc=$?
            [ "$rc" = 0 ] || { echo "  $mode run $r: prober at ${at[$i]} exited $rc (log $d/prober-${at[$i]}.log)"; problems=$((problems + 1)); }
        done
        rc=0
        timeout 60 "$bin/analyzer" --config "$d/config.yaml" --once >>"$d/analyzer.log" 2>&1 || rc=$?
        [ "$rc" = 0 ] || { echo "  $mode run $r: analyzer --once exited $rc (log $d/analyzer.log)"; problems=$((problems + 1)); }
        [ -f "$d/spool/reports/$id.md" ] || { echo "  $mode run $r: no report for $id"; problems=$((problems + 1)); }
    done <"$root/states"
    apply - - - - - # back to healthy for the next setup
    printf '%s: %d runs in %.0f s, %d problem(s)\n' "$mode" "$runs" "$(echo "$(date +%s.%N) - $started" | bc)" "$problems"
    python3 "$helper" score "$root/timeline.json" "$d/spool" "$d/ids" "$mode" "$d/score.json"
    scores+=("$d/score.json")
done
echo
python3 "$helper" table "${scores[@]}"
[ "$keep" = 0 ] || echo "files kept in $root"
