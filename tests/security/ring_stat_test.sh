#!/bin/sh
# ipcx stat reads another user's shm ring as a bystander (ipcx_ring_stat):
# whatever uid nobody writes into its segment, root's stat never crashes,
# hangs or believes impossible counts.  Nobody makes a ring, then
#  - overwrites everything after the checked layout (head, tail, counts,
#    participants) with random bytes: stat reports bounded numbers and
#    says "suspect" when the indices are impossible;
#  - replaces the whole file with random bytes: "not an ipcx ring";
#  - truncates and regrows the segment in a loop while root runs stat:
#    every stat ends with 0 or 1, never a signal (SIGBUS is guarded).
# Usage: ring_stat_test.sh PATH/TO/ipcx
T=ipcx-t-$$-rstat
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 is missing"; exit 77; }
R=$T-r
on_exit 'rm -f "/dev/shm/$R"'

# stat_ok WHAT: root's stat --json of the ring ends normally (0 or 1) and
# its output, if any, is valid JSON.
stat_ok() {
    returns 60 "$IPCX" stat --json "shm:/$R" >"$D/s.json" 2>"$D/s.err"
    rc=$?
    [ $rc -le 1 ] || fail "$1: stat ended with $rc (a signal?): $(cat "$D/s.err")"
    [ $rc -eq 0 ] && { jq -e . "$D/s.json" >/dev/null || fail "$1: stat --json does not parse"; }
    return $rc
}

# nobody's ring, left by a receiver killed with SIGKILL (mode 0644: root may
# read it anyway; nobody may write it).
$NOBODY "$IPCX" recv -t 60000 "shm:/$R?mode=spsc&perm=0644" >/dev/null 2>&1 &
p=$!
pids="$pids $p"
i=0
while [ $i -lt 400 ] && [ ! -s "/dev/shm/$R" ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $p; wait $p 2>/dev/null
on_exit "rm -f /dev/shm/ipcx-bell-*-*-$p-*" # its doorbells, if it made any
[ "$(stat -c %u "/dev/shm/$R")" = 65534 ] || fail "nobody's ring is not nobody's"
stat_ok "an honest ring" || fail "stat of nobody's ring failed: $(cat "$D/s.err")"
jq -e '.ring.mode == "spsc" and .ring.suspect == false and .owner == "nobody"' "$D/s.json" >/dev/null ||
    fail "honest ring: $(jq -c .ring "$D/s.json")"
size=$(stat -c %s "/dev/shm/$R")

# Forged shared words: random bytes from offset 128 (after the checked,
# checksummed layout) to the end of the participant table, 20 times.
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    python3 - "$D/forge" "$k" <<'PY' || fail "cannot make the forged bytes"
import os, random, sys
random.seed(int(sys.argv[2]))
n = 128 * 8 + 64 * 64
if int(sys.argv[2]) % 4 == 0:  # small numbers, near the real ones
    data = bytes(random.choice([0, 1, 16, 255]) for _ in range(n))
else:
    data = os.urandom(n)
open(sys.argv[1], "wb").write(data)
PY
    chmod 0644 "$D/forge"
    $NOBODY dd if="$D/forge" of="/dev/shm/$R" bs=128 seek=1 conv=notrunc status=none ||
        fail "nobody could not write its segment"
    stat_ok "forged words $k" || { fail "forged words $k: stat failed: $(cat "$D/s.err")"; continue; }
    python3 - "$D/s.json" <<'PY' || fail "forged words $k: counts not bounded: $(jq -c .ring "$D/s.json")"
import json, sys
r = json.load(open(sys.argv[1]))["ring"]
cap = r["capacity"]
ok = (r["messages"] <= cap // 16 and r["bytes"] <= cap and r["senders"] <= 64 and
      r["receivers"] <= 64 and len(r["participants"]) <= 64 and r["bells"] <= 64 and
      all(p["role"] in ("send", "recv") for p in r["participants"]))
sys.exit(0 if ok else 1)
PY
done

# Not a ring at all.
$NOBODY sh -c "head -c $size /dev/urandom >'/dev/shm/$R'" || fail "nobody could not rewrite its segment"
stat_ok "random bytes" || fail "random bytes: stat failed: $(cat "$D/s.err")"
jq -e '.ring.error | test("not an ipcx ring|checksum|version")' "$D/s.json" >/dev/null ||
    fail "random bytes: $(jq -c .ring "$D/s.json")"

# A segment that shrinks and grows under the look.
$NOBODY "$IPCX" recv -t 60000 "shm:/$R-g?mode=spsc&perm=0644" >/dev/null 2>&1 &
p=$!
pids="$pids $p"
on_exit 'rm -f "/dev/shm/$R-g"'
i=0
while [ $i -lt 400 ] && [ ! -s "/dev/shm/$R-g" ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $p; wait $p 2>/dev/null
on_exit "rm -f /dev/shm/ipcx-bell-*-*-$p-*"
gsize=$(stat -c %s "/dev/shm/$R-g")
cp "/dev/shm/$R-g" "$D/ring.img"
chmod 0644 "$D/ring.img"
$NOBODY sh -c "while :; do truncate -s 4096 '/dev/shm/$R-g'; cat '$D/ring.img' >'/dev/shm/$R-g'; done" &
tp=$!
pids="$pids $tp"
n=0
while [ $n -lt 40 ]; do
    returns 60 "$IPCX" stat --json "shm:/$R-g" >/dev/null 2>"$D/g.err"
    rc=$?
    [ $rc -le 1 ] || fail "stat of a shrinking ring ended with $rc: $(cat "$D/g.err")"
    n=$((n + 1))
done
kill $tp; wait $tp 2>/dev/null
[ "$gsize" -gt 4096 ] || fail "the ring was not larger than what it was cut to"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ring_stat: all checks passed"
