#!/bin/sh
# `ipcx bench --sweep` with a tiny count (it never checks a speed): it runs
# and exits 0, so every message of every point passed verification; the
# CSV has the expected columns and one row per point of each figure (sizes
# 64 B to 4 MiB of each series, mq only up to msgsize_max, 1..256 senders,
# 1..16 subscribers, 1..4 x 1..4 mpmc), each with 0 errors and the count
# of messages its figure sends (a lost or doubled one changes it); the
# Markdown tables and, when gnuplot is here, the SVGs are written (white
# background, axis labels with units); afterwards no process of its session
# is left and no IPC object it made is left in /dev/shm, /dev/mqueue or /tmp.
# PEER (zeromq) when the build has ZeroMQ: its series must be there.
set -u
IPCX=${1:?usage: bench_sweep.sh PATH/TO/ipcx [PEER...]}
shift
PEERS="$*"
D=$(mktemp -d /tmp/ipcx-t-$$-sweep.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT INT TERM
touch "$D/stamp"
sleep 1 # -newer compares whole seconds on some file systems
# Its own session, so that whatever it leaves running can be found.
setsid sh -c 'echo $$ >"$1/sid"; exec "$2" bench --sweep -n 10 -q --out "$1/out" >"$1/stdout" 2>"$1/stderr"' \
    sh "$D" "$IPCX"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: ipcx bench --sweep exited $rc"; cat "$D/stderr"; exit 1
fi
sid=$(cat "$D/sid")
sleep 0.2
if pgrep -s "$sid" >/dev/null 2>&1; then
    echo "FAIL: processes of the sweep are left:"; pgrep -a -s "$sid"
    pkill -KILL -s "$sid"
    exit 1
fi
# Names bench makes are ipcx-b-<pid>-...; any made during this run whose
# process is gone is a leak (others' live runs are left alone).
for f in $(find /dev/shm /dev/mqueue /tmp -maxdepth 1 -name 'ipcx-b-*' -newer "$D/stamp" 2>/dev/null); do
    pid=$(basename "$f" | sed -n 's/^ipcx-b-\([0-9]*\).*/\1/p')
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: the sweep left $f"; exit 1
    fi
done
want_zmq=0
case " $PEERS " in *" zeromq "*) want_zmq=1 ;; esac
gnuplot=0
command -v gnuplot >/dev/null 2>&1 && gnuplot=1
python3 - "$D/out" "$want_zmq" "$gnuplot" <<'PY' || exit 1
import csv, os, sys
out, want_zmq, gnuplot = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
cols = ["figure", "series", "kind", "x", "rtt_p50_ns", "rtt_p99_ns", "msgs_per_s", "mb_per_s",
        "count", "errors", "failed"]
rows = list(csv.DictReader(open(os.path.join(out, "sweep.csv"))))
assert list(rows[0].keys()) == cols, f"columns {list(rows[0].keys())}"
for r in rows:
    assert r["errors"] == "0" and r["failed"] == "0", f"a point failed: {r}"
    assert float(r["msgs_per_s"]) > 0, f"no rate: {r}"
def points(fig, series=None):
    return [r for r in rows if r["figure"] == fig and (series is None or r["series"] == series)]
sizes = [64 << (2 * k) for k in range(9)]
mqmax = int(open("/proc/sys/fs/mqueue/msgsize_max").read())
rtts, flood = 10, 100   # -n 10: floods of 10 x 10
def scaled(n, size):
    v = int(n * 4096 / size) if size > 4096 else n
    return max(v, 20)
series = ["ipcx shm spsc", "ipcx shm spsc, loan", "ipcx unix", "ipcx pipe", "ipcx mq",
          "raw unix", "raw pipe", "raw mq"] + (["zeromq pair ipc"] if want_zmq else [])
for s in series:
    got = points("size", s)
    limit = mqmax if s == "ipcx mq" else 8192 if s == "raw mq" else 1 << 30
    want = [z for z in sizes if z <= limit]
    assert [int(r["x"]) for r in got] == want, f"{s}: sizes {[r['x'] for r in got]}"
    for r in got:
        z = int(r["x"])
        assert int(r["count"]) == scaled(rtts, z) + scaled(flood, z), f"{s} {z}: count {r['count']}"
        assert float(r["rtt_p50_ns"]) > 0 and float(r["rtt_p99_ns"]) >= float(r["rtt_p50_ns"]), r
    assert (got[0]["kind"] == "ipcx") == s.startswith("ipcx"), got[0]
got = points("senders")
assert [int(r["x"]) for r in got] == [1, 4, 16, 64, 256], got
for r in got:
    n = int(r["x"])
    assert int(r["count"]) == n * max(10, flood // n), r
for line in ["per subscriber", "all subscribers together"]:
    got = points("bcast", "ipcx shm bcast, " + line)
    assert [int(r["x"]) for r in got] == [1, 2, 4, 8, 16], got
    for r in got:
        assert int(r["count"]) == int(r["x"]) * flood, r
per, together = points("bcast", "ipcx shm bcast, per subscriber"), points("bcast", "ipcx shm bcast, all subscribers together")
for a, b in zip(per, together):
    assert abs(float(a["msgs_per_s"]) * int(a["x"]) - float(b["msgs_per_s"])) <= int(a["x"]), (a, b)
got = points("mpmc")
assert len(got) == 16, got
for c in range(1, 5):
    line = points("mpmc", f"ipcx shm mpmc, {c} consumer" + ("s" if c > 1 else ""))
    assert [int(r["x"]) for r in line] == [1, 2, 3, 4], line
    for r in line:
        p = int(r["x"])
        assert int(r["count"]) == p * max(10, flood // p), r
for fig in ["size", "senders", "bcast", "mpmc"]:
    per = list(csv.DictReader(open(os.path.join(out, fig + ".csv"))))
    assert per == points(fig), f"{fig}.csv differs from sweep.csv's rows"
    md = open(os.path.join(out, fig + ".md")).read()
    assert md.startswith("### ") and "|---" in md, f"{fig}.md: {md[:200]}"
svgs = {"size-rtt": ("round trip (us)", "message size (bytes)"),
        "size-throughput": ("throughput (messages/s)", "message size (bytes)"),
        "senders": ("(messages/s)", "sender processes"), "bcast": ("(messages/s)", "subscribers"),
        "mpmc": ("(messages/s)", "producer processes")}
for s, labels in svgs.items():
    p = os.path.join(out, s + ".svg")
    if not gnuplot:
        assert not os.path.exists(p), f"{p} without gnuplot"
        continue
    t = open(p).read()
    assert "<svg" in t and "</svg>" in t, f"{p}: no whole SVG"
    assert '<rect x="0" y="0"' in t and 'fill="#ffffff"' in t, f"{p}: no white background"
    assert "64 B" in t or not s.startswith("size"), f"{p}: no size tick labels"
    for label in labels:
        assert label in t, f"{p}: no axis label {label!r}"
PY
grep -q "msgsize_max" "$D/out/size.md" || { echo "FAIL: size.md does not say where mq stops"; exit 1; }
[ -s "$D/stdout" ] || { echo "FAIL: nothing on stdout"; exit 1; }
# Usage: operands do not go with --sweep.
"$IPCX" bench --sweep unix >/dev/null 2>"$D/err2"
[ $? -eq 2 ] || { echo "FAIL: an operand with --sweep is no usage error"; cat "$D/err2"; exit 1; }
echo "bench sweep: ok"
