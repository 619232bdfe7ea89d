# Shared by the shell tests that run the ipcx command: the command (argument
# 1), a scratch directory /tmp/$T, a private registry base in it, failures
# counted by fail(), and cleanup on every exit (also on failure).  Source it
# after setting T (a unique, pid-suffixed name); add cleanup steps with
# on_exit CMD..., and background pids to kill to $pids.
set -u
IPCX=$(readlink -f "${1:?usage: $0 PATH/TO/ipcx}")
fails=0
pids=""
cleanups=""
D=/tmp/$T
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# free_port: set $port to a TCP port that no socket uses now, below the
# kernel's ephemeral range (ip_local_port_range), so that no outgoing
# connection of another test takes it before we bind.  Start from a place
# given by our pid; each call moves on, so a test may call it per use.
port=""
free_port() {
    local low
    low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) || low=32768
    [ -n "$port" ] || port=$((10000 + $$ % (low - 10000)))
    while :; do
        port=$((port + 1))
        [ "$port" -lt "$low" ] || port=10001
        ss -Htan "sport = :$port" | grep -q . || break
    done
}
on_exit() { cleanups="$cleanups
$*"; }
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    eval "$cleanups"
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

command -v jq >/dev/null || { echo "SKIP: jq is missing"; exit 77; }
mkdir -p "$D" && chmod 0755 "$D" || exit 1
# A registry base of this test's own (IPCX_REGISTRY), shared like /dev/shm,
# so that each user can make a registry of their own in it.
mkdir -m 1777 "$D/reg" || exit 1
export IPCX_REGISTRY=$D/reg
