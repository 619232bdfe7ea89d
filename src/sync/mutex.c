/*
 * mutex.c - ipcx_mutex: a process-shared, robust, error-checking mutex on
 * the owner word of lock.c.  This file adds only the consistency state of
 * POSIX robust mutexes: who takes the mutex over from a dead holder gets
 * -EOWNERDEAD and must call ipcx_mutex_consistent() before unlocking, or
 * the mutex becomes unusable (-ENOTRECOVERABLE) for everybody.
 */
#include "ipcx/sync.h"
#include "sync.h"
#include "../util/err.h"

#include <errno.h>
#include <string.h>

/* A short spin: most critical sections are shorter than two sleeps. */
#define MUTEX_SPIN_NS 2000

struct mutex {
    _Atomic uint32_t word;         /* the owner word (sync.h) */
    _Atomic uint32_t inconsistent; /* taken over from a dead holder, not yet repaired */
};
IPCX_SYNC_FITS(ipcx_mutex, struct mutex);

_Atomic uint32_t *ipcx__mutex_word(ipcx_mutex *m)
{
    return &((struct mutex *) m)->word;
}

static int mutex_took(struct mutex *mx, int r)
{
    /* Only the holder touches the flag: relaxed is enough. */
    if (r == -EOWNERDEAD)
        atomic_store_explicit(&mx->inconsistent, 1, memory_order_relaxed);
    return r;
}

int ipcx__mutex_relock(ipcx_mutex *m)
{
    struct mutex *mx = (struct mutex *) m;
    struct ipcx__deadline forever = ipcx__deadline(-1);
    return mutex_took(mx, ipcx__lock_acquire(&mx->word, &forever, MUTEX_SPIN_NS,
                                             IPCX__LOCK_NOINTR));
}

IPCX_API int ipcx_mutex_init(ipcx_mutex *m)
{
    if (!m)
        return ipcx__fail(-EINVAL, "no mutex");
    memset(m, 0, sizeof *m);
    return 0;
}

IPCX_API int ipcx_mutex_lock(ipcx_mutex *m, int timeout_ms)
{
    if (!m)
        return ipcx__fail(-EINVAL, "no mutex");
    struct mutex *mx = (struct mutex *) m;
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    return mutex_took(mx, ipcx__lock_acquire(&mx->word, &d, MUTEX_SPIN_NS, 0));
}

IPCX_API int ipcx_mutex_trylock(ipcx_mutex *m)
{
    return ipcx_mutex_lock(m, 0);
}

IPCX_API int ipcx_mutex_unlock(ipcx_mutex *m)
{
    if (!m)
        return ipcx__fail(-EINVAL, "no mutex");
    struct mutex *mx = (struct mutex *) m;
    if (!ipcx__lock_held(&mx->word))
        return ipcx__fail(-EPERM, "the caller does not hold this mutex");
    if (atomic_load_explicit(&mx->inconsistent, memory_order_relaxed)) {
        /* Unlocked without repair: nobody may trust the data again. */
        ipcx__lock_poison(&mx->word);
        return 0;
    }
    return ipcx__lock_release(&mx->word);
}

IPCX_API int ipcx_mutex_consistent(ipcx_mutex *m)
{
    if (!m)
        return ipcx__fail(-EINVAL, "no mutex");
    struct mutex *mx = (struct mutex *) m;
    if (!ipcx__lock_held(&mx->word) ||
        !atomic_load_explicit(&mx->inconsistent, memory_order_relaxed))
        return ipcx__fail(-EINVAL, "the caller does not hold this mutex after -EOWNERDEAD");
    atomic_store_explicit(&mx->inconsistent, 0, memory_order_relaxed);
    return 0;
}

IPCX_API int ipcx_mutex_destroy(ipcx_mutex *m)
{
    if (!m)
        return 0;
    struct mutex *mx = (struct mutex *) m;
    uint32_t v = atomic_load_explicit(&mx->word, memory_order_relaxed);
    if (v != 0 && v != IPCX_LOCK_NOTRECOV)
        return ipcx__fail(-EBUSY, "the mutex is held");
    memset(m, 0, sizeof *m);
    return 0;
}
