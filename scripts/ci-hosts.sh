#!/usr/bin/env bash
# CI for the `mpi` backend across network-separated hosts (docs/mpi.md):
# three hosts in their own network, PID and mount namespaces on a bridge,
# each with a real sshd (scripts/netns-hosts.sh). Every scenario checks what
# gilfree says and that no process and no file is left on any host.
#
#   ci-hosts.sh GILFREE     GILFREE: a release binary built with --features mpi
set -euo pipefail
gilfree=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
hosts_sh="$here/netns-hosts.sh"
state=$(mktemp -d /run/gilfree-ci-hosts.XXXXXX)
rmdir "$state"
# Every host has a /tmp and /dev/shm of its own, so a binary under them (a
# clone in /tmp) would be missing there: the ranks run a copy kept in /run,
# which all hosts share.
bin=$(mktemp -d /run/gilfree-ci-hosts-bin.XXXXXX)
cp "$gilfree" "$bin/gilfree"
gilfree="$bin/gilfree"
trap 'bash "$hosts_sh" down "$state" >/dev/null 2>&1 || true; rm -rf "$bin"' EXIT

fail() { echo "ci-hosts: FAILED: $*" >&2; exit 1; }
expect() { grep -F -- "$2" <<<"$1" >/dev/null || { printf '%s\n' "$1" >&2; fail "expected: $2"; }; }

# Nothing of gilfree's on any host: no process but sshd's own, no file in
# /tmp or /dev/shm (bounded wait, for ranks that stop by themselves).
nothing_left() {
    local within=$1 left
    for _ in $(seq 1 $((within * 5))); do
        left=$(bash "$hosts_sh" leftovers "$state" | grep -v ': process [0-9]* sshd:' || true)
        [ -z "$left" ] && return 0
        sleep 0.2
    done
    printf '%s\n' "$left" >&2
    fail "left on the hosts after ${within}s (above)"
}

run() { bash "$hosts_sh" head "$state" env OMPI_MCA_btl_tcp_if_include=eth0 \
    OMPI_MCA_oob_tcp_if_include=eth0 "$gilfree" -b mpi --hostfile "$state/hostfile" "$@"; }

bash "$hosts_sh" up "$state" 3
printf 'h1 slots=3\nh2 slots=3\nh3 slots=2\n' > "$state/hostfile"

echo "== 8 ranks on 3 hosts: sums, each host's cores, efficiency against all of them"
out=$(run --seed 2015 --runs 3 -n 10M)
printf '%s\n' "$out"
expect "$out" "mpi: 8 ranks on 3 hosts: h1 (workers 0–2), h2 (workers 3–5), h3 (workers 6–7)"
expect "$out" "hosts:    mpi: h1 $(nproc) cores, h2 $(nproc) cores, h3 $(nproc) cores"
expect "$out" "3 hosts on 1 machine (the same boot id"
grep -E '^mpi .* ✓$' <<<"$out" >/dev/null || fail "the mpi row's sums"
nothing_left 5

echo "== --return numbers: every rank's numbers gathered to rank 0 on h1; h2's and h3's crossed the network"
out=$(run --seed 2015 --runs 3 -n 10M --return numbers 2>&1)
printf '%s\n' "$out"
grep -E '^mpi .* ✓$' <<<"$out" >/dev/null || fail "the mpi row's sums, summed by rank 0 from the gathered numbers"
expect "$out" "mpi: 50 MB of the 80 MB crossed the network"
nothing_left 5

echo "== sweep -b mpi: launch and compute apart"
out=$(bash "$hosts_sh" head "$state" env OMPI_MCA_btl_tcp_if_include=eth0 \
    OMPI_MCA_oob_tcp_if_include=eth0 "$gilfree" sweep -b mpi --hostfile "$state/hostfile" \
    -w 1,2,4 -n 10M --runs 1 --seed 7)
printf '%s\n' "$out"
expect "$out" "workers        numbers        wall      launch     compute   speedup"
expect "$out" "hosts at 4 workers: h1 and h2"
nothing_left 5

echo "== SIGINT during the compute: exit 130, nothing left on any host"
set +e
run --seed 11 -n 3G --runs 1 --warmup 0 >/dev/null 2>"$state/int.err" &
driver=$!
for _ in $(seq 1 300); do
    pgrep -f "mpi-rank .*--seed 11 " >/dev/null && break
    sleep 0.1
done
sleep 1
pkill -INT -f "gilfree -b mpi --hostfile $state/hostfile --seed 11 " 
wait "$driver"
status=$?
set -e
[ "$status" -eq 130 ] || { cat "$state/int.err" >&2; fail "SIGINT: exit $status, not 130"; }
nothing_left 10

echo "== a black-holed host is named within the launch deadline"
bash "$hosts_sh" cut "$state" h3
start=$SECONDS
set +e
out=$(run --seed 12 --runs 1 --warmup 0 --launch-timeout 5s 2>&1)
status=$?
set -e
bash "$hosts_sh" mend "$state" h3
printf '%s\n' "$out" | tail -1
[ "$status" -eq 1 ] || fail "black hole: exit $status"
[ $((SECONDS - start)) -le 20 ] || fail "black hole: took $((SECONDS - start)) s"
expect "$out" "still launching after 5s (--launch-timeout): no answer from host h3"
nothing_left 10

echo "== a host whose link drops mid-run is named; its ranks stop by themselves"
set +e
run --seed 13 -n 20G --runs 1 --warmup 0 --timeout 120s >"$state/cut.out" 2>&1 &
driver=$!
h3ns=$(readlink "/proc/$(cat "$state/h3.pid")/ns/pid")
for _ in $(seq 1 600); do
    for pid in $(pgrep -f "mpi-rank .*--seed 13 " || true); do
        [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" = "$h3ns" ] && break 2
    done
    sleep 0.1
done
sleep 2
bash "$hosts_sh" cut "$state" h3
wait "$driver"
status=$?
set -e
tail -1 "$state/cut.out"
[ "$status" -eq 1 ] || fail "link drop: exit $status"
expect "$(cat "$state/cut.out")" "host h3 stopped answering during the run"
# While the link is still down, the ranks there stop on their own.
nothing_left 20
bash "$hosts_sh" mend "$state" h3

echo "== the agent's own words and the host: a key the hosts refuse"
cp "$state/authorized_keys" "$state/authorized_keys.good"
: > "$state/authorized_keys"
set +e
out=$(run --seed 14 --runs 1 --warmup 0 --launch-timeout 20s 2>&1)
status=$?
set -e
cp "$state/authorized_keys.good" "$state/authorized_keys"
printf '%s\n' "$out" | tail -1
[ "$status" -eq 1 ] || fail "refused key: exit $status"
expect "$out" "Permission denied (publickey)"
nothing_left 10

echo "ci-hosts: every scenario passed"
