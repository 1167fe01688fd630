#!/usr/bin/env bash
# Installs what the `mpi` backend's Slurm launcher and its tests need on
# Debian or Ubuntu: Slurm's controller, node daemon and client commands
# (slurmctld, slurmd, slurm-client: salloc, srun, sbatch, squeue, scancel)
# and MUNGE, its authentication. Slurm 22.05 on Debian 12, about 3 MB.
# Idempotent: when everything is present it only says so. No service is
# started: scripts/slurm-cluster.sh starts a one-machine cluster of its own.
set -euo pipefail

packages=(slurmctld slurmd slurm-client munge)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ] && command -v srun >/dev/null; then
    echo "install-slurm: Slurm is installed (slurm-client $(dpkg-query -W -f='${Version}' slurm-client))"
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    echo "install-slurm: no apt-get here; install Slurm (slurmctld, slurmd, srun) and MUNGE with your system's package manager" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

echo "install-slurm: installing ${missing[*]:-${packages[*]}}"
export DEBIAN_FRONTEND=noninteractive
# Installing must not start the services (there may be no init system):
# a policy that refuses every start, for the length of the install.
policy=/usr/sbin/policy-rc.d
placed=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    placed=yes
fi
cleanup() { [ -n "$placed" ] && "${sudo[@]}" rm -f "$policy"; }
trap cleanup EXIT
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-slurm: done (slurm-client $(dpkg-query -W -f='${Version}' slurm-client))"
