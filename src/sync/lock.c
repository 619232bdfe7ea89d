/*
 * lock.c - the robust owner word under the mutex, the spinlock and the
 * guards of the rwlock and the barrier (the protocol is in sync.h), and
 * the sliced futex sleep that every waiter of src/sync/ uses.  It holds no
 * public function: mutex.c and spin.c put the API on top.
 *
 * The wait protocol is the "mutex, take 2" of Drepper's "Futexes are
 * tricky", with the owner's TID in place of the value 1: an acquirer that
 * must sleep first sets WAITERS, sleeps only while the word still holds
 * exactly that value (the futex checks it atomically with queueing), and
 * once it has slept takes the word with WAITERS set, because other
 * sleepers may remain.  An unlock that sees WAITERS wakes one.
 */
#include "sync.h"
#include "sys/futex.h"
#include "sys/proc.h"

#include <errno.h>
#include <limits.h>

int ipcx__tid_alive(uint32_t tid)
{
    return ipcx__proc_alive((pid_t) tid, 0);
}


int ipcx__sync_sleep(_Atomic uint32_t *word, uint32_t expect,
                     const struct ipcx__deadline *d, int slice_ms, int intr)
{
    int ms = ipcx__remaining(d);
    if (ms == 0)
        return -ETIMEDOUT;
    if (slice_ms > 0 && (ms < 0 || ms > slice_ms))
        ms = slice_ms;
    int r = ipcx__futex_wait(word, expect, ms);
    if (r == -EINTR)
        return intr && ipcx__intr_returns() ? -EINTR : 0;
    if (r == -ETIMEDOUT)
        return -ETIMEDOUT;
    return 0; /* woken, spurious, or the word had changed (-EAGAIN) */
}

int ipcx__lock_held(_Atomic uint32_t *word)
{
    uint32_t v = atomic_load_explicit(word, memory_order_relaxed);
    return !(v & IPCX_LOCK_NOTRECOV) && (v & IPCX_LOCK_TID_MASK) == ipcx__self_tid();
}

/*
 * If the owner in v is dead, take the word over from exactly v.  The CAS
 * fails when anything changed since v was read (the owner unlocked, or
 * another waiter took over first), so at most one thread takes over.
 */
static int lock_take_over(_Atomic uint32_t *word, uint32_t v, uint32_t self)
{
    uint32_t owner = v & IPCX_LOCK_TID_MASK;
    if (owner == 0 || (v & IPCX_LOCK_NOTRECOV) || ipcx__tid_alive(owner))
        return 0;
    return atomic_compare_exchange_strong_explicit(word, &v, self | IPCX_LOCK_WAITERS,
                                                   memory_order_acquire,
                                                   memory_order_relaxed);
}

int ipcx__lock_acquire(_Atomic uint32_t *word, const struct ipcx__deadline *d,
                       int64_t spin_ns, int flags)
{
    uint32_t self = ipcx__self_tid(), v = 0;

    /* Uncontended: one CAS, no system call.  Acquire pairs with the
     * release of the unlock: what the last holder wrote is visible now. */
    if (atomic_compare_exchange_strong_explicit(word, &v, self, memory_order_acquire,
                                                memory_order_relaxed))
        return 0;

    /* Bounded spin (musl's rule): only while the word is held and nobody
     * sleeps on it yet; with sleepers the lock goes to them first anyway. */
    if (spin_ns > 0) {
        int64_t until = ipcx__now_ns() + spin_ns;
        for (unsigned i = 1;; i++) {
            v = atomic_load_explicit(word, memory_order_relaxed);
            if (v == 0) {
                if (atomic_compare_exchange_weak_explicit(word, &v, self, memory_order_acquire,
                                                          memory_order_relaxed))
                    return 0;
                continue;
            }
            if (v & (IPCX_LOCK_WAITERS | IPCX_LOCK_NOTRECOV))
                break;
            if ((v & IPCX_LOCK_TID_MASK) == self)
                return -EDEADLK;
            ipcx__cpu_relax();
            if (i % 64 == 0 && ipcx__now_ns() >= until)
                break;
        }
    }

    int slept = 0, slice = IPCX_SLICE_MIN_MS;
    for (;;) {
        v = atomic_load_explicit(word, memory_order_relaxed);
        if (v == 0) {
            /* After sleeping, keep WAITERS: other sleepers may remain. */
            uint32_t want = self | (slept ? IPCX_LOCK_WAITERS : 0);
            if (atomic_compare_exchange_weak_explicit(word, &v, want, memory_order_acquire,
                                                      memory_order_relaxed))
                return 0;
            continue;
        }
        if (v & IPCX_LOCK_NOTRECOV)
            return -ENOTRECOVERABLE;
        if ((v & IPCX_LOCK_TID_MASK) == self)
            return -EDEADLK;
        if (ipcx__remaining(d) == 0) {
            /* Even a trylock takes over from a dead owner. */
            if (lock_take_over(word, v, self))
                return -EOWNERDEAD;
            return ipcx__expired(d);
        }
        if (!(v & IPCX_LOCK_WAITERS)) {
            uint32_t w = v | IPCX_LOCK_WAITERS;
            if (!atomic_compare_exchange_weak_explicit(word, &v, w, memory_order_relaxed,
                                                       memory_order_relaxed))
                continue;
            v = w;
        }
        int r = ipcx__sync_sleep(word, v, d, slice, !(flags & IPCX__LOCK_NOINTR));
        slept = 1;
        if (r == -EINTR)
            return -EINTR;
        if (r == -ETIMEDOUT) {
            if (lock_take_over(word, v, self))
                return -EOWNERDEAD;
            slice = ipcx__next_slice(slice);
        }
    }
}

int ipcx__lock_release(_Atomic uint32_t *word)
{
    if (!ipcx__lock_held(word))
        return -EPERM;
    /* Release: everything written while holding is visible to the next
     * owner, whose acquiring CAS reads this 0. */
    uint32_t old = atomic_exchange_explicit(word, 0, memory_order_release);
    if (old & IPCX_LOCK_WAITERS)
        (void) ipcx__futex_wake(word, 1);
    return 0;
}

void ipcx__lock_poison(_Atomic uint32_t *word)
{
    atomic_store_explicit(word, IPCX_LOCK_NOTRECOV, memory_order_release);
    (void) ipcx__futex_wake(word, INT_MAX);
}

int ipcx__guard_lock(_Atomic uint32_t *word)
{
    struct ipcx__deadline forever = ipcx__deadline(-1);
    int r = ipcx__lock_acquire(word, &forever, 2000, IPCX__LOCK_NOINTR);
    return r == -EOWNERDEAD ? 1 : 0;
}

void ipcx__guard_unlock(_Atomic uint32_t *word)
{
    (void) ipcx__lock_release(word);
}
