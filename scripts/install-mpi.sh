#!/usr/bin/env bash
# Installs what `cargo build --features mpi` and the `mpi` backend need on
# Debian or Ubuntu: OpenMPI's launcher and headers (openmpi-bin,
# libopenmpi-dev) and libclang for the bindings generator, with the headers
# of clang's own (libclang-common-*-dev brings stddef.h). Idempotent: when
# everything is present it only says so, without touching apt.
set -euo pipefail

packages=(openmpi-bin libopenmpi-dev libclang-dev)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ] && command -v mpirun >/dev/null; then
    echo "install-mpi: OpenMPI is installed ($(mpirun --version 2>/dev/null | head -1))"
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    echo "install-mpi: no apt-get here; install OpenMPI (mpirun, mpicc and its headers) and libclang with your system's package manager" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

echo "install-mpi: installing ${missing[*]:-${packages[*]}}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-mpi: done ($(mpirun --version 2>/dev/null | head -1))"
