#!/bin/sh
# Verify the Promela models of models/ with spin: every model for safety
# (asserts, invalid end states = deadlocks / lost wake-ups) and non-progress
# cycles under weak fairness, and every ltl formula of a model (liveness,
# e.g. no starvation) with acceptance cycles under weak fairness.
# Exit 77 (skip) only when spin is not installed.
set -u
models=${1:?usage: models_test.sh MODELS_DIR}
command -v spin >/dev/null 2>&1 || { echo "spin is not installed: skipped"; exit 77; }
cc=${CC:-cc}
work=$(mktemp -d /tmp/ipcx-spin.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
fail=0

# run NAME CFLAGS PANFLAGS: compile pan.c and run it; pass when it reports errors: 0.
run() {
    what=$1 cflags=$2 flags=$3
    if ! $cc -O2 -w $cflags -o pan pan.c 2>cc.log; then
        echo "FAIL $what: pan.c does not compile"; cat cc.log; fail=1; return
    fi
    ./pan $flags >pan.log 2>&1
    if grep -q "errors: 0" pan.log; then
        echo "ok   $what: $(grep -o '[0-9]* states, stored' pan.log | head -n 1)"
    else
        echo "FAIL $what"; cat pan.log; fail=1
    fi
}

for pml in "$models"/*.pml; do
    name=$(basename "$pml" .pml)
    mkdir -p "$work/$name" && cd "$work/$name" || exit 1
    cp "$pml" . && spin -a "$name.pml" >spin.log 2>&1 || { echo "FAIL $name: spin -a"; cat spin.log; fail=1; continue; }
    run "$name safety" "-DSAFETY" "-m1000000 -noclaim"
    run "$name non-progress cycles" "-DNP -DNFAIR=8" "-m1000000 -l -f -noclaim"
    for f in $(sed -n 's/^ltl \([A-Za-z0-9_]*\).*/\1/p' "$name.pml"); do
        run "$name ltl $f" "-DNFAIR=8" "-m1000000 -a -f -N $f"
    done
done
exit $fail
