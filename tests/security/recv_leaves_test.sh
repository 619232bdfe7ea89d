#!/bin/sh
# ipcx recv never removes what another user made (issue 15): as root, with
# allow= naming uid nobody, it receives from nobody's queue and leaves it
# with what it still holds, saying so on stderr; nobody's FIFO it refuses
# and leaves as it was.
# Usage: recv_leaves_test.sh PATH/TO/ipcx
T=ipcx-t-$$-leaves
. "$(dirname "$0")/lib.sh"
Q="mq:/$T?mode=0666"
# rm -f: the queue is nobody's, and rm leaves another user's object unless told.
on_exit '"$IPCX" rm -f "mq:/$T" 2>/dev/null'

# nobody makes the queue (and leaves it: --keep), and sends two messages.
$NOBODY "$IPCX" recv "$Q" -n 0 --keep 2>"$D/e0" || fail "nobody's receiver: $(cat "$D/e0")"
$NOBODY "$IPCX" send "$Q" one two || fail "nobody's sender exited $?"
[ "$(stat -c %u "/dev/mqueue/$T")" = 65534 ] || fail "the queue is not nobody's"
# root takes one, and must leave the queue with the other.
"$IPCX" recv "$Q&allow=uid:65534" -n 1 >"$D/o1" 2>"$D/e1" || fail "root's receiver: $(cat "$D/e1")"
[ "$(cat "$D/o1")" = one ] || fail "root received [$(cat "$D/o1")]"
[ -e "/dev/mqueue/$T" ] || fail "root's receiver removed nobody's queue"
grep -q "left in place with 1 unread message: this receiver did not create it" "$D/e1" ||
    fail "no word about nobody's queue: $(cat "$D/e1")"
$NOBODY "$IPCX" recv "$Q" -n 1 >"$D/o2" 2>/dev/null
[ "$(cat "$D/o2")" = two ] || fail "nobody lost its message: [$(cat "$D/o2")]"

# nobody's FIFO in nobody's directory, mode 0666: root's receiver refuses
# it (another user's FIFO is never taken, let alone removed) and leaves it.
$NOBODY mkfifo -m 0666 "$D/nb/f"
"$IPCX" recv "fifo:$D/nb/f" -n 1 -t 0 >/dev/null 2>"$D/e3"
[ $? = 1 ] || fail "root's receiver took nobody's FIFO"
grep -q "another user" "$D/e3" || fail "the refusal does not say why: $(cat "$D/e3")"
[ -p "$D/nb/f" ] || fail "root's receiver removed nobody's FIFO"
[ "$(stat -c %u:%a "$D/nb/f")" = 65534:666 ] || fail "nobody's FIFO changed: $(stat -c %u:%a "$D/nb/f")"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "recv_leaves: all checks passed"
