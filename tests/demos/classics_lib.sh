# classics_lib.sh - sourced by classics_kill.sh and classics_signal.sh: the
# output file, the cleanup of the demo's process group on any exit, fail
# and has_set (a System V semaphore set of key KEY exists).
# The caller sets ipcx (the ipcx command) and pid (the demo's pid) later.
out=$(mktemp) || exit 1
pid=
cleanup() {
    [ -n "$pid" ] && pkill -KILL -g "$pid" 2>/dev/null
    rm -f "$out"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }
has_set() { [ -r /proc/sysvipc/sem ] && awk -v k="$1" 'NR > 1 && $1 == k { f = 1 } END { exit !f }' /proc/sysvipc/sem; }
