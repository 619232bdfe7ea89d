#!/bin/bash
# rpc_test.sh IPCX STAT_SERVER STAT_CLIENT - the statistics service of
# Werkstueck A over ONC RPC (demos/rpc): client and server across TCP
# through rpcbind, the figures checked against awk's; a server stopped by
# SIGTERM unregisters; a client whose server was SIGKILLed fails with an RPC
# error, it does not hang.  rpcbind is started when none runs and stopped
# again (by its pid) only if this test started it.  The program number
# carries the pid, so runs at the same time never meet.
T=ipcx-t-$$-rpc
. "$(dirname "$0")/../lib.sh"
SERVER=$(readlink -f "${2:?usage: $0 IPCX STAT_SERVER STAT_CLIENT}")
CLIENT=$(readlink -f "${3:?usage: $0 IPCX STAT_SERVER STAT_CLIENT}")
for c in rpcbind rpcinfo awk; do
    command -v $c >/dev/null || { echo "SKIP: $c is missing (Debian rpcbind)"; exit 77; }
done
PROG=$((0x2a000000 + $$ % 0x1000000))
# Under ASan: libtirpc's own allocations that live until exit are not leaks of ours.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(readlink -f "$(dirname "$0")/../../demos/rpc/lsan.supp")"

registered() { rpcinfo -p 127.0.0.1 2>/dev/null | awk -v p=$PROG '$1 == p' | grep -q .; }

if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "SKIP: no rpcbind runs and only root may start one"; exit 77; }
    # What rpcbind leaves when it stops, and was not there before: ours to remove.
    made=""
    for f in /run/rpcbind.sock /run/rpcbind.lock /run/rpcbind/rpcbind.xdr /run/rpcbind/portmap.xdr; do
        [ -e $f ] || made="$made $f"
    done
    rpcbind -f &
    rpcpid=$!
    # Before lib.sh's cleanup, whose wait would wait for rpcbind too.
    trap 'kill -TERM $rpcpid 2>/dev/null; wait $rpcpid 2>/dev/null; rm -f $made; cleanup' EXIT
    for _ in $(seq 100); do
        rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
        kill -0 $rpcpid 2>/dev/null || break
        sleep 0.1
    done
    rpcinfo -p 127.0.0.1 >/dev/null 2>&1 || { echo "FAIL: rpcbind did not start"; exit 1; }
    echo "started rpcbind (pid $rpcpid)"
fi
# A registration of ours left by a killed server goes too.
on_exit "rpcinfo -d $PROG 1 2>/dev/null"

start_server() {
    "$SERVER" --prog $PROG >"$D/server.out" 2>"$D/server.err" &
    spid=$!
    pids="$pids $spid"
    for _ in $(seq 200); do
        grep -q ready "$D/server.out" && registered && return 0
        kill -0 $spid 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL: the server did not come up: $(cat "$D/server.err")"
    exit 1
}
client() { timeout 60 "$CLIENT" --host 127.0.0.1 --prog $PROG --timeout 10 "$@"; }

start_server
# 70000 values (more than one batch of 65536), in two calls: the server
# keeps its figures across calls.
awk 'BEGIN { srand(20); for (i = 0; i < 70000; i++) print int(rand() * 2001) - 1000 }' >"$D/values"
want=$(awk '{ n++; s += $1; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1 }
            END { printf "n=%d sum=%d mean=%.3f min=%d max=%d\n", n, s, s / n, lo, hi }' "$D/values")
head -n 30000 "$D/values" | client --reset >/dev/null || fail "the first call"
got=$(tail -n +30001 "$D/values" | client) || fail "the second call"
[ "$got" = "$want" ] && echo "ok: figures over RPC: $got" || fail "figures: want [$want], got [$got]"

got=$(client --reset 5 -3 10)
[ "$got" = "n=3 sum=12 mean=4.000 min=-3 max=10" ] && echo "ok: values as arguments" ||
    fail "arguments: got [$got]"
client --reset x >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad value is not exit 2"

# SIGTERM: the server unregisters and exits 0.
kill -TERM $spid
wait $spid
[ $? -eq 0 ] || fail "the server's exit status after SIGTERM"
registered && fail "the server left its registration"
client 1 >/dev/null 2>"$D/err" && fail "a call without a server succeeded"
grep -q "stat_client:" "$D/err" || fail "no error message without a server: $(cat "$D/err")"

# SIGKILL: the registration stays, the port is dead; the client must fail, not hang.
start_server
kill -9 $spid
wait $spid 2>/dev/null
client 1 >/dev/null 2>"$D/err"
rc=$?
[ $rc -eq 1 ] && echo "ok: a client of a killed server fails: $(head -c 80 "$D/err")" ||
    fail "client of a killed server: exit $rc: $(cat "$D/err")"

[ $fails -eq 0 ] && echo "PASS: ONC RPC statistics"
exit $((fails > 0))
