#!/usr/bin/env bash
# Installs Debian's Chromium, used by scripts/render-svg.sh to turn the SVG
# pictures into the PNGs shown in the README, and by the tests that render
# the pictures (tests/pictures.rs). Run as root.
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
