#!/usr/bin/env bash
# Installs Debian's Chromium, used only by scripts/render-svg.sh to turn the
# SVG pictures into the PNGs shown in the README. Run as root.
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
