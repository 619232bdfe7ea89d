#!/bin/sh
# bench_tools_smoke.sh SHM_BENCH BATCH_BENCH - the standalone benchmarks
# run to the end with small counts in every mode (shm_bench's timing array
# is shared memory: it crashed at exit once, and overran it in oneway mode
# with small counts).  Nothing is timed: the exit status is the check.
shm=${1:?usage: bench_tools_smoke.sh SHM_BENCH BATCH_BENCH}
batch=${2:?usage: bench_tools_smoke.sh SHM_BENCH BATCH_BENCH}
for m in "" tail oneway copy rt; do
    "$shm" 2000 $m >/dev/null || { echo "FAIL: shm_bench 2000 $m exited $?"; exit 1; }
done
"$batch" 20000 >/dev/null || { echo "FAIL: batch_bench 20000 exited $?"; exit 1; }
echo "bench tools: ok"
