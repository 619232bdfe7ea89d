#!/usr/bin/env bash
# tools_ldd_test.sh IPCX - the ipcx command links the shared library
# libipcx.so (it is a program like any user's, through the installed API),
# and the loader finds it: ldd names libipcx.so.0 and resolves it to a file.
# Skipped (77) where there is no ldd.
set -u
cmd=${1:?usage: tools_ldd_test.sh PATH-TO-IPCX}
command -v ldd >/dev/null || { echo "SKIP: no ldd on this machine"; exit 77; }
out=$(ldd "$cmd" 2>&1) || { echo "FAIL: ldd $cmd: $out"; exit 1; }
line=$(echo "$out" | grep -E '^[[:space:]]*libipcx\.so')
if [ -z "$line" ]; then
    echo "FAIL: $cmd does not link libipcx.so:"
    echo "$out"
    exit 1
fi
case $line in
    *"not found"*) echo "FAIL: the loader cannot find libipcx.so for $cmd: $line"; exit 1 ;;
esac
# And it runs with it.
"$cmd" --version >/dev/null 2>&1 || "$cmd" --help >/dev/null 2>&1 ||
    { echo "FAIL: $cmd does not run"; exit 1; }
echo "tools_ldd: $(echo "$line" | sed 's/^[[:space:]]*//')"
exit 0
