#!/usr/bin/env bash
# Installs Vigil: release binaries, systemd units, an example config and interface pool (never over an
# existing one), the environment file for secrets, and the spool directory with the right owner and modes.
#
#   deploy/install.sh [--prefix DIR] [--dry-run] [--no-build] [--bin-dir DIR] [--no-user] [--user NAME]
#
#   --prefix DIR   install under DIR as if it were / (a staging root; default /): only files under DIR are
#                  written; the host's users, groups and services are never touched
#   --dry-run      print what would be done, change nothing
#   --no-build     do not build; take the binaries from --bin-dir (as root, always use it: build first as
#                  yourself, then `sudo deploy/install.sh --no-build`)
#   --bin-dir DIR  where the built binaries are (default .build-release/release: the static release build,
#                  Swift runtime linked in, as deploy/build-deb.sh makes it)
#   --no-user      do not create the system user
#   --user NAME    the service user and group (default vigil)
#
# Running it again changes only what differs (it prints "unchanged" for the rest).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/
dry=0
build=1
bin_dir=.build-release/release
make_user=1
user=vigil
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --dry-run) dry=1; shift ;;
        --no-build) build=0; shift ;;
        --bin-dir) bin_dir=$2; shift 2 ;;
        --no-user) make_user=0; shift ;;
        --user) user=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
root=${prefix%/}
programs="orchestrator prober analyzer notifier"

run() {  # run a command, or print it under --dry-run
    if [ "$dry" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

put() {  # put SOURCE DEST MODE: copy when different
    local src=$1 dest=$2 mode=$3
    if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
        echo "unchanged  $dest"
        return
    fi
    if [ "$dry" = 1 ]; then echo "would install $dest (mode $mode)"; return; fi
    install -D -m "$mode" "$src" "$dest"
    echo "installed  $dest"
}

put_once() {  # put_once SOURCE DEST MODE: only if DEST does not exist (operator files are never overwritten)
    if [ -e "$2" ]; then echo "kept       $2 (exists)"; else put "$@"; fi
}

directory() {  # directory PATH MODE
    if [ -d "$1" ] && [ "$(stat -c %a "$1")" = "${2#0}" ]; then echo "unchanged  $1/"; return; fi
    run install -d -m "$2" "$1"
    [ "$dry" = 1 ] || echo "created    $1/"
}

staging=0
[ "$root" != "" ] && staging=1
if [ "$build" = 1 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "install.sh: refusing to build as root (it would leave root-owned files in .build/ and sudo's PATH often has no swift)." >&2
        echo "  build first as yourself: deploy/install.sh --prefix /tmp/stage (it builds into .build-release/)" >&2
        echo "  then install:            sudo deploy/install.sh --no-build" >&2
        exit 2
    fi
    # Static Swift runtime: the binaries run on machines without the toolchain (libcurl is loaded at run time).
    for p in $programs; do
        run swift build -c release --static-swift-stdlib --scratch-path .build-release --product "$p" \
            -Xcc -DVIGIL_GIT_REVISION="\"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\""
    done
fi
for p in $programs; do
    [ "$dry" = 1 ] || [ -x "$bin_dir/$p" ] || { echo "install.sh: $bin_dir/$p is missing: build first (deploy/install.sh as yourself builds it, or deploy/build-deb.sh)" >&2; exit 1; }
done

if [ "$make_user" = 1 ] && [ "$staging" = 0 ] && ! getent passwd "$user" >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        run useradd --system --user-group --home-dir /var/lib/vigil --shell /usr/sbin/nologin "$user"
    else
        echo "note: not root, so user $user was not created (use --no-user to silence this)"
    fi
fi

# Installed as vigil-<program>: distinct names, and the journal's identifiers (the programs find each other so).
for p in $programs; do put "$bin_dir/$p" "$root/usr/local/bin/vigil-$p" 0755; done
for unit in deploy/systemd/*; do put "$unit" "$root/etc/systemd/system/$(basename "$unit")" 0644; done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's|^  dir: ../spool .*|  dir: /var/lib/vigil/spool|' examples/config.yaml > "$tmp/config.yaml"
directory "$root/etc/vigil" 0750
put_once "$tmp/config.yaml" "$root/etc/vigil/config.yaml" 0640
if [ -e "$root/etc/vigil/Interface-pool" ]; then
    echo "kept       $root/etc/vigil/Interface-pool/ (exists)"
elif [ "$dry" = 1 ]; then
    echo "would copy examples/Interface-pool to $root/etc/vigil/Interface-pool"
else
    cp -r examples/Interface-pool "$root/etc/vigil/Interface-pool"
    echo "installed  $root/etc/vigil/Interface-pool/"
fi
printf '%s\n' "# Secrets for Vigil (read by the systemd units; keep this file 0600)." \
    "# WECOM_WEBHOOK_URL=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..." \
    "# USER_API_PASSWORD=..." > "$tmp/vigil.env"
put_once "$tmp/vigil.env" "$root/etc/vigil/vigil.env" 0600

# 0710: the vigil group may pass through to spool/metrics/ (0750, files 0640) and nothing else; add
# node_exporter's user to the group to let it read the metrics (docs/operating-guide.md, Metrics).
directory "$root/var/lib/vigil" 0710
directory "$root/var/lib/vigil/spool" 0710
for doc in docs/*.md; do put "$doc" "$root/usr/local/share/doc/vigil/$(basename "$doc")" 0644; done

if [ "$staging" = 0 ] && [ "$(id -u)" = 0 ] && getent passwd "$user" >/dev/null; then
    run chown "$user:$user" "$root/var/lib/vigil" "$root/var/lib/vigil/spool"
    run chgrp "$user" "$root/etc/vigil" "$root/etc/vigil/config.yaml"
fi
if [ "$root" = "" ] && [ "$dry" = 0 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
fi
if [ "$staging" = 1 ]; then
    echo "staged under $root (nothing outside it was changed). Put secrets in $root/etc/vigil/vigil.env and edit"
    echo "$root/etc/vigil/config.yaml now, or on the target machine, after copying $root/ to / there:"
    echo "  sudo useradd --system --user-group --home-dir /var/lib/vigil --shell /usr/sbin/nologin $user"
    echo "  sudo chown $user:$user /var/lib/vigil /var/lib/vigil/spool; sudo chgrp $user /etc/vigil /etc/vigil/config.yaml"
    echo "  sudo systemctl enable --now vigil-analyzer vigil-notifier vigil-orchestrator"
else
    echo "next: put secrets in /etc/vigil/vigil.env, check the config with"
    echo "  sudo cat /etc/vigil/vigil.env | sudo -u $user /usr/local/bin/vigil-orchestrator check --config /etc/vigil/config.yaml --env-file /dev/stdin"
    echo "then: systemctl enable --now vigil-analyzer vigil-notifier vigil-orchestrator (and vigil-web for the status site)"
fi
