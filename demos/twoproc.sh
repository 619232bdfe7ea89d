#!/bin/sh
# twoproc.sh - make demo-schemes: a tour of every scheme ipcx has.  For
# each, a receiver process and one or two sender processes of the ipcx
# command exchange messages, visibly; each exchange is checked (every
# message arrives once, each sender's in order, nothing else) and so is
# the clean-up (the receiver made the object and removed it on exit).
# Usage: twoproc.sh PATH/TO/ipcx.  Exit 0 every exchange checked, 1 not.
set -u
IPCX=${1:?usage: twoproc.sh PATH/TO/ipcx}
D=$(mktemp -d /tmp/ipcx-demo-$$.XXXXXX) || exit 1
T=$D/ch
ERR=$D/recv.err
OUT=$D/recv.out
trap 'status=$?; wait; rm -rf "$D"; exit $status' EXIT
trap 'exit 1' INT TERM HUP
status=0
rpid=""
K=$(( ($$ & 0xffff) << 8 ))           # System V keys: 0x5e, our pid, a counter
key() { printf '0x5e%06x' $((K + $1)); }
N=$$

# URL | what it is | senders (1 or 2)
schemes() {
    cat <<EOF
fifo:$T-fifo|a named pipe (mkfifo), framed messages|2
unix:$T-stream.sock|a Unix stream socket, framed messages|2
unix:$T-seq.sock?type=seqpacket|a Unix seqpacket socket, one message per packet|2
unix:$T-dgram.sock?type=dgram|a Unix datagram socket|2
unix:@ipcx-demo-$N|a Unix socket in the abstract namespace (no file)|2
tcp://127.0.0.1:0|TCP over IPv4 loopback, the kernel picks the port|2
tcp://[::1]:0|TCP over IPv6 loopback|2
mq:/ipcx-demo-$N|a POSIX message queue (/dev/mqueue)|2
sysvmq:$(key 1)|a System V message queue (msgget)|2
shm:/ipcx-demo-$N-spsc?mode=spsc|a shared-memory ring, one sender, one receiver (/dev/shm)|1
shm:/ipcx-demo-$N-mpsc?mode=mpsc|a shared-memory ring, many senders, one receiver|2
shm:/ipcx-demo-$N-mpmc?mode=mpmc|a shared-memory ring, many senders, many receivers|2
shm:/ipcx-demo-$N-bcast?mode=bcast|a shared-memory broadcast ring: every receiver gets every message|1
sysvshm:$(key 2)|a System V shared-memory ring (shmget), one sender, one receiver|1
sysvshm:$(key 3)?mode=mpsc|a System V shared-memory ring, many senders|2
EOF
}

# Is the object of URL still there?  Prints it if so.
still_there() {
    u=${1%%\?*}
    case "$u" in
    fifo:*|unix:/*) p=${u#*:}; [ -e "$p" ] && echo "$p" ;;
    mq:*) [ -e "/dev/mqueue${u#mq:}" ] && echo "/dev/mqueue${u#mq:}" ;;
    shm:*) [ -e "/dev/shm${u#shm:}" ] && echo "/dev/shm${u#shm:}" ;;
    sysvmq:*|sysvshm:*)
        k=$(printf '%d' "${u#*:}")
        f=msg; [ "${u%%:*}" = sysvshm ] && f=shm
        awk -v k="$k" 'NR > 1 && $1 == k { print "sysv key " k }' /proc/sysvipc/$f /proc/sysvipc/sem ;;
    esac
    return 0
}

# Has process $1 the object of URL $2 open (a FIFO) or mapped (a ring)?
attached() {
    case "$2" in
    fifo:*) ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> ${2#fifo:}\$" ;;
    shm:*) grep -q "/dev/shm${2#shm:}" "/proc/$1/maps" 2>/dev/null ;;
    sysvshm:*) grep -q "$(printf '/SYSV%08x' "$(printf '%d' "${2#sysvshm:}")")" "/proc/$1/maps" 2>/dev/null ;;
    esac
}

# Did the receiver get exactly what the senders sent, each sender's in order?
check() { # OUT SENDERS...
    out=$1
    shift
    for s in "$@"; do
        grep "from pid $s\$" "$out" >"$D/got.$s"
        printf 'message %s from pid %s\n' 1 "$s" 2 "$s" 3 "$s" >"$D/want.$s"
        cmp -s "$D/got.$s" "$D/want.$s" || { echo "   WRONG: from sender $s got:"; cat "$D/got.$s"; return 1; }
    done
    want=$(( $# * 3 ))
    [ "$(wc -l <"$out")" -eq $want ] || { echo "   WRONG: $(wc -l <"$out") messages, want $want"; return 1; }
    return 0
}

echo "== pipe: an anonymous pipe between two processes of one shell pipeline"
"$IPCX" send 'pipe:?fd=1' "message 1 from pid 0" "message 2 from pid 0" "message 3 from pid 0" |
    "$IPCX" recv 'pipe:?fd=0' >"$OUT" 2>"$ERR"
if check "$OUT" 0; then
    sed 's/^/   receiver got: /' "$OUT"
    echo "   ok: 3 messages as sent, nothing to remove"
else
    status=1
fi

# The loop runs in a subshell of the pipeline, which does not inherit the
# traps: it kills a receiver of its own that is still running when it exits.
tour() {
trap '[ -n "$rpid" ] && kill "$rpid" 2>/dev/null; wait' EXIT
while IFS='|' read -r url what nsend; do
    : >"$ERR"
    n=$((nsend * 3))
    "$IPCX" recv -n $n -t 10000 --print-addr "$url" >"$OUT" 2>"$ERR" &
    rpid=$!
    i=0; while [ $i -lt 250 ] && ! [ -s "$ERR" ]; do sleep 0.02; i=$((i + 1)); done
    addr=$(head -n 1 "$ERR")
    case "$addr" in
    *://*|*:/*|*:@*|sysv*:0x*) ;;
    *) echo "== $url: the receiver did not start: $addr"; kill $rpid 2>/dev/null; wait $rpid; exit 1 ;;
    esac
    echo "== ${url%%:*}: $what"
    echo "   receiver pid $rpid listens on $addr"
    senders=""
    case "$url" in
    fifo:*|shm:*|sysvshm:*) eof=1 ;;
    *) eof=0 ;;
    esac
    if [ "$eof" -eq 1 ] && [ "$nsend" -gt 1 ]; then
        # A FIFO's or a ring's receiver ends when its last sender leaves: both
        # senders attach first (they read their messages from a gate), then send.
        for s in 1 2; do
            mkfifo "$D/gate.$s"
            sh -c 'echo "   sender pid $$ attaches, then sends 3 messages"; exec "$0" send "$1"' \
                "$IPCX" "$addr" <"$D/gate.$s" >"$D/send.$s" 2>&1 &
            senders="$senders $!"
        done
        exec 7>"$D/gate.1" 8>"$D/gate.2"
        for s in $senders; do
            i=0; while [ $i -lt 500 ] && ! attached "$s" "$addr"; do sleep 0.02; i=$((i + 1)); done
        done
        set -- $senders
        printf 'message %s from pid %s\n' 1 "$1" 2 "$1" 3 "$1" >&7
        printf 'message %s from pid %s\n' 1 "$2" 2 "$2" 3 "$2" >&8
        exec 7>&- 8>&-
        rm -f "$D"/gate.*
    else
        for s in $(seq 1 "$nsend"); do
            sh -c 'echo "   sender pid $$ sends 3 messages"
                   exec "$0" send "$1" "message 1 from pid $$" "message 2 from pid $$" "message 3 from pid $$"' \
                "$IPCX" "$addr" >"$D/send.$s" 2>&1 &
            senders="$senders $!"
        done
    fi
    for s in $senders; do wait "$s" || { echo "   a sender failed"; status=1; }; done
    cat "$D"/send.*
    rm -f "$D"/send.*
    wait $rpid || { echo "   the receiver failed: $(tail -n +2 "$ERR")"; exit 1; }
    rpid=""
    sed 's/^/   receiver got: /' "$OUT"
    check "$OUT" $senders || exit 1
    left=$(still_there "$addr")
    [ -z "$left" ] || { echo "   WRONG: left behind: $left"; exit 1; }
    echo "   ok: $n messages as sent, each sender's in order; $(case "$url" in tcp*|unix:@*) echo "nothing to remove";; *) echo "the receiver removed what it made";; esac)"
done
}
schemes | tour || status=1
[ $status -eq 0 ] && echo "== every scheme delivered; nothing left behind"
exit $status
