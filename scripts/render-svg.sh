#!/usr/bin/env bash
# Renders an SVG (a --timeline-svg or sweep --plot picture) to PNG with
# headless Chromium, as the README's pictures were made:
#
#   scripts/render-svg.sh speedup.svg speedup.png [WIDTH HEIGHT]
#
# (the picture's own size when WIDTH and HEIGHT are left out).
#
# Needs Debian's chromium package: apt-get update && apt-get install -y chromium
# (scripts/install-chromium.sh); tests/pictures.rs renders the same way.
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: $0 IN.svg OUT.png [WIDTH [HEIGHT]]" >&2
    exit 2
fi
command -v chromium >/dev/null || { echo "chromium not found: run scripts/install-chromium.sh" >&2; exit 1; }
in=$(realpath "$1")
out=$(realpath -m "$2")
# The picture's own size by default (its root's width and height), so that a
# tall timeline is not cropped.
size_of() { grep -o -m1 " $1=\"[0-9]*\"" "$in" | head -n1 | tr -dc '0-9'; }
width=${3:-$(size_of width)}
height=${4:-$(size_of height)}
width=${width:-960}
height=${height:-800}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# Without the background-networking flags Chromium tries, and fails, to reach
# Google's hosts from a machine without network.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="$width,$height" \
    --screenshot="$out" "file://$in" 2>/dev/null
echo "$out"
