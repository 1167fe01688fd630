#!/usr/bin/env bash
# Simulated cluster hosts on one machine, for the `mpi` backend's tests
# across hosts (docs/mpi.md): each host is a network, PID, mount and UTS
# namespace of its own — its own hostname, address, processes, /tmp and
# /dev/shm — joined to the others by a bridge, and runs a real OpenSSH
# server on port 22. The driver runs in a namespace of its own too (`head`),
# so nothing here touches this machine's own network: every address is on
# the bridge, inside namespaces this script made. Needs root, iproute2,
# util-linux's unshare and nsenter, and openssh-server (installed when
# missing).
#
#   netns-hosts.sh up STATE N       make hosts h1..hN and the head; STATE is a
#                                   new directory for keys, configs, pids
#   netns-hosts.sh head STATE CMD…  run CMD on the head (where mpirun runs),
#                                   with OMPI_MCA_plm_rsh_agent set to ssh
#   netns-hosts.sh on STATE HOST CMD…  run CMD inside HOST's namespaces
#   netns-hosts.sh cut STATE HOST   black-hole HOST: its link goes down, and
#                                   packets to it vanish without an answer
#   netns-hosts.sh mend STATE HOST  bring its link back
#   netns-hosts.sh leftovers STATE  print, per host, every process but the
#                                   host's own (sshd, its init) and every
#                                   entry of /tmp and /dev/shm; nothing
#                                   printed means nothing was left
#   netns-hosts.sh down STATE       stop every host, remove everything
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

[ "$#" -ge 2 ] || usage
action=$1
state=$2
shift 2

subnet=10.77.0
tag_of() { cat "$state/tag"; }

ns() { echo "gf$(tag_of)-$1"; }

host_ip() {
    case "$1" in
        head) echo "$subnet.1" ;;
        h*) echo "$subnet.$((10 + ${1#h}))" ;;
        *) echo "netns-hosts: no host $1" >&2; exit 2 ;;
    esac
}

init_pid() { cat "$state/$1.pid"; }

ensure_sshd() {
    if [ ! -x /usr/sbin/sshd ]; then
        echo "netns-hosts: installing openssh-server" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
    fi
}

up() {
    local count=$1
    [ "$count" -ge 1 ] && [ "$count" -le 50 ] || { echo "netns-hosts: 1 to 50 hosts" >&2; exit 2; }
    ensure_sshd
    mkdir "$state"
    state=$(cd "$state" && pwd)
    head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$state/tag"
    echo "$count" > "$state/count"
    local tag
    tag=$(tag_of)
    ssh-keygen -q -t ed25519 -N '' -f "$state/id_ed25519"
    ssh-keygen -q -t ed25519 -N '' -f "$state/host_key"
    cp "$state/id_ed25519.pub" "$state/authorized_keys"
    cat > "$state/ssh_config" <<EOF
Host *
    User root
    IdentityFile $state/id_ed25519
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    GlobalKnownHostsFile /dev/null
    BatchMode yes
    LogLevel ERROR
EOF
    printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$state/ssh_config" > "$state/ssh"
    chmod +x "$state/ssh"
    # Names resolve the same everywhere: `ip netns exec` binds
    # /etc/netns/NAME/hosts over /etc/hosts in that namespace only.
    {
        echo "127.0.0.1 localhost"
        echo "$(host_ip head) head"
        for i in $(seq 1 "$count"); do echo "$(host_ip "h$i") h$i"; done
    } > "$state/hosts"
    mkdir -p /run/sshd

    ip netns add "$(ns sw)"
    ip -n "$(ns sw)" link add br0 type bridge
    ip -n "$(ns sw)" link set br0 up
    local node
    for node in head $(seq -f 'h%g' 1 "$count"); do
        ip netns add "$(ns "$node")"
        mkdir -p "/etc/netns/$(ns "$node")"
        cp "$state/hosts" "/etc/netns/$(ns "$node")/hosts"
        ip link add "v$tag$node" type veth peer name eth0 netns "$(ns "$node")"
        ip link set "v$tag$node" netns "$(ns sw)"
        ip -n "$(ns sw)" link set "v$tag$node" master br0 up
        ip -n "$(ns "$node")" addr add "$(host_ip "$node")/24" dev eth0
        ip -n "$(ns "$node")" link set eth0 up
        ip -n "$(ns "$node")" link set lo up
    done
    # Every neighbour known for good: a host whose link is cut is then a
    # black hole (packets vanish) rather than an unanswered ARP query
    # ("No route to host" after 3 s), as a crashed host behind a switch is.
    local a b mac
    for b in head $(seq -f 'h%g' 1 "$count"); do
        mac=$(ip -n "$(ns "$b")" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
        for a in head $(seq -f 'h%g' 1 "$count"); do
            [ "$a" = "$b" ] && continue
            ip -n "$(ns "$a")" neigh replace "$(host_ip "$b")" lladdr "$mac" dev eth0 nud permanent
        done
    done
    for i in $(seq 1 "$count"); do
        node="h$i"
        cat > "$state/sshd_config.$node" <<EOF
Port 22
ListenAddress $(host_ip "$node")
HostKey $state/host_key
AuthorizedKeysFile $state/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel ERROR
EOF
        # The host's first process is a shell that starts sshd and reaps
        # whatever is orphaned to it, as an init does. setsid: it outlives
        # this script.
        setsid ip netns exec "$(ns "$node")" unshare --pid --fork --mount --uts --mount-proc \
            --propagation private /bin/bash -c '
                hostname "$1"
                mount -t tmpfs -o mode=1777 tmpfs /tmp
                mount -t tmpfs -o mode=1777 tmpfs /dev/shm
                /usr/sbin/sshd -D -e -f "$2" 2>>"$3" &
                while :; do wait; sleep 1; done' host "$node" "$state/sshd_config.$node" \
            "$state/sshd.$node.log" </dev/null >/dev/null 2>&1 &
        # Its first process, as this PID namespace sees it: the process
        # whose innermost pid is 1 among the children of its unshare.
        local deadline=$((SECONDS + 10)) pid="" candidate
        while [ -z "$pid" ]; do
            for candidate in $(pgrep -f "sshd_config\.$node( |\$)" || true); do
                if grep -qE '^NSpid:.*[[:space:]]1$' "/proc/$candidate/status" 2>/dev/null; then
                    pid=$candidate
                fi
            done
            [ "$SECONDS" -lt "$deadline" ] || { echo "netns-hosts: $node did not start" >&2; exit 1; }
            [ -n "$pid" ] || sleep 0.05
        done
        echo "$pid" > "$state/$node.pid"
    done
    # Ready when every sshd answers.
    for i in $(seq 1 "$count"); do
        local deadline=$((SECONDS + 20))
        until ip netns exec "$(ns head)" "$state/ssh" "h$i" true 2>/dev/null; do
            [ "$SECONDS" -lt "$deadline" ] || { echo "netns-hosts: h$i's sshd does not answer" >&2; exit 1; }
            sleep 0.1
        done
    done
    echo "netns-hosts: $count hosts up (h1..h$count on $subnet.0/24, head $(host_ip head)), state in $state"
}

on_head() {
    OMPI_MCA_plm_rsh_agent="$state/ssh" exec ip netns exec "$(ns head)" "$@"
}

on_host() {
    local node=$1
    shift
    exec nsenter -t "$(init_pid "$node")" --net --pid --mount --uts -- "$@"
}

link() {
    local node=$1 how=$2
    host_ip "$node" >/dev/null
    ip -n "$(ns sw)" link set "v$(tag_of)$node" "$how"
}

leftovers() {
    local count node pid init own
    count=$(cat "$state/count")
    for i in $(seq 1 "$count"); do
        node="h$i"
        init=$(init_pid "$node")
        [ -d "/proc/$init" ] || { echo "$node: its namespace is gone"; continue; }
        own=$(readlink "/proc/$init/ns/pid")
        for pid in $(ls /proc | grep -E '^[0-9]+$'); do
            [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" = "$own" ] || continue
            [ "$pid" = "$init" ] && continue
            local comm state_letter
            comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
            state_letter=$(sed 's/.*) \(.\).*/\1/' "/proc/$pid/stat" 2>/dev/null) || continue
            # The host's own: its sshd listener (a child of init), and
            # zombies its init has not reaped yet.
            if [ "$comm" = sshd ] && [ "$(awk '{print $4}' "/proc/$pid/stat")" = "$init" ]; then continue; fi
            [ "$state_letter" = Z ] && continue
            echo "$node: process $pid $comm: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
        done
        nsenter -t "$init" --mount -- sh -c 'for f in /tmp/* /tmp/.[!.]* /dev/shm/* /dev/shm/.[!.]*; do [ -e "$f" ] && echo "$f"; done; true' |
            sed "s/^/$node: file /"
    done
}

down() {
    [ -f "$state/tag" ] || { echo "netns-hosts: $state is not a hosts directory" >&2; exit 2; }
    local count node
    count=$(cat "$state/count" 2>/dev/null || echo 0)
    for i in $(seq 1 "$count"); do
        node="h$i"
        # SIGKILL to a PID namespace's first process ends every process in it.
        [ -f "$state/$node.pid" ] && kill -9 "$(init_pid "$node")" 2>/dev/null || true
    done
    # And whatever else this state started (each host's unshare and first
    # process name its sshd_config), should a pid file be stale.
    pkill -9 -f "$state/sshd_config\\." 2>/dev/null || true
    for node in head $(seq -f 'h%g' 1 "$count") sw; do
        ip netns del "$(ns "$node")" 2>/dev/null || true
        rm -rf "/etc/netns/$(ns "$node")"
    done
    rm -rf "$state"
}

case "$action" in
    up) [ "$#" -eq 1 ] || usage; up "$1" ;;
    head) [ "$#" -ge 1 ] || usage; on_head "$@" ;;
    on) [ "$#" -ge 2 ] || usage; on_host "$@" ;;
    cut) [ "$#" -eq 1 ] || usage; link "$1" down ;;
    mend) [ "$#" -eq 1 ] || usage; link "$1" up ;;
    leftovers) leftovers ;;
    down) down ;;
    *) usage ;;
esac
