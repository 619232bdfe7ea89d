#!/bin/sh
# Werkstück A across two hosts (network namespaces joined by a veth pair):
# demos/multihost.sh runs conv on host a and log, stat, report on host b
# over tcp:// and over sp+tcp:// (nng's wire) and checks that every value agrees with a one-host run of the
# same seed.  Here also: what it made is gone afterwards (namespaces, the
# processes that ran in them, its files), both after a normal run and when
# it is stopped by SIGTERM in the middle of a run.
# Usage: multihost_test.sh PATH/TO/werkstueck.  Skips (77) where namespaces
# are forbidden or we are not root.
set -u
W=${1:?usage: multihost_test.sh PATH/TO/werkstueck}
HERE=$(dirname "$0")
M=$HERE/../../demos/multihost.sh
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
OUT=$(mktemp /tmp/ipcx-t-$$-mh.XXXXXX) || exit 1
trap 'rm -f "$OUT"' EXIT
trap 'exit 1' INT TERM

# What a run of multihost.sh with pid $1 left behind: namespaces, temp dirs.
leftovers() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep "^ipcx-$1-"
    ls -d /tmp/ipcx-multihost-"$1".* 2>/dev/null
}

# 1. A whole run agrees with one host and leaves nothing: over ipcx's own
# tcp:// and over nng's wire (sp+tcp://, push0/pull0 on every link).
split_run() { # SCHEME
    "$M" --scheme "$1" --count 2000 --seed 4242 "$W" >"$OUT" 2>&1 &
    mpid=$!
    wait $mpid
    rc=$?
    cat "$OUT"
    [ $rc -eq 77 ] && exit 77
    [ $rc -eq 0 ] || fail "$1: multihost.sh exited $rc"
    grep -q "^== conv on a and log, stat, report on b agree with one host: count=2000 " "$OUT" ||
        fail "$1: no agreement of 2000 values reported"
    # The split really was split: conv's and the receivers' addresses are host b's.
    grep -q "^== conv: .*to log at $1://10\\.77\\.0\\.2:7001" "$OUT" || fail "$1: conv did not send to host b"
    grep -q "^== log: .*receives on $1://10\\.77\\.0\\.2:7001" "$OUT" || fail "$1: log did not listen on host b"
    left=$(leftovers $mpid)
    [ -z "$left" ] || fail "$1: left behind after a run: $left"
    for pid in $(sed -n 's/^== [a-z]*: Werkstück A, [a-z]* alone (pid \([0-9]*\)).*/\1/p' "$OUT"); do
        [ -d /proc/$pid ] && fail "$1: role process $pid still runs"
    done
}
split_run tcp
split_run sp+tcp

# 2. Stopped in the middle of a split that would run until stopped: everything still goes.
"$M" --forever --interval 20 --seed 1 "$W" >"$OUT" 2>&1 &
mpid=$!
roles=""
while kill -0 $mpid 2>/dev/null; do
    # Running: host b has its three roles (each a timeout(1) and its werkstueck), host a conv.
    roles="$(ip netns pids "ipcx-$mpid-a" 2>/dev/null) $(ip netns pids "ipcx-$mpid-b" 2>/dev/null)"
    [ "$(echo $roles | wc -w)" -ge 7 ] && break
    sleep 0.1
done
kill -0 $mpid 2>/dev/null || fail "the split run never started: $(cat "$OUT")"
kill -TERM $mpid
wait $mpid
rc=$?
[ $rc -eq 143 ] || fail "multihost.sh exited $rc after SIGTERM, want 143"
left=$(leftovers $mpid)
[ -z "$left" ] || fail "left behind after SIGTERM: $left"
for pid in $roles; do
    [ -d /proc/$pid ] && fail "process $pid of a host still runs after SIGTERM: $(cat /proc/$pid/comm)"
done

[ $fails -eq 0 ] && echo "multihost: ok"
[ $fails -eq 0 ]
