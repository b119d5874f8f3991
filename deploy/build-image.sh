#!/usr/bin/env bash
# Builds Vigil's OCI image without pulling from any registry: the cached debootstrap Debian 12 root
# (deploy/debian-root.sh) plus the .deb installed with apt, trimmed like debian:bookworm-slim, assembled with
# buildah into local containers-storage and saved as a docker-archive. The image runs as the vigil user,
# declares /etc/vigil and /var/lib/vigil/spool as volumes, has vigil-orchestrator as its entry point (the
# analyzer and notifier run from the same image with --entrypoint vigil-analyzer / vigil-notifier), a health
# check running `vigil-orchestrator status --json`, and OCI annotation labels. deploy/Containerfile does the
# same from debian:bookworm-slim for those who can pull it.
#
#   deploy/build-image.sh --deb FILE [--out DIR] [--tag NAME]
#
# Root only (chroot, apt in the root). Storage: buildah's default driver unless STORAGE_DRIVER is set (vfs
# works where overlay mounts are refused). Prints the tag, then the archive's path.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=
out=.build-release/image
tag=
while [ $# -gt 0 ]; do
    case "$1" in
        --deb) deb=$(readlink -f "$2"); shift 2 ;;
        --out) out=$2; shift 2 ;;
        --tag) tag=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "build-image.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
fail() { echo "build-image.sh: $*" >&2; exit 1; }
[ -f "$deb" ] || fail "--deb FILE is required (deploy/build-deb.sh makes it)"
[ "$(id -u)" = 0 ] || fail "needs root (chroot and apt inside the image's root)"
command -v buildah >/dev/null || fail "buildah is not installed (apt-get install buildah)"
version=$(dpkg-deb -f "$deb" Version)
revision=$(dpkg-deb -f "$deb" Description | sed -n 's/.*Built from git revision \([^ ]*\)\.$/\1/p')
homepage=$(dpkg-deb -f "$deb" Homepage)
tag=${tag:-localhost/vigil:$version}
cache=${VIGIL_TEST_ROOT_CACHE:-/var/cache/vigil-test-root}
. deploy/debian-root.sh
debian_base "$cache" >&2 || fail "no Debian root"

mkdir -p "$out"
rootfs=$(mktemp -d /var/tmp/vigil-image-root.XXXXXX)
ctr=
cleanup() {
    mountpoint -q "$rootfs/proc" && umount -l "$rootfs/proc"
    rm -rf "$rootfs"
    [ -z "$ctr" ] || buildah rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cp -a "$cache/bookworm/." "$rootfs/"
rm -f "$rootfs/.vigil-complete"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
cp "$deb" "$rootfs/tmp/vigil.deb"
mount -t proc proc "$rootfs/proc"
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -q && apt-get install -y -q --no-install-recommends /tmp/vigil.deb && apt-get clean' > "$out.apt.log" 2>&1 ||
    fail "apt-get install in the image root failed: $(tail -n 3 "$out.apt.log" | tr '\n' ' ')"
umount "$rootfs/proc"
uid=$(chroot "$rootfs" id -u vigil)
# As debian:bookworm-slim: no apt lists, no other package's docs, man pages or locales (Vigil's docs stay).
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs/tmp/vigil.deb" "$rootfs"/var/log/*.log \
    "$rootfs"/var/log/apt/* "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/locale"
find "$rootfs/usr/share/doc" -mindepth 1 -maxdepth 1 ! -name vigil -exec sh -c 'find "$1" -mindepth 1 ! -name copyright -delete 2>/dev/null' _ {} \;
: > "$rootfs/etc/resolv.conf"
rm -f "$rootfs/etc/hostname"

ctr=$(buildah from --format docker scratch)
mnt=$(buildah mount "$ctr")
cp -a "$rootfs/." "$mnt/"
buildah umount "$ctr" >/dev/null
buildah config \
    --user vigil --workingdir /var/lib/vigil \
    --volume /etc/vigil --volume /var/lib/vigil/spool \
    --entrypoint '["/usr/bin/vigil-orchestrator"]' --cmd '["--config", "/etc/vigil/config.yaml"]' \
    --stop-signal SIGTERM \
    --healthcheck 'CMD /usr/bin/vigil-orchestrator status --json --config /etc/vigil/config.yaml' \
    --healthcheck-interval 60s --healthcheck-timeout 10s --healthcheck-start-period 30s --healthcheck-retries 3 \
    --label org.opencontainers.image.title=vigil \
    --label "org.opencontainers.image.description=HTTP API monitoring that tells a team's chat when APIs break (orchestrator by default; --entrypoint vigil-analyzer or vigil-notifier for the others)" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=${revision:-unknown}" \
    --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --label "org.opencontainers.image.url=$homepage" \
    --label "org.opencontainers.image.vendor=Vigil developers" \
    --label "org.opencontainers.image.base.name=debian:bookworm (debootstrap minbase)" \
    "$ctr"
# The previous build of this tag goes (with vfs storage each left-over image is a full copy).
buildah rmi "$tag" >/dev/null 2>&1 || true
buildah commit --quiet --format docker --rm "$ctr" "$tag" >/dev/null
ctr=
archive="$out/vigil-image-$version.tar"
rm -f "$archive"
buildah push --quiet "$tag" "docker-archive:$archive:$tag" >/dev/null
echo "build-image.sh: $tag, user vigil ($uid), archive $(( $(stat -c %s "$archive") / 1024 / 1024 )) MiB" >&2
echo "$tag"
echo "$archive"
