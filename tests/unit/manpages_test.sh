#!/usr/bin/env bash
# manpages_test.sh TOP - every public function has a manual page, every
# link page points at a page that exists, and every page renders without
# a warning.
#
#  1. Each IPCX_API function of include/ipcx.h and include/ipcx/*.h has
#     man/man3/NAME.3, and the page it is (or links to) names it in NAME.
#  2. A link page is one line ".so manN/PAGE.N" (the form man-db resolves
#     against the manual tree, installed or not), its target exists and is
#     a page, not another link.  A page with a table asks for tbl on its
#     first line, and every ipcx page it refers to exists.
#  3. Every page renders with groff -ww (all warnings) and with
#     man --warnings, from man/ as man -l is run in the source tree
#     ("cd man && man -l man3/ipcx_sem_post.3"; from the top of the tree,
#     "man -M man -l man/man3/ipcx_sem_post.3").
#  4. The SYNOPSIS shows each function's prototype exactly as its header
#     declares it (whitespace aside), and that header's #include.
# Checks 3 and 4 are skipped (77) when groff or man is missing.
set -u
top=${1:?usage: manpages_test.sh TOP}
cd "$top/man" || exit 1

fail=0
err() { echo "FAIL: $*"; fail=1; }

# 1. The public functions: a line "IPCX_API type name(" (or "*name(").
headers=("$top"/include/ipcx.h "$top"/include/ipcx/*.h)
funcs=$(grep -h '^IPCX_API' "${headers[@]}" |
        sed -E 's/^IPCX_API[^(]*[ *]([A-Za-z_][A-Za-z_0-9]*)\(.*/\1/' | sort -u)
nfuncs=$(echo "$funcs" | grep -c .)
[ "$nfuncs" -ge 40 ] || err "found only $nfuncs IPCX_API functions in ${headers[*]}"

# The page a file stands for: itself, or the target of its .so line.
resolve() {
    local first
    first=$(head -n 1 "$1")
    case $first in
        .so\ *) echo "${first#.so }" ;;
        *) echo "$1" ;;
    esac
}

for f in $funcs; do
    page=man3/$f.3
    if [ ! -f "$page" ]; then
        err "$f: no man page man/$page"
        continue
    fi
    real=$(resolve "$page")
    [ -f "$real" ] || continue # reported below
    # The NAME section (the lines between .SH NAME and the next .SH).
    names=$(sed -n '/^\.SH NAME/,/^\.SH/p' "$real" | sed 's/\\-.*//')
    echo "$names" | grep -qw -- "$f" || err "$f: $real does not name it in its NAME section"
    sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$real" | grep -q "[ *]$f(" ||
        err "$f: $real has no prototype of it in its SYNOPSIS"
done

# 2. Link pages.
pages=(man[1-9]/*.[1-9])
for p in "${pages[@]}"; do
    first=$(head -n 1 "$p")
    case $first in
        .so\ *)
            t=${first#.so }
            [ "$(wc -l < "$p")" -eq 1 ] || err "$p: a link page holds only its .so line"
            case $t in
                man[1-9]/*.[1-9]) ;;
                *) err "$p: '.so $t' is not of the form manN/page.N" ;;
            esac
            if [ ! -f "$t" ]; then
                err "$p: .so target man/$t does not exist"
            elif head -n 1 "$t" | grep -q '^\.so '; then
                err "$p: .so target $t is itself a link"
            fi
            ;;
        *)
            grep -q '^\.TH ' "$p" || err "$p: neither a page (.TH) nor a link (.so)"
            # man runs tbl only when the first line asks for it.
            if grep -q '^\.TS' "$p" && ! head -n 1 "$p" | grep -q "^'\\\\\" .*t"; then
                err "$p: has a table but no first line '\\\" t' (man would not run tbl)"
            fi
            # Cross references to ipcx pages name pages that exist.
            for ref in $(grep -o '^\.BR ipcx[A-Za-z0-9_\\-]* ([1-9])' "$p" |
                         sed -E 's/^\.BR ([^ ]*) \(([1-9])\)/\1.\2/; s/\\-/-/g'); do
                sect=${ref##*.}
                [ -f "man$sect/$ref" ] || err "$p: refers to ${ref%.*}($sect), which has no page"
            done
            ;;
    esac
done

if [ "$fail" -ne 0 ]; then
    echo "manpages: FAILED"
    exit 1
fi

# 3. Rendering.
if ! command -v groff >/dev/null || ! command -v man >/dev/null; then
    echo "SKIP: groff or man is missing (Debian: groff-base, man-db)"
    exit 77
fi
export LC_ALL=C.UTF-8 MANWIDTH=80 MAN_KEEP_FORMATTING=
# A minimal image may have groff without its macro files (dpkg path-exclude
# /usr/share/groff/*): that is a machine without groff, not a bad page.
if ! printf '.TH X 1\n.SH NAME\nx \\- y\n' | groff -man -Tutf8 -z >/dev/null 2>&1; then
    echo "SKIP: groff cannot load the man macros (is /usr/share/groff installed?)"
    exit 77
fi
# And man itself must work here (its seccomp sandbox fails in some containers).
probe=$(mktemp /tmp/manpages_probe.XXXXXX.1) || exit 1
printf '.TH X 1\n.SH NAME\nx \\- y\n' > "$probe"
w=$(man --warnings -l "$probe" 2>&1 >/dev/null) && ok=$(man -l "$probe" 2>/dev/null)
rc=$?
rm -f "$probe"
if [ "$rc" -ne 0 ] || [ -n "$w" ] || [ -z "${ok:-}" ]; then
    echo "SKIP: man -l does not work on this machine: $w"
    exit 77
fi
for p in "${pages[@]}"; do
    w=$(groff -s -t -man -Tutf8 -ww -z "$p" 2>&1)
    [ -z "$w" ] || err "$p: groff -ww: $w"
    w=$(man --warnings -M "$PWD" -l "$p" 2>&1 >/dev/null)
    [ -z "$w" ] || err "$p: man --warnings: $w"
    out=$(man -M "$PWD" -l "$p" 2>/dev/null | head -n 3)
    [ -n "$out" ] || err "$p: man -l renders nothing"
done

# 4. The SYNOPSIS of each function's page shows the header's prototype
# (whitespace aside) and includes the header that declares it.
protos=$(cd "$top/include" && awk '
    /^IPCX_API/ { p = 1; s = "" }
    p { s = s " " $0 }
    p && /;/ {
        p = 0
        sub(/^ *IPCX_API */, "", s); gsub(/[ \t]+/, " ", s); gsub(/\( /, "(", s)
        print FILENAME "\t" s
    }' ipcx.h ipcx/*.h)
while IFS=$'\t' read -r hdr proto; do
    f=$(echo "$proto" | sed -E 's/^[^(]*[ *]([A-Za-z_0-9]+)\(.*/\1/')
    [ -f "man3/$f.3" ] || continue
    syn=$(groff -s -t -man -Tascii -P-cbou -rLL=300n "man3/$f.3" 2>/dev/null |
          sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | tr -s ' \n' '  ')
    case $syn in
        *"$proto"*) ;;
        *) err "$f: the SYNOPSIS of man3/$f.3 lacks the header's '$proto'" ;;
    esac
    case $syn in
        *"#include <$hdr>"*) ;;
        *) err "$f: the SYNOPSIS of man3/$f.3 lacks #include <$hdr>" ;;
    esac
done <<< "$protos"

if [ "$fail" -ne 0 ]; then
    echo "manpages: FAILED"
    exit 1
fi
echo "manpages: $nfuncs functions, ${#pages[@]} pages: ok"
exit 0
