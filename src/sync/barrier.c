/*
 * barrier.c - ipcx_barrier: a reusable barrier for n parties in any
 * processes, that breaks instead of hanging when a party dies.
 *
 * The parties join (by TID) once; the state is changed under a guard (the
 * robust owner word of lock.c).  Waiters sleep on gen, which grows by 2
 * per completed round; bit 0 of gen says "broken".  A waiter compares gen
 * with the value of its own round, so a round that completed and a break
 * that came later are never confused.  A waiter whose sleep slice ends
 * asks whether every joined party still runs; if one does not, it breaks
 * the barrier and wakes everybody: -EPIPE now and at every later wait.
 */
#include "sync.h"
#include "sys/futex.h"
#include "../util/err.h"
#include "sys/proc.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define GEN_BROKEN 1u
#define GEN_STEP   2u

struct barrier {
    _Atomic uint32_t guard;    /* owner word guarding the plain fields */
    _Atomic uint32_t gen;      /* futex: rounds * GEN_STEP | GEN_BROKEN */
    _Atomic uint32_t sleepers; /* threads in (or entering) a futex wait on gen */
    uint32_t n;                /* parties per round */
    uint32_t spare;            /* was a count of in_round's bits: derived now */
    uint32_t nmembers;         /* parties joined */
    uint64_t in_round;         /* bit i: member[i] waits in the current round */
    uint32_t member[IPCX_BARRIER_MAX];
};
IPCX_SYNC_FITS(ipcx_barrier, struct barrier);

static void bar_wake(struct barrier *b)
{
    if (atomic_load_explicit(&b->sleepers, memory_order_seq_cst) > 0)
        (void) ipcx__futex_wake(&b->gen, INT_MAX);
}

static void bar_break(struct barrier *b)
{
    atomic_fetch_or_explicit(&b->gen, GEN_BROKEN, memory_order_seq_cst);
    bar_wake(b);
}

/* Under the guard: 1 if some joined party is gone. */
static int bar_someone_died(struct barrier *b)
{
    uint32_t n = b->nmembers < IPCX_BARRIER_MAX ? b->nmembers : IPCX_BARRIER_MAX;
    for (uint32_t i = 0; i < n; i++)
        if (!ipcx__tid_alive(b->member[i]))
            return 1;
    return 0;
}

/* Take the guard; a party died holding it: that breaks the barrier. */
static void bar_guard(struct barrier *b)
{
    if (ipcx__guard_lock(&b->guard))
        bar_break(b);
}

/* Under the guard: the caller's member index, joining if need be. */
static int bar_member(struct barrier *b, uint32_t self)
{
    if (b->n == 0 || b->n > IPCX_BARRIER_MAX || b->nmembers > b->n)
        return ipcx__fail(-EPROTO, "the barrier's state is impossible (not initialised?)");
    for (uint32_t i = 0; i < b->nmembers; i++)
        if (b->member[i] == self)
            return (int) i;
    if (b->nmembers == b->n)
        return ipcx__fail(-ENOSPC, "%u parties have joined already", b->n);
    b->member[b->nmembers] = self;
    return (int) b->nmembers++;
}

IPCX_API int ipcx_barrier_init(ipcx_barrier *p, unsigned n)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no barrier");
    if (n == 0 || n > IPCX_BARRIER_MAX)
        return ipcx__fail(-EINVAL, "n=%u: 1..%d parties", n, IPCX_BARRIER_MAX);
    memset(p, 0, sizeof *p);
    ((struct barrier *) p)->n = n;
    return 0;
}

IPCX_API int ipcx_barrier_join(ipcx_barrier *p)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no barrier");
    struct barrier *b = (struct barrier *) p;
    bar_guard(b);
    int r = atomic_load_explicit(&b->gen, memory_order_relaxed) & GEN_BROKEN
                ? ipcx__fail(-EPIPE, "the barrier is broken: a party died")
                : bar_member(b, ipcx__self_tid());
    ipcx__guard_unlock(&b->guard);
    return r < 0 ? r : 0;
}

/* The result for a waiter of round g once gen moved on to cur. */
static int bar_result(uint32_t g, uint32_t cur)
{
    if ((cur & ~GEN_BROKEN) != g)
        return 0; /* our round completed (whatever happened after) */
    return ipcx__fail(-EPIPE, "the barrier is broken: a party died");
}

IPCX_API int ipcx_barrier_wait(ipcx_barrier *p, int timeout_ms)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no barrier");
    struct barrier *b = (struct barrier *) p;
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    int slice = IPCX_SLICE_MIN_MS;

    bar_guard(b);
    uint32_t g = atomic_load_explicit(&b->gen, memory_order_relaxed);
    if (g & GEN_BROKEN) {
        ipcx__guard_unlock(&b->guard);
        return ipcx__fail(-EPIPE, "the barrier is broken: a party died");
    }
    int me = bar_member(b, ipcx__self_tid());
    if (me < 0) {
        ipcx__guard_unlock(&b->guard);
        return me;
    }
    b->in_round |= 1ull << me;
    if ((uint32_t) __builtin_popcountll(b->in_round) >= b->n) { /* parties in the round */
        b->in_round = 0;
        /* Release: what the parties wrote before arriving is visible to
         * every party that sees the new generation. */
        atomic_store_explicit(&b->gen, g + GEN_STEP, memory_order_seq_cst);
        bar_wake(b);
        ipcx__guard_unlock(&b->guard);
        return IPCX_BARRIER_LAST;
    }
    ipcx__guard_unlock(&b->guard);

    for (;;) {
        uint32_t cur = atomic_load_explicit(&b->gen, memory_order_acquire);
        if (cur != g)
            return bar_result(g, cur);
        atomic_fetch_add_explicit(&b->sleepers, 1, memory_order_seq_cst);
        int w = ipcx__sync_sleep(&b->gen, g, &d, slice, 1);
        atomic_fetch_sub_explicit(&b->sleepers, 1, memory_order_seq_cst);
        if (w == 0)
            continue;
        int give_up = w == -EINTR || ipcx__remaining(&d) == 0;
        bar_guard(b);
        cur = atomic_load_explicit(&b->gen, memory_order_acquire);
        if (cur != g) {
            ipcx__guard_unlock(&b->guard);
            return bar_result(g, cur);
        }
        if (give_up) {
            /* Withdraw from the round: it now waits for us again. */
            b->in_round &= ~(1ull << me);
            ipcx__guard_unlock(&b->guard);
            return w == -EINTR ? -EINTR : ipcx__expired(&d);
        }
        if (bar_someone_died(b))
            bar_break(b);
        ipcx__guard_unlock(&b->guard);
        slice = ipcx__next_slice(slice);
    }
}

IPCX_API int ipcx_barrier_destroy(ipcx_barrier *p)
{
    if (p)
        memset(p, 0, sizeof *p);
    return 0;
}
