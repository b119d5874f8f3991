# A minimal Debian 12 (bookworm) root made with debootstrap and cached, for deploy/test-deb.sh and
# deploy/build-image.sh (sourced). The mirror is this host's, read from its apt sources at run time
# (VIGIL_DEBIAN_MIRROR overrides it): no mirror is written into the repository.

debian_mirror() {  # the host's Debian mirror for bookworm, from its apt sources (deb822 or one-line)
    if [ -n "${VIGIL_DEBIAN_MIRROR:-}" ]; then echo "$VIGIL_DEBIAN_MIRROR"; return; fi
    local f found=
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && [ -z "$found" ] || continue
        found=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |\n|$)/ && !/security/ {
            for (i = 1; i <= NF; i++) if ($i == "URIs:") { print $(i + 1); exit } }' "$f")
    done
    [ -z "$found" ] || { echo "$found"; return; }
    grep -hsE '^deb +(\[[^]]*\] +)?[a-z]+://[^ ]+ +bookworm ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
        sed -E 's/^deb +(\[[^]]*\] +)?//' | awk 'NR == 1 {print $1}'
}

debian_base() {  # debian_base CACHE: makes CACHE/bookworm once; prints what it did (or why it failed)
    local base="$1/bookworm" url t0
    if [ -f "$base/.vigil-complete" ]; then echo "from the cache $base"; return 0; fi
    url=$(debian_mirror)
    [ -n "$url" ] || { echo "no bookworm mirror in /etc/apt/sources.list* (set VIGIL_DEBIAN_MIRROR)"; return 1; }
    rm -rf "$base" && mkdir -p "$1"
    t0=$(date +%s)
    if ! debootstrap --variant=minbase bookworm "$base" "$url" > "$1/debootstrap.log" 2>&1; then
        echo "debootstrap bookworm from $url failed: $(tail -n 2 "$1/debootstrap.log" | tr '\n' ' ')"
        return 1
    fi
    touch "$base/.vigil-complete"
    echo "debootstrapped from $url in $(( $(date +%s) - t0 )) s, cached in $base"
}
