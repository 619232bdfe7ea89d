/*
 * cond.c - ipcx_cond: a process-shared condition variable for ipcx_mutex.
 * A sequence number is the futex word: a waiter reads it while it holds
 * the mutex, and sleeps only while it is unchanged, so a signal given
 * after the waiter read it (even before the waiter sleeps) is never lost.
 * No requeue: a broadcast wakes everybody and they queue on the mutex.
 */
#include "ipcx/sync.h"
#include "sync.h"
#include "sys/futex.h"
#include "../util/err.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

struct cond {
    _Atomic uint32_t seq;     /* bumped by every signal and broadcast */
    _Atomic uint32_t waiters; /* threads between reading seq and leaving */
};
IPCX_SYNC_FITS(ipcx_cond, struct cond);

IPCX_API int ipcx_cond_init(ipcx_cond *c)
{
    if (!c)
        return ipcx__fail(-EINVAL, "no condition variable");
    memset(c, 0, sizeof *c);
    return 0;
}

IPCX_API int ipcx_cond_wait(ipcx_cond *c, ipcx_mutex *m, int timeout_ms)
{
    if (!c || !m)
        return ipcx__fail(-EINVAL, "no condition variable or mutex");
    struct cond *cv = (struct cond *) c;
    _Atomic uint32_t *mw = ipcx__mutex_word(m);
    if (!ipcx__lock_held(mw))
        return ipcx__fail(-EPERM, "the caller does not hold the mutex");

    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    uint32_t seq = atomic_load_explicit(&cv->seq, memory_order_relaxed);
    /* seq_cst: with the signaller's seq_cst increment and load of waiters
     * this is Dekker's pattern: either the signaller sees us counted, or
     * our futex wait sees the new seq.  Never both missed. */
    atomic_fetch_add_explicit(&cv->waiters, 1, memory_order_seq_cst);
    /* Release the owner word itself: an inconsistent mutex stays so (and
     * held by us again on return), rather than being poisoned here. */
    (void) ipcx__lock_release(mw);

    int r;
    for (;;) {
        if (atomic_load_explicit(&cv->seq, memory_order_seq_cst) != seq) {
            r = 0;
            break;
        }
        r = ipcx__sync_sleep(&cv->seq, seq, &d, 0, 1);
        if (r == -EINTR)
            break;
        if (r == -ETIMEDOUT && ipcx__remaining(&d) == 0) {
            r = ipcx__expired(&d);
            break;
        }
    }
    atomic_fetch_sub_explicit(&cv->waiters, 1, memory_order_relaxed);

    int l = ipcx__mutex_relock(m);
    if (l < 0)
        return l; /* -EOWNERDEAD (held) or -ENOTRECOVERABLE */
    return r;
}

static int cond_wake(ipcx_cond *c, int n)
{
    if (!c)
        return ipcx__fail(-EINVAL, "no condition variable");
    struct cond *cv = (struct cond *) c;
    atomic_fetch_add_explicit(&cv->seq, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&cv->waiters, memory_order_seq_cst) > 0)
        (void) ipcx__futex_wake(&cv->seq, n);
    return 0;
}

IPCX_API int ipcx_cond_signal(ipcx_cond *c)
{
    return cond_wake(c, 1);
}

IPCX_API int ipcx_cond_broadcast(ipcx_cond *c)
{
    return cond_wake(c, INT_MAX);
}

IPCX_API int ipcx_cond_destroy(ipcx_cond *c)
{
    /* No -EBUSY check on waiters: a waiter killed in its wait stays
     * counted for good, and must not make the object indestructible. */
    if (!c)
        return 0;
    memset(c, 0, sizeof *c);
    return 0;
}
