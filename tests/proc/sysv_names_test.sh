#!/bin/sh
# System V objects named in every form the library reads are the objects
# `ipcx ls` lists, for ipcx stat, the registry join and ipcx gc (issue 14
# item 4: one parser per address form, the library's, ipcx__addr_sysv):
#  - stat sysvmq:0DDD (a decimal key with a leading zero) finds the queue
#    of key DDD: the library reads keys as decimal or 0x hex, never octal;
#  - stat sysvshm:/path?proj=3 finds the segment of key ftok(path, 3);
#  - a receiver on sysvshm:DDD (decimal) and one on sysvshm:/path?proj=3
#    are joined to their segments from the registry: listed as made by
#    ipcx, with a recv user;
#  - after kill -9 of the receiver of sysvshm:DDD, ipcx gc removes it.
# Usage: sysv_names_test.sh PATH/TO/ipcx
set -u
IPCX=${1:?usage: sysv_names_test.sh IPCX}
T=ipcx-t-$$-sysvnames
D=/tmp/$T
export IPCX_REGISTRY=$D/reg
# A decimal key whose digits are all octal digits, so "0DDD" reads differently as octal.
DEC=3$(printf '%07o' $(( $$ % 2097152 )))
HEX=$(printf '0x%08x' "$DEC")
FILE=$D/key
fails=0
pids=""
PKEY=""

cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    for u in "sysvmq:$HEX" "sysvshm:$HEX" ${PKEY:+"sysvshm:$PKEY"}; do "$IPCX" rm -f "$u" 2>/dev/null; done
    for k in "$HEX" $PKEY; do ipcrm -Q "$k" 2>/dev/null; ipcrm -M "$k" 2>/dev/null; ipcrm -S "$k" 2>/dev/null; done
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
command -v jq >/dev/null || { echo "SKIP: jq is missing"; exit 77; }
mkdir -p "$D" && : >"$FILE" || exit 1
# ftok(3) of glibc: proj in the top byte, then the low byte of st_dev, the low 16 bits of st_ino.
set -- $(stat -c '%d %i' "$FILE")
PKEY=$(printf '0x%08x' $(( (3 << 24) | (($1 & 0xff) << 16) | ($2 & 0xffff) )))

# recv NAME URL: a receiver in the background (pid in $rp), once its address is printed.
recv() {
    "$IPCX" recv -n 1 -t 60000 --print-addr "$2" >"$D/$1.out" 2>"$D/$1.err" &
    rp=$!; pids="$pids $rp"
    i=0; while [ $i -lt 200 ] && ! [ -s "$D/$1.err" ]; do sleep 0.05; i=$((i + 1)); done
    [ -s "$D/$1.err" ] || fail "$1: the receiver did not start"
}

# stat URL WANT: ipcx stat of URL finds the object ls calls WANT.
stat_is() {
    got=$("$IPCX" stat --json "$1" 2>"$D/stat.err" | jq -r .url)
    [ "$got" = "$2" ] || fail "stat $1: got [$got] ($(cat "$D/stat.err")), want $2"
}

# joined URL PID: ls lists URL as made by ipcx, with PID a live receiver.
joined() {
    "$IPCX" ls --json >"$D/ls.json" || fail "ls --json exited $?"
    o=$(jq -c --arg u "$1" '.objects[] | select(.url == $u)' "$D/ls.json")
    [ -n "$o" ] || { fail "$1 not listed"; return; }
    [ "$(echo "$o" | jq .ipcx)" = true ] || fail "$1: not joined to its registry entry: $o"
    echo "$o" | jq -e --argjson p "$2" '.users[] | select(.pid == $p) | .roles | index("recv")' \
        >/dev/null || fail "$1: $2 is not a receiver of it: $o"
}

recv mq "sysvmq:$DEC"; mq=$rp
stat_is "sysvmq:0$DEC" "sysvmq:$HEX"
stat_is "sysvmq:$DEC" "sysvmq:$HEX"
joined "sysvmq:$HEX" "$mq"

recv shm "sysvshm:$DEC"; shm=$rp
[ "$(head -n 1 "$D/shm.err")" = "sysvshm:$HEX" ] || fail "sysvshm:$DEC: address [$(head -n 1 "$D/shm.err")]"
stat_is "sysvshm:0$DEC" "sysvshm:$HEX"
joined "sysvshm:$HEX" "$shm"

recv path "sysvshm:$FILE?proj=3"; path=$rp
[ "$(head -n 1 "$D/path.err")" = "sysvshm:$PKEY" ] || fail "sysvshm:$FILE?proj=3: address [$(head -n 1 "$D/path.err")]"
stat_is "sysvshm:$FILE?proj=3" "sysvshm:$PKEY"
joined "sysvshm:$PKEY" "$path"

# A killed receiver that created its segment: gc removes it, and leaves the live ones.
kill -9 "$shm"; wait "$shm" 2>/dev/null
"$IPCX" gc >"$D/gc.out" 2>&1 || fail "gc exited $?: $(cat "$D/gc.out")"
"$IPCX" stat "sysvshm:$HEX" >/dev/null 2>&1 && fail "gc left sysvshm:$HEX of a killed receiver: $(cat "$D/gc.out")"
stat_is "sysvshm:$PKEY" "sysvshm:$PKEY"
stat_is "sysvmq:$HEX" "sysvmq:$HEX"

# The live receivers still work, and remove what they made.
"$IPCX" send "sysvmq:$HEX" hello || fail "send sysvmq exited $?"
"$IPCX" send "sysvshm:$FILE?proj=3" hello || fail "send sysvshm exited $?"
wait "$mq" || fail "the sysvmq receiver exited $?"
wait "$path" || fail "the sysvshm receiver exited $?"
[ "$(cat "$D/mq.out")" = hello ] || fail "sysvmq receiver got [$(cat "$D/mq.out")]"
[ "$(cat "$D/path.out")" = hello ] || fail "sysvshm receiver got [$(cat "$D/path.out")]"
"$IPCX" stat "sysvmq:$HEX" >/dev/null 2>&1 && fail "sysvmq:$HEX left after its receiver exited"
"$IPCX" stat "sysvshm:$PKEY" >/dev/null 2>&1 && fail "sysvshm:$PKEY left after its receiver exited"

[ $fails -eq 0 ] && echo "sysv_names: ok"
exit $((fails != 0))
