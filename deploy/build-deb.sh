#!/usr/bin/env bash
# Builds the Debian package of Vigil with dpkg-deb alone: release binaries linked with the Swift runtime and
# Foundation statically (libcurl is loaded at run time, as always), with the git revision built in, as
# /usr/bin/vigil-orchestrator, vigil-prober, vigil-analyzer and vigil-notifier; the systemd units; manual pages;
# copyright and changelog.Debian.gz; /etc/vigil/config.yaml, an example interface pool and /etc/vigil/vigil.env
# (0600) as conffiles; maintainer scripts that create the vigil user and the spool, and on purge remove what
# install made (the spool only when VIGIL_PURGE_SPOOL=yes). Runs as root (a container, CI) or as a user.
#
#   deploy/build-deb.sh [--commit REV] [--no-build] [--bin-dir DIR] [--out DIR] [--lintian] [--layout-only]
#
#   --commit REV   build the committed tree of REV (git archive), not the working tree: edits in progress
#                  stay out and the revision is exact (default: the working tree, "<rev>-modified" when
#                  Sources/ or Package.swift differ from HEAD)
#   --no-build     package the binaries already in --bin-dir (default .build-release/release); the package
#                  claims the revision the binaries' --version shows, whatever HEAD is now
#   --out DIR      where the .deb goes (default .build-release/deb); its path is the one line on stdout
#   --lintian      run lintian on the result (fails on any error or warning)
#   --layout-only  accept binaries that need libraries no Debian package provides (a debug build needing
#                  the toolchain's libswiftCore.so): for tests of the package's layout only, it cannot run
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
build=1
commit=
bin_dir=
out=.build-release/deb
run_lintian=0
layout_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --commit) commit=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --bin-dir) bin_dir=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --lintian) run_lintian=1; shift ;;
        --layout-only) layout_only=1; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "build-deb.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
programs="orchestrator prober analyzer notifier"
# A clone owned by someone else (root building a user's tree, or the reverse) is still read.
git() { command git -c safe.directory="$repo" "$@"; }
fail() { echo "build-deb.sh: $*" >&2; exit 1; }

# --- the binaries -------------------------------------------------------------------------------------------
build_tree() {  # build_tree SOURCE_DIR REVISION: a static release build of the four programs into .build-release
    echo "build-deb.sh: building $1 at git $2 (release, static Swift runtime)" >&2
    local p
    # Product by product: a plain release build would also build TestSupport, which needs swift-testing.
    for p in $programs; do
        swift build -c release --static-swift-stdlib --package-path "$1" --scratch-path "$repo/.build-release" \
            --product "$p" -Xcc -DVIGIL_GIT_REVISION="\"$2\"" -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now >&2 || return 1
    done
}
if [ "$build" = 1 ]; then
    command -v swift >/dev/null || fail "no swift in PATH (as root under sudo, PATH often loses it: sudo env PATH=\"\$PATH\" …)"
    if [ -n "$commit" ]; then
        revision=$(git rev-parse --short "$commit^{commit}") || fail "$commit is not a commit"
        # Files are copied only where they differ, so unchanged files keep their times and builds stay incremental.
        src=.build-release/source
        fresh=$(mktemp -d)
        git archive "$revision" Package.swift Sources Tests | tar -x -C "$fresh"
        mkdir -p "$src"
        (cd "$fresh" && find . -type f) | while read -r f; do
            cmp -s "$fresh/$f" "$src/$f" 2>/dev/null || install -D -m 0644 "$fresh/$f" "$src/$f"
        done
        (cd "$src" && find . -type f) | while read -r f; do [ -e "$fresh/$f" ] || rm -f "$src/$f"; done
        rm -rf "$fresh"
        build_tree "$src" "$revision"
    else
        revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
        git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || revision="$revision-modified"
        build_tree . "$revision"
    fi
    bin_dir=${bin_dir:-.build-release/release}
else
    [ -z "$commit" ] || fail "--commit builds; with --no-build the binaries say their revision"
    bin_dir=${bin_dir:-.build-release/release}
fi

# What the binaries say is what the package claims: the same revision in all four, or none.
revision=
for p in $programs; do
    [ -x "$bin_dir/$p" ] || fail "$bin_dir/$p is missing (build first, or drop --no-build)"
    line=$("$bin_dir/$p" --version) || fail "$bin_dir/$p --version failed"
    said=$(printf '%s\n' "$line" | sed -n 's/.*(git \([^;)]*\)[;)].*/\1/p')
    [ "$p" = orchestrator ] && revision=$said
    [ "$said" = "$revision" ] || fail "$bin_dir/$p says git '$said', $bin_dir/orchestrator '$revision': rebuild them together"
done

# Every library a binary needs must come from a Debian package (not from the toolchain's /opt/swift).
for p in $programs; do
    missing=$(ldd "$bin_dir/$p" | awk '/not found/ {print $1} /=>/ && $3 ~ /^\// {print $3}' | while read -r lib; do
        case "$lib" in /*) dpkg -S "$(readlink -f "$lib")" >/dev/null 2>&1 || dpkg -S "$lib" >/dev/null 2>&1 || echo "$lib" ;; *) echo "$lib (not found)" ;; esac
    done)
    if [ -n "$missing" ]; then
        [ "$layout_only" = 1 ] || fail "$bin_dir/$p needs libraries no Debian package provides: $(echo $missing) — build with --static-swift-stdlib (this script does)"
        echo "build-deb.sh: --layout-only: $p needs $(echo $missing); this package will not run" >&2
    fi
done

# --- the package tree ---------------------------------------------------------------------------------------
version=$(sed -n 's/.*static let vigil = "\(.*\)".*/\1/p' Sources/Shared/Process/Version.swift)
debian_version="$version-1"
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
root="$stage/vigil_${debian_version}_${arch}"
doc="$root/usr/share/doc/vigil"
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$doc" "$root/usr/share/man/man1" "$root/etc/vigil"
for p in $programs; do
    install -m 0755 "$bin_dir/$p" "$root/usr/bin/vigil-$p"
    # Debian ships binaries stripped (debug symbols are not needed to run; crash backtraces lose names).
    [ "$layout_only" = 1 ] || strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/vigil-$p"
done
. deploy/package-files.sh
write_units "$root"
write_config "$root"
write_docs "$root" "$debian_version" "$revision"
write_manpages "$root" "$version" "$revision"
write_maintainer_scripts "$root"
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/conffiles"

# Libraries from the ELF NEEDED entries, with versions, as Debian computes them (dpkg-shlibdeps).
shlibs=$(mkdir -p "$stage/src/debian" && printf 'Source: vigil\n\nPackage: vigil\nArchitecture: any\n' > "$stage/src/debian/control" &&
    cd "$stage/src" && dpkg-shlibdeps -O $( [ "$layout_only" = 1 ] && echo --ignore-missing-info ) "$root"/usr/bin/vigil-* 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: vigil
Version: ${debian_version}
Architecture: ${arch}
Maintainer: Vigil developers <vigil@example.com>
Installed-Size: ${size}
Depends: adduser, libcurl4${shlibs:+, $shlibs}
Recommends: systemd
Section: net
Priority: optional
Homepage: https://example.com/vigil
Description: HTTP API monitoring that tells a team's chat when APIs break
 Vigil probes HTTP APIs on a schedule, reports every run, and delivers alerts
 to WeCom, DingTalk, Feishu, Slack, e-mail and webhooks, durably. Four
 programs share one spool directory; the Swift runtime is built in and
 libcurl is loaded at run time.
 .
 Built from git revision ${revision:-(none given)}.
CONTROL
mkdir -p "$out"
deb="$out/vigil_${debian_version}_${arch}.deb"
# xz as Debian ships; a --layout-only package (a test's) is compressed fast instead.
dpkg-deb --root-owner-group $( [ "$layout_only" = 1 ] && echo -Zgzip -z1 || echo -Zxz ) --build "$root" "$deb" >/dev/null
if [ "$run_lintian" = 1 ]; then
    command -v lintian >/dev/null || fail "--lintian: lintian is not installed (apt-get install lintian)"
    # Each override is justified in deploy/lintian-overrides (shipped as the package's own overrides).
    lintian --fail-on error,warning --display-info "$deb" >&2
fi
echo "$deb"
