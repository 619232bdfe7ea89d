#!/bin/bash
# rpc_netns_test.sh IPCX STAT_SERVER STAT_CLIENT - the ONC RPC statistics
# service (demos/rpc) across two hosts made of network namespaces
# (tests/netns.sh): the client on host a, the server and its rpcbind on
# host b.  The figures of 70000 values sent from a agree with awk's; a
# client of a server SIGKILLed on b fails with an RPC error, it does not hang.
#
# rpcbind and the namespaces: rpcbind binds port 111 on every address of
# its network namespace, and also the Unix socket /run/rpcbind.sock with
# the lock /run/rpcbind.lock, which are files and so shared with the
# machine (a namespace has its own network only).  A second rpcbind would
# find the machine's lock held, or take over its socket file.  So host b's
# rpcbind runs in a mount namespace of its own with a private tmpfs on
# /run (unshare -m), and the server with it: it registers through that
# socket.  A fresh namespace has no rpcbind, so the test starts one (after
# asking host b's port 111 whether one answers) and stops it again: the
# namespace teardown ends rpcbind and the server (SIGTERM, then SIGKILL),
# and the tmpfs goes with the last process of its mount namespace.
T=ipcx-t-$$-rpcns
. "$(dirname "$0")/../lib.sh"
SERVER=$(readlink -f "${2:?usage: $0 IPCX STAT_SERVER STAT_CLIENT}")
CLIENT=$(readlink -f "${3:?usage: $0 IPCX STAT_SERVER STAT_CLIENT}")
for c in rpcbind rpcinfo awk unshare; do
    command -v $c >/dev/null || { echo "SKIP: $c is missing (Debian rpcbind, util-linux)"; exit 77; }
done
. "$(dirname "$0")/../netns.sh"
netns_possible || exit 77
netns_hosts a b
trap 'netns_teardown; cleanup' EXIT
B=$(netns_addr b)
PROG=$((0x2b000000 + $$ % 0x1000000))
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(readlink -f "$(dirname "$0")/../../demos/rpc/lsan.supp")"

# Is program $1 registered with host b's rpcbind, asked from host a?
registered() { netns_run a rpcinfo -p "$B" 2>/dev/null | awk -v p="$1" '$1 == p' | grep -q .; }

# Host b: its own /run, rpcbind (unless one answers there), then the server;
# prints "rpcbind PID" (or "rpcbind running") and "server PID".
host_b() {
    netns_run b unshare -m --propagation private sh -c '
        if rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
            echo "rpcbind running"
        else
            mount -t tmpfs -o mode=0755 ipcx-rpcns /run || exit 1
            rpcbind -f &
            echo "rpcbind $!"
            for i in $(seq 100); do
                rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
                sleep 0.1
            done
        fi
        "$0" --prog "$1" &
        echo "server $!"
        wait
    ' "$SERVER" "$PROG" >"$D/b.out" 2>"$D/b.err" &
    for _ in $(seq 200); do
        grep -q ready "$D/b.out" && registered $PROG && return 0
        sleep 0.1
    done
    echo "FAIL: host b's server did not come up: $(cat "$D/b.out" "$D/b.err")"
    exit 1
}
client() { netns_run a timeout 60 "$CLIENT" --host "$B" --prog $PROG --timeout 10 "$@"; }

host_b
grep -q '^rpcbind [0-9]' "$D/b.out" && echo "started rpcbind on host b: $(grep '^rpcbind' "$D/b.out")"
# Host b's rpcbind is not the machine's: the machine's port 111 (if any) does not know PROG.
if rpcinfo -p 127.0.0.1 2>/dev/null | awk -v p=$PROG '$1 == p' | grep -q .; then
    fail "the program is registered with this machine's rpcbind, not host b's"
fi

awk 'BEGIN { srand(21); for (i = 0; i < 70000; i++) print int(rand() * 2001) - 1000 }' >"$D/values"
want=$(awk '{ n++; s += $1; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1 }
            END { printf "n=%d sum=%d mean=%.3f min=%d max=%d\n", n, s, s / n, lo, hi }' "$D/values")
head -n 40000 "$D/values" | client --reset >/dev/null || fail "the first call from host a"
got=$(tail -n +40001 "$D/values" | client) || fail "the second call from host a"
[ "$got" = "$want" ] && echo "ok: figures over RPC from host a to host b: $got" ||
    fail "figures: want [$want], got [$got]"

# The server on host b SIGKILLed: the client on host a fails, it does not hang.
spid=$(sed -n 's/^server \([0-9]*\)$/\1/p' "$D/b.out")
[ -n "$spid" ] && kill -9 "$spid" || fail "no server pid: $(cat "$D/b.out")"
for _ in $(seq 100); do [ -d "/proc/$spid" ] || break; sleep 0.1; done
client 1 >/dev/null 2>"$D/err"
rc=$?
[ $rc -eq 1 ] && echo "ok: a client on a of a killed server on b fails: $(head -c 80 "$D/err")" ||
    fail "client of a killed server: exit $rc: $(cat "$D/err")"

# Teardown ends host b's rpcbind: nothing of ours runs afterwards.
netns_teardown
rpid=$(sed -n 's/^rpcbind \([0-9]*\)$/\1/p' "$D/b.out")
[ -n "$rpid" ] && [ -d "/proc/$rpid" ] && fail "host b's rpcbind $rpid still runs"
[ $fails -eq 0 ] && echo "PASS: ONC RPC across network namespaces"
exit $((fails > 0))
