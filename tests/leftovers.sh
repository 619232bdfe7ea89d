#!/bin/sh
# Fails if any test left an IPC object behind: every test names its objects
# ipcx-t-<pid>-..., in /tmp (FIFOs, socket files), /dev/shm and /dev/mqueue.
left=$(ls -d /tmp/ipcx-t-* /dev/shm/ipcx-t-* /dev/mqueue/ipcx-t-* 2>/dev/null)
if [ -n "$left" ]; then
    echo "left behind by the tests:"; echo "$left"
    rm -rf $left
    exit 1
fi
echo "nothing left behind"
