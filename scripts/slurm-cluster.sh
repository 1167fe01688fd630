#!/usr/bin/env bash
# A one-machine Slurm cluster under a directory of its own, for the `mpi`
# backend's Slurm tests and for trying `--launcher srun` (docs/mpi.md):
# MUNGE with its own key and socket, slurmctld, and one slurmd whose node
# declares CPUS processors (more than this machine has is allowed: it only
# lets Slurm hand out that many tasks). Runs as root, without systemd;
# nothing outside DIR is written (but /run/munge, which munged insists on
# for nothing else than a lock it does not need here, is not touched either).
#
#   slurm-cluster.sh start DIR [CPUS]   start it (CPUS defaults to 8); DIR
#                                       must not exist. Prints the line to
#                                       source: export SLURM_CONF=DIR/slurm.conf
#   slurm-cluster.sh stop DIR           cancel every job, stop the daemons,
#                                       remove DIR
#
# Slurm 22.05 as Debian 12 ships it needs, on a machine without systemd:
# ProctrackType=proctrack/linuxproc and TaskPlugin=task/none (no cgroup
# plugins), SlurmdParameters=config_overrides (a node may declare more CPUs
# than it has), and a cgroup.conf naming cgroup/v1 (slurmd otherwise looks
# for the cgroup v2 hierarchy and fails). NodeAddr=127.0.0.1 avoids name
# resolution. scripts/install-slurm.sh installs the packages.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

[ "$#" -ge 2 ] || usage
action=$1
dir=$2

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 20000))
        if ! ss -Htln "sport = :$port" | grep -q .; then
            echo "$port"
            return
        fi
    done
}

start() {
    local cpus=${1:-8}
    for program in munged mungekey slurmctld slurmd srun sinfo; do
        command -v "$program" >/dev/null || {
            echo "slurm-cluster: $program is missing: run scripts/install-slurm.sh" >&2
            exit 1
        }
    done
    mkdir "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir"
    mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$dir/jobs"
    # munged's socket directory must let clients in (o+x), its key only root.
    chmod 755 "$dir/munge"
    mungekey --create --keyfile "$dir/munge.key" >/dev/null 2>&1 ||
        dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
    chmod 600 "$dir/munge.key"
    munged --force --key-file "$dir/munge.key" --socket "$dir/munge/munge.socket.2" \
        --pid-file "$dir/munged.pid" --log-file "$dir/log/munged.log" --seed-file "$dir/munge.seed"

    local ctld_port slurmd_port
    ctld_port=$(free_port)
    slurmd_port=$(free_port)
    cat > "$dir/slurm.conf" <<EOF
ClusterName=gilfree
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket.2
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmdParameters=config_overrides
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=5
InactiveLimit=0
MinJobAge=5
NodeName=n1 NodeAddr=127.0.0.1 NodeHostname=$(hostname) CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    echo "CgroupPlugin=cgroup/v1" > "$dir/cgroup.conf"
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -N n1 -f "$SLURM_CONF"
    local deadline=$((SECONDS + 30))
    until [ "$(sinfo -h -n n1 -o %T 2>/dev/null)" = idle ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "slurm-cluster: the node did not become idle within 30 s; logs in $dir/log:" >&2
            tail -5 "$dir"/log/*.log >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    echo "slurm-cluster: up ($(srun --version), node n1 with $cpus CPUs); use it with:"
    echo "export SLURM_CONF=$dir/slurm.conf"
}

stop_pid_file() {
    local file=$1 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    [ -f "$dir/slurm.conf" ] || { echo "slurm-cluster: $dir is not a cluster directory" >&2; exit 2; }
    export SLURM_CONF="$dir/slurm.conf"
    scancel --quiet --full --user=root 2>/dev/null || true
    # Step daemons end with their jobs; give them a moment.
    for _ in $(seq 1 50); do
        pgrep -f "slurmstepd" >/dev/null 2>&1 || break
        sleep 0.1
    done
    stop_pid_file "$dir/slurmd.n1.pid"
    stop_pid_file "$dir/slurmctld.pid"
    stop_pid_file "$dir/munged.pid"
    rm -rf "$dir"
}

case "$action" in
    start) [ "$#" -le 3 ] || usage; start "${3:-8}" ;;
    stop) [ "$#" -eq 2 ] || usage; stop ;;
    *) usage ;;
esac
