#!/usr/bin/env bash
# Proves the vigil .deb on a clean Debian 12 root that never had Swift: debootstrap a minimal bookworm root
# (cached between runs), install the package with apt in a chroot, then inside it: the binaries' libraries,
# every vigil-* --version with the package's revision, `check` as the vigil user, a real `once` against a
# loopback target that delivers one alert to a loopback webhook, `status --json`, and purge (the spool kept,
# then removed with VIGIL_PURGE_SPOOL=yes). Then a systemd boot of that root (systemd-nspawn -b) where the
# machine allows it, and the OCI image (deploy/build-image.sh) run by podman or, where refused, by runc on
# the unpacked image. One line per step: "ok", "FAILED" (exit 1) or "cannot run: <why>" (never a silent skip).
#
#   deploy/test-deb.sh [--ci] [--deb FILE] [--keep]
#
#   --deb FILE   the package to prove (default: deploy/build-deb.sh --commit HEAD builds it)
#   --ci         as in CI: install the tools that are missing with apt-get (otherwise their steps say
#                they cannot run)
#   --keep       keep the working root (printed) for inspection
#
# Environment: VIGIL_TEST_ROOT_CACHE (default /var/cache/vigil-test-root) holds the pristine root;
# VIGIL_DEBIAN_MIRROR overrides the mirror, which is otherwise read from this host's apt sources.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
deb=
ci=0
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --deb) deb=$(readlink -f "$2"); shift 2 ;;
        --ci) ci=1; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "test-deb.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
cache=${VIGIL_TEST_ROOT_CACHE:-/var/cache/vigil-test-root}
failed=0
started=$(date +%s)
ok() { printf 'step %-22s ok: %s\n' "$1" "$2"; }
bad() { printf 'step %-22s FAILED: %s\n' "$1" "$2"; failed=1; }
cannot() { printf 'step %-22s cannot run: %s\n' "$1" "$2"; }
indent() { sed 's/^/    /'; }
finish() {
    echo "test-deb.sh: $( [ "$failed" = 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - started )) s"
    exit "$failed"
}

# --- prerequisites ------------------------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    cannot prerequisites "not root: debootstrap, chroot and apt inside the root need root (run it with sudo)"
    finish
fi
need=()
for tool in debootstrap:debootstrap python3:python3 lintian:lintian systemd-nspawn:systemd-container buildah:buildah \
    skopeo:skopeo umoci:umoci runc:runc podman:podman; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ] && [ "$ci" = 1 ]; then
    apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${need[@]}" >/dev/null 2>&1; }
fi
for tool in debootstrap python3 chroot; do
    command -v "$tool" >/dev/null || { cannot prerequisites "$tool is missing and apt-get could not install it"; finish; }
done
ok prerequisites "root, debootstrap $(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null), python3 (for the loopback target and webhook)"

# --- the package --------------------------------------------------------------------------------------------
if [ -z "$deb" ]; then
    t0=$(date +%s)
    if ! deb=$(deploy/build-deb.sh --commit HEAD 2>/tmp/vigil-build-deb.log); then
        bad package "deploy/build-deb.sh --commit HEAD failed: $(tail -n 3 /tmp/vigil-build-deb.log | tr '\n' ' ')"
        finish
    fi
    deb=$(readlink -f "$deb")
    built="built in $(( $(date +%s) - t0 )) s"
else
    built="given"
fi
[ -f "$deb" ] || { bad package "$deb does not exist"; finish; }
revision=$(dpkg-deb -f "$deb" Description | sed -n 's/.*Built from git revision \([^ ]*\)\.$/\1/p')
ok package "$(basename "$deb") ($built), $(( $(stat -c %s "$deb") / 1024 )) KiB, git revision ${revision:-none}; Depends: $(dpkg-deb -f "$deb" Depends)"

if command -v lintian >/dev/null; then
    # (lintian's "running with root privileges is not recommended!" is about lintian, not the package)
    if lint=$(lintian --fail-on error,warning --display-info "$deb" 2>&1 | grep -v 'running with root privileges'; exit "${PIPESTATUS[0]}"); then
        ok lintian "$( [ -z "$lint" ] && echo "no tags" || echo "only info tags or justified overrides:")"
    else
        bad lintian "tags at warning or error level:"
    fi
    [ -z "$lint" ] || printf '%s\n' "$lint" | indent
else
    cannot lintian "lintian is not installed and apt-get could not install it"
fi

# --- a clean Debian 12 root ---------------------------------------------------------------------------------
. deploy/debian-root.sh
if made=$(debian_base "$cache"); then
    base="$cache/bookworm"
else
    bad "debian root" "$made"
    finish
fi
work="$cache/work"
umount_all() { for m in "$work/proc" "$work/dev"; do mountpoint -q "$m" && umount -l "$m"; done; return 0; }
umount_all
rm -rf "$work" && cp -a "$base" "$work"
cp /etc/resolv.conf "$work/etc/resolv.conf" 2>/dev/null
mount -t proc proc "$work/proc" && mount --bind /dev "$work/dev"
servers_pid=
cleanup() {
    [ -z "$servers_pid" ] || kill "$servers_pid" 2>/dev/null
    umount_all
    if [ "$keep" = 1 ]; then echo "test-deb.sh: the root is kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
in_root() { chroot "$work" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
ok "debian root" "Debian $(cat "$work/etc/debian_version") minbase, $made; fresh copy in $work"

listing=$(in_root sh -c 'ls /opt /usr/lib/swift 2>&1; find / -xdev \( -name "libswift*" -o -name "swift*" -path "*/bin/*" \) 2>/dev/null')
if printf '%s\n' "$listing" | grep -qE 'libswift|/swift$' || in_root sh -c 'ls -A /opt' | grep -q .; then
    bad "no swift" "the root holds Swift:"
else
    ok "no swift" "ls /opt /usr/lib/swift in the root, and no libswift* or swift binary anywhere:"
fi
printf '%s\n' "$listing" | indent

# --- install ------------------------------------------------------------------------------------------------
cp "$deb" "$work/tmp/vigil.deb"
apt_log="$cache/apt.log"
if in_root apt-get update -q > "$apt_log" 2>&1 &&
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/vigil.deb >> "$apt_log" 2>&1; then
    ok install "apt-get install ./vigil.deb: $(grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' "$apt_log" | tail -n 1)"
    grep -E '^vigil: ' "$apt_log" | indent
else
    bad install "apt-get install failed:"
    tail -n 15 "$apt_log" | indent
    finish
fi

libs=$(in_root sh -c 'for b in /usr/bin/vigil-*; do echo "$b:"; ldd "$b"; done' 2>&1)
if printf '%s\n' "$libs" | grep -qE 'not found|libswift|libFoundation|libdispatch'; then
    bad libraries "a binary needs what the root does not have:"
else
    ok libraries "every binary's libraries are in the root (Debian packages):"
fi
printf '%s\n' "$libs" | grep -vE 'linux-vdso|ld-linux' | indent

for p in orchestrator prober analyzer notifier; do
    line=$(in_root "vigil-$p" --version 2>&1)
    status=$?
    if [ "$status" = 0 ] && [ -n "$revision" ] && printf '%s' "$line" | grep -q "(git $revision;"; then
        ok "version vigil-$p" "$line"
    else
        bad "version vigil-$p" "exit $status, expected git $revision: $line"
    fi
done

check=$(in_root runuser -u vigil -- vigil-orchestrator check --config /etc/vigil/config.yaml 2>&1)
status=$?
if [ "$status" = 0 ]; then ok "check as vigil" "exit 0, as user $(in_root id -un vigil) ($(in_root id -u vigil)):"; else bad "check as vigil" "exit $status:"; fi
printf '%s\n' "$check" | head -n 12 | indent

# --- a real run: loopback target and webhook (python3 on this host; the chroot shares its network) --------
. deploy/test-deb-once.sh
prove_once

# --- purge --------------------------------------------------------------------------------------------------
gone() { for f in /usr/bin/vigil-orchestrator /etc/vigil /lib/systemd/system/vigil-orchestrator.service; do [ ! -e "$work$f" ] || echo "$f"; done; }
if in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q vigil > "$apt_log" 2>&1; then
    left=$(gone)
    if [ -z "$left" ] && [ -d "$work/var/lib/vigil/spool/reports" ] && in_root getent passwd vigil >/dev/null; then
        ok "purge" "binaries, units and /etc/vigil gone; /var/lib/vigil kept with its runs ($(ls "$work/var/lib/vigil/spool/reports" | wc -l) report(s)) and its owner vigil"
        grep -E '^vigil: ' "$apt_log" | indent
    else
        bad "purge" "left behind: ${left:-nothing}; spool reports: $(ls "$work/var/lib/vigil/spool/reports" 2>&1 | head -n 1); user: $(in_root getent passwd vigil)"
    fi
else
    bad "purge" "apt-get purge failed: $(tail -n 3 "$apt_log" | tr '\n' ' ')"
fi
if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/vigil.deb > "$apt_log" 2>&1 &&
    in_root env DEBIAN_FRONTEND=noninteractive VIGIL_PURGE_SPOOL=yes apt-get purge -y -q vigil >> "$apt_log" 2>&1; then
    left=$(gone)
    if [ -z "$left" ] && [ ! -e "$work/var/lib/vigil" ] && ! in_root getent passwd vigil >/dev/null; then
        ok "purge spool too" "reinstalled, then VIGIL_PURGE_SPOOL=yes apt-get purge: /var/lib/vigil and the vigil user gone too"
    else
        bad "purge spool too" "left behind: ${left:-} $(ls -d "$work/var/lib/vigil" 2>/dev/null) $(in_root getent passwd vigil)"
    fi
else
    bad "purge spool too" "reinstall or purge failed: $(tail -n 3 "$apt_log" | tr '\n' ' ')"
fi

# --- systemd ------------------------------------------------------------------------------------------------
. deploy/test-deb-boot.sh
prove_boot

# --- the OCI image ------------------------------------------------------------------------------------------
. deploy/test-deb-image.sh
prove_image
finish
