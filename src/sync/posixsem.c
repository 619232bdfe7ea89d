/*
 * posixsem.c - the named kind "posixsem:/name": a POSIX named semaphore
 * (sem_open), behind the API of semapi.c.  libc does the work; this file
 * maps timeouts onto sem_trywait / sem_clockwait and applies the
 * library's EINTR rule (glibc's sem_wait fails with EINTR whenever a
 * handler ran, whatever SA_RESTART says).
 */
#include "sync.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>

static int psem_open(struct ipcx_sem *s, const struct ipcx_url *u, int flags, unsigned value)
{
    mode_t mode;
    sem_t *ps;
    int oflag = 0;
    int r0 = ipcx__sem_open_args(u, value, &mode);
    if (r0 < 0)
        return r0;
    if (flags & IPCX_CREATE)
        oflag |= O_CREAT;
    if (flags & IPCX_EXCL)
        oflag |= O_EXCL;
    int r = ipcx__psem_open(u->path, oflag, mode, value, &ps);
    if (r < 0)
        return ipcx__fail(r, "sem_open %s", u->path);
    s->nsems = 1;
    s->ptr = ps;
    return 0;
}

static int psem_wait(sem_t *ps, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    for (;;) {
        int ms = ipcx__remaining(&d);
        int r = ipcx__psem_wait(ps, ms);
        if (r == 0)
            return 0;
        if (r == -EAGAIN || r == -ETIMEDOUT) {
            if (ipcx__remaining(&d) == 0)
                return ipcx__expired(&d);
            continue; /* woke a little early on the ms clock */
        }
        if (r == -EINTR) {
            if (ipcx__intr_returns())
                return -EINTR;
            continue;
        }
        return r;
    }
}

static int psem_op(struct ipcx_sem *s, const struct ipcx_semop *ops, size_t nops, int timeout_ms)
{
    (void) nops; /* one, of +1 or -1: checked by ipcx_sem_op */
    if (ops[0].op > 0)
        return ipcx__psem_post(s->ptr);
    return psem_wait(s->ptr, timeout_ms);
}

static int psem_getval(struct ipcx_sem *s, unsigned num)
{
    int v = 0;
    (void) num;
    int r = ipcx__psem_getvalue(s->ptr, &v);
    /* glibc reports 0 while there are waiters; never a negative count. */
    return r < 0 ? r : (v < 0 ? 0 : v);
}

static void psem_close(struct ipcx_sem *s)
{
    if (s->ptr)
        (void) ipcx__psem_close(s->ptr);
}

static int psem_unlink(const struct ipcx_url *u)
{
    int r = ipcx__sem_name(u);
    return r < 0 ? r : ipcx__psem_unlink(u->path);
}

const struct ipcx__semkind ipcx__semkind_posix = {
    .scheme = "posixsem",
    .keys   = "mode",
    .open   = psem_open,
    .op     = psem_op,
    .getval = psem_getval,
    .close  = psem_close,
    .unlink = psem_unlink,
};
