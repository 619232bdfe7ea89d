#!/bin/sh
# The ipcx command across real processes: a receiver and a sender for every
# scheme, stdin mode, exit statuses (0, 1 runtime, 2 usage), one-line errors
# that name the URL, SIGINT/SIGTERM stopping a receiver that then removes
# its object, and rm.  Usage: cli_test.sh PATH/TO/ipcx
set -u
IPCX=${1:?usage: cli_test.sh PATH/TO/ipcx}
T=/tmp/ipcx-t-$$
OUT=$(mktemp -d /tmp/ipcx-t-$$-out.XXXXXX)
fails=0
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$T"-* "$OUT"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_eq NAME GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"; }

# Wait until the receiver started in the background has written its address to file $1.
wait_for() { i=0; while [ $i -lt 100 ] && ! [ -s "$1" ]; do sleep 0.05; i=$((i + 1)); done; }

# roundtrip NAME URL: recv -n 3 in the background, send 3 messages (one with spaces, one empty).
roundtrip() {
    name=$1 url=$2
    "$IPCX" recv -n 3 -t 10000 --print-addr "$url" >"$OUT/$name.out" 2>"$OUT/$name.err" &
    rp=$!; pids="$pids $rp"
    wait_for "$OUT/$name.err"
    addr=$(head -n 1 "$OUT/$name.err")
    "$IPCX" send "$addr" "one" "two words" "" || fail "$name: send exited $?"
    wait $rp; rc=$?
    expect_eq "$name: recv exit" "$rc" 0
    expect_eq "$name: received" "$(cat "$OUT/$name.out")" "$(printf 'one\ntwo words\n')"
}

roundtrip fifo "fifo:$T-f"
roundtrip unix "unix:$T-u.sock"
roundtrip seqpacket "unix:$T-s.sock?type=seqpacket"
roundtrip dgram "unix:$T-d.sock?type=dgram"
roundtrip abstract "unix:@ipcx-t-$$-a"
roundtrip tcp "tcp://127.0.0.1:0"

# Every object a receiver created is gone once it exits.
for f in "$T-f" "$T-u.sock" "$T-s.sock" "$T-d.sock"; do
    [ -e "$f" ] && fail "left behind: $f"
done

# Standard input: one message per line; recv without -n stops when every sender is gone.
"$IPCX" recv "fifo:$T-in" >"$OUT/in.out" 2>"$OUT/in.err" &
rp=$!; pids="$pids $rp"
i=0; while [ $i -lt 100 ] && ! [ -p "$T-in" ]; do sleep 0.05; i=$((i + 1)); done
seq 1 500 | "$IPCX" send "fifo:$T-in" || fail "stdin send exited $?"
wait $rp; expect_eq "recv until EOF exit" "$?" 0
expect_eq "stdin lines" "$(cat "$OUT/in.out")" "$(seq 1 500)"

# SIGINT and SIGTERM stop a waiting receiver: 128+signal, and its socket file is removed.
for sig in INT TERM; do
    "$IPCX" recv "unix:$T-sig.sock" >/dev/null 2>"$OUT/sig.err" &
    rp=$!; pids="$pids $rp"
    i=0; while [ $i -lt 100 ] && ! [ -S "$T-sig.sock" ]; do sleep 0.05; i=$((i + 1)); done
    [ -S "$T-sig.sock" ] || fail "SIG$sig: receiver never bound"
    kill -s $sig $rp; wait $rp; rc=$?
    want=130; [ $sig = TERM ] && want=143
    expect_eq "SIG$sig exit" "$rc" "$want"
    [ -e "$T-sig.sock" ] && fail "SIG$sig: socket file left behind"
done

# SIGTERM stops a sender that waits on standard input: 143.
mkfifo "$T-stdin"
"$IPCX" recv "fifo:$T-sx" >/dev/null 2>&1 &
rp=$!; pids="$pids $rp"
i=0; while [ $i -lt 100 ] && ! [ -p "$T-sx" ]; do sleep 0.05; i=$((i + 1)); done
"$IPCX" send "fifo:$T-sx" <"$T-stdin" 2>/dev/null &
sp=$!; pids="$pids $sp"
exec 7>"$T-stdin"      # the sender now blocks reading a line that never comes
sleep 0.2
kill -TERM $sp; wait $sp; expect_eq "SIGTERM to a sender reading stdin" "$?" 143
exec 7>&-
kill -TERM $rp 2>/dev/null; wait $rp
rm -f "$T-stdin"

# Runtime errors: exit 1, one line naming the URL.
"$IPCX" send "unix:$T-none.sock" x 2>"$OUT/e1"; expect_eq "no receiver exit" "$?" 1
expect_eq "no receiver lines" "$(wc -l <"$OUT/e1")" 1
grep -q "unix:$T-none.sock" "$OUT/e1" || fail "error does not name the URL: $(cat "$OUT/e1")"
"$IPCX" recv -t 100 -n 1 "fifo:$T-to" 2>"$OUT/e2"; expect_eq "timeout exit" "$?" 1
grep -q "timed out" "$OUT/e2" || fail "timeout message: $(cat "$OUT/e2")"
[ -e "$T-to" ] && fail "timed-out receiver left its FIFO"
"$IPCX" recv "fifo:$T-bad?nosuchkey=1" 2>"$OUT/e3"; expect_eq "bad key exit" "$?" 1
[ -e "$T-bad" ] && fail "a bad URL created its object"
grep -q "nosuchkey" "$OUT/e3" || fail "bad key message: $(cat "$OUT/e3")"
# Another user's queue: one line, naming it and how to see its owner.
if [ "$(id -u)" = 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    Q=mq:/ipcx-t-$$-perm
    "$IPCX" recv -n 1 -t 20000 "$Q" >/dev/null 2>&1 &
    rp=$!; pids="$pids $rp"
    i=0; while [ $i -lt 200 ] && ! [ -e "/dev/mqueue/ipcx-t-$$-perm" ]; do sleep 0.05; i=$((i + 1)); done
    setpriv --reuid=65534 --regid=65534 --clear-groups "$IPCX" send "$Q" x 2>"$OUT/e5"
    expect_eq "nobody's send to root's queue exit" "$?" 1
    expect_eq "nobody's send lines" "$(wc -l <"$OUT/e5")" 1
    grep -q "^ipcx: $Q: permission denied (.*); 'ipcx stat $Q' shows its owner and mode$" "$OUT/e5" ||
        fail "permission denied message: $(cat "$OUT/e5")"
    "$IPCX" send "$Q" bye; wait $rp
fi
# A mistyped scheme: one line that says which schemes there are.
"$IPCX" send "fifi:$T-x" x 2>"$OUT/e4"; expect_eq "unknown scheme exit" "$?" 1
expect_eq "unknown scheme lines" "$(wc -l <"$OUT/e4")" 1
grep -q "unknown scheme 'fifi:'; the schemes are pipe: fifo: " "$OUT/e4" ||
    fail "unknown scheme message: $(cat "$OUT/e4")"

# Usage errors: exit 2.
"$IPCX" 2>/dev/null; expect_eq "no command" "$?" 2
"$IPCX" frobnicate 2>/dev/null; expect_eq "unknown command" "$?" 2
"$IPCX" send 2>/dev/null; expect_eq "send without URL" "$?" 2
"$IPCX" recv -n -5 "fifo:$T-x" 2>/dev/null; expect_eq "negative count" "$?" 2
"$IPCX" recv -t abc "fifo:$T-x" 2>/dev/null; expect_eq "bad timeout" "$?" 2
"$IPCX" send -p 70000 "fifo:$T-x" m 2>/dev/null; expect_eq "bad prio" "$?" 2
"$IPCX" rm 2>/dev/null; expect_eq "rm without URL" "$?" 2

# Help and version go to stdout with exit 0.
for c in "" send recv rm; do
    $IPCX $c --help >"$OUT/h" || fail "ipcx $c --help exited $?"
    grep -q "Usage: ipcx" "$OUT/h" || fail "ipcx $c --help prints no usage"
done
"$IPCX" --version | grep -q '^ipcx [0-9]' || fail "--version"

# rm: removes a FIFO and a socket file; refuses other files and reports missing ones.
mkfifo "$T-rmf"
"$IPCX" rm "fifo:$T-rmf" || fail "rm fifo exited $?"
[ -e "$T-rmf" ] && fail "rm left the FIFO"
: >"$T-plain"
"$IPCX" rm "fifo:$T-plain" 2>/dev/null; expect_eq "rm of a plain file" "$?" 1
[ -e "$T-plain" ] || fail "rm removed a plain file"
"$IPCX" rm "fifo:$T-missing" 2>/dev/null; expect_eq "rm of nothing" "$?" 1

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "cli: all checks passed"
