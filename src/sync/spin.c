/*
 * spin.c - ipcx_spin: a lock that busy-waits for a bounded, configurable
 * time and then sleeps on a futex (the "spinlock with a time limit" of
 * the course).  It is the owner word of lock.c with a longer spin and no
 * consistency state: a lock taken over from a dead holder simply returns
 * -EOWNERDEAD with the lock held.
 */
#include "ipcx/sync.h"
#include "sync.h"
#include "../util/err.h"

#include <errno.h>
#include <string.h>

/* More than a second of spinning is a configuration mistake. */
#define SPIN_MAX_US 1000000u

struct spin {
    _Atomic uint32_t word;    /* the owner word (sync.h) */
    uint32_t         spin_us; /* busy-wait budget before sleeping */
};
IPCX_SYNC_FITS(ipcx_spin, struct spin);

IPCX_API int ipcx_spin_init(ipcx_spin *s, unsigned spin_us)
{
    if (!s)
        return ipcx__fail(-EINVAL, "no spinlock");
    if (spin_us > SPIN_MAX_US)
        return ipcx__fail(-EINVAL, "spin_us=%u is above %u", spin_us, SPIN_MAX_US);
    memset(s, 0, sizeof *s);
    ((struct spin *) s)->spin_us = spin_us;
    return 0;
}

IPCX_API int ipcx_spin_lock(ipcx_spin *s, int timeout_ms)
{
    if (!s)
        return ipcx__fail(-EINVAL, "no spinlock");
    struct spin *sp = (struct spin *) s;
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    /* Read the budget afresh: it is shared memory another process may
     * have scribbled; bound it rather than trust it. */
    uint32_t us = sp->spin_us;
    if (us > SPIN_MAX_US)
        us = SPIN_MAX_US;
    return ipcx__lock_acquire(&sp->word, &d, (int64_t) us * 1000, 0);
}

IPCX_API int ipcx_spin_trylock(ipcx_spin *s)
{
    return ipcx_spin_lock(s, 0);
}

IPCX_API int ipcx_spin_unlock(ipcx_spin *s)
{
    if (!s)
        return ipcx__fail(-EINVAL, "no spinlock");
    int r = ipcx__lock_release(&((struct spin *) s)->word);
    return r < 0 ? ipcx__fail(r, "the caller does not hold this spinlock") : 0;
}

IPCX_API int ipcx_spin_destroy(ipcx_spin *s)
{
    if (!s)
        return 0;
    if (atomic_load_explicit(&((struct spin *) s)->word, memory_order_relaxed) != 0)
        return ipcx__fail(-EBUSY, "the spinlock is held");
    memset(s, 0, sizeof *s);
    return 0;
}
