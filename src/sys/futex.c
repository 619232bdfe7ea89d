/*
 * futex.c - the futex system call for words shared between processes, and
 * process identity from /proc.  No policy: callers decide when to spin,
 * when to sleep and what a dead process means for them.
 */
#include "fault.h"
#include "futex.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

/* Read the state (field 3) and start time (field 22) of pid. */
static int proc_stat(pid_t pid, char *state, uint64_t *start)
{
    char path[64], buf[512];
    int fd;
    ssize_t n;

    if (pid <= 0)
        return -ESRCH;
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    n = ipcx__read(fd, buf, sizeof buf - 1);
    (void) close(fd);
    if (n <= 0)
        return n < 0 ? (int) n : -ESRCH;
    buf[n] = 0;
    /* The command name (field 2) may hold spaces and ')': skip to the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -EIO;
    *state = p[2];
    /* Fields 3..22 follow, each after a space; the start time is the 20th after ')'. */
    for (int field = 3; field <= 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -EIO;
    }
    char *end;
    unsigned long long v = strtoull(p + 1, &end, 10);
    if (end == p + 1)
        return -EIO;
    *start = v;
    return 0;
}

int ipcx__proc_start(pid_t pid, uint64_t *start)
{
    char state;
    return proc_stat(pid, &state, start);
}

int ipcx__proc_alive(pid_t pid, uint64_t start)
{
    uint64_t now;
    char state;
    if (pid <= 0)
        return 0;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 0;
    int r = proc_stat(pid, &state, &now);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return 1; /* cannot tell (e.g. no /proc): assume alive, never steal */
    /* A zombie keeps its pid and start time until reaped: it is gone for us. */
    if (state == 'Z' || state == 'X' || state == 'x')
        return 0;
    return start == 0 || now == start;
}
