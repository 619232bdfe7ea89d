#!/bin/sh
# The ipcx command's conventions across real processes (issue 15): GNU
# options (after operands, "--", one error line, help COMMAND, --version),
# what recv leaves (a user's FIFO, a queue with unread messages, --rm,
# --keep), cleanup on SIGPIPE, SIGHUP and SIGTERM, named rings waiting for
# new senders, send's sources and repeats, random binary payloads that
# round-trip in every --format that can, and bash completion.
# Usage: cli_conv_test.sh PATH/TO/ipcx [PATH/TO/completion/ipcx]
T=ipcx-t-$$-conv
. "$(dirname "$0")/../lib.sh"
COMPLETION=${2:-}
Q=/$T                                   # mq: and shm: names
F=$D/f                                  # FIFOs, socket files
KEY=$(printf '0x%08x' $(( 0x53000000 + ($$ % 1048576) * 16 + 5 )))
SV="sysvmq:$KEY"                        # as the registry spells it
on_exit '"$IPCX" rm "mq:$Q" "mq:$Q-2" "shm:$Q" "$SV" 2>/dev/null; ipcrm -Q "$KEY" 2>/dev/null'

expect_eq() { [ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"; }
# A bound for a hang (a receiver that never came), not for speed: 120 s.
hung() { echo "FAIL: $1 never happened (120 s)"; exit 1; }
# until_there TEST ARG: wait until test ARG holds.
until_there() {
    n=0
    while ! test "$1" "$2"; do
        sleep 0.02; n=$((n + 1)); [ $n -lt 6000 ] || hung "test $1 $2"
    done
}
# until_registered URL: wait until a receiver of URL (without its query) is in the registry.
until_registered() {
    n=0
    while ! "$IPCX" ls --json 2>/dev/null |
        jq -e --arg u "${1%%\?*}" '.objects[] | select(.url == $u) | .users[] |
                            select(.roles | index("recv"))' >/dev/null; do
        sleep 0.02; n=$((n + 1)); [ $n -lt 6000 ] || hung "a receiver of $1"
    done
}

# ---- 1. GNU options ----------------------------------------------------
# Options after the URL, and a priority that is not sent as a message.
"$IPCX" recv "mq:$Q" -P -n 2 -t 20000 >"$D/o1" 2>"$D/e1" &
rp=$!; pids="$pids $rp"
until_registered "mq:$Q"
"$IPCX" send "mq:$Q" -p 3 msg -- -p || fail "send with options after the URL: $?"
wait $rp; expect_eq "recv URL -n 2 exit" "$?" 0
expect_eq "send URL -p 3 msg -- -p" "$(cat "$D/o1")" "$(printf '3 msg\n3 -p')"
[ -e "/dev/mqueue$Q" ] && fail "an emptied queue it created was left"
[ -s "$D/e1" ] && fail "a clean recv said something: $(cat "$D/e1")"

# One line per mistake, then the hint; getopt's own words never.
for bad in "recv --bogus fifo:$F" "recv fifo:$F -x" "recv fifo:$F --count" \
           "send fifo:$F -p" "recv --format nope fifo:$F" "send --data a --file b fifo:$F"; do
    $IPCX $bad >/dev/null 2>"$D/e"; rc=$?
    expect_eq "ipcx $bad: exit" "$rc" 2
    expect_eq "ipcx $bad: lines" "$(wc -l <"$D/e")" 2
    grep -q "^ipcx [a-z]*: " "$D/e" || fail "ipcx $bad: no 'ipcx CMD:' line: $(cat "$D/e")"
    grep -qi "unrecognized\|invalid option" "$D/e" && fail "ipcx $bad: getopt's message: $(cat "$D/e")"
done
[ -e "$F" ] && fail "a usage error created $F"
"$IPCX" recv --bogus "fifo:$F" 2>&1 | head -n 1 | grep -q "unknown option '--bogus'" ||
    fail "the error line does not name --bogus"

# help COMMAND is COMMAND --help; --version names both versions.
for c in send recv rm ls stat gc bench; do
    "$IPCX" help $c >"$D/h1" || fail "ipcx help $c exited $?"
    "$IPCX" $c --help >"$D/h2"
    cmp -s "$D/h1" "$D/h2" || fail "ipcx help $c differs from ipcx $c --help"
done
"$IPCX" help | grep -q "^Commands:" || fail "ipcx help lists no commands"
"$IPCX" help frobnicate 2>/dev/null; expect_eq "help of an unknown command" "$?" 2
for v in "--version" "-V" "send --version" "recv --version"; do
    $IPCX $v | grep -q "^ipcx [0-9.]*, libipcx [0-9.]*$" || fail "ipcx $v: $($IPCX $v)"
done
for s in mq: sysvmq: shm: sysvshm: fifo: unix: tcp: pipe:; do
    "$IPCX" --help | grep -q "^  $s" || fail "ipcx --help does not name $s"
done

# ---- 2. What recv leaves -----------------------------------------------
# A user's FIFO survives, with its mode; stderr says it was left.
mkfifo -m 0666 "$F"
"$IPCX" recv "fifo:$F" -n 1 >"$D/o2" 2>"$D/e2" &
rp=$!; pids="$pids $rp"
until_registered "fifo:$F"
"$IPCX" send "fifo:$F" hello
wait $rp; expect_eq "recv on a user's FIFO" "$?" 0
expect_eq "message on a user's FIFO" "$(cat "$D/o2")" hello
[ -p "$F" ] || fail "recv removed a FIFO it did not create"
expect_eq "mode of the user's FIFO" "$(stat -c %a "$F")" 666
grep -q "left in place.*did not create" "$D/e2" || fail "no word about the FIFO left: $(cat "$D/e2")"
# --rm removes it though.
"$IPCX" recv "fifo:$F" -n 1 --rm >/dev/null 2>"$D/e2" &
rp=$!; pids="$pids $rp"
until_registered "fifo:$F"
"$IPCX" send "fifo:$F" x
wait $rp
[ -e "$F" ] && fail "recv --rm left the FIFO"
# --keep leaves a FIFO it created.
"$IPCX" recv "fifo:$F" -n 1 --keep >/dev/null 2>"$D/e2" &
rp=$!; pids="$pids $rp"
until_registered "fifo:$F"
"$IPCX" send "fifo:$F" x
wait $rp
[ -p "$F" ] || fail "recv --keep removed its FIFO"
grep -q "left in place.*--keep" "$D/e2" || fail "--keep said nothing: $(cat "$D/e2")"
rm -f "$F"

# A queue it made with unread messages survives recv -n 1, and it says how many.
# The receiver that made it is killed (-9) first, so that the messages are
# in the queue before the next receiver, which takes it over as its own
# (the registry says its maker died), takes the first.
for url in "mq:$Q" "$SV"; do
    "$IPCX" recv "$url" >/dev/null 2>&1 &
    rp=$!; pids="$pids $rp"
    until_registered "$url"
    kill -9 $rp; wait $rp 2>/dev/null
    "$IPCX" send "$url" a b c
    "$IPCX" recv "$url" -n 1 >"$D/o3" 2>"$D/e3"
    expect_eq "$url: recv -n 1 exit" "$?" 0
    expect_eq "$url: the first message" "$(cat "$D/o3")" a
    grep -q "left in place with 2 unread messages" "$D/e3" ||
        fail "$url: no warning about 2 unread messages: $(cat "$D/e3")"
    "$IPCX" recv "$url" -n 2 -t 20000 >"$D/o3" 2>"$D/e3" ||
        fail "$url: the kept messages could not be read: $(cat "$D/e3")"
    expect_eq "$url: the kept messages" "$(cat "$D/o3")" "$(printf 'b\nc')"
    grep -q "did not create" "$D/e3" || fail "$url: the second receiver found it: $(cat "$D/e3")"
    # --rm removes it with what it holds, and says so.
    "$IPCX" send "$url" d e
    "$IPCX" recv "$url" -n 1 --rm >"$D/o3" 2>"$D/e3"
    grep -q "removed with 1 unread message (--rm)" "$D/e3" || fail "$url: --rm: $(cat "$D/e3")"
    "$IPCX" rm "$url" 2>/dev/null && fail "$url: still there after recv --rm"
done

# ---- 3. Signals: cleanup, then death by the signal -----------------------
# SIGPIPE: the reader of stdout goes, the receiver removes its socket and dies of SIGPIPE.
{ "$IPCX" recv "unix:$F.sock"; echo $? >"$D/rc4"; } | head -n 1 >"$D/o4" &
hp=$!; pids="$pids $hp"
until_there -S "$F.sock"
"$IPCX" send "unix:$F.sock" first || fail "send to the piped receiver: $?"
wait $hp
until_there -s "$D/rc4"                 # head is gone; the receiver may still be cleaning up
expect_eq "recv | head -n 1: the line" "$(cat "$D/o4")" first
expect_eq "recv | head -n 1: status" "$(cat "$D/rc4")" 141
[ -e "$F.sock" ] && fail "a receiver stopped by SIGPIPE left its socket file"
# SIGHUP and SIGTERM, on a socket, a queue and a ring it made: all removed.
for sig in HUP TERM; do
    for url in "unix:$F.sock" "mq:$Q" "shm:$Q"; do
        "$IPCX" recv "$url" >/dev/null 2>"$D/e5" &
        rp=$!; pids="$pids $rp"
        until_registered "$url"
        kill -s $sig $rp; wait $rp; rc=$?
        want=129; [ $sig = TERM ] && want=143
        expect_eq "SIG$sig $url: status" "$rc" $want
        "$IPCX" rm "$url" 2>/dev/null && fail "SIG$sig $url: left behind"
    done
done

# ---- 4. A named ring waits for new senders --------------------------------
"$IPCX" recv "shm:$Q" -n 2 >"$D/o6" 2>"$D/e6" &
rp=$!; pids="$pids $rp"
until_registered "shm:$Q"
"$IPCX" send "shm:$Q" one
# The first sender is gone; the receiver must still be there for the second.
"$IPCX" send "shm:$Q" two || fail "a second sender found no ring: $?"
wait $rp; expect_eq "ring with two senders in turn: exit" "$?" 0
expect_eq "ring with two senders in turn" "$(cat "$D/o6")" "$(printf 'one\ntwo')"
"$IPCX" rm "shm:$Q" 2>/dev/null && fail "the ring was left"

# ---- 5. send's sources and repeats -----------------------------------------
# recv_n URL N FMT: receive N messages in format FMT into $D/got (in the background: $rp).
recv_n() {
    "$IPCX" recv "$1" -n "$2" -f "$3" -t 30000 >"$D/got" 2>"$D/gerr" &
    rp=$!; pids="$pids $rp"
    until_registered "$1"
}
recv_n "unix:$F.sock" 3 line
"$IPCX" send "unix:$F.sock" --data tick --count 3 --interval 1 --delay 1
wait $rp; expect_eq "--data --count 3" "$(cat "$D/got")" "$(printf 'tick\ntick\ntick')"
# --interval without --count repeats until the receiver is gone.
recv_n "unix:$F.sock" 5 line
"$IPCX" send "unix:$F.sock" --data tock --interval 1 2>/dev/null &
sp=$!; pids="$pids $sp"
wait $rp; expect_eq "--interval repeats" "$(cat "$D/got")" "$(printf 'tock\ntock\ntock\ntock\ntock')"
wait $sp; expect_eq "a repeating sender whose receiver left" "$?" 1
# -0: NUL-separated messages, newlines inside them kept.
recv_n "unix:$F.sock" 3 json
printf 'a\nb\000\000c d' | "$IPCX" send "unix:$F.sock" -0
wait $rp
expect_eq "-0 messages" "$(jq -c .text "$D/got" | tr '\n' ' ')" '"a\nb" "" "c d" '

# ---- 6. Random binary payloads round-trip exactly --------------------------
# A payload with every byte value, a newline, NUL and backslashes, then random bytes.
awk 'BEGIN { for (i = 0; i < 256; i++) printf "%c", i; printf "\n\\\\\000" }' </dev/null >"$D/p"
head -c 3000 /dev/urandom >>"$D/p"
tr -d '\n' <"$D/p" >"$D/p-nonl"          # for --format line: a message without a newline
printf 'gr\303\274\303\237e\n\tzeile\000' >"$D/p-text"   # UTF-8 text: json's "text"
for url in "unix:$F.sock" "mq:$Q-2?maxmsg=8192" "shm:$Q?mode=mpsc"; do
    for fmt in raw hex quoted json line; do
        src=$D/p; [ $fmt = line ] && src=$D/p-nonl
        recv_n "$url" 1 $fmt
        case $url in mq:*) u="mq:$Q-2" ;; shm:*) u="shm:$Q" ;; *) u=$url ;; esac
        "$IPCX" send "$u" --file "$src" || fail "$url $fmt: send --file: $?"
        wait $rp || fail "$url $fmt: recv: $(cat "$D/gerr")"
        case $fmt in
            raw) cp "$D/got" "$D/back" ;;
            hex) xxd -r -p "$D/got" >"$D/back" ;;
            quoted) printf '%b' "$(cat "$D/got")" >"$D/back" ;;
            json) jq -j '.base64' "$D/got" | base64 -d >"$D/back"
                  expect_eq "$url json len" "$(jq .len "$D/got")" "$(wc -c <"$src" | tr -d ' ')" ;;
            line) head -c -1 "$D/got" >"$D/back" ;;
        esac
        cmp -s "$src" "$D/back" || fail "$url --format $fmt: the payload did not come back exactly"
    done
done
# JSON text and --stdin-raw: UTF-8 with a newline, a tab and NUL comes back as text.
recv_n "unix:$F.sock" 1 json
"$IPCX" send "unix:$F.sock" --stdin-raw <"$D/p-text"
wait $rp
jq -e 'has("text")' "$D/got" >/dev/null || fail "UTF-8 text was not sent as json text: $(cat "$D/got")"
jq -j .text "$D/got" >"$D/back"
cmp -s "$D/p-text" "$D/back" || fail "--stdin-raw / json text did not come back exactly"

# ---- 7. Bash completion ---------------------------------------------------
if [ -n "$COMPLETION" ] && command -v bash >/dev/null; then
    PATH=$(dirname "$IPCX"):$PATH bash -c '
        . "$1"
        c() { COMP_LINE=$1; COMP_POINT=${#1}; read -ra COMP_WORDS <<<"$1"
              case $1 in *" ") COMP_WORDS+=("") ;; esac
              COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _ipcx
              echo "${COMPREPLY[*]}"; }
        c "ipcx rec"; c "ipcx recv --for"; c "ipcx send --stdin"; c "ipcx recv -f j"
        c "ipcx send sys"; c "ipcx help be"; c "ipcx recv x --ke"' _ "$COMPLETION" >"$D/comp" 2>&1
    expect_eq "completion" "$(cat "$D/comp")" "$(printf 'recv\n--format\n--stdin-raw\njson\nsysvmq: sysvshm:\nbench\n--keep')"
fi

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "cli_conv: all checks passed"
