#!/usr/bin/env bash
# procs_signal.sh IPCX - the demos of demos/procs that create named objects
# (semserver over mq and fifo, fifoserver, signals) are stopped with
# SIGTERM, SIGINT or SIGHUP while they run: each must kill its children,
# remove its objects and then die by that signal (status 128+N), leaving
# no process and no ipcx-NAME-PID object behind.
set -u
ipcx=${1:?usage: procs_signal.sh IPCX}
fail() { echo "FAIL: $*"; exit 1; }

# objects PID NAME: the demo's named objects now
objects() { ls -d /tmp/ipcx-"$2"-"$1"-* /dev/shm/ipcx-"$2"-"$1"* /dev/mqueue/ipcx-"$2"-"$1"-* 2>/dev/null; }

# one SIG NAME ARG...: start the demo, wait until its objects exist, signal it
one() {
    local sig=$1 name=$2 signum; shift 2
    signum=$(kill -l "$sig")
    "$ipcx" demo "$name" "$@" >/dev/null 2>&1 &
    local pid=$!
    # Its objects appear once it runs (no time limit here: ctest's timeout
    # is the bound; a demo that never makes them is a hang to look at).
    until [ -n "$(objects "$pid" "$name")" ]; do
        kill -0 "$pid" 2>/dev/null || fail "$name $*: ended before its objects were seen"
        sleep 0.05
    done
    local kids
    kids=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
    kill -s "$sig" "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" -eq $((128 + signum)) ] || fail "$name $*: SIG$sig gave status $rc, wanted $((128 + signum))"
    local left
    left=$(objects "$pid" "$name" | tr '\n' ' ')
    [ -z "$left" ] || { rm -rf -- $left; fail "$name $*: SIG$sig left $left"; }
    # The demo reaps its children before it dies: none may be left.
    for k in $kids; do
        kill -0 "$k" 2>/dev/null && fail "$name $*: child $k still there after SIG$sig"
    done
    echo "ok: $name $* stopped by SIG$sig: children gone, objects removed"
}

one TERM semserver --via mq --clients 3 --iters 1000000
one INT  semserver --via fifo --clients 3 --iters 1000000
one HUP  semserver --via shm --clients 3 --iters 1000000
one TERM fifoserver --clients 4 --requests 100000
one TERM signals --values 100000000
one INT  signals --values 100000000
echo "PASS"
