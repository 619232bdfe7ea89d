#!/usr/bin/env bash
# pubsub_cmd_test.sh IPCX - the commands `ipcx pub` and `ipcx sub` across
# processes, per scheme: exact topic filtering ("topic message" lines, only
# the prefixes asked for), options after the operands (GNU permutation),
# --help, the exit statuses 0/1/2 and one error line naming the URL, and
# nothing left behind.
T=ipcx-t-$$-pscmd
. "$(dirname "$0")/../lib.sh"

free_port
for url in "shm:/ipcx-t-$$-ps" "unix:/tmp/ipcx-t-$$-ps.sock" "unix:@ipcx-t-$$-ps" \
           "tcp://127.0.0.1:$port"; do
    out=$D/out
    # Options after the operands: GNU getopt permutes them.
    timeout 60 "$IPCX" sub "$url" t/a x -n 4 -t 20000 >"$out" 2>"$D/err" &
    sp=$!
    pids="$pids $sp"
    timeout 30 "$IPCX" pub "$url" t/a one two -s 1 || fail "$url: pub t/a"
    timeout 30 "$IPCX" pub -s 1 "$url" t/b nope || fail "$url: pub t/b"
    printf 'x line 1\nx line 2\n' | timeout 30 "$IPCX" pub -s 1 "$url" xy ||
        fail "$url: pub from stdin"
    wait "$sp" || fail "$url: sub exited $? ($(cat "$D/err"))"
    want=$(printf 't/a one\nt/a two\nxy x line 1\nxy x line 2')
    [ "$(cat "$out")" = "$want" ] || fail "$url: sub printed '$(cat "$out")', want '$want'"
done

# Usage errors: 2, and a line naming the command.
for c in pub sub; do
    "$IPCX" $c --help | grep -q "^Usage: ipcx $c" || fail "$c --help"
    "$IPCX" $c >/dev/null 2>&1; [ $? = 2 ] || fail "$c without URL: not 2"
    err=$("$IPCX" $c --bogus x y 2>&1); rc=$?
    [ $rc = 2 ] || fail "$c --bogus: exit $rc, not 2"
    [ "$err" = "ipcx $c: unknown option '--bogus'
Try 'ipcx $c --help'." ] || fail "$c --bogus said '$err'"
done
"$IPCX" pub "shm:/ipcx-t-$$-x" >/dev/null 2>&1; [ $? = 2 ] || fail "pub without TOPIC: not 2"
# A runtime error: 1, one line that names the URL and says why.
err=$("$IPCX" pub "mq:/ipcx-t-$$-q" t m 2>&1); rc=$?
[ $rc = 1 ] || fail "pub on mq: exit $rc, want 1"
case $err in "ipcx: mq:/ipcx-t-$$-q: "*"not supported"*) ;; *) fail "pub on mq said '$err'" ;; esac
err=$("$IPCX" sub -t 0 "unix:@ipcx-t-$$-none" t 2>&1); rc=$?
[ $rc = 1 ] || fail "sub without a publisher: exit $rc, want 1 ($err)"

ls /dev/shm | grep -q "ipcx-t-$$-" && fail "left in /dev/shm: $(ls /dev/shm | grep "ipcx-t-$$-")"
[ -e "/tmp/ipcx-t-$$-ps.sock" ] && fail "left /tmp/ipcx-t-$$-ps.sock"
[ $fails = 0 ] && echo "ok" || exit 1
