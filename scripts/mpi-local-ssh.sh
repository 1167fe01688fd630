#!/usr/bin/env bash
# A stand-in for ssh that lets one machine play several MPI hosts, for the
# `mpi` backend's two-host test (docs/mpi.md). OpenMPI's launcher calls it as
# it would call ssh (`AGENT [OPTIONS] HOST COMMAND...`, given with
# `--mca plm_rsh_agent PATH`); it drops the options and runs COMMAND here, in
# a UTS namespace of its own whose hostname is HOST, so that the "hosts" do
# not share OpenMPI's shared-memory segment names. Needs root (unshare).
set -euo pipefail

# ssh options that take a value, as OpenMPI may pass them.
while [ "$#" -gt 0 ]; do
    case "$1" in
        -[bcDEeFIiJLlmOoPpQRSWw]) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
if [ "$#" -lt 2 ]; then
    echo "mpi-local-ssh: usage: mpi-local-ssh.sh [OPTIONS] HOST COMMAND..." >&2
    exit 255
fi
host=$1
shift
# ssh hands the remote shell one string; so does this.
exec unshare --uts -- /bin/sh -c 'hostname "$1" && shift && eval "exec $*"' sh "$host" "$@"
