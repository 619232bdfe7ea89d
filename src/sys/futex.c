/*
 * futex.c - the futex system call for words shared between processes and
 * membarrier(2).  No policy: callers decide when to spin and when to sleep.
 * Process identity (is the owner of a word still alive?) is proc.c's.
 */
#include "fault.h"
#include "futex.h"
#include "sys.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

int ipcx__futex_wait(_Atomic uint32_t *word, uint32_t expect, int timeout_ms)
{
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts = ipcx__ts_rel(timeout_ms);
        tp = &ts;
    }
    IPCX_FAULT_POINT(futex_wait);
    /* FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the word is in shared memory. */
    long r = IPCX_FAILS(futex_wait) ? -1 : syscall(SYS_futex, (uint32_t *) word, FUTEX_WAIT, expect, tp, NULL, 0);
    if (r < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    return 0;
}

_Atomic int ipcx__mb_registered;

static int mb(int cmd)
{
    IPCX_FAULT_POINT(membarrier);
    return IPCX_FAILS(membarrier) || syscall(SYS_membarrier, cmd, 0, 0) < 0 ? -errno : 0;
}

int ipcx__mb_register(void)
{
    /* IPCX_NO_MEMBARRIER=1 acts as a kernel that refuses: the tests run the fenced protocol so. */
    const char *no = getenv("IPCX_NO_MEMBARRIER");
    int rc = no && *no == '1' ? -ENOSYS : mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED);
    atomic_store_explicit(&ipcx__mb_registered, rc == 0, memory_order_relaxed);
    return rc;
}

int ipcx__mb_all(void)
{
    return mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
}

int ipcx__mb_slow(void)
{
    return mb(MEMBARRIER_CMD_GLOBAL);
}

int ipcx__futex_wake(_Atomic uint32_t *word, int n)
{
    long r = syscall(SYS_futex, (uint32_t *) word, FUTEX_WAKE, n, NULL, NULL, 0);
    return r < 0 ? -errno : (int) r;
}
