#!/usr/bin/env bash
# tools_includes_test.sh TOP - the ipcx command is a user of the library
# like any other program: no file under tools/ includes a header from src/
# (it uses the installed headers, include/ipcx.h and include/ipcx/*.h).
# A quoted or bracketed include whose path has a "src/" component fails,
# and so does one that climbs out of tools/ ("../").
set -u
top=${1:?usage: tools_includes_test.sh TOP}
cd "$top" || exit 1
[ -d tools ] || { echo "FAIL: no tools/ in $top"; exit 1; }
bad=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*/)?(src/|\.\./)' \
      --include='*.c' --include='*.h' tools)
if [ -n "$bad" ]; then
    echo "FAIL: files under tools/ include library internals:"
    echo "$bad"
    exit 1
fi
n=$(find tools -name '*.[ch]' | wc -l)
echo "tools_includes: $n files, none includes anything from src/"
exit 0
