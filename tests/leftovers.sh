#!/bin/sh
# Fails if a test left an IPC object behind.  Every test names its objects
# ipcx-t-<pid>-... (FIFOs and socket files in /tmp, /dev/shm, /dev/mqueue);
# an object whose <pid> is no longer running was left behind.  Those are
# reported, then removed so the next run starts clean.  Objects of tests
# still running (another build's suite on the same machine) are left alone.
left=""
for f in /tmp/ipcx-t-* /dev/shm/ipcx-t-* /dev/mqueue/ipcx-t-*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    pid=$(basename "$f" | sed -n 's/^ipcx-t-\([0-9][0-9]*\).*/\1/p')
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && continue
    left="$left $f"
done
if [ -n "$left" ]; then
    echo "left behind by the tests:"
    for f in $left; do echo "  $f"; done
    rm -rf $left
    exit 1
fi
echo "nothing left behind"
