#!/bin/sh
# Issue 13 item 4: names another user (nobody) chose reach root's terminal
# escaped, never raw: a /dev/shm file name with an OSC title sequence and a
# BEL, an abstract socket name with a CSI sequence and a newline, a process
# name (comm) with ESC, a FIFO path from nobody's registry with ESC, and a
# skipped registry entry's name; and a message payload with ESC and CR in
# `ipcx recv`'s line output.  On a terminal (a pty made by script(1)) the
# output of ls, stat, gc and recv must hold no ESC, BEL or NUL and show
# `ls -b` style escapes instead; --json must parse and give back the exact
# bytes; recv to a pipe must stay byte-exact.
# Usage: reg_escape_test.sh PATH/TO/ipcx
T=ipcx-t-$$-esc
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || { echo "SKIP: script(1) is missing"; exit 77; }
ESC=$(printf '\033')
SHM="$T-$(printf '\033]0;pwned\007x')"
on_exit 'rm -f "/dev/shm/$SHM" /dev/mqueue/$T-*; "$IPCX" rm -f "mq:/$T-q" 2>/dev/null'

# nobody's objects: a shm file, an abstract socket, a process with a hostile
# comm using a queue, a FIFO made through ipcx in nobody's directory.
$NOBODY sh -c "printf x > '/dev/shm/$SHM'" || fail "nobody cannot make /dev/shm/$SHM"
$NOBODY "$IPCX" recv "unix:@$T-%1b[2J%0aroot-owned" >/dev/null 2>&1 &
pids="$pids $!"
ln -s "$IPCX" "$D/nb/$(printf 'x\033[1mE')" && chown -h 65534:65534 "$D/nb/"x* || exit 1
$NOBODY "$D/nb/$(printf 'x\033[1mE')" recv "mq:/$T-q" >/dev/null 2>&1 &
p=$!; pids="$pids $p"
wait_entry "$p" >/dev/null || fail "nobody's queue receiver did not register"
$NOBODY "$IPCX" recv "fifo:$D/nb/f%1b[7m" >/dev/null 2>&1 &
p=$!; pids="$pids $p"
wait_entry "$p" >/dev/null || fail "nobody's FIFO receiver did not register"
# A bad entry whose name holds an escape: the warning about it names it.
NBREG=$(dirname "$(wait_entry "$p")")
$NOBODY sh -c "printf 'junk\n' > '$NBREG/$(printf '9-\033[5m-1')'" || fail "nobody cannot write an entry"

tty_run() { script -qec "$*" /dev/null </dev/null; }
tty_run "'$IPCX' ls" >"$D/ls.tty" 2>&1
tty_run "'$IPCX' stat '$(printf "fifo:$D/nb/f\033[7m")'" >"$D/stat.tty" 2>&1
tty_run "'$IPCX' gc --dry-run" >"$D/gc.tty" 2>&1
for f in ls stat gc; do
    if od -An -c "$D/$f.tty" | grep -q '033\|\\a\|\\0'; then
        fail "ipcx $f wrote a raw ESC, BEL or NUL to the terminal: $(od -c "$D/$f.tty" | grep -m3 '033\|\\a')"
    fi
done
grep -qF '\033]0;pwned\ax' "$D/ls.tty" || fail "ls: the shm name is not shown escaped: $(grep -F "$T" "$D/ls.tty")"
# (/proc/net/unix cuts the name at its newline: what is before it must come escaped.)
grep -qF "unix:@$T-\\033[2J" "$D/ls.tty" || fail "ls: the abstract socket name is not shown escaped"
grep -qF 'x\033[1mE(' "$D/ls.tty" || fail "ls: the comm is not shown escaped: $(grep -F "$T-q" "$D/ls.tty")"
grep -qF "fifo:$D/nb/f\\033[7m" "$D/ls.tty" || fail "ls: the FIFO path is not shown escaped"
grep -qF '9-\033[5m-1 skipped' "$D/ls.tty" || fail "ls: the bad entry's name is not shown escaped"
grep -qF "url:      fifo:$D/nb/f\\033[7m" "$D/stat.tty" || fail "stat: the FIFO url is not shown escaped: $(cat "$D/stat.tty")"

# JSON: always escaped, and the exact bytes come back.
"$IPCX" ls --json >"$D/ls.json" 2>/dev/null
if od -An -c "$D/ls.json" | grep -q '033\|\\a'; then fail "ls --json holds a raw ESC or BEL"; fi
jq -e . "$D/ls.json" >/dev/null 2>&1 || fail "ls --json does not parse"
jq -e --arg u "shm:/$SHM" '.objects[] | select(.url == $u)' "$D/ls.json" >/dev/null ||
    fail "ls --json does not give back the shm name byte for byte"
jq -e --arg c "$(printf 'x\033[1mE')" '.objects[].users[] | select(.comm == $c)' "$D/ls.json" >/dev/null ||
    fail "ls --json does not give back the comm byte for byte"

# recv: a payload from nobody, to root's terminal and to a pipe.
MSG=$(printf 'a\033]0;x\007b\rc')
( sleep 1; $NOBODY "$IPCX" send -t 20000 "unix:@$T-rx" "$MSG" ) &
tty_run "'$IPCX' recv -n 1 -t 30000 'unix:@$T-rx'" >"$D/recv.tty" 2>&1
wait $! 2>/dev/null
if od -An -c "$D/recv.tty" | grep -q '033\|\\a'; then fail "recv wrote a raw ESC or BEL to the terminal"; fi
grep -qF 'a\033]0;x\ab\rc' "$D/recv.tty" || fail "recv: the payload is not shown escaped: $(od -c "$D/recv.tty")"
( sleep 1; $NOBODY "$IPCX" send -t 20000 "unix:@$T-rx2" "$MSG" ) &
"$IPCX" recv -n 1 -t 30000 "unix:@$T-rx2" >"$D/recv.pipe" 2>&1
wait $! 2>/dev/null
printf '%s\n' "$MSG" | cmp -s - "$D/recv.pipe" || fail "recv to a pipe is not byte-exact: $(od -c "$D/recv.pipe")"

[ $fails -eq 0 ] && echo "reg_escape: all ok"
exit $((fails != 0))
