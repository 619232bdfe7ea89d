#!/bin/sh
# IPCX_SHM_WAITS=FILE: every participant of a shm ring appends one line of
# wait counts to FILE when it leaves (src/shm/ring_wait.c); bench/shm_bench
# and docs/PERF.md ("The shm tail") read them.  A receiver and a sender in
# two processes (ipcx recv, ipcx send): one well-formed line each, with its
# own pid and end, and counts that agree with each other (a futex wait has
# a cause, each cause counts a slow wait, a timed-out slice is a futex wait);
# with spin=0 every sleep is "no budget".  Without the variable, no file.
set -u
IPCX=${1:?usage: shm_waits_test.sh IPCX}
D=$(mktemp -d /tmp/ipcx-t-$$-waits.XXXXXX) || exit 1
N=/ipcx-t-$$-waits
trap 'rm -rf "$D"; rm -f /dev/shm$N' EXIT

# run URL: a receiver of 3 messages, then a sender of 3, both with IPCX_SHM_WAITS.
run() {
    IPCX_SHM_WAITS=$D/w "$IPCX" recv -n 3 "$1" >"$D/out" 2>"$D/err" &
    rx=$!
    i=0
    while [ ! -e /dev/shm$N ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    IPCX_SHM_WAITS=$D/w "$IPCX" send "$1" a b c || { echo "FAIL: send on $1"; exit 1; }
    wait $rx || { echo "FAIL: recv on $1"; cat "$D/err"; exit 1; }
    [ "$(cat "$D/out")" = "a
b
c" ] || { echo "FAIL: recv on $1 printed:"; cat "$D/out"; exit 1; }
    echo "$rx"
}

check() { # FILE RXPID SPIN0
    python3 - "$@" <<'PY' || exit 1
import re, sys
path, rxpid, spin0 = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
lines = open(path).read().splitlines()
pat = re.compile(r"pid=(\d+) end=(rx|tx) slow=(\d+) nospin=(\d+) low=(\d+) spent=(\d+) futex=(\d+) slices=(\d+)$")
ends = {}
for l in lines:
    m = pat.match(l)
    assert m, f"a malformed line: {l!r}"
    pid, end = int(m[1]), m[2]
    slow, nospin, low, spent, futex, slices = map(int, m.groups()[2:])
    assert nospin + low + spent <= slow, f"more sleeps by cause than slow waits: {l}"
    assert slices <= futex, f"more timed-out slices than futex waits: {l}"
    # (a wait with a cause may find the message in its last look and never enter the futex)
    assert futex == 0 or nospin + low + spent > 0, f"a futex wait without a cause: {l}"
    if spin0:
        assert low == 0 and spent == 0, f"spin=0 but a sleep after spinning: {l}"
    ends.setdefault(end, []).append(pid)
assert len(ends.get("rx", [])) == 1 and ends["rx"][0] == rxpid, f"receiver lines: {ends}"
assert len(ends.get("tx", [])) == 1 and ends["tx"][0] != rxpid, f"sender lines: {ends}"
PY
}

rx=$(run "shm:$N?mode=spsc") || exit 1
check "$D/w" "$rx" 0
rm -f "$D/w"
rx=$(run "shm:$N?mode=spsc&spin=0") || exit 1
check "$D/w" "$rx" 1
rm -f "$D/w"
"$IPCX" recv -n 1 -t 1 "shm:$N?mode=spsc" >/dev/null 2>&1 # times out: a wait, no variable
[ ! -e "$D/w" ] || { echo "FAIL: a file without IPCX_SHM_WAITS"; exit 1; }
echo "shm_waits: ok"
