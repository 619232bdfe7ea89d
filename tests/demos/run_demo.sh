#!/usr/bin/env bash
# run_demo.sh IPCX EXPECT NAME [ARG...] - run `ipcx demo NAME ARG...` and
# check what it says of itself:
#   - `ipcx demo` lists NAME with a summary and a seed;
#   - `ipcx demo NAME --help` prints a usage "Usage: ipcx demo NAME ...", and
#     a bad option gives one line and the hint "Try 'ipcx demo NAME --help'.";
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
"$ipcx" demo "$name" --help | grep -q "^Usage: ipcx demo $name " || fail "--help does not say 'Usage: ipcx demo $name'"
# A usage error: two lines, the second the hint a user can type.
err=$("$ipcx" demo "$name" --no-such-option 2>&1)
[ $? -eq 2 ] && [ "$(printf '%s\n' "$err" | tail -n 1)" = "Try 'ipcx demo $name --help'." ] &&
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 2 ] || fail "a bad option said '$err'"

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
# in /tmp, /dev/shm or /dev/mqueue, PID the demo's own (ipcx demo execs
# it: $pid).  What this run left is reported and removed; objects of other
# runs (another test, another user, a suite still going) are not ours to
# judge or remove, so they are not looked at.
stale=""
for d in /tmp /dev/shm /dev/mqueue; do
  for f in "$d/ipcx-$name-$pid" "$d/ipcx-$name-$pid"[!0-9]*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    stale="$stale $f"
    rm -rf -- "$f"
  done
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
