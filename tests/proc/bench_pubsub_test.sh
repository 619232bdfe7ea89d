#!/bin/sh
# `ipcx bench pubsub` (tools/bench/pubsub.c) with tiny counts: it runs, its
# table holds every row (ipcx shm: and unix:, and ZeroMQ when the build has
# it: PEER zeromq) for 1, 4 and 16 subscribers, each measured (a row whose
# subscribers got a message missing, out of order or damaged fails the
# run), a unit in every header and only numbers below.  Then the peers
# die: a subscriber SIGKILLed mid-row fails its row (said on stderr, the
# run goes on, nothing hangs), and ipcx bench SIGKILLed mid-row takes
# every process of its tree with it.  Nothing of it is left in /dev/shm or /tmp.  It never
# checks a speed.
# Usage: bench_pubsub_test.sh PATH/TO/ipcx [PEER...]
T=ipcx-t-$$-psb
. "$(dirname "$0")/../lib.sh"
shift
PEERS="$*"

# What a pub/sub row makes: /dev/shm/ipcx-b-PID-ps (the ring) and /tmp/ipcx-b-PID-ps.zmq.
leftovers() { ls -d /dev/shm/*ipcx-b-*-ps* /tmp/ipcx-b-*-ps* 2>/dev/null | sort; }
leftovers >"$D/left0"
# Every descendant of pid $1.
tree() {
    for c in $(pgrep -P "$1"); do
        echo "$c"
        tree "$c"
    done
}
# Wait (at most 10 s) until none of the pids in file $1 lives.
all_gone() {
    for _ in $(seq 100); do
        alive=""
        for p in $(cat "$1"); do
            st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
            case $st in Z*) ;; *) alive="$alive $p" ;; esac
        done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
    echo "  still running:$alive"
    return 1
}

# 1. A short run, every row there and measured.
"$IPCX" bench -q -n 200 pubsub >"$D/table.md" 2>"$D/err"
rc=$?
[ $rc -eq 0 ] || { fail "ipcx bench -n 200 pubsub exited $rc"; cat "$D/err"; }
python3 - "$D/table.md" $PEERS <<'PY' || fails=$((fails + 1))
import re, sys
rows = [l.strip() for l in open(sys.argv[1]) if l.startswith("|")]
cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
head, body = cells[0], cells[2:]
names = ["ipcx shm: bcast", "ipcx unix: fan-out"] + (["zeromq xpub/sub ipc"] if "zeromq" in sys.argv[2:] else [])
want = [(n, str(k)) for n in names for k in (1, 4, 16)]
got = [(r[0], r[1]) for r in body]
assert got == want, f"rows {got}, want {want}"
for h in head[2:]:
    assert re.search(r"\((us|x)\)$|msgs/s$", h), f"column {h!r} names no unit"
for r in body:
    assert len(r) == len(head), f"row of another width: {r}"
    assert not any(c.startswith("failed") for c in r), f"a row failed: {r}"
    for h, c in zip(head[2:], r[2:]):
        ok = re.fullmatch(r"\d+(\.\d+)?", c) or (c == "-" and "zeromq" in h and r[0].startswith("zeromq"))
        assert ok, f"{r[0]} x{r[1]}: {h!r} holds {c!r}"
    assert float(r[2]) > 0, r
print(f"bench pubsub: {len(body)} rows measured")
PY

# 2. A subscriber SIGKILLed mid-row: the row fails, the run ends with 1.
"$IPCX" bench -q -n 1000000 pubsub >"$D/kill1.md" 2>"$D/kill1.err" &
bench=$!
pids="$pids $bench"
victim=""
for _ in $(seq 300); do
    # ipcx bench -> the measuring process -> its subscribers
    for m in $(pgrep -P $bench); do
        victim=$(pgrep -P "$m" | head -n 1)
        [ -n "$victim" ] && break
    done
    [ -n "$victim" ] && break
    sleep 0.1
done
if [ -z "$victim" ]; then
    fail "no subscriber process appeared"
else
    # Whenever it dies (setting up or receiving), its row must fail; the
    # run goes on with the next rows, so wait only for the report.
    kill -9 "$victim"
    for _ in $(seq 300); do
        grep -q "ipcx bench: " "$D/kill1.err" && break
        kill -0 $bench 2>/dev/null || break
        sleep 0.1
    done
    grep -q "ipcx bench: ipcx shm: bcast to 1" "$D/kill1.err" ||
        fail "the row whose subscriber was killed did not fail: $(cat "$D/kill1.err")"
fi

# 3. ipcx bench SIGKILLed mid-row: its whole tree ends.
if kill -0 $bench 2>/dev/null; then
    tree $bench >"$D/tree"
    [ -s "$D/tree" ] || fail "ipcx bench had no processes of its own to check"
    kill -9 $bench
    wait $bench 2>/dev/null
    all_gone "$D/tree" || fail "processes of ipcx bench outlived its SIGKILL"
else
    fail "ipcx bench ended before it could be killed"
fi

for _ in $(seq 100); do
    leftovers >"$D/left1"
    cmp -s "$D/left0" "$D/left1" && break
    sleep 0.1
done
cmp -s "$D/left0" "$D/left1" || fail "left behind: $(comm -13 "$D/left0" "$D/left1")"
[ $fails -eq 0 ] && echo "bench pubsub: rows verified, a killed subscriber fails its row, nothing left"
[ $fails -eq 0 ]
