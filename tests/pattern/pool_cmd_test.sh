#!/usr/bin/env bash
# pool_cmd_test.sh IPCX - the commands `ipcx pool-submit` and `ipcx worker`
# across processes: jobs from arguments and from standard input, each
# printed (or run through a COMMAND) exactly once over unix:, tcp: and mq:;
# a worker SIGKILLed while its command runs (the command kills it) has its
# job done by the next worker, and pool-submit counts the redelivery;
# --help, the exit statuses 0/1/2, and nothing left behind.
T=ipcx-t-$$-poolcmd
. "$(dirname "$0")/../lib.sh"
cleanups='rm -f /tmp/ipcx-t-$$-pc.sock; "$IPCX" rm "mq:/ipcx-t-$$-pq" 2>/dev/null; rm -f /dev/shm/ipcx-t-$$-pq.pool'

# Wait until a pool-submit listens: a unix path exists, a tcp port has a listener.
wait_listen() {
    for _ in $(seq 200); do
        case $1 in
        unix:/*) [ -S "${1#unix:}" ] && return 0 ;;
        tcp://*) ss -Hltn "sport = :${1##*:}" | grep -q . && return 0 ;;
        *) return 0 ;;
        esac
        sleep 0.05
    done
    fail "nobody listens at $1"
}

free_port
for url in "unix:/tmp/ipcx-t-$$-pc.sock" "tcp://127.0.0.1:$port" "mq:/ipcx-t-$$-pq"; do
    # -w 2: no job before both workers are there, so neither finds the dispatcher gone.
    printf 'three\nfour\n' | timeout 60 "$IPCX" pool-submit "$url" -w 2 -t 30000 >/dev/null \
        2>"$D/sub.err" &
    sp=$!
    pids="$pids $sp"
    wait_listen "$url"
    # Two workers; one runs a command on each job (options after the URL: GNU).
    case $url in mq:*) n="-n 1" ;; *) n= ;; esac
    timeout 60 "$IPCX" worker "$url" $n -t 20000 >"$D/w1" 2>"$D/w1.err" &
    w1=$!
    timeout 60 "$IPCX" worker $n -t 20000 "$url" -- tr a-z A-Z >"$D/w2" 2>"$D/w2.err" &
    w2=$!
    pids="$pids $w1 $w2"
    wait "$sp" || fail "$url: pool-submit exited $? ($(cat "$D/sub.err"))"
    wait "$w1" || fail "$url: worker 1 exited $? ($(cat "$D/w1.err"))"
    wait "$w2" || fail "$url: worker 2 exited $? ($(cat "$D/w2.err"))"
    got=$(cat "$D/w1" "$D/w2" | tr A-Z a-z | sort | tr '\n' ' ')
    [ "$got" = "four three " ] || fail "$url: the workers printed '$got', want each job once"
    grep -q "^2 jobs done" "$D/sub.err" || fail "$url: pool-submit said '$(cat "$D/sub.err")'"
done

# A worker killed while it holds a job (its command kills it): the job goes
# to the next worker; pool-submit says it redelivered one.
url="unix:/tmp/ipcx-t-$$-pc.sock"
timeout 60 "$IPCX" pool-submit "$url" a b c 2>"$D/sub.err" &
sp=$!
pids="$pids $sp"
wait_listen "$url"
timeout 60 "$IPCX" worker "$url" -- sh -c 'kill -9 $PPID' 2>/dev/null
[ $? = 137 ] || fail "the killed worker did not die of SIGKILL"
timeout 60 "$IPCX" worker "$url" >"$D/w" 2>"$D/w.err" || fail "worker after the kill: $(cat "$D/w.err")"
wait "$sp" || fail "pool-submit after the kill exited $? ($(cat "$D/sub.err"))"
[ "$(sort "$D/w" | tr '\n' ' ')" = "a b c " ] || fail "after the kill the worker printed '$(cat "$D/w")'"
grep -q "^3 jobs done, 1 redelivered" "$D/sub.err" || fail "pool-submit said '$(cat "$D/sub.err")'"

# SIGTERM ends a worker waiting for a job and a submitter waiting for workers: 143.
timeout 60 "$IPCX" pool-submit "$url" -w 2 x 2>/dev/null &
sp=$!
pids="$pids $sp"
wait_listen "$url"
timeout 60 "$IPCX" worker "$url" 2>/dev/null &
wp=$!
pids="$pids $wp"
for _ in $(seq 200); do
    [ "$(ss -Hx state connected src "/tmp/ipcx-t-$$-pc.sock" 2>/dev/null | wc -l)" -ge 1 ] && break
    sleep 0.05
done
kill -TERM "$wp"
wait "$wp"; rc=$?
[ $rc = 143 ] || fail "a waiting worker after SIGTERM: exit $rc, want 143"
kill -TERM "$sp"
wait "$sp"; rc=$?
[ $rc = 143 ] || fail "a waiting pool-submit after SIGTERM: exit $rc, want 143"

# Usage errors: 2; runtime errors: 1 and one line naming the URL.
for c in pool-submit worker; do
    "$IPCX" $c --help | grep -q "^Usage: ipcx $c" || fail "$c --help"
    "$IPCX" $c >/dev/null 2>&1; [ $? = 2 ] || fail "$c without URL: not 2"
    "$IPCX" $c --bogus x >/dev/null 2>&1; [ $? = 2 ] || fail "$c --bogus: not 2"
done
"$IPCX" worker "unix:@x" extra >/dev/null 2>&1; [ $? = 2 ] || fail "worker with a command but no --: not 2"
err=$("$IPCX" worker "unix:@ipcx-t-$$-none" 2>&1); rc=$?
[ $rc = 1 ] || fail "worker without a dispatcher: exit $rc, want 1"
case $err in "ipcx: unix:@ipcx-t-$$-none: "*) ;; *) fail "worker without a dispatcher said '$err'" ;; esac
err=$("$IPCX" pool-submit "sysvmq:4242" x 2>&1); rc=$?
[ $rc = 1 ] || fail "pool-submit on sysvmq: exit $rc, want 1"

[ -e "/tmp/ipcx-t-$$-pc.sock" ] && fail "left /tmp/ipcx-t-$$-pc.sock"
[ $fails = 0 ] && echo "ok" || exit 1
