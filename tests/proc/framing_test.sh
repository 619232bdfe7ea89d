#!/bin/sh
# framing=lines and framing=none (src/transport/codec.h) across real
# processes: echo and a shell here-doc write into a FIFO that ipcx recv
# reads; socat talks to unix: and tcp: both ways; a message with a newline
# is refused; a line longer than maxmsg is dropped and said so; a framed
# receiver that meets a plain writer says "not an ipcx frame".
# Usage: framing_test.sh PATH/TO/ipcx
T=ipcx-t-$$-framing
. "$(dirname "$0")/../lib.sh"
command -v socat >/dev/null || { echo "SKIP: socat is missing (apt-get install socat)"; exit 77; }

# wait_for FILE PATTERN: until FILE holds PATTERN (a peer got that far).
wait_for() {
    i=0
    while [ $i -lt 400 ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05; i=$((i + 1))
    done
    fail "never saw '$2' in $1: $(cat "$1" 2>/dev/null)"
    return 1
}
# wait_path PATH: until the receiver made its FIFO or socket.
wait_path() {
    i=0
    while [ $i -lt 400 ] && [ ! -e "$1" ]; do sleep 0.05; i=$((i + 1)); done
    [ -e "$1" ] || fail "$1 never appeared"
}
# recv_bg NAME ARGS...: ipcx recv ARGS in the background, output in $D/NAME.out/.err.
recv_bg() {
    n=$1; shift
    "$IPCX" recv "$@" >"$D/$n.out" 2>"$D/$n.err" &
    rpid=$!
    pids="$pids $rpid"
}
expect_out() { # NAME WANT
    got=$(cat "$D/$1.out")
    [ "$got" = "$2" ] || fail "$1: got '$got', want '$2' (stderr: $(cat "$D/$1.err"))"
}

F=$D/fifo
S=$D/sock

# echo into a FIFO: one line, one message.
recv_bg echo -n 1 -t 20000 "fifo:$F?framing=lines"
wait_path "$F"
echo hi >"$F"
wait $rpid || fail "echo: recv exited $?"
expect_out echo hi

# A shell here-doc: three lines, a blank one among them, and then a last
# line without a newline (printf), delivered when the writer closes.
recv_bg heredoc -n 4 -t 20000 "fifo:$F?framing=lines"
wait_path "$F"
{
    cat <<EOF
first line
 
third, with spaces
EOF
    printf 'no newline at the end'
} >"$F"
wait $rpid || fail "heredoc: recv exited $?"
expect_out heredoc "first line
 
third, with spaces
no newline at the end"

# A line longer than maxmsg is dropped, with a detail; the next one arrives.
recv_bg long -n 1 -t 20000 "fifo:$F?framing=lines&maxmsg=8"
wait_path "$F"
printf '0123456789abcdef\nok\n' >"$F"
wait $rpid || fail "long: recv exited $?"
expect_out long ok
grep -q "longer than maxmsg=8" "$D/long.err" || fail "long line: no detail: $(cat "$D/long.err")"

# A plain writer into a framed FIFO: the receiver says what it met.
recv_bg plain -n 1 -t 20000 "fifo:$F"
wait_path "$F"
echo hi >"$F"
wait_for "$D/plain.err" "not an ipcx frame: a plain writer? see framing=lines"
kill $rpid 2>/dev/null; wait $rpid 2>/dev/null
[ -s "$D/plain.out" ] && fail "plain writer: a message came out: $(cat "$D/plain.out")"

# socat to unix: with framing=lines, two lines in one connection; the
# receiver's URL in the ZeroMQ/nng spelling unix:///path (S is absolute).
recv_bg socat_unix -n 2 -t 20000 "unix://$S?framing=lines"
wait_path "$S"
printf 'one\ntwo\n' | socat - "UNIX-CONNECT:$S" || fail "socat to unix: exited $?"
wait $rpid || fail "socat_unix: recv exited $?"
expect_out socat_unix "one
two"

# socat to a framed unix: receiver: the detail, and the receiver goes on.
recv_bg socat_plain -n 1 -t 20000 "unix:$S"
wait_path "$S"
printf 'hello\n' | socat - "UNIX-CONNECT:$S"
wait_for "$D/socat_plain.err" "not an ipcx frame: a plain writer? see framing=lines"
"$IPCX" send "unix:$S" "framed after all" || fail "a framed sender after the plain one: exit $?"
wait $rpid || fail "socat_plain: recv exited $?"
expect_out socat_plain "framed after all"

# framing=none: the bytes as they came.
recv_bg none -n 1 -t 20000 "unix:$S?framing=none"
wait_path "$S"
printf 'raw bytes' | socat - "UNIX-CONNECT:$S"
wait $rpid || fail "none: recv exited $?"
expect_out none "raw bytes"

# socat to tcp: (the port the receiver got, from --print-addr).
recv_bg tcp -n 2 -t 20000 --print-addr "tcp://127.0.0.1:0?framing=lines"
wait_for "$D/tcp.err" "tcp://"
port=$(sed -n 's|^tcp://127.0.0.1:\([0-9]*\).*|\1|p' "$D/tcp.err" | head -n 1)
[ -n "$port" ] || fail "no port in $(cat "$D/tcp.err")"
printf 'over\ntcp\n' | socat - "TCP:127.0.0.1:$port" || fail "socat to tcp: exited $?"
wait $rpid || fail "tcp: recv exited $?"
expect_out tcp "over
tcp"

# ipcx send with framing=lines to a socat listener: plain lines come out.
socat -u "UNIX-LISTEN:$S,fork" - >"$D/listen.out" 2>/dev/null &
lpid=$!
pids="$pids $lpid"
on_exit "rm -f '$S'"
wait_path "$S"
"$IPCX" send "unix:$S?framing=lines" alpha "beta gamma" || fail "send to socat: exit $?"
wait_for "$D/listen.out" "beta gamma"
[ "$(cat "$D/listen.out")" = "alpha
beta gamma" ] || fail "socat got '$(cat "$D/listen.out")'"
# A message holding a newline cannot be sent as a line.
"$IPCX" send "unix:$S?framing=lines" "$(printf 'two\nlines')" 2>"$D/nl.err"
[ $? -eq 1 ] || fail "a message with a newline: exit $?, want 1"
grep -q "newline cannot be sent with framing=lines" "$D/nl.err" || fail "newline: detail: $(cat "$D/nl.err")"
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null

# ipc:// (ZeroMQ, nng) is refused with the ipcx spelling.
"$IPCX" recv -n 1 -t 1 "ipc://$S" 2>"$D/ipc.err"
[ $? -eq 1 ] || fail "ipc://: exit not 1"
grep -qF "did you mean unix:$S?" "$D/ipc.err" || fail "ipc://: $(cat "$D/ipc.err")"

# framing= is refused where records keep their boundaries, and checked.
"$IPCX" recv -n 1 -t 1 "unix:$S.d?type=dgram&framing=lines" 2>"$D/dg.err"
grep -q "framing= is for type=stream" "$D/dg.err" || fail "dgram: $(cat "$D/dg.err")"
"$IPCX" recv -n 1 -t 1 "fifo:$F?framing=words" 2>"$D/bad.err"
grep -q "framing=words: expected one of: ipcx lines none" "$D/bad.err" || fail "bad framing: $(cat "$D/bad.err")"
[ -e "$F" ] && fail "a refused URL left $F"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "framing: all checks passed"
