#!/usr/bin/env bash
# classics_kill.sh IPCX - a classic whose child is SIGKILLed mid-run stops
# with "verdict: FAILED ... killed by signal 9" (exit 1) instead of waiting
# for the dead: the survivors are killed, no process and no semaphore set
# (key 79<pid>) is left.  The moment of the kill is whatever it is: the
# demo must cope with any (a lock or a token held, a buffer full, ...).
set -u
ipcx=${1:?usage: classics_kill.sh IPCX}
. "$(dirname "$0")/classics_lib.sh"

kill_one() { # NTH-CHILD DEMO ARG...
    local nth=$1 children
    shift
    : >"$out"
    setsid "$ipcx" demo "$@" >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        children=$(pgrep -P "$pid" | sort -n)
        [ "$(echo "$children" | grep -c .)" -ge "$nth" ] && break
        kill -0 "$pid" 2>/dev/null || fail "$1 ended before a child was killed"
        sleep 0.1
    done
    victim=$(echo "$children" | sed -n "${nth}p")
    [ -n "$victim" ] || fail "$1: no child $nth within 60 s"
    sleep 0.3
    kill -KILL "$victim" 2>/dev/null || fail "$*: child $victim ended before it was killed (make the run longer)"
    wait "$pid"
    rc=$?
    verdict=$(grep '^verdict: ' "$out" | tail -n 1)
    [ "$rc" -eq 1 ] || fail "$*: status $rc after its child was killed, wanted 1"
    [[ $verdict == "verdict: FAILED"*"killed by signal 9"* ]] || fail "$*: verdict '$verdict'"
    left=$(pgrep -g "$pid" 2>/dev/null | tr '\n' ' ')
    [ -z "$left" ] || fail "$*: processes left behind: $left"
    has_set "79$pid" && fail "$*: left its semaphore set 79$pid behind"
    echo "ok: $* with child $nth killed: $verdict"
    pid=
}

kill_one 1 race --lock sem --count 100000000
kill_one 2 race --lock tas --count 100000000
kill_one 2 race --lock sysvsem --count 100000000
kill_one 1 prodcons --variant sem --items 1000000
kill_one 3 prodcons --variant monitor --items 1000000
kill_one 3 philosophers --strategy waiter --meals 1000000
# prefer-readers: the readers' stream runs for its million reads while the
# first writer waits (the other policies let the writers through quickly).
kill_one 1 readers-writers --prefer readers --reads 1000000 --writes 1000000
kill_one 3 readers-writers --prefer readers --reads 1000000 --writes 1000000
echo "PASS: a classic whose child was killed says FAILED and cleans up"
