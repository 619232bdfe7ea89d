#!/bin/sh
# Fails if a test left an IPC object behind.  Every test names its objects
# ipcx-t-<pid>-... and ipcx bench ipcx-b-<pid>-... (FIFOs and socket files in
# /tmp, /dev/shm, /dev/mqueue), and the shm rings' doorbells carry their
# owner's pid (below);
# an object whose <pid> is no longer running was left behind.  Those are
# reported, then removed so the next run starts clean.  Objects of tests
# still running (another build's suite on the same machine) are left alone.
ipcx=${1:-}
left=""
for f in /tmp/ipcx-[tb]-* /dev/shm/ipcx-[tb]-* /dev/mqueue/ipcx-[tb]-*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    pid=$(basename "$f" | sed -n 's/^ipcx-[tb]-\([0-9][0-9]*\).*/\1/p')
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && continue
    left="$left $f"
done
# Doorbell FIFOs of the shm rings (ipcx_fd), named after the process that
# made them: /dev/shm/ipcx-bell-<segment>-<index>-<pid>-<start time>.  One
# whose process is gone (or whose pid now names a process started at
# another time) was left behind: by a test, or by the library when a test
# killed its owner.  Names of another form are not ours to judge.
for f in /dev/shm/ipcx-bell-*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    set -- $(basename "$f" | sed -n 's/^ipcx-bell-[0-9a-f]\{16\}-[0-9]*-\([0-9][0-9]*\)-\([0-9][0-9]*\)$/\1 \2/p')
    [ $# -eq 2 ] || continue
    if [ -r "/proc/$1/stat" ]; then
        # Field 22 of /proc/PID/stat, counted after the command's closing ')'.
        start=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20)
        [ "$2" = 0 ] || [ "$start" = "$2" ] && continue
    fi
    left="$left $f"
done
# System V objects of the test templates: keys 77<pid> (sysvmq), 78<pid>
# (sysvshm) and 79<pid> (sysvsem), in decimal.
for kind in msg shm sem; do
    [ -r /proc/sysvipc/$kind ] || continue
    for key in $(awk 'NR > 1 { print $1 }' /proc/sysvipc/$kind); do
        case "$key" in 77[0-9]*|78[0-9]*|79[0-9]*) ;; *) continue ;; esac
        pid=${key#7?}
        kill -0 "$pid" 2>/dev/null && continue
        left="$left sysv-$kind:$key"
        case $kind in msg) ipcrm -Q "$key" ;; shm) ipcrm -M "$key" ;; sem) ipcrm -S "$key" ;; esac 2>/dev/null
    done
done
# The registry of ipcx ls/gc keeps an entry for every channel a killed
# process had open (the kill tests make many): ipcx gc removes those whose
# objects are gone, and the orphans of dead creators (none, if the check
# above passed).
# Reported first: gc below would remove dead owners' doorbells too.
if [ -n "$left" ]; then
    echo "left behind by the tests:"
    for f in $left; do echo "  $f"; done
fi
if [ -n "${ipcx:-}" ] && [ -x "$ipcx" ]; then
    "$ipcx" gc >/dev/null 2>&1 || echo "note: ipcx gc failed"
fi
if [ -n "$left" ]; then
    for f in $left; do case "$f" in sysv-*) ;; *) rm -rf "$f" ;; esac; done
    exit 1
fi
echo "nothing left behind"
