#!/bin/sh
# Issue 13 items 2 and 3: FIFOs, symbolic links and directories that another
# user (nobody) puts in any position of the registry never hang a registry
# reader, never redirect a write or a removal, and are refused with a
# warning.  Positions: an entry beside nobody's own entries (a FIFO, a
# symbolic link to a FIFO and to a root-only file, an oversize file, one
# with a duplicate and one with an unknown line); root's registry directory
# squatted by nobody beforehand (a directory of nobody's holding a FIFO and
# an entry, and, for other uids, a symbolic link to nobody's directory and a
# FIFO).  Readers: root's ipcx ls, ls --json, stat and gc, and the adopt
# path of ipcx_open (a receiver opening an existing mq: queue with
# IPCX_CREATE), for root and for nobody.  Every one must return (a generous
# timeout: the assertion is "returned at all"), root must not write into or
# remove from nobody's directories, and ls must say what it refused.
# Usage: reg_squat_test.sh PATH/TO/ipcx
T=ipcx-t-$$-squat
. "$(dirname "$0")/lib.sh"
on_exit 'for u in "mq:/$T-nbq" "mq:/$T-rootq"; do "$IPCX" rm -f "$u" 2>/dev/null; done
    rm -f /dev/mqueue/$T-*'

# nobody's own registry: a receiver that dies leaves its queue and entry.
$NOBODY "$IPCX" recv "mq:/$T-nbq" >/dev/null 2>"$D/nb.err" &
p=$!; pids="$pids $p"
f=$(wait_entry "$p") || fail "nobody's receiver did not register: $(cat "$D/nb.err")"
kill -9 "$p"; wait "$p" 2>/dev/null
NBREG=$(dirname "$f")
# Hostile entries beside it.
$NOBODY sh -c "
    mkfifo '$NBREG/100-1-1'
    mkfifo '$D/nb/fifo'
    ln -s '$D/nb/fifo' '$NBREG/101-1-1'
    ln -s /etc/shadow '$NBREG/102-1-1'
    head -c 100000 /dev/zero | tr '\\0' x > '$NBREG/103-1-1'
    printf 'ipcx-reg 1\nobj mq:/$T-nbq\nurl mq:/$T-nbq\npid 1\npid 1\nstart 1\nrole recv\ncreated 1\n' > '$NBREG/104-1-1'
    printf 'ipcx-reg 1\nobj mq:/$T-nbq\nurl mq:/$T-nbq\npid 1\nstart 1\nrole recv\ncreated 1\nevil 1\n' > '$NBREG/105-1-1'
" || fail "nobody could not make its hostile entries"

# Root's registry directory (and two other users') squatted by nobody.
$NOBODY sh -c "
    mkdir -m 0700 '$IPCX_REGISTRY/.ipcx-registry-0'
    mkfifo '$IPCX_REGISTRY/.ipcx-registry-0/200-1-1'
    printf 'ipcx-reg 1\nobj mq:/$T-rootq\nurl mq:/$T-rootq\npid 1\nstart 1\nrole recv\ncreated 1\n' > '$IPCX_REGISTRY/.ipcx-registry-0/201-1-1'
    ln -s '$D/nb' '$IPCX_REGISTRY/.ipcx-registry-4242'
    mkfifo '$IPCX_REGISTRY/.ipcx-registry-4343'
" || fail "nobody could not squat"
[ -e "$IPCX_REGISTRY/.ipcx-registry-0/201-1-1" ] || fail "the squat is not there"
before=$(ls -A "$IPCX_REGISTRY/.ipcx-registry-0" "$D/nb" | sort | tr '\n' ' ')

# root: a queue, then a receiver that opens it existing (the adopt path).
returns 30 "$IPCX" send -t 0 "mq:/$T-rootq" x 2>/dev/null   # fails (no queue), that is all right
"$IPCX" rm "mq:/$T-rootq" 2>/dev/null
returns 30 sh -c "exec '$IPCX' recv -t 100 -n 1 'mq:/$T-rootq' >/dev/null 2>&1"
returns 30 sh -c "exec '$IPCX' recv -t 100 -n 1 'mq:/$T-rootq' >/dev/null 2>&1"
returns 30 $NOBODY "$IPCX" recv -t 100 -n 1 "mq:/$T-nbq" >/dev/null 2>&1

returns 30 "$IPCX" ls >"$D/ls" 2>"$D/ls.err"
returns 30 "$IPCX" ls --json >"$D/ls.json" 2>/dev/null
returns 30 "$IPCX" stat "mq:/$T-nbq" >/dev/null 2>&1
returns 30 "$IPCX" gc >"$D/gc" 2>"$D/gc.err"
echo "ls warned:"; sed 's/^/  /' "$D/ls.err"

jq -e . "$D/ls.json" >/dev/null 2>&1 || fail "ls --json does not parse"
grep -q "registry-0 belongs to uid 65534" "$D/ls.err" || fail "ls does not say it refused root's squatted registry"
grep -q "registry-4242 is not a directory" "$D/ls.err" || fail "ls does not refuse the symbolic link .ipcx-registry-4242"
grep -q "registry-4343 is not a directory" "$D/ls.err" || fail "ls does not refuse the FIFO .ipcx-registry-4343"
for n in 100 101 102 103 104 105; do
    grep -q "$n-1-1 skipped" "$D/ls.err" || fail "ls does not say it skipped the entry $n-1-1"
done
jq -e '.warnings[] | select(test("registry-0 belongs to uid 65534"))' "$D/ls.json" >/dev/null ||
    fail "ls --json lacks the warning about the squatted registry"
# Nothing redirected: root wrote nothing into nobody's directories and removed nothing there.
after=$(ls -A "$IPCX_REGISTRY/.ipcx-registry-0" "$D/nb" | sort | tr '\n' ' ')
[ "$before" = "$after" ] || fail "nobody's directories changed: before [$before] after [$after]"
[ -z "$(find "$IPCX_REGISTRY/.ipcx-registry-0" "$D/nb" -user 0)" ] ||
    fail "root wrote into a directory of nobody's: $(find "$IPCX_REGISTRY/.ipcx-registry-0" "$D/nb" -user 0)"

[ $fails -eq 0 ] && echo "reg_squat: all ok"
exit $((fails != 0))
