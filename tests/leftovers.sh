#!/bin/sh
# Fails if a test left an IPC object behind.  Every test names its objects
# ipcx-t-<pid>-... and ipcx bench ipcx-b-<pid>-... (FIFOs and socket files in
# /tmp, /dev/shm, /dev/mqueue);
# an object whose <pid> is no longer running was left behind.  Those are
# reported, then removed so the next run starts clean.  Objects of tests
# still running (another build's suite on the same machine) are left alone.
left=""
for f in /tmp/ipcx-[tb]-* /dev/shm/ipcx-[tb]-* /dev/mqueue/ipcx-[tb]-*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    pid=$(basename "$f" | sed -n 's/^ipcx-[tb]-\([0-9][0-9]*\).*/\1/p')
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && continue
    left="$left $f"
done
# System V objects of the conformance templates: keys 77<pid> (sysvmq) and
# 78<pid> (sysvshm), in decimal.
for kind in msg shm sem; do
    [ -r /proc/sysvipc/$kind ] || continue
    for key in $(awk 'NR > 1 { print $1 }' /proc/sysvipc/$kind); do
        case "$key" in 77[0-9]*|78[0-9]*) ;; *) continue ;; esac
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
if [ -n "${1:-}" ] && [ -x "$1" ]; then
    "$1" gc >/dev/null 2>&1 || echo "note: ipcx gc failed"
fi
if [ -n "$left" ]; then
    echo "left behind by the tests:"
    for f in $left; do echo "  $f"; done
    for f in $left; do case "$f" in sysv-*) ;; *) rm -rf "$f" ;; esac; done
    exit 1
fi
echo "nothing left behind"
