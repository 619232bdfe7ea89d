#!/bin/sh
# run.sh BUILD [SECONDS] - run every libFuzzer target of BUILD (a build
# configured with -DIPCX_FUZZ=ON, e.g. make fuzz) for SECONDS seconds each
# (default 30), one after another, on a copy of its seed corpus in a
# temporary directory.  Fails if any target crashes, leaks, hangs (10 s on
# one input) or goes over 2 GiB.  A failing input is kept in
# BUILD/fuzz-crashes/; the temporary directories are always removed.
# FUZZ_TARGETS="url_parse ..." runs only those.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUILD_DIR [SECONDS]" >&2
    exit 2
fi
build=$1
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
# Every target has its seeds in corpus/<target>/ (fuzz/CMakeLists.txt), so
# the corpus directories are the list: no second list here to keep in step.
targets=${FUZZ_TARGETS:-$(cd "$here/corpus" && for d in */; do printf '%s ' "${d%/}"; done)}
crashes=$build/fuzz-crashes
tmp=
pid=

cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        # what a target that died could not remove itself
        rm -rf /tmp/ipcx-fz-"$pid"-*
    fi
    [ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The longest input each target takes (stream_recv: what fits in a pipe).
max_len() {
    case $1 in
        url_parse) echo 4200 ;;
        stream_recv) echo 61440 ;;
        *) echo 8192 ;;
    esac
}

tmp=$(mktemp -d /tmp/ipcx-fuzzrun-XXXXXX) || exit 1
mkdir -p "$crashes" || exit 1
failed=
for t in $targets; do
    bin=$build/fuzz/$t
    if [ ! -x "$bin" ]; then
        echo "run.sh: no $bin: configure $build with CC=clang -DIPCX_FUZZ=ON and build it" >&2
        exit 2
    fi
    mkdir "$tmp/$t"
    cp "$here/corpus/$t"/* "$tmp/$t/" || exit 1
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len "$t")" -use_value_profile=1 -print_final_stats=1 -error_exitcode=1 \
        -artifact_prefix="$crashes/$t-" "$tmp/$t" >"$tmp/$t.log" 2>&1 &
    pid=$!
    wait "$pid"
    rc=$?
    rm -rf /tmp/ipcx-fz-"$pid"-*
    pid=
    # "#123456 DONE cov: 310 ft: 1200 corp: 150/9000b ... exec/s: 4100 rss: 60Mb"
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$tmp/$t.log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        printf '%-13s ok    %s runs  %s\n' "$t" "${execs:-?}" \
            "$(printf '%s' "$done_line" | sed 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*//')"
    else
        printf '%-13s FAIL  exit %s after %s runs; the input is in %s\n' "$t" "$rc" \
            "${execs:-?}" "$crashes/" >&2
        tail -n 60 "$tmp/$t.log" >&2
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "run.sh: failed:$failed" >&2
    exit 1
fi
exit 0
