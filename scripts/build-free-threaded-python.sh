#!/usr/bin/env bash
# Build a free-threaded CPython 3.13 (PEP 703, --disable-gil) from Debian's source package into PREFIX,
# for trying gilfree's Python rows with the GIL off: `gilfree --python PREFIX/bin/python3.13t ...`.
# About 5 minutes on 2 cores; .ci/run builds it for the GIL on/off test. Usage: build-free-threaded-python.sh [PREFIX]   (default /opt/python3.13t)
set -euo pipefail
prefix=${1:-/opt/python3.13t}
if [ -x "$prefix/bin/python3.13t" ]; then echo "already built: $prefix/bin/python3.13t"; exit 0; fi
# The machine's own Debian mirror, as its apt configuration names it.
mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
[ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt/sources.list.d/*.sources" >&2; exit 1; }
work=$(mktemp -d /tmp/py313t-build.XXXX)
src_list=/etc/apt/sources.list.d/gilfree-trixie-src.sources
cleanup() { rm -f "$src_list"; apt-get update -qq >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# Debian 13 (trixie) carries python3.13; only its source package is used, nothing is installed from it.
printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$mirror" > "$src_list"
apt-get update -qq
cd "$work"
apt-get source --download-only python3.13 >/dev/null 2>&1
tar xf python3.13_*.orig.tar.xz
cd Python-3.13*/
./configure --disable-gil --prefix="$prefix" -q >/dev/null
make -j"$(nproc)" -s >/dev/null 2>&1
make install -s >/dev/null 2>&1
"$prefix/bin/python3.13t" -c 'import sys; assert not sys._is_gil_enabled(); print(sys.version)'
echo "built: $prefix/bin/python3.13t"
