/*
 * posixsem.c - the named kind "posixsem:/name": a POSIX named semaphore
 * (sem_open), behind the API of semapi.c.  libc does the work; this file
 * maps timeouts onto sem_trywait / sem_clockwait and applies the
 * library's EINTR rule (glibc's sem_wait fails with EINTR whenever a
 * handler ran, whatever SA_RESTART says).  sem_open creates; an existing
 * semaphore is opened here, so that its owner can be checked (owner.h).
 */
#include "sync.h"
#include "../util/err.h"
#include "../util/owner.h"
#include "../sys/psem.h"
#include "../sys/shmfile.h"
#include "../sys/sigbus.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

/*
 * Open the existing semaphore path ("/name") ourselves rather than through
 * sem_open, which opens, maps and closes the file without letting us see
 * whose it is.  glibc and musl keep it in the shm file "/sem.name" (a
 * sem_t at offset 0, initialised process-shared by its creator), so the
 * descriptor we check (owner.h) is the one we map: no swap in between.
 * sem_wait and sem_post work on any process-shared sem_t in shared memory.
 */
static int psem_open_existing(struct ipcx_sem *s, const char *path, mode_t mode)
{
    char file[NAME_MAX + 2], what[NAME_MAX + 16];
    size_t size = 0;
    void *p;

    snprintf(file, sizeof file, "/sem.%s", path + 1); /* ipcx__sem_name bounded it */
    snprintf(what, sizeof what, "posixsem:%s", path);
    int fd = ipcx__shmfile_open(file, &size);
    if (fd == -EPROTO)
        return ipcx__fail(-EPROTO, "%s: /dev/shm%s is not a regular file", what, file);
    if (fd < 0)
        return fd == -ENOENT ? -ENOENT : ipcx__fail(fd, "%s: cannot open /dev/shm%s", what, file);
    int r = ipcx__owner_check_fd(fd, what, mode, &s->allow);
    if (r == 0 && size < sizeof(sem_t))
        r = ipcx__fail(-EPROTO, "%s: /dev/shm%s has %zu bytes, less than a semaphore", what,
                       file, size);
    if (r == 0)
        r = ipcx__shmfile_map(fd, sizeof(sem_t), &p);
    (void) ipcx__close(fd);
    if (r < 0)
        return r;
    r = ipcx__sem_guard(s, p, sizeof(sem_t));
    if (r < 0) {
        (void) ipcx__shmfile_unmap(p, sizeof(sem_t));
        return r;
    }
    s->ptr = p;
    s->mapped = 1;
    return 0;
}

static int psem_open(struct ipcx_sem *s, const struct ipcx_url *u, int flags, unsigned value)
{
    mode_t mode;
    sem_t *ps;
    int r = ipcx__sem_open_args(u, value, &mode);
    if (r < 0)
        return r;
    s->nsems = 1;
    if (!(flags & IPCX_CREATE)) {
        r = psem_open_existing(s, u->path, mode);
        return r == -ENOENT ? ipcx__fail(r, "posixsem:%s does not exist", u->path) : r;
    }
    /* Create exclusively, so we know whether this end made it; else (without
     * IPCX_EXCL) open the existing one, checked.  The loop covers one that is
     * removed between the two tries. */
    for (int tries = 0; tries < 16; tries++) {
        r = ipcx__psem_open(u->path, O_CREAT | O_EXCL, mode, value, &ps);
        if (r == 0) {
            s->ptr = ps;
            r = ipcx__sem_guard(s, ps, sizeof(sem_t));
            s->created = r == 0;
            if (r < 0) { /* made by this call: not left behind */
                (void) ipcx__psem_close(ps);
                (void) ipcx__psem_unlink(u->path);
                s->ptr = NULL;
            }
            return r;
        }
        if (r != -EEXIST)
            return ipcx__fail(r, "sem_open %s", u->path);
        if (flags & IPCX_EXCL)
            return ipcx__fail(-EEXIST, "posixsem:%s exists", u->path);
        r = psem_open_existing(s, u->path, mode);
        if (r != -ENOENT)
            return r;
    }
    return ipcx__fail(-EAGAIN, "posixsem:%s keeps appearing and disappearing", u->path);
}

/* Wait until timeout_ms; on a guarded mapping (z) in slices, looking
 * between them whether the file shrank (sync.h). */
static int psem_wait(sem_t *ps, int timeout_ms, struct ipcx__sigbus_zone *z)
{
    /* A token there: take it without the clock a slice would read. */
    if (z && timeout_ms != 0 && ipcx__psem_wait(ps, 0) == 0)
        return 0;
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    for (;;) {
        int ms = ipcx__remaining(&d);
        if (z && (ms < 0 || ms > IPCX__SEM_SLICE_MS))
            ms = IPCX__SEM_SLICE_MS;
        int r = ipcx__psem_wait(ps, ms);
        if (r == 0)
            return 0;
        if (r == -EAGAIN || r == -ETIMEDOUT) {
            if (ipcx__remaining(&d) == 0)
                return ipcx__expired(&d);
            if (ipcx__sigbus_check(z))
                return ipcx__sem_shrunk();
            continue; /* a slice ended, or woke a little early on the ms clock */
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
    return psem_wait(s->ptr, timeout_ms, s->zone);
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
    ipcx__sem_unguard(s);
    if (s->ptr && s->mapped)
        (void) ipcx__shmfile_unmap(s->ptr, sizeof(sem_t));
    else if (s->ptr)
        (void) ipcx__psem_close(s->ptr);
}

static int psem_unlink(const struct ipcx_url *u)
{
    int r = ipcx__sem_name(u);
    return r < 0 ? r : ipcx__psem_unlink(u->path);
}

const struct ipcx__semkind ipcx__semkind_posix = {
    .scheme = "posixsem",
    .keys   = "mode allow",
    .open   = psem_open,
    .op     = psem_op,
    .getval = psem_getval,
    .close  = psem_close,
    .unlink = psem_unlink,
};
