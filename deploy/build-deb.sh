#!/usr/bin/env bash
# Builds the Debian package of Vigil with dpkg-deb alone: release binaries as /usr/bin/vigil-orchestrator,
# vigil-prober, vigil-analyzer and vigil-notifier (with the git revision built in), the systemd units,
# /etc/vigil/config.yaml, an example interface pool and /etc/vigil/vigil.env (0600) as conffiles, and maintainer
# scripts that create the vigil user and the spool, and on purge remove what install made (the spool only when
# VIGIL_PURGE_SPOOL=yes). Run it as yourself, not as root.
#
#   deploy/build-deb.sh [--no-build] [--bin-dir DIR] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
bin_dir=.build/release
out=.build/deb
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0; shift ;;
        --bin-dir) bin_dir=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
version=$(sed -n 's/.*static let vigil = "\(.*\)".*/\1/p' Sources/Shared/Process/Version.swift)
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$build" = 1 ]; then
    [ "$(id -u)" != 0 ] || { echo "build-deb.sh: build as yourself, not as root (or pass --no-build)" >&2; exit 2; }
    swift build -c release -Xcc -DVIGIL_GIT_REVISION="\"$revision\""
fi
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/vigil_${version}_${arch}"
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/share/doc/vigil" "$root/etc/vigil"
for p in orchestrator prober analyzer notifier; do
    [ -x "$bin_dir/$p" ] || { echo "build-deb.sh: $bin_dir/$p is missing" >&2; exit 1; }
    install -m 0755 "$bin_dir/$p" "$root/usr/bin/vigil-$p"
done
for unit in deploy/systemd/*; do
    sed 's|/usr/local/bin/|/usr/bin/|g; s|/usr/local/share/doc/|/usr/share/doc/|g' "$unit" > "$root/lib/systemd/system/$(basename "$unit")"
    chmod 0644 "$root/lib/systemd/system/$(basename "$unit")"
done
sed 's|^  dir: ../spool .*|  dir: /var/lib/vigil/spool|' examples/config.yaml > "$root/etc/vigil/config.yaml"
chmod 0640 "$root/etc/vigil/config.yaml"
cp -r examples/Interface-pool "$root/etc/vigil/Interface-pool"
find "$root/etc/vigil/Interface-pool" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
printf '%s\n' "# Secrets for Vigil, read by the systemd units (EnvironmentFile=). Keep it 0600." \
    "# WECOM_WEBHOOK_URL=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..." \
    "# USER_API_PASSWORD=..." > "$root/etc/vigil/vigil.env"
chmod 0600 "$root/etc/vigil/vigil.env"
for doc in docs/*.md README.md; do install -m 0644 "$doc" "$root/usr/share/doc/vigil/$(basename "$doc")"; done
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: vigil
Version: ${version}
Architecture: ${arch}
Maintainer: Vigil developers <vigil@example.com>
Installed-Size: ${size}
Depends: libcurl4, adduser, systemd
Section: net
Priority: optional
Homepage: https://example.com/vigil
Description: HTTP API monitoring that tells a team's chat when APIs break and recover
 Probes HTTP APIs on a schedule, reports every run, and delivers alerts to WeCom, DingTalk, Feishu, Slack,
 e-mail and webhooks, durably. Git revision ${revision}.
CONTROL
cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    install -d -m 0710 /var/lib/vigil
    if ! getent passwd vigil >/dev/null; then
        adduser --system --group --home /var/lib/vigil --no-create-home --shell /usr/sbin/nologin vigil >/dev/null
    fi
    install -d -o vigil -g vigil -m 0710 /var/lib/vigil /var/lib/vigil/spool
    chgrp vigil /etc/vigil /etc/vigil/config.yaml
    chmod 0750 /etc/vigil
    if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
    echo "vigil: put secrets in /etc/vigil/vigil.env, check with: sudo -u vigil vigil-orchestrator check --config /etc/vigil/config.yaml"
    echo "vigil: then: systemctl enable --now vigil-analyzer vigil-notifier vigil-orchestrator (vigil-web for the status site)"
fi
exit 0
SCRIPT
cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && { [ "$1" = remove ] || [ "$1" = purge ]; }; then
    systemctl stop vigil-orchestrator vigil-analyzer vigil-notifier vigil-web 'vigil-prober@*.timer' >/dev/null 2>&1 || true
    systemctl disable vigil-orchestrator vigil-analyzer vigil-notifier vigil-web >/dev/null 2>&1 || true
fi
exit 0
SCRIPT
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
    # The spool holds the history and undelivered alerts: kept unless asked.
    if [ "${VIGIL_PURGE_SPOOL:-no}" = yes ]; then rm -rf /var/lib/vigil; else echo "vigil: /var/lib/vigil kept (VIGIL_PURGE_SPOOL=yes removes it)"; fi
    rm -rf /etc/vigil
    if getent passwd vigil >/dev/null && [ ! -d /var/lib/vigil ]; then deluser --system vigil >/dev/null 2>&1 || true; fi
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$root" "$out/vigil_${version}_${arch}.deb" >/dev/null
echo "$out/vigil_${version}_${arch}.deb"
