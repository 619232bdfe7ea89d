#!/bin/sh
# reqrep_cmd_test.sh IPCX - `ipcx req` and `ipcx rep` across processes:
# echo and a command's output as the reply, options anywhere before `--`
# (and never after it), -n, a server SIGKILLed in the middle of a request
# (req returns with an error within its timeout, 20 times), usage errors.
T=ipcx-t-$$-reqrep
. "$(dirname "$0")/../lib.sh"

U=unix:@ipcx-t-$$-rr
F=fifo:$D/rr
M=mq:/ipcx-t-$$-rr
on_exit "'$IPCX' rm '$M' 2>/dev/null"

# Reap server $1 (it must exit 0); one that is still there after 30 s is killed.
reap() {
    k=0
    while kill -0 "$1" 2>/dev/null && [ $k -lt 300 ]; do sleep 0.1; k=$((k + 1)); done
    kill -0 "$1" 2>/dev/null && { kill -9 "$1"; fail "$2: the server did not stop"; }
    wait "$1" || fail "$2: the server exited $?"
}

# Wait until a server answers on URL (it makes its object when it starts; a
# ping sent before that fails at once, one it takes is answered: no timeouts).
ready() {
    i=0
    until "$IPCX" req -t 20000 "$1" ping >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 100 ] || { fail "no server on $1"; return 1; }
    done
}

for url in "$U" "$F" "$M"; do
    # echo: -n counts the ping too
    "$IPCX" rep "$url" -n 3 & pids="$pids $!"; srv=$!
    ready "$url" || continue
    out=$("$IPCX" req "$url" -t 5000 'hello world')
    [ "$out" = "hello world" ] || fail "$url: echo gave '$out'"
    out=$("$IPCX" req -t 5000 "$url" '')
    [ "$out" = "" ] || fail "$url: empty echo gave '$out'"
    reap $srv "$url: rep -n 3"

    # a command; its options stay its own after --
    "$IPCX" rep "$url" -n 4 -- tr -d l & pids="$pids $!"; srv=$!
    ready "$url" || continue
    out=$(printf 'ab' | "$IPCX" req "$url" 'hello')
    [ "$out" = "heo" ] || fail "$url: tr -d l gave '$out'"
    out=$("$IPCX" req "$url" -- '-n 2')
    [ "$out" = "-n 2" ] || fail "$url: a request '-n 2' gave '$out'"
    "$IPCX" req "$url" x >/dev/null || fail "$url: the fourth request"
    reap $srv "$url: rep -n 4"
done

# A server killed while it holds a request: the requester returns (an
# error, exit 1), never hangs; each round with a fresh server.
i=0
while [ $i -lt 20 ]; do
    "$IPCX" rep "$U" -- sh -c 'kill -KILL $PPID; sleep 5' & pids="$pids $!"; srv=$!
    k=0
    until "$IPCX" req -t 300 "$U" x >"$D/out" 2>"$D/err"; do
        grep -q 'gone\|timed out' "$D/err" && break
        k=$((k + 1)); [ $k -lt 100 ] || break
    done
    grep -q 'gone\|timed out' "$D/err" || fail "round $i: req said '$(cat "$D/err")'"
    [ -s "$D/out" ] && fail "round $i: a reply from a killed server: $(cat "$D/out")"
    wait $srv 2>/dev/null
    i=$((i + 1))
done

# Usage errors exit 2; --help exits 0.
"$IPCX" req "$U" 2>/dev/null; [ $? -eq 2 ] || fail "req without MESSAGE"
"$IPCX" req -t x "$U" m 2>/dev/null; [ $? -eq 2 ] || fail "req -t x"
"$IPCX" rep "$U" -- 2>/dev/null; [ $? -eq 2 ] || fail "rep with an empty command"
"$IPCX" rep "$U" extra 2>/dev/null; [ $? -eq 2 ] || fail "rep with two URLs"
"$IPCX" req --help >/dev/null || fail "req --help"
"$IPCX" rep --help >/dev/null || fail "rep --help"
# An unknown option: one line naming it (and the hint), as every command says it.
for c in req rep; do
    err=$("$IPCX" $c --bogus "$U" m 2>&1); rc=$?
    [ $rc -eq 2 ] || fail "$c --bogus: exit $rc, want 2"
    [ "$err" = "ipcx $c: unknown option '--bogus'
Try 'ipcx $c --help'." ] || fail "$c --bogus said '$err'"
done
# No reply path on tcp: or pipe:: said, not hung.
"$IPCX" req -t 1000 pipe: x 2>/dev/null; [ $? -eq 1 ] || fail "req on pipe:"

[ $fails -eq 0 ] && echo "all reqrep command checks passed"
[ $fails -eq 0 ]
