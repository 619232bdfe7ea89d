#!/bin/sh
# Issue 13 item 1: entries that another user (nobody) forges in the registry
# never make root's `ipcx gc` remove root's live objects: a POSIX queue, a
# FIFO, a socket file and a System V queue, each held by a live receiver.
# nobody leaves a dead receiver's entry of its own queue and rewrites its url
# line to name one of root's objects (trust was checked on obj, the removal
# used url), and writes consistent entries that name root's objects outright.
# gc may remove nobody's own dead queues; root's four must all survive.
# Usage: reg_forge_test.sh PATH/TO/ipcx
T=ipcx-t-$$-forge
. "$(dirname "$0")/lib.sh"
KEY=$(printf '0x%08x' $(( 0x52000000 + ($$ % 1048576) * 16 + 4 )))
ROOT_URLS="mq:/$T-root fifo:$D/root.fifo unix:$D/root.sock sysvmq:$KEY"
on_exit 'for u in $ROOT_URLS; do "$IPCX" rm -f "$u" 2>/dev/null; done
    for i in 1 2 3 4; do "$IPCX" rm -f "mq:/$T-nb$i" 2>/dev/null; done
    rm -f /dev/mqueue/$T-*; ipcrm -Q "$KEY" 2>/dev/null; ipcrm -S "$KEY" 2>/dev/null'

# root's live receivers.
for u in $ROOT_URLS; do
    "$IPCX" recv "$u" >/dev/null 2>"$D/root.err" &
    p=$!; pids="$pids $p"
    wait_entry "$p" >/dev/null || fail "root's receiver of $u did not register: $(cat "$D/root.err")"
done

# nobody: four receivers that die (kill -9) and leave their queue and entry.
i=0
for u in $ROOT_URLS; do
    i=$((i + 1))
    $NOBODY "$IPCX" recv "mq:/$T-nb$i" >/dev/null 2>"$D/nb.err" &
    p=$!; pids="$pids $p"
    f=$(wait_entry "$p") || { fail "nobody's receiver did not register: $(cat "$D/nb.err")"; continue; }
    kill -9 "$p"; wait "$p" 2>/dev/null
    # The forgery: nobody rewrites its own entry's url to name root's object.
    $NOBODY sed -i "s|^url .*|url $u|" "$f" || fail "nobody cannot rewrite its own entry $f"
    # And a consistent one that names root's object as obj and url, created by a dead pid.
    obj=$u
    case $u in sysvmq:*) ;; *\?*) obj=${u%%\?*};; esac
    printf 'ipcx-reg 1\nobj %s\nurl %s\npid %d\nstart 1\nrole recv\ncreated 1\n' "$obj" "$u" "$p" |
        $NOBODY sh -c "cat > '$(dirname "$f")/$p-1-99'" || fail "nobody cannot write into its registry"
done

"$IPCX" gc >"$D/gc" 2>&1
echo "gc said:"; sed 's/^/  /' "$D/gc"

[ -e "/dev/mqueue/$T-root" ] || fail "gc removed root's live mq:/$T-root"
[ -p "$D/root.fifo" ] || fail "gc removed root's live FIFO $D/root.fifo"
[ -S "$D/root.sock" ] || fail "gc removed root's live socket file $D/root.sock"
k=$(printf '%d' "$KEY")
awk -v k="$k" 'NR > 1 && $1 == k' /proc/sysvipc/msg | grep -q . || fail "gc removed root's live sysvmq:$KEY"
grep -q "root" "$D/gc" && grep -q "^removed .*$T-root\|^removed .*root\.\(fifo\|sock\)\|^removed sysvmq:$KEY" "$D/gc" &&
    fail "gc says it removed one of root's objects"

[ $fails -eq 0 ] && echo "reg_forge: all ok"
exit $((fails != 0))
