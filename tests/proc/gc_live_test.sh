#!/bin/sh
# ipcx gc never removes an object that a live process uses, and ipcx ls
# prints System V modes right (issue 14).  A receiver waits on each of
# sysvmq:, mq:, fifo: and shm: (ipcx recv, which holds no descriptor on a
# System V queue: only the registry's pid and start time say it is alive);
# gc must leave all four, and each receiver must still get a message sent
# after gc.  The System V queue made with mode 0600 must be listed as 0600
# (the kernel writes /proc/sysvipc/msg's perms in octal).
# Usage: gc_live_test.sh PATH/TO/ipcx
T=ipcx-t-$$-gclive
. "$(dirname "$0")/../lib.sh"
KEY=$(printf '0x%08x' $(( 0x51000000 + ($$ % 1048576) * 16 + 3 )))
URLS="sysvmq:$KEY?mode=0600 mq:/$T shm:/$T fifo:$D/fifo"
on_exit 'for u in $URLS; do "$IPCX" rm -f "$u" 2>/dev/null; done
    rm -f /dev/mqueue/"$T" /dev/shm/"$T"
    ipcrm -Q "$KEY" 2>/dev/null; ipcrm -S "$KEY" 2>/dev/null'

n=0
for u in $URLS; do
    n=$((n + 1))
    "$IPCX" recv -n 1 "$u" >"$D/out.$n" 2>"$D/err.$n" &
    pids="$pids $!"
done
# Wait until every receiver is in the registry: its object listed with a recv user.
want="sysvmq:$KEY mq:/$T shm:/$T fifo:$D/fifo"
registered() {
    "$IPCX" ls --json >"$D/ls.json" 2>/dev/null || return 1
    for w in $want; do
        jq -e --arg u "$w" '.objects[] | select(.url == $u) | .users[] | select(.roles | index("recv"))' \
            "$D/ls.json" >/dev/null || return 1
    done
}
i=0
while [ $i -lt 200 ] && ! registered; do sleep 0.05; i=$((i + 1)); done
[ $i -lt 200 ] || fail "the receivers did not all register: $(cat "$D"/err.*)"

"$IPCX" ls --json >"$D/ls.json" || fail "ls --json exited $?"
mode=$(jq -r --arg u "sysvmq:$KEY" '.objects[] | select(.url == $u) | .mode' "$D/ls.json")
[ "$mode" = 0600 ] || fail "ls --json: sysvmq:$KEY has mode '$mode', want 0600"
"$IPCX" ls | grep -q "^sysvmq:$KEY .* 0600 " || fail "ls: sysvmq:$KEY not shown with 0600: $("$IPCX" ls | grep "sysvmq:$KEY")"
"$IPCX" stat "sysvmq:$KEY" | grep -q "^mode: *0600$" || fail "stat: $("$IPCX" stat "sysvmq:$KEY")"

"$IPCX" gc >"$D/gc" 2>&1 || fail "gc exited $?: $(cat "$D/gc")"
# gc looks at the whole machine: dead objects of tests running beside this
# one may go (a doorbell of a killed peer); ours are alive and must stay.
grep -E -q "^removed.*($T|$KEY)" "$D/gc" && fail "gc removed a live object: $(cat "$D/gc")"

n=0
for u in $URLS; do
    n=$((n + 1))
    timeout 20 "$IPCX" send -t 10000 "$u" "hello $n" 2>>"$D/send.err" || fail "send to $u after gc failed: $(cat "$D/send.err")"
done
for p in $pids; do timeout 20 sh -c "while kill -0 $p 2>/dev/null; do sleep 0.05; done"; done
n=0
for u in $URLS; do
    n=$((n + 1))
    [ "$(cat "$D/out.$n")" = "hello $n" ] || fail "the receiver of $u got '$(cat "$D/out.$n")' ($(cat "$D/err.$n"))"
done
[ $fails -eq 0 ] && echo "gc_live: all ok"
exit $((fails != 0))
