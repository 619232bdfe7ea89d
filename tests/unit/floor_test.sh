#!/usr/bin/env bash
# floor_test.sh TOP - one floor for system calls (issue 14 item 1): no .c
# file under src/ outside src/sys/ reads errno.  Only src/sys/ wrappers do,
# and return -errno; everything above passes those values up.
#
# Comments are removed first (/* ... */ over any number of lines, and //),
# so a comment that says "-errno" is fine; so is "#include <errno.h>",
# which the E* constants need.  Any other "errno" is a failure, printed
# with its file and line: ipcx__errno() too, which reads errno for the
# caller of a raw call.
set -u
top=${1:?usage: floor_test.sh TOP}
cd "$top" || exit 1

fail=0 checked=0
while IFS= read -r f; do
    checked=$((checked + 1))
    hits=$(awk '
        {
            line = $0; out = ""
            while (line != "") {
                if (incomment) {
                    e = index(line, "*/")
                    if (!e) { line = ""; break }
                    line = substr(line, e + 2); incomment = 0
                } else {
                    b = index(line, "/*"); s = index(line, "//")
                    if (s && (!b || s < b)) { out = out substr(line, 1, s - 1); line = ""; break }
                    if (!b) { out = out line; line = ""; break }
                    out = out substr(line, 1, b - 1); line = substr(line, b + 2); incomment = 1
                }
            }
            if (out ~ /^[ \t]*#[ \t]*include[ \t]*<errno\.h>[ \t]*$/)
                next
            if (out ~ /errno/)
                printf "%s:%d: %s\n", FILENAME, FNR, $0
        }' "$f")
    if [ -n "$hits" ]; then
        echo "$hits"
        fail=1
    fi
done < <(find src -name '*.c' -not -path 'src/sys/*' | sort)

if [ "$checked" -eq 0 ]; then
    echo "FAIL: no source file found under $top/src"
    exit 1
fi
if [ "$fail" -ne 0 ]; then
    echo "FAIL: errno read outside src/sys/ (add a -errno wrapper there: docs/conventions.md)"
    exit 1
fi
echo "ok: $checked files under src/ outside src/sys/ read no errno"
exit 0
