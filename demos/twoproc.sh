#!/bin/sh
# make demo (until the Werkstück A demo takes over): for every scheme, a
# receiver process and a sender process exchange messages through the ipcx
# command, visibly, and nothing is left behind.  Usage: twoproc.sh PATH/TO/ipcx
set -u
IPCX=${1:?usage: twoproc.sh PATH/TO/ipcx}
D=$(mktemp -d /tmp/ipcx-demo-$$.XXXXXX) || exit 1
T=$D/ch
ERR=$D/recv.err
OUT=$D/recv.out
trap 'rm -rf "$D"' EXIT INT TERM
status=0

for url in "fifo:$T-fifo" "unix:$T-stream.sock" "unix:$T-seq.sock?type=seqpacket" \
           "unix:$T-dgram.sock?type=dgram" "unix:@ipcx-demo-$$" "tcp://127.0.0.1:0" \
           "tcp://[::1]:0"; do
    : >"$ERR"
    "$IPCX" recv -n 3 -t 5000 --print-addr "$url" >"$OUT" 2>"$ERR" &
    rpid=$!
    i=0; while [ $i -lt 100 ] && ! [ -s "$ERR" ]; do sleep 0.02; i=$((i + 1)); done
    addr=$(head -n 1 "$ERR")
    case "$addr" in
    *://*|*:/*|*:@*) ;;
    *) echo "== $url: the receiver did not start: $addr"; status=1; wait; continue ;;
    esac
    echo "== $url: receiver pid $rpid listens on $addr"
    sh -c 'echo "   sender pid $$ sends 3 messages"; exec "$0" send "$1" "hello from pid $$" "$(date +%T.%N)" "via $2"' \
        "$IPCX" "$addr" "$url" || status=1
    wait $rpid || status=1
    sed "s|^|   receiver pid $rpid got: |" "$OUT"
done
left=$(ls -d "$T"-* 2>/dev/null)
[ -z "$left" ] || { echo "left behind: $left"; status=1; }
[ $status -eq 0 ] && echo "== every scheme delivered; nothing left behind"
exit $status
