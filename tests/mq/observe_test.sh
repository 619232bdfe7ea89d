#!/bin/sh
# ipcx ls / stat / gc across real processes: queues made by test peers show
# up with the right owner, depth and pids; gc removes the queues of a
# SIGKILLed peer and leaves a live one alone, also when a live process has
# the dead creator's pid (pid reuse: the start time differs); --json parses.
# Usage: observe_test.sh PATH/TO/ipcx PATH/TO/mq_hold
set -u
IPCX=${1:?usage: observe_test.sh IPCX MQ_HOLD}
HOLD=${2:?usage: observe_test.sh IPCX MQ_HOLD}
T=ipcx-t-$$
D=/tmp/$T-obs
# A registry of our own: gc must not see (or remove) anything of other tests.
export IPCX_REGISTRY=$D/reg
REG=$IPCX_REGISTRY/.ipcx-registry-$(id -u)   # our own registry in it (src/admin/reg.h)
KEY=$(printf '0x%08x' $(( 0x50000000 + ($$ % 1048576) * 16 + 2 )))
fails=0
pids=""

cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    for u in "mq:/$T-live" "mq:/$T-dead" "mq:/$T-reuse" "sysvmq:$KEY"; do
        "$IPCX" rm -f "$u" 2>/dev/null
    done
    # Also without a working ipcx: the queues, the System V queue and its doorbell.
    rm -f /dev/mqueue/"$T"-*
    ipcrm -Q "$KEY" 2>/dev/null; ipcrm -S "$KEY" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

command -v jq >/dev/null || { echo "SKIP: jq is missing"; exit 77; }
if ! grep -q ' /dev/mqueue mqueue ' /proc/mounts; then
    if [ "$(id -u)" = 0 ]; then
        mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue ||
            { echo "SKIP: cannot mount /dev/mqueue"; exit 77; }
    else
        echo "SKIP: /dev/mqueue is not mounted and we are not root"; exit 77
    fi
fi
mkdir -p "$D" || exit 1
mkfifo "$D/ctl" || exit 1

# hold NAME URL COUNT: a peer holding URL with COUNT messages queued, until
# the control FIFO ends or it is killed; its pid in $hp.
hold() {
    # 3>&-: the peer must not hold our end of the control FIFO open itself.
    "$HOLD" "$2" "$3" <"$D/ctl" >"$D/$1.out" 2>"$D/$1.err" 3>&- &
    hp=$!; pids="$pids $hp"
    i=0; while [ $i -lt 100 ] && ! grep -q ready "$D/$1.out" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    grep -q ready "$D/$1.out" || fail "$1: the peer did not start: $(cat "$D/$1.err")"
}

# The peers read the control FIFO: closing our end lets the live one exit cleanly.
exec 3<>"$D/ctl"
hold live "mq:/$T-live" 3; live=$hp
hold dead "mq:/$T-dead" 1; dead=$hp
hold sysv "sysvmq:$KEY" 2; sysv=$hp
hold reuse "mq:/$T-reuse" 1; reuse=$hp
me=$(id -un)

# obj URL: that object of ipcx ls --json, or nothing.
ls_json() { "$IPCX" ls --json >"$D/ls.json" || fail "ls --json exited $?"; }
obj() { jq -c --arg u "$1" '.objects[] | select(.url == $u)' "$D/ls.json"; }
field() { obj "$1" | jq -r "$2"; }

ls_json
python3 -m json.tool "$D/ls.json" >/dev/null 2>&1 || jq . "$D/ls.json" >/dev/null || fail "ls --json does not parse"
[ "$(field "mq:/$T-live" .type)" = posix-mq ] || fail "mq:/$T-live not listed: $(cat "$D/ls.json")"
[ "$(field "mq:/$T-live" .owner)" = "$me" ] || fail "live: owner $(field "mq:/$T-live" .owner), want $me"
[ "$(field "mq:/$T-live" .messages)" = 3 ] || fail "live: $(field "mq:/$T-live" .messages) messages, want 3"
[ "$(field "mq:/$T-live" .bytes)" = 6 ] || fail "live: $(field "mq:/$T-live" .bytes) bytes, want 6"
[ "$(field "mq:/$T-live" .mode)" = 0600 ] || fail "live: mode $(field "mq:/$T-live" .mode)"
[ "$(field "mq:/$T-live" .ipcx)" = true ] || fail "live: not marked as made by ipcx"
roles=$(obj "mq:/$T-live" | jq -r --argjson p "$live" '.users[] | select(.pid == $p) | .roles | join(",")')
case "$roles" in *creator*recv*send*fd*) ;; *) fail "live: roles of $live are [$roles]";; esac
[ "$(obj "mq:/$T-live" | jq --argjson p "$live" '.users[] | select(.pid == $p) | .alive')" = true ] ||
    fail "live: its peer is not alive"
[ "$(field "sysvmq:$KEY" .messages)" = 2 ] || fail "sysvmq:$KEY: $(field "sysvmq:$KEY" .messages) messages, want 2"
[ "$(obj "sysvmq:$KEY" | jq -r --argjson p "$sysv" '.users[] | select(.pid == $p) | .roles | join(",")')" \
    = "creator,recv,send,last-send" ] || fail "sysvmq: the peer's roles: $(obj "sysvmq:$KEY")"
[ "$(field "sysvshm:$KEY" .type)" = "" ] || fail "a sysvshm of our key?"
jq -e --arg k "$KEY" '.objects[] | select(.url == ("sysvsem:" + $k)) | .note | test("doorbell")' \
    "$D/ls.json" >/dev/null || fail "the doorbell of sysvmq:$KEY is not listed"
"$IPCX" ls | grep -q "^mq:/$T-live " || fail "plain ls lacks mq:/$T-live"

# stat: one object, text and JSON.
"$IPCX" stat "mq:/$T-live" | grep -q "^messages: 3$" || fail "stat: $("$IPCX" stat "mq:/$T-live" 2>&1)"
[ "$("$IPCX" stat --json "sysvmq:$KEY" | jq .messages)" = 2 ] || fail "stat --json sysvmq"
"$IPCX" stat "mq:/$T-nonexistent" 2>/dev/null && fail "stat of nothing succeeded"

# Kill two peers; their queues stay.  The third one's registry entry gets a
# live pid (ours) with the dead peer's start time: pid reuse must not fool gc.
kill -9 "$dead" "$sysv" "$reuse"; wait "$dead" "$sysv" "$reuse" 2>/dev/null
n=0
for f in "$REG"/"$reuse"-*; do
    [ -f "$f" ] || continue
    sed -i "s/^pid $reuse\$/pid $$/" "$f" && n=$((n + 1))
done
[ $n -ge 1 ] || fail "no registry entry of $reuse in $REG: $(ls -a "$REG")"
ls_json
[ "$(field "mq:/$T-dead" .alive)" = false ] || fail "dead: still alive? $(obj "mq:/$T-dead")"
[ "$(field "mq:/$T-live" .alive)" = true ] || fail "live: not alive"

"$IPCX" gc --dry-run >"$D/dry" 2>&1 || fail "gc --dry-run exited $?"
for u in "mq:/$T-dead" "mq:/$T-reuse" "sysvmq:$KEY"; do
    grep -q "would remove $u " "$D/dry" || fail "gc --dry-run does not name $u: $(cat "$D/dry")"
done
grep -q "$T-live" "$D/dry" && fail "gc --dry-run would remove the live queue"
[ -e "/dev/mqueue/$T-dead" ] || fail "--dry-run removed something"

"$IPCX" gc >"$D/gc" 2>&1 || fail "gc exited $?: $(cat "$D/gc")"
for u in "mq:/$T-dead" "mq:/$T-reuse" "sysvmq:$KEY"; do
    grep -q "^removed $u " "$D/gc" || fail "gc does not say it removed $u: $(cat "$D/gc")"
done
[ -e "/dev/mqueue/$T-dead" ] && fail "gc left mq:/$T-dead"
[ -e "/dev/mqueue/$T-reuse" ] && fail "gc left mq:/$T-reuse (pid reuse fooled it)"
k=$(printf '%d' "$KEY")
awk -v k="$k" 'NR > 1 && $1 == k' /proc/sysvipc/msg | grep -q . && fail "gc left sysvmq:$KEY"
awk -v k="$k" 'NR > 1 && $1 == k' /proc/sysvipc/sem | grep -q . && fail "gc left the doorbell of sysvmq:$KEY"
[ -e "/dev/mqueue/$T-live" ] || fail "gc removed the live queue"
"$IPCX" gc | grep -q "nothing to remove" || fail "a second gc found more"

# The live peer ends cleanly: its queue and its registry entries go.
exec 3>&-
wait "$live"
[ -e "/dev/mqueue/$T-live" ] && fail "the live peer left its queue on a clean exit"
[ -d "$REG" ] || fail "no registry directory $REG"
[ "$(stat -c %a "$REG")" = 700 ] || fail "$REG has mode $(stat -c %a "$REG"), want 700"
[ -z "$(ls -A "$REG")" ] || fail "registry entries left: $(ls -A "$REG")"

# Without /dev/mqueue, ls says so (in a mount namespace of its own).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
    unshare -m sh -c "umount /dev/mqueue && '$IPCX' ls" >/dev/null 2>"$D/unmounted"
    grep -q "/dev/mqueue is not mounted" "$D/unmounted" ||
        fail "ls without /dev/mqueue: $(cat "$D/unmounted")"
fi

[ $fails -eq 0 ] && echo "observe: all ok"
exit $((fails != 0))
