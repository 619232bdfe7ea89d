#!/usr/bin/env bash
# run_demo.sh IPCX EXPECT NAME [ARG...] - run `ipcx demo NAME ARG...` and
# check what it says of itself:
#   - `ipcx demo` lists NAME with a summary and a seed;
#   - `ipcx demo NAME --help` prints a usage that names NAME;
#   - the run's last line on stdout is "verdict: ok ..." (EXPECT=ok, exit
#     status 0) or "verdict: FAILED ..." (EXPECT=FAILED, exit status 1: a
#     negative test, e.g. --inject-bug, whose checker must catch the bug);
#   - the demo leaves no process behind (its process group is empty after)
#     and no object named ipcx-NAME-PID... in /tmp, /dev/shm, /dev/mqueue.
# Output is kept in the test log.
set -u
ipcx=${1:?usage: run_demo.sh IPCX EXPECT NAME [ARG...]}
expect=${2:?}
name=${3:?}
shift 3
fail() { echo "FAIL: $name: $*"; exit 1; }

"$ipcx" demo | grep -Eq "^  $name +[^ ].*\(.+\)$" || fail "not listed by 'ipcx demo' with a summary and a seed"
"$ipcx" demo "$name" --help | grep -q "$name" || fail "--help does not name the demo"

out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
# setsid: the demo and all it forks are one process group, checked below.
setsid "$ipcx" demo "$name" "$@" >"$out" 2>&1 &
pid=$!
wait "$pid"
rc=$?
cat "$out"
verdict=$(grep '^verdict: ' "$out" | tail -n 1)
left=$(pgrep -g "$pid" 2>/dev/null | tr '\n' ' ')
if [ -n "$left" ]; then
    pkill -KILL -g "$pid" 2>/dev/null
    fail "processes left behind: $left"
fi
# Named objects: a demo names what it creates ipcx-NAME-PID... (demo.h),
# in /tmp, /dev/shm or /dev/mqueue.  One whose PID is not running was left
# behind (by this run or an earlier one); it is reported and removed.
# Objects of a run still going (another build's suite) are left alone.
stale=""
for f in /tmp/ipcx-"$name"-[0-9]* /dev/shm/ipcx-"$name"-[0-9]* /dev/mqueue/ipcx-"$name"-[0-9]*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    owner=$(basename "$f" | sed -n "s/^ipcx-$name-\([0-9][0-9]*\).*/\1/p")
    [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
    # Looked again after the owner is known dead: a run that removed its
    # objects and ended between the listing and kill -0 left nothing.
    [ -e "$f" ] || [ -L "$f" ] || continue
    stale="$stale $f"
    rm -rf -- "$f"
done
[ -z "$stale" ] || fail "IPC objects left behind:$stale"
case $expect in
ok)     [ "$rc" -eq 0 ] || fail "exit status $rc, wanted 0"
        [[ $verdict == "verdict: ok"* ]] || fail "no 'verdict: ok' line (got '${verdict}')" ;;
FAILED) [ "$rc" -eq 1 ] || fail "exit status $rc, wanted 1 (the checker must catch the injected bug)"
        [[ $verdict == "verdict: FAILED"* ]] || fail "no 'verdict: FAILED' line (got '${verdict}')" ;;
*)      fail "EXPECT is ok or FAILED, not $expect" ;;
esac
echo "PASS: $name $*: $verdict"
