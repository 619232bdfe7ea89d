/*
 * psem.c - -errno wrappers for POSIX named semaphores (sem_open and
 * friends), for posixsem.c.  None retries on EINTR: the caller applies the
 * library's EINTR rule.
 */
#include "fault.h"
#include "psem.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>

int ipcx__psem_open(const char *name, int oflag, mode_t mode, unsigned value,
                    sem_t **out)
{
    IPCX_FAULT_POINT(sem_open);
    if (IPCX_FAILS(sem_open))
        return -errno;
    sem_t *s = (oflag & O_CREAT) ? sem_open(name, oflag, mode, value)
                                 : sem_open(name, oflag);
    if (s == SEM_FAILED)
        return -errno;
    *out = s;
    return 0;
}

int ipcx__psem_wait(sem_t *s, int timeout_ms)
{
    IPCX_FAULT_POINT(sem_wait);
    int r;
    if (IPCX_FAILS(sem_wait)) {
        r = -1;
    } else if (timeout_ms < 0) {
        r = sem_wait(s);
    } else if (timeout_ms == 0) {
        r = sem_trywait(s);
    } else {
        struct timespec at;
        (void) clock_gettime(CLOCK_MONOTONIC, &at);
        at.tv_sec += timeout_ms / 1000;
        at.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
        if (at.tv_nsec >= 1000000000L)
            at.tv_sec++, at.tv_nsec -= 1000000000L;
        r = sem_clockwait(s, CLOCK_MONOTONIC, &at);
    }
    return r < 0 ? -errno : 0;
}

int ipcx__psem_post(sem_t *s)
{
    IPCX_FAULT_POINT(sem_post);
    return IPCX_FAILS(sem_post) || sem_post(s) < 0 ? -errno : 0;
}

int ipcx__psem_getvalue(sem_t *s, int *value)
{
    return sem_getvalue(s, value) < 0 ? -errno : 0;
}

int ipcx__psem_close(sem_t *s)
{
    return sem_close(s) < 0 ? -errno : 0;
}

int ipcx__psem_unlink(const char *name)
{
    IPCX_FAULT_POINT(sem_unlink);
    return IPCX_FAILS(sem_unlink) || sem_unlink(name) < 0 ? -errno : 0;
}
