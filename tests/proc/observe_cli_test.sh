#!/bin/sh
# ipcx ls, stat and rm as a user of ipcs and ipcrm expects them:
#  - every URL that `ipcx ls --json` prints for an object of ours (one of
#    every kind we can make, pid-suffixed) is accepted by `ipcx stat` (the
#    same URL back) and by `ipcx rm` (and the object is gone after it);
#    System V objects also by id (rm -q/-m/-s, ?id=);
#  - the filters --type, --user, --mine and a URL prefix;
#  - --limits gives what /proc/sys says;
#  - stat of a ring reports its mode and the K messages sent to it;
#  - rm leaves what a live process uses, and (as root) another user's
#    object, unless -f.
# Usage: observe_cli_test.sh PATH/TO/ipcx
T=ipcx-t-$$-obs
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 is missing"; exit 77; }
grep -q ' /dev/mqueue mqueue ' /proc/mounts || { echo "SKIP: /dev/mqueue is not mounted"; exit 77; }

KEY=$(printf '0x%08x' $(( 0x51000000 + ($$ % 1048576) * 16 )))
KEY2=$(printf '0x%08x' $(( 0x51000000 + ($$ % 1048576) * 16 + 1 )))
IDS="$D/ids"
: >"$IDS"
# Everything this test can make, removed whatever happened (rm -f: asked).
on_exit 'for u in "mq:/$T-q" "sysvmq:$KEY" "shm:/$T-r" "shm:/$T-m" "sysvshm:$KEY2" "fifo:$D/f" \
    "unix:$D/s" "posixsem:/$T-ps" "shm:/$T-fs"; do "$IPCX" rm -f "$u" 2>/dev/null; done
    while read -r kind id; do ipcrm "$kind" "$id" 2>/dev/null; done <"$IDS"
    ipcrm -Q "$KEY" 2>/dev/null; ipcrm -S "$KEY" 2>/dev/null; ipcrm -M "$KEY2" 2>/dev/null
    rm -f "/dev/mqueue/$T-q" "/dev/shm/$T-r" "/dev/shm/$T-m" "/dev/shm/sem.$T-ps" "/dev/shm/$T-fs"'

# wait_obj PATH-OR-COMMAND: until it exists (a receiver made its object).
wait_file() {
    i=0
    while [ $i -lt 400 ] && [ ! -e "$1" ]; do sleep 0.05; i=$((i + 1)); done
    [ -e "$1" ] || fail "$1 never appeared"
}
wait_sysv() { # ipcs -q/-m KEY
    i=0
    while [ $i -lt 400 ] && ! ipcs "$1" | grep -q "^$2 "; do sleep 0.05; i=$((i + 1)); done
}
# forget_bells PID: a ring's doorbell FIFOs of a receiver we killed (their
# names end in its pid and start time; ipcx gc would remove them), removed
# when the test ends.
forget_bells() {
    on_exit "rm -f /dev/shm/ipcx-bell-*-*-$1-*"
}
# made_by_dead URL FILE-OR-"sysv -q KEY": a receiver makes the object and is
# killed with SIGKILL, so the object stays behind with no live user.
made_by_dead() {
    "$IPCX" recv -t 60000 "$1" >/dev/null 2>&1 &
    p=$!
    pids="$pids $p"
    case $2 in
    -*) wait_sysv "$2" "$3" ;;
    *) wait_file "$2" ;;
    esac
    # A System V segment exists before its creator laid the ring out in it.
    case $1 in
    sysvshm:*)
        i=0
        while [ $i -lt 400 ] && ! "$IPCX" stat --json "${1%%\?*}" 2>/dev/null | jq -e .ring.mode >/dev/null; do
            sleep 0.05; i=$((i + 1))
        done ;;
    esac
    kill -9 $p 2>/dev/null; wait $p 2>/dev/null
    forget_bells $p
}

made_by_dead "mq:/$T-q" "/dev/mqueue/$T-q"
made_by_dead "sysvmq:$KEY?mode=0600" -q "$KEY"
made_by_dead "shm:/$T-r?mode=spsc" "/dev/shm/$T-r"
made_by_dead "sysvshm:$KEY2?mode=mpsc" -m "$KEY2"
made_by_dead "fifo:$D/f" "$D/f"
made_by_dead "unix:$D/s" "$D/s"
# What ipcx does not make: System V objects without a key (ls names them by
# id), a POSIX semaphore (/dev/shm/sem.NAME) and a sem: semaphore file.
python3 - "$T" >>"$IDS" <<'PY' || fail "python3 could not make the System V objects"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_CREAT = 0, 0o1000
q = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
m = libc.shmget(IPC_PRIVATE, ctypes.c_size_t(4096), IPC_CREAT | 0o600)
s = libc.semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600)
if min(q, m, s) < 0:
    sys.exit(1)
print("-q", q); print("-m", m); print("-s", s)
libc.sem_open.restype = ctypes.c_void_p
sem = libc.sem_open(("/%s-ps" % sys.argv[1]).encode(), os.O_CREAT, 0o600, 1)
if not sem or sem == ctypes.c_void_p(-1).value:
    sys.exit(1)
PY
QID=$(sed -n 's/^-q //p' "$IDS"); MID=$(sed -n 's/^-m //p' "$IDS"); SID=$(sed -n 's/^-s //p' "$IDS")
: >"/dev/shm/$T-fs" && chmod 0600 "/dev/shm/$T-fs"

"$IPCX" ls --json >"$D/ls.json" || fail "ls --json exited $?"
jq -e . "$D/ls.json" >/dev/null || fail "ls --json does not parse"
# Ours: by name, or the System V objects by key or by the ids we made.
jq -r --arg t "$T" --arg k "$KEY" --arg k2 "$KEY2" --argjson q "${QID:-null}" \
    --argjson m "${MID:-null}" --argjson s "${SID:-null}" '.objects[] |
    select((.url | contains($t)) or (.url | endswith($k)) or (.url | endswith($k2)) or
           (.type == "sysv-msg" and .id == $q) or (.type == "sysv-shm" and .id == $m) or
           (.type == "sysv-sem" and .id == $s)) | .url' "$D/ls.json" | sort -u >"$D/ours"
for want in "mq:/$T-q" "sysvmq:$KEY" "shm:/$T-r" "sysvshm:$KEY2" "fifo:$D/f" "shm:/sem.$T-ps" \
    "shm:/$T-fs" "sysvmq:?id=$QID" "sysvshm:?id=$MID" "sysvsem:?id=$SID"; do
    grep -qxF "$want" "$D/ours" || fail "ls does not list $want: $(cat "$D/ours")"
done
grep -q "^sysvsem:$KEY" "$D/ours" || fail "ls does not list the doorbell sysvsem:$KEY"
# System V ids and attachments are shown.
[ "$(jq --arg u "sysvmq:?id=$QID" '.objects[] | select(.url == $u) | .id' "$D/ls.json")" = "$QID" ] ||
    fail "ls: no id for sysvmq:?id=$QID"
[ "$(jq --arg u "sysvshm:?id=$MID" '.objects[] | select(.url == $u) | .nattch' "$D/ls.json")" = 0 ] ||
    fail "ls: no nattch for sysvshm:?id=$MID"
grep -q null "$D/ls.json" && fail "ls --json has nulls: $(grep -o '"[a-z_]*": null' "$D/ls.json" | sort -u)"

# ---- filters --------------------------------------------------------------
"$IPCX" ls --json --type mq,fifo "mq:/$T" "fifo:$D/" >"$D/f1.json" || fail "ls --type: exit $?"
[ "$(jq -r '.objects[].url' "$D/f1.json" | sort | tr '\n' ' ')" = "fifo:$D/f mq:/$T-q " ] ||
    fail "ls --type mq,fifo with prefixes: $(jq -c '[.objects[].url]' "$D/f1.json")"
"$IPCX" ls --json --type sysvshm >"$D/f2.json"
[ "$(jq -r '[.objects[].type] | unique | join(",")' "$D/f2.json")" = sysv-shm ] ||
    fail "ls --type sysvshm: $(jq -c '[.objects[].type] | unique' "$D/f2.json")"
"$IPCX" ls --json --mine >"$D/f3.json"
[ "$(jq -r --arg u "$(id -u)" '[.objects[] | select(.uid != ($u | tonumber))] | length' "$D/f3.json")" = 0 ] ||
    fail "ls --mine lists another user's objects"
jq -e --arg u "mq:/$T-q" '.objects[] | select(.url == $u)' "$D/f3.json" >/dev/null || fail "ls --mine lacks mq:/$T-q"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    "$IPCX" ls --json --user nobody >"$D/f4.json"
    jq -e --arg t "$T" '.objects[] | select(.url | contains($t))' "$D/f4.json" >/dev/null &&
        fail "ls --user nobody lists root's objects"
    "$IPCX" ls --json --user 0 "mq:/$T" | jq -e '.objects | length == 1' >/dev/null ||
        fail "ls --user 0 with a prefix"
fi
"$IPCX" ls --type bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "ls --type bogus: not a usage error"
"$IPCX" ls --user no-such-user-$$ >/dev/null 2>&1; [ $? -eq 2 ] || fail "ls --user unknown: not a usage error"
# Options after the operand (GNU order), and -- before an operand that starts with '-'.
[ "$("$IPCX" ls "mq:/$T" --json | jq '.objects | length')" = 1 ] || fail "ls PREFIX --json"
[ "$("$IPCX" ls --json -- "-x" | jq '.objects | length')" = 0 ] || fail "ls -- -x"
"$IPCX" ls -t "mq:/$T" | grep -q "modified=" || fail "ls -t shows no times"
"$IPCX" ls -t "sysvmq:$KEY" | grep -q "sent=never .*changed=" || fail "ls -t of a queue: $("$IPCX" ls -t "sysvmq:$KEY")"

# ---- --limits equal /proc/sys ---------------------------------------------
"$IPCX" ls --limits --json >"$D/lim.json" || fail "ls --limits exited $?"
python3 - "$D/lim.json" <<'PY' || fail "ls --limits differs from /proc/sys"
import json, resource, sys
l = json.load(open(sys.argv[1]))["limits"]
def rd(p, i=0):
    return int(open(p).read().split()[i])
want = {
    ("sysvmq", "msgmax"): rd("/proc/sys/kernel/msgmax"),
    ("sysvmq", "msgmnb"): rd("/proc/sys/kernel/msgmnb"),
    ("sysvmq", "msgmni"): rd("/proc/sys/kernel/msgmni"),
    ("mq", "msg_max"): rd("/proc/sys/fs/mqueue/msg_max"),
    ("mq", "msgsize_max"): rd("/proc/sys/fs/mqueue/msgsize_max"),
    ("mq", "queues_max"): rd("/proc/sys/fs/mqueue/queues_max"),
    ("sysvshm", "shmmax"): rd("/proc/sys/kernel/shmmax"),
    ("sysvshm", "shmall"): rd("/proc/sys/kernel/shmall"),
    ("sysvshm", "shmmni"): rd("/proc/sys/kernel/shmmni"),
    ("sysvsem", "semmsl"): rd("/proc/sys/kernel/sem", 0),
    ("sysvsem", "semmns"): rd("/proc/sys/kernel/sem", 1),
    ("sysvsem", "semopm"): rd("/proc/sys/kernel/sem", 2),
    ("sysvsem", "semmni"): rd("/proc/sys/kernel/sem", 3),
}
bad = [(k, l[k[0]].get(k[1]), v) for k, v in want.items() if l[k[0]].get(k[1]) != v]
soft, hard = resource.getrlimit(resource.RLIMIT_MSGQUEUE)
conv = lambda v: "unlimited" if v == resource.RLIM_INFINITY else v
if l["rlimit_msgqueue"] != {"soft": conv(soft), "hard": conv(hard)}:
    bad.append(("rlimit", l["rlimit_msgqueue"], (soft, hard)))
if bad:
    print(bad)
    sys.exit(1)
PY
"$IPCX" ls --limits | grep -q "^msgmnb .* $(cat /proc/sys/kernel/msgmnb)$" || fail "ls --limits text lacks msgmnb"

# ---- stat of a ring: its mode and what K messages left in it --------------
# The receiver is stopped (SIGSTOP) once it made the ring: the messages stay.
ring_fill() { # URL OPTS MODE K
    "$IPCX" recv -t 60000 "$1?$2" >/dev/null 2>&1 &
    p=$!
    pids="$pids $p"
    wait_file "/dev/shm/${1#shm:/}"
    kill -STOP $p
    i=0
    while [ $i -lt "$4" ]; do
        "$IPCX" send "$1?$2" "message number $i" || fail "send $i to $1: exit $?"
        i=$((i + 1))
    done
    "$IPCX" stat --json "$1" >"$D/ring.json" || fail "stat $1: exit $?"
    "$IPCX" stat "$1" >"$D/ring.txt" || fail "stat $1 (text): exit $?"
    kill -9 $p; kill -CONT $p 2>/dev/null; wait $p 2>/dev/null
    forget_bells $p
    r() { jq -r "$@" "$D/ring.json"; }
    [ "$(r .mode)" = "$5" ] || fail "$1: mode $(r .mode), want $5"
    [ "$(r .ring.mode)" = "$3" ] || fail "$1: ring mode $(r .ring.mode), want $3"
    [ "$(r .ring.messages)" = "$4" ] || fail "$1: $(r .ring.messages) messages queued, want $4"
    [ "$(r .ring.version)" -ge 1 ] || fail "$1: no layout version"
    [ "$(r .ring.capacity)" -gt 0 ] || fail "$1: no capacity"
    [ "$(r .ring.suspect)" = false ] || fail "$1: an honest ring is suspect"
    [ "$(r --argjson p $p '[.ring.participants[] | select(.pid == $p and .role == "recv" and .alive)] | length')" = 1 ] ||
        fail "$1: the stopped receiver $p is not a live participant: $(r -c .ring.participants)"
    grep -q "^queued:   $4 messages" "$D/ring.txt" || fail "$1: text: $(cat "$D/ring.txt")"
    grep -q "^mode:     $5" "$D/ring.txt" || fail "$1: text mode: $(cat "$D/ring.txt")"
}
ring_fill "shm:/$T-m" "mode=mpmc&perm=0640" mpmc 5 0640
# "message number N" is 16 bytes: the payload bytes of 5 full slots.
[ "$(jq -r .ring.bytes "$D/ring.json")" = 80 ] || fail "mpmc: $(jq -r .ring.bytes "$D/ring.json") bytes, want 80"
"$IPCX" rm "shm:/$T-m" || fail "rm of the ring shm:/$T-m: exit $?"
ring_fill "shm:/$T-m" "mode=spsc" spsc 7 0600
"$IPCX" rm "shm:/$T-m" || fail "rm of the ring shm:/$T-m: exit $?"

# ---- stat and rm of every URL ls printed for an object of ours -------------
while read -r u; do
    got=$("$IPCX" stat --json "$u" 2>"$D/stat.err" | jq -r .url)
    [ "$got" = "$u" ] || fail "stat $u: got '$got' ($(cat "$D/stat.err"))"
    "$IPCX" stat "$u" >/dev/null 2>&1 || fail "stat $u (text): exit $?"
done <"$D/ours"
# shm:/$T-r is a ring (a dead receiver's): stat reads it.
"$IPCX" stat --json "shm:/$T-r" | jq -e '.ring.mode == "spsc" and .ring.receivers == 1' >/dev/null ||
    fail "stat of the dead receiver's ring: $("$IPCX" stat --json "shm:/$T-r" | jq -c .ring)"
"$IPCX" stat --json "sysvshm:$KEY2" | jq -e '.ring.mode == "mpsc" and .ring.slots > 0 and .nattch == 0' >/dev/null ||
    fail "stat of the System V ring: $("$IPCX" stat --json "sysvshm:$KEY2" | jq -c .)"
# the semaphore file is not a ring: stat says so and goes on
"$IPCX" stat --json "shm:/$T-fs" | jq -e '.ring.error | test("too small|not an ipcx ring")' >/dev/null ||
    fail "stat of a non-ring: $("$IPCX" stat --json "shm:/$T-fs" | jq -c .ring)"
# The named semaphore by its own URL, and System V ids the ipcrm way.
"$IPCX" stat "posixsem:/$T-ps" | grep -q "^url:      shm:/sem.$T-ps" || fail "stat posixsem:/$T-ps"
"$IPCX" rm -n -q "$QID" | grep -q "would remove sysvmq:?id=$QID" || fail "rm -n -q $QID"
"$IPCX" rm -v -q "$QID" -m "$MID" | grep -c "^removed" | grep -qx 2 || fail "rm -q ID -m ID"
"$IPCX" rm -s "$SID" || fail "rm -s $SID: exit $?"
"$IPCX" rm -v "posixsem:/$T-ps" | grep -q "removed shm:/sem.$T-ps" || fail "rm posixsem:"
"$IPCX" rm "sem:/$T-fs" || fail "rm sem:/$T-fs: exit $?"
while read -r u; do
    case $u in *"?id="* | "shm:/sem.$T-ps" | "shm:/$T-fs") continue ;; esac # removed above
    case $u in sysvsem:$KEY) continue ;; esac # the doorbell goes with its queue
    "$IPCX" rm "$u" 2>"$D/rm.err" || fail "rm $u: exit $? ($(cat "$D/rm.err"))"
done <"$D/ours"
"$IPCX" ls --json >"$D/after.json"
left=$(jq -r --arg t "$T" --arg k "$KEY" --arg k2 "$KEY2" '.objects[] |
    select((.url | contains($t)) or (.url | endswith($k)) or (.url | endswith($k2))) | .url' "$D/after.json")
[ -z "$left" ] || fail "rm left: $left"
for id in "-q $QID" "-m $MID" "-s $SID"; do
    ipcs ${id% *} -i ${id#* } 2>&1 | grep -q "not found" || fail "rm left System V id $id"
done
"$IPCX" rm "mq:/$T-q" 2>"$D/rm.err"; [ $? -eq 1 ] || fail "rm of a removed queue: not 1"
grep -q "no such object" "$D/rm.err" || fail "rm of nothing: $(cat "$D/rm.err")"

# ---- rm keeps its safety rules ---------------------------------------------
# A FIFO a live process holds open is left, and says why; -f removes it.
mkfifo "$D/busy"
sleep 60 <>"$D/busy" &
sp=$!
pids="$pids $sp"
"$IPCX" rm "fifo:$D/busy" 2>"$D/rm.err"; [ $? -eq 1 ] || fail "rm of a FIFO in use: not 1"
grep -q "in use by $sp/sleep (-f removes it anyway)$" "$D/rm.err" &&
    [ "$(wc -l <"$D/rm.err")" = 1 ] || fail "rm in use, not one line: $(cat "$D/rm.err")"
[ -p "$D/busy" ] || fail "rm removed a FIFO in use"
"$IPCX" rm -f "fifo:$D/busy" || fail "rm -f of a FIFO in use: exit $?"
[ -e "$D/busy" ] && fail "rm -f left the FIFO"
kill $sp; wait $sp 2>/dev/null
if [ "$(id -u)" = 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    mkdir -m 1777 "$D/t"
    setpriv --reuid=65534 --regid=65534 --clear-groups mkfifo "$D/t/nb" || fail "nobody's mkfifo"
    "$IPCX" rm "fifo:$D/t/nb" 2>"$D/rm.err"; [ $? -eq 1 ] || fail "root's rm of nobody's FIFO: not 1"
    grep -q "not yours: its owner is nobody (uid 65534) (-f removes" "$D/rm.err" &&
        [ "$(wc -l <"$D/rm.err")" = 1 ] || fail "rm not yours, not one line: $(cat "$D/rm.err")"
    [ -p "$D/t/nb" ] || fail "root's rm removed nobody's FIFO"
    "$IPCX" rm -f "fifo:$D/t/nb" || fail "rm -f of nobody's FIFO: exit $?"
    [ -e "$D/t/nb" ] && fail "rm -f left nobody's FIFO"
fi
# Usage: one line and the hint, exit 2; options anywhere; -- ends them.
"$IPCX" rm --bogus "mq:/$T-q" 2>"$D/u.err"; [ $? -eq 2 ] || fail "rm --bogus: not 2"
[ "$(wc -l <"$D/u.err")" = 2 ] && grep -q "unknown option '--bogus'" "$D/u.err" || fail "rm --bogus: $(cat "$D/u.err")"
"$IPCX" rm -q 2>/dev/null; [ $? -eq 2 ] || fail "rm -q without an id: not 2"
"$IPCX" rm -- -f 2>"$D/u.err"; [ $? -eq 1 ] || fail "rm -- -f: not a runtime error"
for c in ls stat gc rm; do
    "$IPCX" $c --help | grep -q "^Usage: ipcx $c" || fail "$c --help"
done
"$IPCX" stat "mq:/$T-q" --json 2>/dev/null; [ $? -eq 1 ] || fail "stat URL --json of nothing: not 1"
"$IPCX" gc --dry-run --bogus 2>/dev/null; [ $? -eq 2 ] || fail "gc --bogus: not 2"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "observe_cli: all checks passed"
