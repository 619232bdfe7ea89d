#!/bin/sh
# The iceoryx rows of `ipcx bench shm` (tools/bench/cand_iox.c): a short
# run measures both (busy-poll and WaitSet), every message passes
# verification, and afterwards no iox-roudi of ours runs and nothing new
# is in /dev/shm or /tmp under iceoryx's names (iceoryx_mgmt, the user's
# segment, roudi, roudi.lock, iox-unique-roudi.lock).  Then the same
# when ipcx bench is SIGKILLed while both iceoryx processes are
# registered with its private roudi: the daemon, the measuring process
# and the echo process all end, and nothing is left.  It never checks a
# speed.  Run only when the rows are built in (IPCX_BENCH_IOX).
# Usage: bench_iox_test.sh PATH/TO/ipcx
T=ipcx-t-$$-iox
. "$(dirname "$0")/../lib.sh"

# Live iox-roudi processes (a zombie has ended: its parent is gone and
# init has yet to reap it).
roudis() {
    for p in $(pgrep -x iox-roudi); do
        st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
        case $st in Z*) ;; *) echo "$p" ;; esac
    done | sort
}
# iceoryx's fixed names, where they would be if a roudi made them here.
iox_names() {
    for f in /dev/shm/iceoryx_mgmt "/dev/shm/$(id -un)" /tmp/roudi /tmp/roudi.lock \
             /tmp/iox-unique-roudi.lock; do
        [ -e "$f" ] && echo "$f"
    done
}
# /dev/shm, but for the objects of ipcx's own tests running beside us.
shm_list() { ls -A /dev/shm | grep -Ev '^(sem\.)?ipcx-' | sort; }

roudis >"$D/roudis0"
iox_names >"$D/names0"
shm_list >"$D/shm0"

# Wait (at most 10 s) until what was there before is all that is there.
settled() {
    for _ in $(seq 100); do
        roudis >"$D/roudis1"
        iox_names >"$D/names1"
        shm_list >"$D/shm1"
        cmp -s "$D/roudis0" "$D/roudis1" && cmp -s "$D/names0" "$D/names1" &&
            cmp -s "$D/shm0" "$D/shm1" && return 0
        sleep 0.1
    done
    return 1
}
check_left() {
    settled && return 0
    fail "$1: left behind:"
    comm -13 "$D/roudis0" "$D/roudis1" | sed 's/^/  iox-roudi pid /'
    comm -13 "$D/names0" "$D/names1" | sed 's/^/  /'
    comm -13 "$D/shm0" "$D/shm1" | sed 's,^,  /dev/shm/,'
}

# 1. A short run: both rows measured and verified.
"$IPCX" bench -q -n 200 shm --json "$D/b.json" >"$D/table.md" 2>"$D/err"
rc=$?
[ $rc -eq 0 ] || { fail "ipcx bench -n 200 shm exited $rc"; cat "$D/err"; }
for row in "iceoryx busy-poll" "iceoryx waitset"; do
    r=$(jq -c --arg n "$row" '.results[] | select(.name == $n)' "$D/b.json" 2>/dev/null)
    if [ -z "$r" ]; then
        fail "no row '$row' in the JSON"; cat "$D/err"; continue
    fi
    echo "$r" | jq -e '.failed == false and .errors == 0 and .rtt_small.p50_ns > 0 and
        .rtt_medium.p50_ns > 0 and .msgs_per_s_small > 0 and .gbps_large > 0' >/dev/null ||
        fail "row '$row' did not measure everything or failed verification: $r"
done
grep -q '^| iceoryx busy-poll |' "$D/table.md" || fail "no table row for iceoryx busy-poll"
grep -q 'ipcx shm spsc' "$D/table.md" || fail "the iceoryx rows are not beside ipcx shm spsc"
check_left "a run that ended"

# 2. SIGKILL of ipcx bench mid-row: a longer run, killed once the two
# processes of an iceoryx row are registered with our roudi (each has its
# socket in the roudi's private /tmp, seen through /proc/PID/root).  A row
# lasts a second or so; a run whose rows all slipped between two looks is
# run again (three tries).
ours=""
for try in 1 2 3; do
    "$IPCX" bench -q -n 5000 shm >/dev/null 2>"$D/err2" &
    bench=$!
    pids="$pids $bench"
    while kill -0 $bench 2>/dev/null; do
        ours=$(roudis | comm -13 "$D/roudis0" - | head -n 1)
        if [ -n "$ours" ] &&
            [ "$(ls "/proc/$ours/root/tmp" 2>/dev/null | grep -c '^ipcx-b-[0-9]*$')" -ge 2 ]; then
            break
        fi
        ours=""
        sleep 0.05
    done
    if [ -n "$ours" ]; then
        kill -9 $bench
        wait $bench 2>/dev/null
        check_left "ipcx bench SIGKILLed mid-row (try $try)"
        break
    fi
    wait $bench 2>/dev/null
    check_left "a run that ended (try $try)"
done
[ -n "$ours" ] || fail "no iceoryx row was caught running in three runs (ipcx bench: $(cat "$D/err2"))"

[ $fails -eq 0 ] && echo "bench iox: both rows verified, nothing left, also after SIGKILL"
[ $fails -eq 0 ]
