# Messaging patterns across processes (src/pattern): pub/sub and the worker
# pool, one CTest test per case and scheme (pubsub_test.c says what each
# case checks).  Small rings so that lossy subscribers really fall behind.
add_executable(pubsub_test pubsub_test.c)
target_include_directories(pubsub_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(pubsub_test PRIVATE ipcx_static)
set(IPCX_PUBSUB_SCHEMES
  "shm=shm:/ipcx-t-%p-ps?size=4096&maxmsg=256"
  "sysvshm=sysvshm:79%p?size=4096&maxmsg=256"
  "unix=unix:/tmp/ipcx-t-%p-ps.sock"
  "unix-abstract=unix:@ipcx-t-%p-ps"
  "tcp=tcp://127.0.0.1:0")
foreach(pair IN LISTS IPCX_PUBSUB_SCHEMES)
  string(FIND "${pair}" "=" eq)
  string(SUBSTRING "${pair}" 0 ${eq} name)
  math(EXPR from "${eq} + 1")
  string(SUBSTRING "${pair}" ${from} -1 template)
  foreach(c filter lossless slow kill)
    ipcx_test(pubsub_${c}_${name} $<TARGET_FILE:pubsub_test> ${c} "${template}")
    if(NOT name MATCHES "shm")  # a fan-out: the same case with IPCX_PUB_BATCH
      ipcx_test(pubsub_${c}-batch_${name} $<TARGET_FILE:pubsub_test> ${c}-batch "${template}")
    endif()
  endforeach()
endforeach()
# The pool on every scheme that has one (pool.c, pool_sock.c, pool_mq.c);
# poolhostile and poolcredit skip (77) where there is no dispatcher.
foreach(pair "shm=shm:/ipcx-t-%p-pool?size=65536&maxmsg=64"
             "sysvshm=sysvshm:80%p?size=65536&maxmsg=64"
             "unix=unix:/tmp/ipcx-t-%p-pool.sock"
             "unix-abstract=unix:@ipcx-t-%p-pool"
             "tcp=tcp://127.0.0.1:0"
             "mq=mq:/ipcx-t-%p-pool?maxmsg=64")
  string(FIND "${pair}" "=" eq)
  string(SUBSTRING "${pair}" 0 ${eq} name)
  math(EXPR from "${eq} + 1")
  string(SUBSTRING "${pair}" ${from} -1 template)
  foreach(c pool poolkill poolgone poolhostile poolcredit)
    ipcx_test(pool_${c}_${name} $<TARGET_FILE:pubsub_test> ${c} "${template}")
  endforeach()
endforeach()
ipcx_test(pubsub_refuse $<TARGET_FILE:pubsub_test> refuse)
ipcx_test(pubsub_owner_shm $<TARGET_FILE:pubsub_test> owner "shm:/ipcx-t-%p-own?size=4096&maxmsg=256")
ipcx_test(pubsub_owner_sysvshm $<TARGET_FILE:pubsub_test> owner "sysvshm:81%p?size=4096&maxmsg=256")
# The commands ipcx pub and ipcx sub.
ipcx_test(pubsub_cmd ${CMAKE_CURRENT_SOURCE_DIR}/pubsub_cmd_test.sh $<TARGET_FILE:ipcx_cmd>)
# The pool across hosts: network namespaces (tests/netns.sh), as root; skips elsewhere.
add_executable(pool_peer pool_peer.c)
target_link_libraries(pool_peer PRIVATE ipcx_static)
ipcx_test(pool_netns ${CMAKE_CURRENT_SOURCE_DIR}/pool_netns_test.sh $<TARGET_FILE:pool_peer>)
# The commands ipcx pool-submit and ipcx worker.
ipcx_test(pool_cmd ${CMAKE_CURRENT_SOURCE_DIR}/pool_cmd_test.sh $<TARGET_FILE:ipcx_cmd>)
# The pool against another user (uid 65534, needs root) and connections
# that hold places without speaking (pool_sec_test.c).
add_executable(pool_sec_test pool_sec_test.c)
target_include_directories(pool_sec_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(pool_sec_test PRIVATE ipcx_static)
ipcx_test(pool_sec_stranger_unix $<TARGET_FILE:pool_sec_test> stranger "unix:/tmp/ipcx-t-%p-psec.sock?mode=0666")
ipcx_test(pool_sec_stranger_unix-abstract $<TARGET_FILE:pool_sec_test> stranger "unix:@ipcx-t-%p-psec")
ipcx_test(pool_sec_squat $<TARGET_FILE:pool_sec_test> squat "unix:@ipcx-t-%p-psquat")
ipcx_test(pool_sec_mqallow $<TARGET_FILE:pool_sec_test> mqallow "mq:/ipcx-t-%p-pmqa?maxmsg=64&mode=0666&allow=uid:65534")
foreach(pair "unix=unix:/tmp/ipcx-t-%p-psil.sock" "unix-abstract=unix:@ipcx-t-%p-psil"
             "tcp=tcp://127.0.0.1:0")
  string(FIND "${pair}" "=" eq)
  string(SUBSTRING "${pair}" 0 ${eq} name)
  math(EXPR from "${eq} + 1")
  string(SUBSTRING "${pair}" ${from} -1 template)
  ipcx_test(pool_sec_silent_${name} $<TARGET_FILE:pool_sec_test> silent "${template}")
endforeach()
