# netns.sh - hosts for tests and demos that cross machines, made of Linux
# network namespaces on this one.  Sourced (sh or bash), not run:
#
#   . tests/netns.sh
#   netns_possible || exit 77        # says why on stderr: not root, no ip, no namespaces
#   netns_hosts a b                  # two hosts joined by a veth pair (three or more: a bridge)
#   netns_run b CMD... &             # run CMD on host b (ip netns exec)
#   netns_addr b                     # host b's address, e.g. 10.77.0.2
#   netns_teardown                   # kill what runs on the hosts, delete them
#
# netns_hosts installs traps so that netns_teardown also runs when the
# script fails, exits or is stopped by SIGINT/SIGTERM/SIGHUP: the signals
# exit, and the EXIT trap tears down (a script that sets its own EXIT trap
# after netns_hosts calls netns_teardown in it).  What it makes:
#   - a namespace per host, named ipcx-PID-HOST (PID: the sourcing shell's);
#   - each with lo up and one interface ipcx0 with 10.77.0.N/24 (N = 1, 2,
#     ... in the order given); the /24 exists only inside those namespaces,
#     so nothing is routed, and parallel runs cannot collide;
#   - two hosts: a veth pair made directly inside the two namespaces
#     (it never appears in the caller's namespace); three or more: a
#     bridge in a hub namespace ipcx-PID-hub and a veth from each host to it.
# Deleting a namespace deletes its veth ends and its bridge; the processes
# in it are killed first (a namespace outlives nothing but its last
# process).  The helper touches only namespaces named ipcx-PID-*.
# NETNS_SUBNET (default 10.77.0) picks another /24.

NETNS_PREFIX="ipcx-$$-"
NETNS_SUBNET=${NETNS_SUBNET:-10.77.0}
NETNS_HOSTS=""

# 0 if this machine lets us make namespaces; else why not on stderr, 1.
netns_possible() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "skip: network namespaces need root (ip netns add)" >&2
        return 1
    fi
    if ! command -v ip >/dev/null 2>&1; then
        echo "skip: no ip command (Debian package iproute2)" >&2
        return 1
    fi
    if ! ip netns add "${NETNS_PREFIX}probe" 2>/dev/null; then
        echo "skip: this machine forbids network namespaces (ip netns add failed)" >&2
        return 1
    fi
    # veth, tried inside the probe namespace: nothing appears in ours.
    if ! ip -n "${NETNS_PREFIX}probe" link add p0 type veth peer name p1 2>/dev/null; then
        ip netns del "${NETNS_PREFIX}probe"
        echo "skip: this kernel has no veth" >&2
        return 1
    fi
    ip netns del "${NETNS_PREFIX}probe"
    return 0
}

netns_name() {
    echo "${NETNS_PREFIX}$1"
}

# The address of a host made by netns_hosts.
netns_addr() {
    n=1
    for h in $NETNS_HOSTS; do
        [ "$h" = "$1" ] && { echo "$NETNS_SUBNET.$n"; return 0; }
        n=$((n + 1))
    done
    echo "netns_addr: no host $1" >&2
    return 1
}

# Run a command on a host: its network is the host's, everything else ours.
netns_run() {
    h=$1
    shift
    ip netns exec "$(netns_name "$h")" "$@"
}

_netns_up() {
    ip -n "$(netns_name "$1")" addr add "$(netns_addr "$1")/24" dev ipcx0 &&
        ip -n "$(netns_name "$1")" link set ipcx0 up &&
        ip -n "$(netns_name "$1")" link set lo up
}

# Make the hosts (names: letters and digits, at most 8).  Fails (1) with a
# message and nothing left if any step fails.
netns_hosts() {
    # A signal exits, and the EXIT trap (ours, or the caller's that calls netns_teardown) cleans up.
    trap 'netns_teardown' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    NETNS_HOSTS="$*"
    for h in "$@"; do
        ip netns add "$(netns_name "$h")" || { echo "netns: cannot make host $h" >&2; netns_teardown; return 1; }
    done
    if [ $# -eq 2 ]; then
        ip link add ipcx0 netns "$(netns_name "$1")" type veth peer name ipcx0 netns "$(netns_name "$2")" ||
            { echo "netns: cannot make the veth pair" >&2; netns_teardown; return 1; }
    else
        hub=$(netns_name hub)
        ip netns add "$hub" && ip -n "$hub" link add br0 type bridge && ip -n "$hub" link set br0 up ||
            { echo "netns: cannot make the bridge" >&2; netns_teardown; return 1; }
        i=0
        for h in "$@"; do
            ip link add ipcx0 netns "$(netns_name "$h")" type veth peer name "p$i" netns "$hub" &&
                ip -n "$hub" link set "p$i" master br0 && ip -n "$hub" link set "p$i" up ||
                { echo "netns: cannot link host $h to the bridge" >&2; netns_teardown; return 1; }
            i=$((i + 1))
        done
    fi
    for h in "$@"; do
        _netns_up "$h" || { echo "netns: cannot give host $h its address" >&2; netns_teardown; return 1; }
    done
    return 0
}

# Kill every process on our hosts, then delete them (their veths and bridge go too).
# SIGTERM first, so that a process can end its children (timeout(1) does);
# then SIGKILL.  It returns when the processes are gone, reaped included
# (a killed orphan is reaped by init: wait for that, up to ten seconds).
# Safe to call twice and after a partial netns_hosts.
netns_teardown() {
    _all=""
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case "$ns" in "$NETNS_PREFIX"*) ;; *) continue ;; esac
        _all="$_all $(ip netns pids "$ns" 2>/dev/null)"
    done
    if [ -n "$(echo $_all)" ]; then
        kill -TERM $_all 2>/dev/null
        _netns_gone 20 $_all || { kill -KILL $_all 2>/dev/null; _netns_gone 100 $_all; }
    fi
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case "$ns" in "$NETNS_PREFIX"*) ip netns del "$ns" 2>/dev/null ;; esac
    done
    return 0
}

# Wait up to $1 tenths of a second until none of the pids exists: 0 gone, 1 not.
_netns_gone() {
    _n=$1
    shift
    while [ "$_n" -gt 0 ]; do
        _left=0
        for _p in "$@"; do [ -d "/proc/$_p" ] && _left=1; done
        [ $_left -eq 0 ] && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    return 1
}
