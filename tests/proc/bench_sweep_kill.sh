#!/bin/sh
# A crowd member of `ipcx bench --sweep` SIGKILLed mid-run: the sweep must
# notice, fail that point (exit 1, the point marked failed, a reason on
# stderr) instead of waiting for the dead member's messages, and leave no
# process of its session and no IPC object behind.  FIGURE: senders (a
# sender dies: its receiver stops waiting), bcast (a subscriber dies) or
# mpmc (a producer or consumer dies).  It never checks a speed.
set -u
IPCX=${1:?usage: bench_sweep_kill.sh PATH/TO/ipcx FIGURE}
FIG=${2:?usage: bench_sweep_kill.sh PATH/TO/ipcx FIGURE}
D=$(mktemp -d /tmp/ipcx-t-$$-sweepkill.XXXXXX) || exit 1
sid=""
cleanup() {
    [ -n "$sid" ] && pkill -KILL -s "$sid" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
touch "$D/stamp"
sleep 1
# A count that makes each point last about a second here: a member is
# alive when it is killed, the figure's other points run to their end.
setsid sh -c 'echo $$ >"$1/sid"; exec "$2" bench --sweep --figure "$3" -n 20000 -q --out "$1/out" \
    >"$1/stdout" 2>"$1/stderr"' sh "$D" "$IPCX" "$FIG" &
runner=$!
for i in $(seq 100); do [ -s "$D/sid" ] && break; sleep 0.1; done
sid=$(cat "$D/sid")
# A member: a grandchild of the command (which forks a measuring process
# per point), the same program (not the shell of a system() call), alive
# and not a zombie.
exe=$(readlink -f "$IPCX")
victim=""
for i in $(seq 400); do
    for m in $(pgrep -P "$sid"); do
        [ "$(readlink -f /proc/$m/exe 2>/dev/null)" = "$exe" ] || continue
        for v in $(pgrep -P "$m"); do
            [ "$(readlink -f /proc/$v/exe 2>/dev/null)" = "$exe" ] || continue
            case $(awk '{ print $3 }' "/proc/$v/stat" 2>/dev/null) in
            R|S|D) victim=$v; break ;;
            esac
        done
        [ -n "$victim" ] && break
    done
    [ -n "$victim" ] && break
    sleep 0.02
done
[ -n "$victim" ] || { echo "FAIL: no crowd member appeared"; cat "$D/stderr"; exit 1; }
kill -KILL "$victim"
ended=0
for i in $(seq 1800); do
    if ! kill -0 "$sid" 2>/dev/null; then ended=1; break; fi
    sleep 0.1
done
[ $ended -eq 1 ] || { echo "FAIL: the sweep still runs 3 minutes after a member was killed"; exit 1; }
wait $runner
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: exit status $rc, not 1, after a killed member"; cat "$D/stderr"; exit 1; }
# The point says a member died (it did not wait out its idle bound: "timed out").
grep -q "died\|failed\|gone" "$D/stderr" || { echo "FAIL: no dead member named on stderr:"; cat "$D/stderr"; exit 1; }
if grep -q "timed out" "$D/stderr"; then
    echo "FAIL: a point waited for the dead member until its timeout:"; cat "$D/stderr"; exit 1
fi
python3 - "$D/out/$FIG.csv" <<'PY' || exit 1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# One point failed (bcast shows each point in two series).
failed = {(r["x"]) for r in rows if r["failed"] == "1"}
assert len(failed) == 1, f"not exactly one failed point: {rows}"
PY
sleep 0.2
if pgrep -s "$sid" >/dev/null 2>&1; then
    echo "FAIL: processes left:"; pgrep -a -s "$sid"; exit 1
fi
sid=""
for f in $(find /dev/shm /dev/mqueue /tmp -maxdepth 1 -name 'ipcx-b-*' -newer "$D/stamp" 2>/dev/null); do
    pid=$(basename "$f" | sed -n 's/^ipcx-b-\([0-9]*\).*/\1/p')
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: left $f"; exit 1
    fi
done
echo "bench sweep kill ($FIG): ok"
