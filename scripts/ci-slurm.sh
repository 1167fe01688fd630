#!/usr/bin/env bash
# CI for the `mpi` backend under Slurm (docs/mpi.md): a one-machine cluster
# (scripts/slurm-cluster.sh), then `salloc … gilfree -b mpi` (mpirun finds
# the allocation), the srun launcher, an sbatch job (squeue polled), a rank
# killed under srun, and scancel mid-run — each checked for what gilfree
# says, and the last for no live process and no file left.
#
#   ci-slurm.sh GILFREE     GILFREE: a release binary built with --features mpi
set -euo pipefail
gilfree=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cluster=$(mktemp -d /run/gilfree-ci-slurm.XXXXXX)
rmdir "$cluster"
work=$(mktemp -d)
trap 'bash "$here/slurm-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$work"

fail() { echo "ci-slurm: FAILED: $*" >&2; exit 1; }
expect() { grep -F -- "$2" <<<"$1" >/dev/null || { printf '%s\n' "$1" >&2; fail "expected: $2"; }; }

# No rank, launcher or step daemon alive (zombies, state Z, are left to
# PID 1, which reaps them slowly here), no gilfree or PMIx file in /tmp.
nothing_left() {
    local left
    for _ in $(seq 1 50); do
        left=$(ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/' |
            grep -E "mpi-rank|mpi-launch|slurmstepd|srun " | grep -v grep || true)
        left+=$(find /tmp -maxdepth 1 \( -name 'gilfree-mpi-*' -o -name 'spmix*' \) 2>/dev/null)
        [ -z "$left" ] && return 0
        sleep 0.2
    done
    printf '%s\n' "$left" >&2
    fail "left behind (above)"
}

bash "$here/slurm-cluster.sh" start "$cluster" 8
export SLURM_CONF="$cluster/slurm.conf"

echo "== salloc -n 4 gilfree -b mpi: -w defaults to the allocation's 4 tasks"
out=$(salloc -n 4 "$gilfree" -b mpi --seed 2015 --runs 3 2>&1)
printf '%s\n' "$out"
expect "$out" "workload: 4 workers"
expect "$out" "mpi: 4 ranks on 1 host"
grep -E '^mpi .* ✓$' <<<"$out" >/dev/null || fail "the mpi row's sums"
set +e
out=$(salloc -n 2 "$gilfree" -b mpi -w 4 --runs 1 2>&1)
status=$?
set -e
[ "$status" -eq 2 ] || fail "more workers than tasks: exit $status, not 2"
expect "$out" "the Slurm allocation (job"
nothing_left

echo "== --launcher srun"
out=$("$gilfree" -b mpi --launcher srun -w 4 --seed 2015 --runs 3 2>&1)
printf '%s\n' "$out" | grep -E "^mpi |ranks on|not reaped"
grep -E '^mpi .* ✓$' <<<"$out" >/dev/null || fail "srun: the mpi row's sums"
expect "$out" "CPU time that ranks not reaped by gilfree measured themselves"
nothing_left

echo "== sbatch, squeue polled"
job=$(sbatch --parsable -n 4 -o "$work/job.out" --wrap "$gilfree -b mpi --launcher srun --seed 2015 --runs 1")
for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
    sleep 0.1
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "job $job still queued or running after 60 s"
grep -E '^mpi .* ✓$' "$work/job.out" >/dev/null || { cat "$work/job.out" >&2; fail "sbatch: the mpi row"; }
nothing_left

echo "== a rank killed under srun is named with its node"
set +e
"$gilfree" -b mpi --launcher srun -w 4 -n 8G --seed 4246 --runs 1 --warmup 0 >"$work/kill.out" 2>&1 &
driver=$!
for _ in $(seq 1 600); do
    [ "$(pgrep -fc "^$gilfree mpi-rank .*--seed 4246 ")" -ge 4 ] && break
    sleep 0.1
done
sleep 1
kill -9 "$(pgrep -f "^$gilfree mpi-rank .*--seed 4246 " | sort -n | sed -n 3p)"
wait "$driver"
status=$?
set -e
tail -1 "$work/kill.out"
[ "$status" -eq 1 ] || fail "killed rank: exit $status"
expect "$(cat "$work/kill.out")" "on host n1) was killed, as srun reported"
nothing_left

echo "== scancel mid-run leaves nothing"
job=$(sbatch --parsable -n 4 -o "$work/cancel.out" --wrap "$gilfree -b mpi --launcher srun -n 20G --seed 4247 --runs 1 --warmup 0")
for _ in $(seq 1 600); do
    [ "$(pgrep -fc "^$gilfree mpi-rank .*--seed 4247 ")" -ge 4 ] && break
    sleep 0.1
done
[ "$(pgrep -fc "^$gilfree mpi-rank .*--seed 4247 ")" -ge 4 ] || fail "the job's ranks never started"
scancel "$job"
nothing_left

echo "ci-slurm: every scenario passed"
