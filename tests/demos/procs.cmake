# Tests of demos/procs (issue 18), small sizes.  Each checks the demo's
# verdict line and exit status (run_demo.sh); the _fails ones are negative
# tests: an injected bug (or the torn request of --unframed) that the
# demo's checker must report as FAILED, every run.
ipcx_demo_test(matmul matmul --n 96 --procs 4)
ipcx_demo_test(matmul-double matmul --n 64 --procs 3 --type double)
# A worker SIGKILLed half-way: the barrier breaks, the parent does not hang.
ipcx_demo_test(matmul-kill matmul --n 96 --procs 4 --kill-worker 2)
ipcx_demo_test_fails(matmul-bug matmul --n 64 --procs 2 --inject-bug)

foreach(via pipe fifo mq unix shm)
  ipcx_demo_test(semserver-${via} semserver --via ${via} --clients 4 --iters 100)
  # A client SIGKILLed while it holds the semaphore: its token goes back,
  # the others finish, the master does not hang.
  ipcx_demo_test(semserver-${via}-kill semserver --via ${via} --clients 4 --iters 60 --kill-client 2)
  # ... and one SIGKILLed after its P, before the '!' (queued at the master).
  ipcx_demo_test(semserver-${via}-killwait semserver --via ${via} --clients 4 --iters 40 --kill-client 3 --kill-waiting)
endforeach()
ipcx_demo_test(semserver-init2 semserver --via mq --clients 5 --iters 50 --init 2)
ipcx_demo_test_fails(semserver-unframed semserver --unframed --clients 3 --iters 20)

ipcx_demo_test(fifoserver fifoserver --clients 8 --requests 100)
ipcx_demo_test(fifoserver-kill fifoserver --clients 4 --requests 20 --kill-client 3)
ipcx_demo_test_fails(fifoserver-bug fifoserver --clients 2 --requests 5 --inject-bug)

ipcx_demo_test(pipeline pipeline -- "seq 1 100" "tail -n 3")
ipcx_demo_test(pipeline-sort pipeline -- "printf %s\\n c a b" sort)
ipcx_demo_test(pipeline-status pipeline -- "seq 1 5" false)
# B ends first: A dies of SIGPIPE (status 141, pipefail's), the pipeline's is head's 0.
ipcx_demo_test(pipeline-sigpipe pipeline -- "seq 1 1000000000" "head -n 1")
ipcx_demo_test(pipeline-popen pipeline --popen -- "seq 1 100" "tail -n 3")
ipcx_demo_test_fails(pipeline-bug pipeline --inject-bug -- "seq 1 5" "wc -l")

ipcx_demo_test(signals signals --values 500)
ipcx_demo_test(signals-kill signals --values 500 --kill-child-at 200)
ipcx_demo_test_fails(signals-bug signals --values 100 --inject-bug)

ipcx_demo_test(spawn spawn --reps 3 --big-mib 16)
ipcx_demo_test_fails(spawn-bug spawn --reps 1 --big-mib 1 --inject-bug)

# The same as a second user (uid 65534, where only root could give the
# hostile FIFO away, so that case is left out; and nothing may assume root).
function(procs_demo_test_as_nobody test name)
  ipcx_test(demo-${test} ${CMAKE_CURRENT_SOURCE_DIR}/as_nobody.sh
            ${CMAKE_CURRENT_SOURCE_DIR}/run_demo.sh $<TARGET_FILE:ipcx_cmd> ok ${name} ${ARGN})
endfunction()
procs_demo_test_as_nobody(fifoserver-nobody fifoserver --clients 3 --requests 10 --kill-client 2)
procs_demo_test_as_nobody(semserver-nobody semserver --via fifo --clients 3 --iters 20 --kill-client 1)
procs_demo_test_as_nobody(signals-nobody signals --values 50)

# SIGTERM, SIGINT, SIGHUP while semserver (mq, fifo, shm), fifoserver and
# signals run: children killed, objects removed, death by that signal.
ipcx_test(demo-procs-signal ${CMAKE_CURRENT_SOURCE_DIR}/procs_signal.sh $<TARGET_FILE:ipcx_cmd>)
