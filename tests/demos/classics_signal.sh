#!/usr/bin/env bash
# classics_signal.sh IPCX - a classic demo with a System V semaphore set
# (key 79<pid>), interrupted while it runs, removes the set and leaves no
# process behind: philosophers by SIGTERM, race --lock sysvsem by SIGINT.
set -u
ipcx=${1:?usage: classics_signal.sh IPCX}
. "$(dirname "$0")/classics_lib.sh"

[ -r /proc/sysvipc/sem ] || { echo "SKIP: no /proc/sysvipc/sem"; exit 77; }

interrupt() { # SIGNAL STATUS-WANTED READY-PATTERN DEMO ARG...
    local sig=$1 want=$2 ready=$3
    shift 3
    : >"$out"
    # setsid: the demo and its children are one process group; the signal
    # goes to the demo only, as from kill(1).
    setsid "$ipcx" demo "$@" >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        grep -q "$ready" "$out" && break
        kill -0 "$pid" 2>/dev/null || fail "$1 ended before it was interrupted"
        sleep 0.1
    done
    grep -q "$ready" "$out" || fail "$1 did not start within 60 s"
    has_set "79$pid" || fail "$1: no semaphore set with key 79$pid while it runs"
    kill "-$sig" "$pid"
    wait "$pid"
    rc=$?
    [ "$rc" -eq "$want" ] || fail "$1 after SIG$sig: status $rc, wanted $want"
    has_set "79$pid" && fail "$1 left its semaphore set 79$pid behind after SIG$sig"
    left=$(pgrep -g "$pid" 2>/dev/null | tr '\n' ' ')
    [ -z "$left" ] || fail "$1 left processes behind after SIG$sig: $left"
    grep -q "children killed, objects removed" "$out" || fail "$1 did not say it cleaned up"
    echo "ok: $* interrupted by SIG$sig: set 79$pid removed, no process left"
    pid=
}

interrupt TERM 143 "^philosophers ordered" philosophers --strategy ordered --meals 1000000
interrupt INT 130 "^race: " race --lock sysvsem --count 100000000
interrupt HUP 129 "^philosophers naive" philosophers --strategy naive --pause-ms 10000 --meals 1000
echo "PASS: interrupted classics remove their System V sets"
