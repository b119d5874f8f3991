# The image step of deploy/test-deb.sh (sourced; uses its $deb, $cache, $work, ok, bad, cannot, indent and
# test-deb-once.sh's loopback servers and proof config): deploy/build-image.sh builds the image; `podman
# run` is tried first and its refusal, if any, recorded; then the image is unpacked into an OCI bundle
# (skopeo, umoci) and run by an OCI runtime (runc, else crun) as the image says (its user, its entry point,
# its volumes bound): a `once` that delivers one alert, the service with the image's health check run inside
# it (runc exec), and a SIGTERM that stops it with status 0.

image_bundle_config() {  # image_bundle_config BUNDLE ARGS_JSON: host network (loopback target), volumes bound
    python3 - "$1/config.json" "$2" "$work/srv/vigil-proof" "$image_spool" <<'PYTHON'
import json, sys
path, args, config_dir, spool = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
c = json.load(open(path))
c.setdefault("_entry", c["process"]["args"])
c["process"]["args"] = args or c["_entry"]
c["process"]["terminal"] = False
# This machine refuses setrlimit in a container's init (podman's refusal, recorded above): no rlimits.
c["process"].pop("rlimits", None)
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
mounts = [m for m in c["mounts"] if m["destination"] not in ("/etc/vigil", "/var/lib/vigil/spool")]
mounts.append({"destination": "/etc/vigil", "type": "bind", "source": config_dir, "options": ["rbind", "ro"]})
mounts.append({"destination": "/var/lib/vigil/spool", "type": "bind", "source": spool, "options": ["rbind", "rw"]})
c["mounts"] = mounts
json.dump(c, open(path, "w"))
PYTHON
}

prove_image() {
    local missing=
    for tool in buildah skopeo umoci; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
    if [ -n "$missing" ]; then
        cannot image "not installed and apt-get could not install:$missing"
        return
    fi
    local built tag archive t0
    t0=$(date +%s)
    export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
    if ! built=$(deploy/build-image.sh --deb "$deb" --out "$cache/image" 2>"$cache/image.log"); then
        bad image "deploy/build-image.sh failed: $(tail -n 3 "$cache/image.log" | tr '\n' ' ')"
        return
    fi
    tag=$(printf '%s\n' "$built" | sed -n 1p)
    archive=$(printf '%s\n' "$built" | sed -n 2p)
    local size
    size=$(podman image inspect "$tag" --format '{{.Size}}' 2>/dev/null || echo 0)
    ok image "$tag built in $(( $(date +%s) - t0 )) s: $(( size / 1000000 )) MB in storage, archive $(( $(stat -c %s "$archive") / 1048576 )) MiB ($archive)"
    podman image inspect "$tag" --format 'user {{.Config.User}}, entry point {{json .Config.Entrypoint}} {{json .Config.Cmd}}, volumes {{json .Config.Volumes}}
health check {{json .Config.Healthcheck.Test}}
labels {{json .Labels}}' 2>&1 | indent

    local ports="$work/tmp/ports" hook="$work/tmp/hook.ndjson" refusal
    rm -f "$ports" "$hook"
    start_loopback_servers "$ports" "$hook"
    local waited=0
    while [ ! -s "$ports" ] && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    read -r target_port hook_port < "$ports"
    write_proof_config "$target_port" "$hook_port"
    image_spool="$cache/image-spool"
    rm -rf "$image_spool" && mkdir -p "$image_spool"

    # podman first: what people will run.
    if ! command -v podman >/dev/null; then
        cannot "podman run once" "podman is not installed"
    else
        refusal=$(timeout 120 podman --cgroup-manager cgroupfs --events-backend file run --rm --network host --health-interval disable \
            -v "$work/srv/vigil-proof:/etc/vigil:ro" -v "$image_spool:/var/lib/vigil/spool" "$tag" once --config /etc/vigil/config.yaml 2>&1)
        local status=$?
        if [ "$status" = 1 ] && [ -f "$hook" ]; then
            ok "podman run once" "exit 1 (one failing interface), $(wc -l < "$hook") alert(s) at the webhook"
        else
            cannot "podman run once" "exit $status: $(printf '%s\n' "$refusal" | grep -E '^Error' | head -n 1)"
        fi
    fi

    # An OCI runtime on the unpacked image.
    local runtime= bundle="$cache/image-bundle" log="$cache/image-run.log"
    for r in runc crun; do command -v "$r" >/dev/null && { runtime=$r; break; }; done
    if [ -z "$runtime" ]; then cannot "oci runtime" "neither runc nor crun is installed"; kill "$servers_pid"; servers_pid=; return; fi
    rm -rf "$bundle" "$cache/image-oci"
    if ! { skopeo copy -q "docker-archive:$archive" "oci:$cache/image-oci:vigil" && umoci unpack --image "$cache/image-oci:vigil" "$bundle"; } > "$log" 2>&1; then
        bad "oci runtime" "skopeo/umoci could not unpack the image: $(tail -n 2 "$log" | tr '\n' ' ')"
        kill "$servers_pid"; servers_pid=; return
    fi
    local uid
    uid=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["process"]["user"]; print("%d:%d" % (u["uid"], u["gid"]))' "$bundle/config.json")
    chown "$uid" "$image_spool" && chmod 0710 "$image_spool"
    rm -f "$hook"
    image_bundle_config "$bundle" '["/usr/bin/vigil-orchestrator", "once", "--config", "/etc/vigil/config.yaml"]'
    local out
    out=$(timeout 120 "$runtime" run -b "$bundle" vigil-proof-once 2>&1 < /dev/null)
    status=$?
    "$runtime" delete -f vigil-proof-once > /dev/null 2>&1
    if [ "$status" = 1 ] && [ "$(wc -l < "$hook" 2>/dev/null)" = 1 ]; then
        ok "$runtime run once" "the image unpacked by umoci, run by $runtime as uid:gid $uid: exit 1, 1 alert at the webhook:"
    else
        bad "$runtime run once" "exit $status, $(wc -l < "$hook" 2>/dev/null || echo 0) alert(s):"
    fi
    printf '%s\n' "$out" | grep -E 'Report:|failed of|refus|denied|error' | head -n 5 | indent

    # The service as the image starts it, its health check run inside it, then a SIGTERM.
    image_bundle_config "$bundle" '[]'
    "$runtime" run -b "$bundle" vigil-proof-service < /dev/null > "$log" 2>&1 &
    local service_pid=$! health test status
    test=$(podman image inspect "$tag" --format '{{range .Config.Healthcheck.Test}}{{.}} {{end}}' | sed 's/^CMD //')
    waited=0
    while :; do  # the service needs a moment to prepare the spool; bounded at 30 s
        health=$("$runtime" exec --user "$uid" vigil-proof-service $test 2>&1)
        status=$?
        { [ "$status" = 0 ] || [ "$waited" -ge 30 ]; } && break
        sleep 1
        waited=$((waited + 1))
    done
    if [ "$status" = 0 ] && printf '%s' "$health" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
        ok "health check" "$runtime exec … $test: exit 0, JSON:"
    else
        bad "health check" "$test: exit $status:"
    fi
    printf '%s\n' "$health" | head -c 500 | indent
    echo
    "$runtime" kill vigil-proof-service TERM > /dev/null 2>&1
    wait "$service_pid"
    status=$?
    "$runtime" delete -f vigil-proof-service > /dev/null 2>&1
    if [ "$status" = 0 ]; then
        ok "image stop" "SIGTERM: the orchestrator in the container exited 0 ($(grep -cE 'stopp' "$log") stop line(s) in its log)"
    else
        bad "image stop" "SIGTERM: exit $status: $(tail -n 2 "$log" | tr '\n' ' ')"
    fi
    kill "$servers_pid" 2>/dev/null
    wait "$servers_pid" 2>/dev/null
    servers_pid=
}
