/*
 * sem.c - ipcx's own counting semaphore on a futex: ipcx_semaphore in
 * memory the caller shares, and the named kind "sem:/name", which is the
 * same semaphore in a small POSIX shm file with a checked header.  The
 * public named API is in semapi.c.
 *
 * Protocol (verified in models/futex_sem.pml):
 *   wait: take a token with a CAS if value > 0; else count ourselves in
 *         nwaiters and sleep on the value word while it is 0.
 *   post: add a token; if nwaiters > 0, wake one sleeper.
 * nwaiters++ (waiter) and value++ (poster) are both seq_cst, and each side
 * then reads the other's word (the futex reads the value atomically with
 * queueing the waiter): Dekker's pattern, so either the poster sees the
 * waiter and wakes it, or the waiter sees the token and does not sleep.
 * A waiter that leaves without a token (timeout, signal) after a wake may
 * have swallowed the wake meant for the token that is still there: it
 * passes the wake on.  A waiter killed while counted leaves nwaiters one
 * too high for good, which costs later posts a futile futex_wake, nothing
 * else.  There is no owner, so a process that dies holding tokens loses
 * them (use sysvsem with undo=1 when that matters).
 */
#include "sync.h"
#include "sys/futex.h"
#include "../util/err.h"
#include "../util/owner.h"
#include "../sys/shmfile.h"
#include "../sys/sigbus.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

struct fsem {
    _Atomic uint32_t value;    /* tokens, 0..IPCX_SEM_VALUE_MAX; the futex word */
    _Atomic uint32_t nwaiters; /* threads that may sleep on value */
};
IPCX_SYNC_FITS(ipcx_semaphore, struct fsem);

/* A short spin before sleeping: a post often follows within microseconds. */
#define FSEM_SPIN 100


static int fsem_try(struct fsem *s)
{
    uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
    for (;;) {
        if (v > IPCX_SEM_VALUE_MAX)
            return ipcx__fail(-EPROTO, "semaphore value %u is impossible", v);
        if (v == 0)
            return -EAGAIN;
        /* Acquire pairs with the release in post: what the poster wrote
         * before posting is visible to whoever takes the token. */
        if (atomic_compare_exchange_weak_explicit(&s->value, &v, v - 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    }
}

/*
 * Take a token, waiting until d.  z: the SIGBUS guard of a named
 * semaphore's mapping (NULL in memory): its waiter sleeps in slices and
 * between them looks whether the file shrank (a truncated file would
 * otherwise leave it asleep on a page nobody can post any more).
 */
static int fsem_wait(struct fsem *s, const struct ipcx__deadline *d, struct ipcx__sigbus_zone *z)
{
    int r = fsem_try(s);
    if (r != -EAGAIN)
        return r;
    for (int i = 0; i < FSEM_SPIN && !d->zero; i++) {
        ipcx__cpu_relax();
        if (atomic_load_explicit(&s->value, memory_order_relaxed) != 0 &&
            (r = fsem_try(s)) != -EAGAIN)
            return r;
    }
    if (ipcx__remaining(d) == 0)
        return ipcx__expired(d);

    atomic_fetch_add_explicit(&s->nwaiters, 1, memory_order_seq_cst);
    for (;;) {
        r = fsem_try(s);
        if (r != -EAGAIN)
            break;
        r = ipcx__sync_sleep(&s->value, 0, d, z ? IPCX__SEM_SLICE_MS : 0, 1);
        if (r == -EINTR)
            break;
        if (r == -ETIMEDOUT && ipcx__remaining(d) == 0) {
            r = fsem_try(s) == 0 ? 0 : ipcx__expired(d);
            break;
        }
        if (r == -ETIMEDOUT && ipcx__sigbus_check(z)) {
            r = ipcx__sem_shrunk();
            break;
        }
    }
    atomic_fetch_sub_explicit(&s->nwaiters, 1, memory_order_seq_cst);
    if (r < 0 && atomic_load_explicit(&s->value, memory_order_seq_cst) > 0 &&
        atomic_load_explicit(&s->nwaiters, memory_order_seq_cst) > 0)
        (void) ipcx__futex_wake(&s->value, 1);
    return r;
}

static int fsem_post(struct fsem *s)
{
    uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
    do {
        if (v > IPCX_SEM_VALUE_MAX)
            return ipcx__fail(-EPROTO, "semaphore value %u is impossible", v);
        if (v == IPCX_SEM_VALUE_MAX)
            return ipcx__fail(-EOVERFLOW, "the semaphore is at its maximum");
    } while (!atomic_compare_exchange_weak_explicit(&s->value, &v, v + 1, memory_order_seq_cst,
                                                    memory_order_relaxed));
    if (atomic_load_explicit(&s->nwaiters, memory_order_seq_cst) > 0)
        (void) ipcx__futex_wake(&s->value, 1);
    return 0;
}

static int fsem_value(struct fsem *s)
{
    uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
    if (v > IPCX_SEM_VALUE_MAX)
        return ipcx__fail(-EPROTO, "semaphore value %u is impossible", v);
    return (int) v;
}

/* ---- in memory ----------------------------------------------------- */

IPCX_API int ipcx_semaphore_init(ipcx_semaphore *s, unsigned value)
{
    if (!s)
        return ipcx__fail(-EINVAL, "no semaphore");
    if (value > IPCX_SEM_VALUE_MAX)
        return ipcx__fail(-EINVAL, "value %u is above IPCX_SEM_VALUE_MAX", value);
    memset(s, 0, sizeof *s);
    atomic_store_explicit(&((struct fsem *) s)->value, value, memory_order_release);
    return 0;
}

IPCX_API int ipcx_semaphore_wait(ipcx_semaphore *s, int timeout_ms)
{
    if (!s)
        return ipcx__fail(-EINVAL, "no semaphore");
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    return fsem_wait((struct fsem *) s, &d, NULL);
}

IPCX_API int ipcx_semaphore_trywait(ipcx_semaphore *s)
{
    return ipcx_semaphore_wait(s, 0);
}

IPCX_API int ipcx_semaphore_post(ipcx_semaphore *s)
{
    if (!s)
        return ipcx__fail(-EINVAL, "no semaphore");
    return fsem_post((struct fsem *) s);
}

IPCX_API int ipcx_semaphore_value(ipcx_semaphore *s)
{
    if (!s)
        return ipcx__fail(-EINVAL, "no semaphore");
    return fsem_value((struct fsem *) s);
}

IPCX_API int ipcx_semaphore_destroy(ipcx_semaphore *s)
{
    if (s)
        memset(s, 0, sizeof *s);
    return 0;
}

/* ---- named: sem:/name ---------------------------------------------- */

#define SEMSEG_MAGIC   0x53584349u /* "ICXS" */
#define SEMSEG_VERSION 1

/* The whole shm file.  Every field is checked before the semaphore is used. */
struct semseg {
    uint32_t       magic;
    uint16_t       version;
    uint16_t       hdrsize; /* offsetof(struct semseg, sem) */
    uint32_t       objsize; /* sizeof(ipcx_semaphore) */
    uint32_t       filesize;
    ipcx_semaphore sem;
};

static int semseg_check(const struct semseg *g, size_t size)
{
    if (size != sizeof *g)
        return ipcx__fail(-EPROTO, "the sem: segment has %zu bytes, not %zu", size, sizeof *g);
    if (g->magic != SEMSEG_MAGIC || g->version != SEMSEG_VERSION ||
        g->hdrsize != offsetof(struct semseg, sem) || g->objsize != sizeof(ipcx_semaphore) ||
        g->filesize != sizeof *g)
        return ipcx__fail(-EPROTO, "the sem: segment has a bad header (not an ipcx semaphore?)");
    if (fsem_value((struct fsem *) &g->sem) < 0)
        return -EPROTO;
    return 0;
}

/*
 * Guard the mapping p against a file shrunk under it (sigbus.h: an access
 * gives -EIO, not SIGBUS) and make it the semaphore's; unmapped on failure.
 */
static int semseg_guard(struct ipcx_sem *s, void *p)
{
    int r = ipcx__sem_guard(s, p, sizeof(struct semseg));
    if (r < 0) {
        (void) ipcx__shmfile_unmap(p, sizeof(struct semseg));
        return r;
    }
    s->ptr = p;
    return 0;
}

static void semseg_unmap(struct ipcx_sem *s)
{
    ipcx__sem_unguard(s);
    (void) ipcx__shmfile_unmap(s->ptr, sizeof(struct semseg));
    s->ptr = NULL;
}

/* Open the published semaphore name; mode: the most it may grant (owner.h). */
static int semseg_open_existing(struct ipcx_sem *s, const char *name, mode_t mode)
{
    size_t size = 0;
    void *p;
    int fd = ipcx__shmfile_open(name, &size);
    if (fd < 0)
        return fd == -EPROTO ? ipcx__fail(fd, "%s is not a shm file", name) : fd;
    char what[NAME_MAX + 8]; /* ipcx__sem_name bounded the name */
    snprintf(what, sizeof what, "sem:%s", name);
    int r = ipcx__owner_check_fd(fd, what, mode, &s->allow);
    if (r < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    if (size != sizeof(struct semseg)) {
        (void) ipcx__close(fd);
        return ipcx__fail(-EPROTO, "the sem: segment has %zu bytes, not %zu", size,
                          sizeof(struct semseg));
    }
    r = ipcx__shmfile_map(fd, size, &p);
    (void) ipcx__close(fd);
    if (r < 0)
        return r;
    r = semseg_guard(s, p);
    if (r < 0)
        return r;
    r = semseg_check(p, size);
    if (r < 0) {
        semseg_unmap(s);
        return r;
    }
    return 0;
}

/*
 * Create the file under no name, initialise it, and only then give it its
 * name (musl's sem_open: publish after init).  Nobody can ever open a
 * half-made semaphore, and a creator that dies half-way leaves nothing.
 */
static int semseg_create(struct ipcx_sem *s, const char *name, mode_t mode, unsigned value)
{
    void *p;
    int fd = ipcx__shmfile_anon(mode, sizeof(struct semseg));
    if (fd < 0)
        return ipcx__fail(fd, "cannot create a shm file in /dev/shm");
    int r = ipcx__shmfile_map(fd, sizeof(struct semseg), &p);
    if (r < 0)
        goto out;
    struct semseg *g = p;
    g->magic = SEMSEG_MAGIC;
    g->version = SEMSEG_VERSION;
    g->hdrsize = offsetof(struct semseg, sem);
    g->objsize = sizeof(ipcx_semaphore);
    g->filesize = sizeof *g;
    (void) ipcx_semaphore_init(&g->sem, value);
    r = semseg_guard(s, p);
    if (r < 0)
        goto out;
    r = ipcx__shmfile_publish(fd, name);
    if (r < 0)
        semseg_unmap(s);
    s->created = r == 0;
out:
    (void) ipcx__close(fd);
    return r;
}

static int fsemk_open(struct ipcx_sem *s, const struct ipcx_url *u, int flags, unsigned value)
{
    mode_t mode;
    int r0 = ipcx__sem_open_args(u, value, &mode);
    if (r0 < 0)
        return r0;
    s->nsems = 1;
    if (!(flags & IPCX_CREATE))
        return semseg_open_existing(s, u->path, mode);
    /* Create, or (without IPCX_EXCL) open what another creator published
     * first; the loop covers one that is removed between the two tries. */
    for (int tries = 0; tries < 16; tries++) {
        int r = semseg_create(s, u->path, mode, value);
        if (r != -EEXIST)
            return r;
        if (flags & IPCX_EXCL)
            return ipcx__fail(-EEXIST, "%s exists", u->path);
        r = semseg_open_existing(s, u->path, mode);
        if (r != -ENOENT)
            return r;
    }
    return ipcx__fail(-EAGAIN, "%s keeps appearing and disappearing", u->path);
}

static struct fsem *fsemk_sem(struct ipcx_sem *s)
{
    return (struct fsem *) &((struct semseg *) s->ptr)->sem;
}

static int fsemk_post1(struct ipcx_sem *s);
static int fsemk_wait1(struct ipcx_sem *s, int timeout_ms);

static int fsemk_op(struct ipcx_sem *s, const struct ipcx_semop *ops, size_t nops, int timeout_ms)
{
    (void) nops; /* one, of +1 or -1: checked by ipcx_sem_op */
    return ops[0].op > 0 ? fsemk_post1(s) : fsemk_wait1(s, timeout_ms);
}

static int fsemk_post1(struct ipcx_sem *s)
{
    return fsem_post(fsemk_sem(s));
}

static int fsemk_wait1(struct ipcx_sem *s, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    return fsem_wait(fsemk_sem(s), &d, s->zone);
}

static int fsemk_getval(struct ipcx_sem *s, unsigned num)
{
    (void) num;
    return fsem_value(fsemk_sem(s));
}

static void fsemk_close(struct ipcx_sem *s)
{
    if (s->ptr)
        semseg_unmap(s);
}

static int fsemk_unlink(const struct ipcx_url *u)
{
    int r = ipcx__sem_name(u);
    return r < 0 ? r : ipcx__shmfile_unlink(u->path);
}

const struct ipcx__semkind ipcx__semkind_futex = {
    .scheme = "sem",
    .keys   = "mode allow",
    .open   = fsemk_open,
    .op     = fsemk_op,
    .post1  = fsemk_post1,
    .wait1  = fsemk_wait1,
    .getval = fsemk_getval,
    .close  = fsemk_close,
    .unlink = fsemk_unlink,
};
