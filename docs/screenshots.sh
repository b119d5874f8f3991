#!/usr/bin/env bash
# Renders pages of the status site in headless Chromium (Debian: apt-get install chromium) to PNG files in
# docs/: a spool is filled with a few runs of 40 interfaces (failures that come and go), the analyzer writes
# the site, and Chromium shoots the index, a service page and an interface page, light and dark, at a desktop
# and a phone width.
#   docs/screenshots.sh        (after: swift build --product analyzer)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/debug}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }
[ -x "$bin/analyzer" ] || { echo "build first: swift build --product analyzer" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'spool:\n  dir: %s/spool\nnotify:\n  timezone: Asia/Shanghai\n' "$work" > "$work/config.yaml"
for failures in 10 30 0 15 0 20; do
    python3 Benchmarks/gen_batch.py "$work/spool" 40 --failures "$failures" --seed "$failures$RANDOM" >/dev/null
    "$bin/analyzer" --config "$work/config.yaml" --once 2>/dev/null
    sleep 1
done
site="$work/spool/site"
# An interface with incidents: one of those failing now.
interface=$(grep -o 'href="i/[^"]*"' "$site/index.html" | head -1 | sed 's/href="//; s/"$//')
shoot() {  # name page width height scheme
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$3,$4" \
        --blink-settings="preferredColorScheme=$([ "$5" = dark ] && echo 0 || echo 1)" \
        --screenshot="docs/site-$1.png" "file://$site/$2" >/dev/null 2>&1
    echo "docs/site-$1.png"
}
shoot index index.html 1200 900 light
shoot index-dark index.html 1200 900 dark
shoot service s/user.html 1200 900 light
shoot interface "$interface" 1200 1400 light
shoot interface-phone-dark "$interface" 412 1400 dark
