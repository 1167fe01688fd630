#!/usr/bin/env bash
# Installs Debian's Chromium: the browser tests (the HTML report and the
# pictures, tests/lesson.rs and tests/pictures.rs) load pages in it, and
# scripts/render-svg.sh turns the SVG pictures into the README's PNGs with it.
# Run as root; quick when it is already there.
set -euo pipefail
if command -v chromium >/dev/null; then
    exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
