# Tests of demos/classics (issue 17): ipcx_demo_test() lines, see CMakeLists.txt.
# Small parameters; no verdict depends on speed or on a race firing.  Each
# family has a negative test (--inject-bug: a deterministic bug the demo's
# own check must catch, "verdict: FAILED").

# race: without a lock 0 lost is "did not fire", not a failure; with each
# lock the count must be exact.
ipcx_demo_test(race-none race --lock none --count 20000)
ipcx_demo_test(race-none-yield race --lock none --count 2000 --yield --procs 3)
ipcx_demo_test(race-pair race --pair --trials 200)
foreach(lock peterson bakery tas ttas spin mutex sem sysvsem)
  ipcx_demo_test(race-${lock} race --lock ${lock} --count 5000)
endforeach()
ipcx_demo_test(race-bakery-4 race --lock bakery --procs 4 --count 2000)
ipcx_demo_test_fails(race-mutex-inject race --lock mutex --inject-bug --count 2000)
ipcx_demo_test_fails(race-peterson-inject race --lock peterson --inject-bug --count 2000)
ipcx_demo_test_fails(race-sysvsem-inject race --lock sysvsem --inject-bug --count 500)

# prodcons: every item exactly once and in order; sleepwakeup's forced
# lost wake-up is caught by the watchdog ("lost wake-up", status 0).
# PASS_REGULAR_EXPRESSION replaces the exit status check: it matches the
# line run_demo.sh prints only when all its checks passed.
foreach(v sem condvar monitor)
  ipcx_demo_test(prodcons-${v} prodcons --variant ${v} --items 300 --producers 3 --consumers 2 --size 4)
endforeach()
ipcx_demo_test(prodcons-sleepwakeup prodcons --variant sleepwakeup --items 50 --size 4)
set_tests_properties(demo-prodcons-sleepwakeup PROPERTIES PASS_REGULAR_EXPRESSION "PASS: .*verdict: ok lost wake-up: producer and consumer both asleep")
ipcx_demo_test_fails(prodcons-sem-inject prodcons --variant sem --inject-bug --items 100)

# philosophers: --lockstep makes the naive deadlock certain (not seeing it
# fails); the others eat their meals; --inject-bug drops their guard.
ipcx_demo_test(philosophers-naive philosophers --strategy naive --lockstep)
set_tests_properties(demo-philosophers-naive PROPERTIES PASS_REGULAR_EXPRESSION "PASS: .*verdict: ok deadlock: ")
ipcx_demo_test(philosophers-naive-pause philosophers --strategy naive --meals 3 --pause-ms 5)
foreach(s ordered waiter atomic)
  ipcx_demo_test(philosophers-${s} philosophers --strategy ${s} --meals 5)
  ipcx_demo_test_fails(philosophers-${s}-inject philosophers --strategy ${s} --inject-bug)
endforeach()

# readers-writers: starvation shown under prefer-readers (asserted), bounded
# under writers and fair; torn writes seen.
foreach(p readers writers fair)
  ipcx_demo_test(readers-writers-${p} readers-writers --prefer ${p} --reads 8 --writes 2)
endforeach()
ipcx_demo_test(readers-writers-readers-4 readers-writers --prefer readers --readers 4 --reads 9 --writes 1)
ipcx_demo_test(readers-writers-fair-3x3 readers-writers --prefer fair --readers 3 --writers 3 --reads 6 --writes 2)
ipcx_demo_test_fails(readers-writers-policy-inject readers-writers --prefer writers --inject-bug policy --reads 8)
ipcx_demo_test_fails(readers-writers-torn-inject readers-writers --prefer fair --inject-bug torn --reads 4)

# cannibals: everyone crosses, as processes and as threads (TSan too).
ipcx_demo_test(cannibals cannibals --processes)
ipcx_demo_test(cannibals-5-3 cannibals --missionaries 5 --cannibals 3)
ipcx_demo_test(cannibals-threads cannibals --threads)
set_tests_properties(demo-cannibals-threads PROPERTIES LABELS tsan)
ipcx_demo_test_fails(cannibals-inject cannibals --inject-bug)
ipcx_demo_test_fails(cannibals-threads-inject cannibals --threads --inject-bug)
set_tests_properties(demo-cannibals-threads-inject PROPERTIES LABELS tsan)

# A demo with a System V set that is interrupted removes it (and its children).
ipcx_test(demo-classics-signal ${CMAKE_CURRENT_SOURCE_DIR}/classics_signal.sh $<TARGET_FILE:ipcx_cmd>)
ipcx_test(demo-classics-kill ${CMAKE_CURRENT_SOURCE_DIR}/classics_kill.sh $<TARGET_FILE:ipcx_cmd>)
