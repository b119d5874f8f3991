# The systemd step of deploy/test-deb.sh (sourced; uses its $work, in_root, ok, bad, cannot, indent and the
# loopback servers of test-deb-once.sh): systemd and the package go into the root, the four services are
# enabled with a 20 s schedule against the loopback target, the root boots with `systemd-nspawn -b`, and a
# oneshot unit inside records that each service reached READY=1 (Type=notify: active only after it), that
# a scheduled run produced a report and an alert, and that `systemctl stop` ended each one cleanly.

write_boot_proof() {  # the unit and script that run inside the booted root and power it off
    cat > "$work/usr/local/sbin/vigil-boot-proof" <<'SCRIPT'
#!/bin/sh
# Runs once the vigil services were started; writes /vigil-boot-proof.txt, then powers off.
exec > /vigil-boot-proof.txt 2>&1
services="vigil-analyzer vigil-notifier vigil-orchestrator vigil-web"
props() {  # props UNIT PROPERTY...: "P=value" in the order given
    u=$1; shift
    for p in "$@"; do printf '%s=%s ' "$p" "$(systemctl show -p "$p" --value "$u")"; done
}
for s in $services; do
    i=0
    while [ $i -lt 60 ] && [ "$(systemctl show -p ActiveState --value $s)" = activating ]; do sleep 1; i=$((i + 1)); done
    echo "ready $s: $(props $s Type ActiveState SubState StatusText)"
done
i=0
while [ $i -lt 150 ] && [ -z "$(ls /var/lib/vigil/spool/reports 2>/dev/null)" ]; do sleep 1; i=$((i + 1)); done
echo "reports after ${i}s: $(ls /var/lib/vigil/spool/reports 2>/dev/null | tr '\n' ' ')"
i=0
while [ $i -lt 60 ] && [ -z "$(ls /var/lib/vigil/spool/outbox/sent 2>/dev/null)" ]; do sleep 1; i=$((i + 1)); done
echo "sent alerts: $(ls /var/lib/vigil/spool/outbox/sent 2>/dev/null | wc -l)"
echo "orchestrator status: $(systemctl show -p StatusText --value vigil-orchestrator)"
systemctl stop $services
for s in $services; do
    echo "stopped $s: $(props $s Result ExecMainCode ExecMainStatus ActiveState)"
done
journalctl -q --no-pager -o cat -u vigil-orchestrator -u vigil-analyzer -u vigil-notifier -u vigil-web | grep -iE 'stopp|serving|run .*report|error' | tail -n 12 | sed 's/^/journal: /'
systemctl poweroff
SCRIPT
    chmod 0755 "$work/usr/local/sbin/vigil-boot-proof"
    cat > "$work/etc/systemd/system/vigil-boot-proof.service" <<'UNIT'
[Unit]
Description=deploy/test-deb.sh: record what the vigil services did, then power off
After=multi-user.target vigil-analyzer.service vigil-notifier.service vigil-orchestrator.service vigil-web.service
[Service]
Type=oneshot
TimeoutStartSec=400
ExecStart=/usr/local/sbin/vigil-boot-proof
[Install]
WantedBy=multi-user.target
UNIT
}

prove_boot() {
    if ! command -v systemd-nspawn >/dev/null; then
        cannot "systemd boot" "systemd-nspawn is not installed and apt-get could not install systemd-container"
        return
    fi
    local log="$cache/boot-apt.log" ports="$work/tmp/ports" hook="$work/tmp/hook.ndjson" proof="$work/vigil-boot-proof.txt"
    if ! in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd systemd-sysv dbus /tmp/vigil.deb > "$log" 2>&1; then
        bad "systemd boot" "installing systemd and the package failed: $(tail -n 3 "$log" | tr '\n' ' ')"
        return
    fi
    rm -f "$ports" "$hook" "$proof"
    start_loopback_servers "$ports" "$hook"
    local waited=0
    while [ ! -s "$ports" ] && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    read -r target_port hook_port < "$ports"
    write_proof_config "$target_port" "$hook_port"
    sed 's/interval: 15,/interval: 20s,/' "$work/srv/vigil-proof/config.yaml" > "$work/etc/vigil/config.yaml"
    rm -rf "$work/etc/vigil/Interface-pool" && cp -r "$work/srv/vigil-proof/Interface-pool" "$work/etc/vigil/"
    write_boot_proof
    in_root systemctl enable vigil-analyzer vigil-notifier vigil-orchestrator vigil-web vigil-boot-proof > /dev/null 2>&1
    umount_all
    local boot_log="$cache/boot.log" t0
    t0=$(date +%s)
    timeout 420 systemd-nspawn -q --keep-unit --register=no -D "$work" -b > "$boot_log" 2>&1
    local status=$?
    mount -t proc proc "$work/proc" && mount --bind /dev "$work/dev"
    kill "$servers_pid" 2>/dev/null
    wait "$servers_pid" 2>/dev/null
    servers_pid=
    if [ ! -f "$proof" ]; then
        if grep -qiE 'failed to|not supported|permission denied|operation not permitted' "$boot_log"; then
            cannot "systemd boot" "systemd-nspawn -b refused (exit $status): $(grep -iE 'failed to|not supported|permission denied|operation not permitted' "$boot_log" | head -n 2 | tr '\n' ' ')"
        else
            bad "systemd boot" "systemd-nspawn -b exit $status, no proof written: $(tail -n 3 "$boot_log" | tr '\n' ' ')"
        fi
        return
    fi
    local ready stopped alerts
    ready=$(grep -c '^ready .*Type=notify ActiveState=active SubState=running' "$proof")
    stopped=$(grep -c '^stopped .*Result=success ExecMainCode=1 ExecMainStatus=0 ActiveState=inactive' "$proof")
    alerts=$( [ -f "$hook" ] && wc -l < "$hook" || echo 0)
    if [ "$ready" = 4 ] && grep -q '^reports after .*\.md' "$proof" && [ "$alerts" -ge 1 ] && [ "$stopped" = 4 ]; then
        ok "systemd boot" "systemd-nspawn -b in $(( $(date +%s) - t0 )) s: 4 services READY=1, a scheduled run reported, $alerts alert(s) at the webhook, 4 stopped with status 0:"
    else
        bad "systemd boot" "$ready of 4 ready, $stopped of 4 stopped cleanly, $alerts alert(s) at the webhook:"
    fi
    indent < "$proof"
}
