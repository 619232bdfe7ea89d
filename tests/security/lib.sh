# Shared by the tests/security/reg_*.sh tests: what tests/lib.sh gives
# (the command, a scratch directory, a registry base, fail, cleanup), and a
# second user (nobody) with a directory of its own.  Source it after
# setting T (a unique, pid-suffixed name).
# $NOBODY CMD...: run CMD as uid/gid 65534 without supplementary groups (a
# plain command, not a function, so that `$NOBODY CMD &` gives CMD's pid).
. "$(dirname "$0")/../lib.sh"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to act as a second user (uid nobody)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv is missing"; exit 77; }
$NOBODY true 2>/dev/null || { echo "SKIP: cannot become uid 65534"; exit 77; }
grep -q ' /dev/mqueue mqueue ' /proc/mounts || { echo "SKIP: /dev/mqueue is not mounted"; exit 77; }

# A directory of nobody's own.
mkdir -m 0755 "$D/nb" && chown 65534:65534 "$D/nb" || exit 1

# wait_entry PID: until the registry holds an entry of process PID (wherever
# its library wrote it); prints that entry's path.  An entry is written to
# a .tmp-PID-N file and renamed into place: the temporary is not the entry
# (a test that took it raced the rename).  The bound (60 s) is for a
# library that never writes; a loaded machine takes its time.
wait_entry() {
    i=0
    while [ $i -lt 1200 ]; do
        f=$(grep -rlx "pid $1" "$IPCX_REGISTRY" 2>/dev/null | grep -v '/\.tmp-' | head -n 1)
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.05; i=$((i + 1))
    done
    return 1
}

# returns SECONDS CMD...: run CMD with a deadline; fail if it had to be killed.
# Generous: the assertion is that it returns at all, not how fast.
returns() {
    t=$1; shift
    timeout -s KILL "$t" "$@"
    r=$?
    [ $r -eq 137 ] && fail "did not return within ${t}s (hung): $*"
    return $r
}
