#!/bin/sh
# A short run of `ipcx bench` (tiny counts): it runs, every message passes
# verification, and the JSON and CSV it writes parse and hold a row for
# every transport asked for, and for each peer library the build has
# (PEER: zeromq, nng; opened with dlopen at run time).  The command itself
# must not be linked against a peer library: `ipcx send` and `recv` run
# where none is installed.  The output: no progress line when stderr is no
# terminal and a counter when it is; a unit in every column's header and
# only numbers below; no column without a figure (--no-refs has no ratio
# columns); the SVG on a white background with a latency and a throughput
# chart, ipcx's bars in another colour than the references'; options after
# the operands count, an unknown operand is an error.  It never checks a speed.
set -u
IPCX=${1:?usage: bench_smoke.sh PATH/TO/ipcx [PEER...]}
shift
PEERS="$*"
D=$(mktemp -d /tmp/ipcx-t-$$-bench.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT INT TERM
if command -v ldd >/dev/null 2>&1; then
    if ldd "$IPCX" | grep -E 'libzmq|libnng'; then
        echo "FAIL: $IPCX is linked against a peer library (above); bench must dlopen it"
        exit 1
    fi
else
    echo "bench smoke: no ldd here, the link check is skipped"
fi
PLOT=""
command -v gnuplot >/dev/null 2>&1 && PLOT="--plot $D/b.svg"
# Options after the operands (as every GNU command takes them); stderr is a file here.
"$IPCX" bench -n 50 pipe fifo unix tcp --json "$D/b.json" --csv "$D/b.csv" $PLOT >"$D/table.md" 2>"$D/err"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: ipcx bench exited $rc"; cat "$D/err"; exit 1
fi
if grep -q "$(printf '\r')" "$D/err" || grep -q '\[[0-9]*/[0-9]*\]' "$D/err"; then
    echo "FAIL: a progress line went to stderr, which is no terminal:"; cat -A "$D/err"; exit 1
fi
"$IPCX" bench -n 20 pipe bogus >/dev/null 2>"$D/err2"
[ $? -eq 2 ] && grep -q "'bogus'" "$D/err2" || { echo "FAIL: an unknown operand is not a usage error"; cat "$D/err2"; exit 1; }
"$IPCX" bench -n 20 -q --no-refs pipe >"$D/norefs.md" 2>"$D/err3" || { echo "FAIL: --no-refs"; cat "$D/err3"; exit 1; }
# On a terminal (script(1) gives it one) the progress line has its counter.
if command -v script >/dev/null 2>&1; then
    script -qec "$IPCX bench -n 20 --no-refs pipe 2>&1 >/dev/null" "$D/tty.log" >/dev/null 2>&1
    grep -q '\[1/[0-9]*\] ipcx pipe' "$D/tty.log" ||
        { echo "FAIL: no progress counter on a terminal:"; cat -A "$D/tty.log" | head; exit 1; }
else
    echo "bench smoke: no script(1) here, the terminal check is skipped"
fi
python3 - "$D/table.md" "$D/norefs.md" <<'PY' || exit 1
import re, sys
def table(path):
    rows = [l.strip() for l in open(path) if l.startswith("|")]
    cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
    return cells[0], [c for c in cells[2:]]
for path in sys.argv[1:]:
    head, body = table(path)
    for i, h in enumerate(head[1:], 1):
        assert re.search(r"\((us|x)\)$|msgs/s$|GB/s$", h), f"{path}: column {h!r} names no unit"
        col = [r[i] for r in body if len(r) == len(head)]
        assert all(re.fullmatch(r"-|\d+(\.\d+)?", c) for c in col), f"{path}: {h!r} holds {col}"
        assert any(c != "-" for c in col), f"{path}: column {h!r} has no figure: {col}"
    assert all(len(r) == len(head) for r in body), f"{path}: rows of another width"
head, body = table(sys.argv[2])
assert not any("raw" in h or "floor" in h or "peer" in h for h in head), f"--no-refs: {head}"
assert [r[0] for r in body] == ["ipcx pipe", "ipcx pipe, sigpipe=ignored", "ipcx fifo",
                               "ipcx fifo, sigpipe=ignored", "ipcx pipe, sigpipe=ignored, recvv",
                               "ipcx pipe, batched"], \
    f"--no-refs rows: {[r[0] for r in body]}"
PY
if [ -n "$PLOT" ]; then
    svg=$D/b.svg
    grep -q '<rect x="0" y="0" width="[0-9]*" height="[0-9]*" fill="#ffffff"/>' "$svg" ||
        { echo "FAIL: the SVG has no white background"; exit 1; }
    grep -q "round trip" "$svg" && grep -q "one-way throughput" "$svg" ||
        { echo "FAIL: the SVG lacks the latency or the throughput chart"; exit 1; }
    # ipcx's bars are 0x2166ac (dark blue), the references' 0x969696 (grey): gnuplot writes rgb( 33, 102, 172).
    grep -Eq 'rgb\( *33, *102, *172\)' "$svg" && grep -Eq 'rgb\( *150, *150, *150\)' "$svg" ||
        { echo "FAIL: ipcx's bars and the references' are not told apart"; exit 1; }
else
    echo "bench smoke: no gnuplot here, the chart is not checked"
fi
python3 - "$D/b.json" "$D/b.csv" $PEERS <<'PY' || exit 1
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = {r["name"]: r for r in d["results"]}
want = ["ipcx pipe", "ipcx pipe, sigpipe=ignored", "ipcx fifo", "ipcx fifo, sigpipe=ignored",
        "ipcx pipe, sigpipe=ignored, recvv", "ipcx pipe, batched", "ipcx unix", "ipcx unix, recvv",
        "ipcx unix, batched", "ipcx unix, corked", "ipcx tcp", "ipcx tcp, batched",
        "raw pipe", "raw unix", "raw tcp"]
peer_rows = {"zeromq": ["zeromq pair ipc", "zeromq pair tcp"], "nng": ["nng pair0 ipc", "nng pair0 tcp"]}
for p in sys.argv[3:]:
    want += peer_rows[p]
missing = [w for w in want if w not in rows]
assert not missing, f"rows missing from the JSON: {missing}"
for r in d["results"]:
    assert not r["failed"], f"{r['name']} failed"
    assert r["errors"] == 0, f"{r['name']}: {r['errors']} messages failed verification"
    assert r["rtt_small"]["p50_ns"] > 0 and r["rtt_small"]["p99_ns"] >= r["rtt_small"]["p50_ns"], r
    assert r["msgs_per_s_small"] > 0 and r["gbps_large"] > 0, r
assert d["floor"]["cacheline_rtt"]["p50_ns"] > 0
c = list(csv.DictReader(open(sys.argv[2])))
assert len(c) == len(d["results"]), "CSV and JSON disagree"
print(f"bench smoke: {len(c)} rows verified")
PY
grep -q '^| ipcx unix |' "$D/table.md" || { echo "FAIL: no table row for ipcx unix"; exit 1; }
