#!/bin/sh
# A short run of `ipcx bench` (tiny counts): it runs, every message passes
# verification, and the JSON and CSV it writes parse and hold a row for
# every transport asked for, and for each peer library the build has
# (PEER: zeromq, nng; opened with dlopen at run time).  The command itself
# must not be linked against a peer library: `ipcx send` and `recv` run
# where none is installed.  It never checks a speed.
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
"$IPCX" bench -q -n 50 --json "$D/b.json" --csv "$D/b.csv" pipe fifo unix tcp >"$D/table.md" 2>"$D/err"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: ipcx bench exited $rc"; cat "$D/err"; exit 1
fi
python3 - "$D/b.json" "$D/b.csv" $PEERS <<'PY' || exit 1
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = {r["name"]: r for r in d["results"]}
want = ["ipcx pipe", "ipcx fifo", "ipcx unix", "ipcx tcp", "raw pipe", "raw unix", "raw tcp"]
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
