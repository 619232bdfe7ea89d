/*
 * semapi.c - the named semaphore API: one set of calls over sem: (sem.c),
 * posixsem: (posixsem.c) and sysvsem: (sysvsem.c), picked by the URL's
 * scheme.  It checks arguments and URL keys, then dispatches; each kind
 * implements open, op, getval, close and unlink.
 */
#include "sync.h"
#include "../util/err.h"
#include "../util/addr.h"
#include "../sys/sigbus.h"
#include "../admin/reg.h"
#include "../sys/proc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct ipcx__semkind *const semkinds[] = {
    &ipcx__semkind_futex,
    &ipcx__semkind_posix,
    &ipcx__semkind_sysv,
};

static int sem_parse(const char *url, struct ipcx_url *u, const struct ipcx__semkind **kind)
{
    if (ipcx__url_parse(url, u) < 0)
        return -EINVAL;
    for (size_t i = 0; i < sizeof semkinds / sizeof semkinds[0]; i++) {
        if (strcmp(u->scheme, semkinds[i]->scheme) == 0) {
            if (u->authority)
                return ipcx__fail(-EINVAL, "%s: takes no //host", u->scheme);
            if (ipcx__url_check_keys(u, semkinds[i]->keys) < 0)
                return -EINVAL;
            *kind = semkinds[i];
            return 0;
        }
    }
    return ipcx__fail(-EPROTONOSUPPORT, "'%s' is not a semaphore scheme (sem, posixsem, sysvsem)",
                      u->scheme);
}

/* glibc and musl keep posixsem: in /dev/shm/sem.NAME, so a name has at most
 * NAME_MAX - 4 bytes there; ipcx has always allowed one fewer, on all kinds. */
int ipcx__sem_name(const struct ipcx_url *u)
{
    return ipcx__addr_posix(u, NAME_MAX - 5);
}

int ipcx__sem_open_args(const struct ipcx_url *u, unsigned value, mode_t *mode)
{
    if (ipcx__sem_name(u) < 0 || ipcx__url_mode(u, "mode", 0600, mode) < 0)
        return -EINVAL;
    if (value > IPCX_SEM_VALUE_MAX)
        return ipcx__fail(-EINVAL, "value %u is above IPCX_SEM_VALUE_MAX", value);
    return 0;
}

/*
 * The registry (src/admin/reg.h) knows who uses which named semaphore, as
 * it knows it of channels: `ipcx ls` shows the users, and `ipcx gc`
 * removes a semaphore that ipcx created once its creator and every user
 * are dead.  A fork child that goes on using an inherited handle is
 * noted as a user at its first call on it: the cached pid (sys/proc.h,
 * forgotten in a fork child) tells, one relaxed load per call.
 */

/* Write this process's entry for s (best effort); a fork child forgets its parent's. */
static void sem_register(struct ipcx_sem *s, int created)
{
    ipcx__reg_del(s->reg);
    s->pid = ipcx__self_pid_cached();
    s->reg = ipcx__reg_add(s->url, 0, created);
}

static inline void sem_user(struct ipcx_sem *s)
{
    if (__builtin_expect(s->pid != ipcx__self_pid_cached(), 0))
        sem_register(s, 0);
}

IPCX_API int ipcx_sem_open(ipcx_sem **out, const char *url, int flags, unsigned value)
{
    struct ipcx_url *u;
    const struct ipcx__semkind *kind;
    struct ipcx_sem *s;
    int r;

    ipcx__clear_detail();
    if (!out)
        return ipcx__fail(-EINVAL, "no place for the handle");
    if (flags & ~(IPCX_CREATE | IPCX_EXCL))
        return ipcx__fail(-EINVAL, "flags: only IPCX_CREATE and IPCX_EXCL");
    if ((flags & IPCX_EXCL) && !(flags & IPCX_CREATE))
        return ipcx__fail(-EINVAL, "IPCX_EXCL needs IPCX_CREATE");
    /* struct ipcx_url is 8 KiB: not on a thread's stack. */
    u = malloc(sizeof *u);
    s = calloc(1, sizeof *s);
    if (!u || !s) {
        r = -ENOMEM;
        goto fail;
    }
    r = sem_parse(url, u, &kind);
    if (r < 0)
        goto fail;
    s->kind = kind;
    s->semid = -1;
    /* Every kind takes allow=: an existing semaphore another user made is
     * refused unless allowed (owner.h). */
    if ((r = ipcx__url_allow(u, "allow", &s->allow)) < 0)
        goto fail;
    r = kind->open(s, u, flags, value);
    if (r < 0)
        goto fail;
    free(u);
    s->url = strdup(url); /* without it, only this process's entry is lost */
    if (s->url)
        sem_register(s, s->created);
    *out = s;
    return 0;
fail:
    free(u);
    free(s);
    return r;
}

int ipcx__sem_guard(struct ipcx_sem *s, void *p, size_t size)
{
    int r = ipcx__sigbus_guard(p, size, -1, &s->zone);
    return r < 0 ? ipcx__fail(r, "cannot guard the %s: mapping against truncation",
                              s->kind->scheme)
                 : 0;
}

void ipcx__sem_unguard(struct ipcx_sem *s)
{
    (void) ipcx__sigbus_unguard(s->zone);
    s->zone = NULL;
}

int ipcx__sem_shrunk(void)
{
    return ipcx__fail(-EIO, "the semaphore's file was truncated under this process (by its "
                            "owner, root or a user its mode admits): the semaphore is gone");
}

/*
 * r, the result of a call on s, or -EIO if s's file shrank before or
 * during it: what faulted went to private zeros and does not count.  One
 * relaxed load (sigbus.h); semaphores without a mapping have no zone.
 */
static int sem_guarded(const struct ipcx_sem *s, int r)
{
    return ipcx__sigbus_dead(s->zone) ? ipcx__sem_shrunk() : r;
}

IPCX_API int ipcx_sem_op(ipcx_sem *s, const struct ipcx_semop *ops, size_t nops, int timeout_ms)
{
    ipcx__clear_detail();
    if (!s || !ops || nops == 0)
        return ipcx__fail(-EINVAL, "no semaphore or no operations");
    if (nops > 64)
        return ipcx__fail(-E2BIG, "more than 64 operations at once");
    for (size_t i = 0; i < nops; i++) {
        if (ops[i].num >= s->nsems)
            return ipcx__fail(-EINVAL, "member %u of a set of %u", ops[i].num, s->nsems);
        if (ops[i].flags & ~IPCX_SEM_UNDO)
            return ipcx__fail(-EINVAL, "unknown flags 0x%x", ops[i].flags);
    }
    if (!s->kind->multi && (nops != 1 || (ops[0].op != 1 && ops[0].op != -1) || ops[0].flags))
        return ipcx__fail(-ENOTSUP, "%s: takes one operation of +1 or -1 without undo",
                          s->kind->scheme);
    if (ipcx__sigbus_dead(s->zone))
        return ipcx__sem_shrunk();
    sem_user(s);
    return sem_guarded(s, s->kind->op(s, ops, nops, timeout_ms));
}

IPCX_API int ipcx_sem_wait(ipcx_sem *s, int timeout_ms)
{
    struct ipcx_semop op = { 0, -1, 0 };
    if (s && s->kind->wait1 && !s->undo) {
        ipcx__clear_detail();
        if (ipcx__sigbus_dead(s->zone))
            return ipcx__sem_shrunk();
        sem_user(s);
        return sem_guarded(s, s->kind->wait1(s, timeout_ms));
    }
    return ipcx_sem_op(s, &op, 1, timeout_ms);
}

IPCX_API int ipcx_sem_trywait(ipcx_sem *s)
{
    return ipcx_sem_wait(s, 0);
}

IPCX_API int ipcx_sem_post(ipcx_sem *s)
{
    struct ipcx_semop op = { 0, 1, 0 };
    if (s && s->kind->post1 && !s->undo) {
        ipcx__clear_detail();
        if (ipcx__sigbus_dead(s->zone))
            return ipcx__sem_shrunk();
        sem_user(s);
        return sem_guarded(s, s->kind->post1(s));
    }
    return ipcx_sem_op(s, &op, 1, 0);
}

IPCX_API int ipcx_sem_getval(ipcx_sem *s, unsigned num)
{
    ipcx__clear_detail();
    if (!s || num >= s->nsems)
        return ipcx__fail(-EINVAL, "no semaphore, or no member %u", num);
    if (ipcx__sigbus_dead(s->zone))
        return ipcx__sem_shrunk();
    return sem_guarded(s, s->kind->getval(s, num));
}

IPCX_API int ipcx_sem_value(ipcx_sem *s)
{
    return ipcx_sem_getval(s, 0);
}

IPCX_API int ipcx_sem_count(const ipcx_sem *s)
{
    return s ? (int) s->nsems : -EINVAL;
}

IPCX_API int ipcx_sem_close(ipcx_sem *s)
{
    if (!s)
        return 0;
    if (s->kind)
        s->kind->close(s);
    ipcx__reg_del(s->reg);
    free(s->url);
    free(s);
    return 0;
}

IPCX_API int ipcx_sem_unlink(const char *url)
{
    struct ipcx_url *u;
    const struct ipcx__semkind *kind;
    int r;

    ipcx__clear_detail();
    u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    r = sem_parse(url, u, &kind);
    if (r == 0)
        r = kind->unlink(u);
    free(u);
    return r;
}
