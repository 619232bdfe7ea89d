#!/bin/sh
# bench/perf_page.sh --dry-run (it measures nothing, so it never checks a
# speed): the page it writes has the header (date, commit, machine, load
# average before and after), a heading and a command for every area, and
# every section of the hand-written notes verbatim under its area (a
# rerun never loses an explanation); notes of a test file with a marked
# line show up in the right place; a missing notes file is an error.
set -u
SRC=${1:?usage: perf_page_test.sh SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: perf_page_test.sh SOURCE_DIR BUILD_DIR}
D=$(mktemp -d /tmp/ipcx-t-$$-perfpage.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT INT TERM
sh "$SRC/bench/perf_page.sh" --dry-run "$BUILD" "$D/PERF.md" 2>"$D/err" ||
    { echo "FAIL: the dry run exited $?"; cat "$D/err"; exit 1; }
[ ! -e "$D/perf" ] || { echo "FAIL: a dry run copied plots"; exit 1; }
python3 - "$D/PERF.md" "$SRC/docs/perf-notes.md" <<'PY' || exit 1
import re, sys
page, notes = open(sys.argv[1]).read(), open(sys.argv[2]).read()
for key in ["| date | ", "| commit | ", "| machine | ", "| load average before", "| load average after | "]:
    assert key in page, f"no {key!r} in the header"
assert "@LOAD_AFTER@" not in page
headings = {
    "transports": "## Every transport: `ipcx bench`",
    "reqrep": "## Request/reply: `ipcx bench reqrep`",
    "pubsub": "## Publish/subscribe: `ipcx bench pubsub`",
    "sync": "## Synchronisation primitives: `sync_bench`",
    "shm": "## Shared-memory ring: `shm_bench`",
    "curves": "## Curves: `ipcx bench --sweep`",
    "demos": "## Demos that time something",
}
pos = [page.find(h + "\n") for h in headings.values()]
assert all(p >= 0 for p in pos), f"missing headings: {[h for h, p in zip(headings.values(), pos) if p < 0]}"
assert pos == sorted(pos), "areas out of order"
assert len(re.findall(r"^Command: ", page, re.M)) >= 9, "an area has no command"
for want in ["ipcx bench -q -n 10000`", "ipcx bench -q -n 10000 reqrep",
             "ipcx bench -q -n 10000 pubsub", "sync_bench 20000",
             "shm_bench 100000", "bench --sweep -q -n 10000 --out"]:
    assert want in page, f"no command {want!r}"
# The notes: each area's section verbatim, under its own heading.
sections = re.split(r"^<!-- area: ([a-z-]+) -->$\n", notes, flags=re.M)[1:]
assert len(sections) >= 16, "too few note sections"
order = list(headings)
for area, text in zip(sections[::2], sections[1::2]):
    text = text.strip()
    at = page.find(text)
    assert at >= 0, f"the notes of {area} are not in the page verbatim"
    if area in headings:
        i = order.index(area)
        assert at > page.find(headings[area]), f"notes of {area} before its heading"
        if i + 1 < len(order):
            assert at < page.find(headings[order[i + 1]]), f"notes of {area} after the next area"
PY
# A notes file of one's own: a marked section lands under its area, nothing else.
printf '<!-- area: sync -->\nA NOTE ABOUT SYNC\n<!-- area: shm -->\nA NOTE ABOUT SHM\n' >"$D/notes.md"
PERF_NOTES="$D/notes.md" sh "$SRC/bench/perf_page.sh" --dry-run "$BUILD" "$D/P2.md" 2>/dev/null ||
    { echo "FAIL: the dry run with other notes"; exit 1; }
awk '/^## Synchronisation/ { s = 1 } /^## Shared-memory/ { s = 2 } /A NOTE ABOUT SYNC/ { a = s } /A NOTE ABOUT SHM/ { b = s }
     END { exit !(a == 1 && b == 2) }' "$D/P2.md" || { echo "FAIL: notes in the wrong area"; exit 1; }
if grep -q "Figures are measured" "$D/P2.md"; then
    echo "FAIL: notes from another file leaked in"; exit 1
fi
PERF_NOTES="$D/none.md" sh "$SRC/bench/perf_page.sh" --dry-run "$BUILD" "$D/P3.md" 2>/dev/null
[ $? -eq 2 ] && [ ! -e "$D/P3.md" ] || { echo "FAIL: a missing notes file is no error"; exit 1; }
echo "perf page: ok"
