/*
 * teach.c - the course's mutual-exclusion algorithms, made correct on a
 * real multicore machine: Peterson's (two processes), Lamport's bakery
 * (n processes), test-and-set and test-and-test-and-set.  They only
 * busy-wait, have no timeout and are not robust.  The Promela models in
 * models/ check the algorithms; the comments here say what the hardware
 * needs on top.
 *
 * Why seq_cst for Peterson and the bakery: both write their own flag and
 * then read the others' ("I want in; do you?").  Every CPU ipcx runs on
 * may let a load overtake an earlier store to another address (x86's
 * store buffer does exactly that), and then both processes read the other
 * flag as 0 and both enter.  Acquire/release does not forbid that
 * store->load reordering; only sequential consistency does (on x86 a
 * seq_cst store is an xchg, on arm64 stlr followed by ldar).  So every
 * shared access of the entry protocols is seq_cst.  The exits only need
 * release: they publish the critical section's writes.
 *
 * Test-and-set needs no such care: one atomic exchange on one word is the
 * whole protocol; acquire on success and release on unlock order the
 * critical section's data.
 */
#include "sync.h"
#include "sys/futex.h"
#include "sys/proc.h"
#include "../util/err.h"

#include <errno.h>
#include <string.h>

/* Busy-wait politely: after a while give the CPU to the holder, which on
 * an oversubscribed machine may be waiting for exactly this CPU. */
static void teach_pause(unsigned *spins)
{
    if (++*spins % 128 == 0)
        ipcx__yield();
    else
        ipcx__cpu_relax();
}

/* ---- Peterson ------------------------------------------------------ */

struct peterson {
    _Atomic uint32_t flag[2]; /* flag[i]: process i wants to enter */
    _Atomic uint32_t turn;    /* who gives way when both want in */
};
IPCX_SYNC_FITS(ipcx_peterson, struct peterson);

IPCX_API int ipcx_peterson_init(ipcx_peterson *p)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no lock");
    memset(p, 0, sizeof *p);
    return 0;
}

IPCX_API int ipcx_peterson_lock(ipcx_peterson *p, unsigned self)
{
    if (!p || self > 1)
        return ipcx__fail(-EINVAL, "Peterson's lock is for processes 0 and 1");
    struct peterson *pt = (struct peterson *) p;
    unsigned other = 1 - self, spins = 0;
    atomic_store_explicit(&pt->flag[self], 1, memory_order_seq_cst);
    atomic_store_explicit(&pt->turn, other, memory_order_seq_cst);
    while (atomic_load_explicit(&pt->flag[other], memory_order_seq_cst) &&
           atomic_load_explicit(&pt->turn, memory_order_seq_cst) == other)
        teach_pause(&spins);
    return 0;
}

IPCX_API int ipcx_peterson_unlock(ipcx_peterson *p, unsigned self)
{
    if (!p || self > 1)
        return ipcx__fail(-EINVAL, "Peterson's lock is for processes 0 and 1");
    atomic_store_explicit(&((struct peterson *) p)->flag[self], 0, memory_order_release);
    return 0;
}

/* ---- Lamport's bakery ---------------------------------------------- */

struct bakery {
    uint32_t         n;
    uint32_t         spare;
    _Atomic uint32_t choosing[IPCX_BAKERY_MAX]; /* i is drawing a number */
    _Atomic uint32_t number[IPCX_BAKERY_MAX];   /* i's ticket, 0: not waiting */
};
IPCX_SYNC_FITS(ipcx_bakery, struct bakery);

IPCX_API int ipcx_bakery_init(ipcx_bakery *p, unsigned n)
{
    if (!p || n == 0 || n > IPCX_BAKERY_MAX)
        return ipcx__fail(-EINVAL, "the bakery serves 1..%d processes", IPCX_BAKERY_MAX);
    memset(p, 0, sizeof *p);
    ((struct bakery *) p)->n = n;
    return 0;
}

IPCX_API int ipcx_bakery_lock(ipcx_bakery *p, unsigned self)
{
    struct bakery *b = (struct bakery *) p;
    if (!p || b->n > IPCX_BAKERY_MAX || self >= b->n)
        return ipcx__fail(-EINVAL, "no bakery, or process %u is not one of its n", self);
    unsigned n = b->n, spins = 0;

    atomic_store_explicit(&b->choosing[self], 1, memory_order_seq_cst);
    uint32_t max = 0;
    for (unsigned j = 0; j < n; j++) {
        uint32_t v = atomic_load_explicit(&b->number[j], memory_order_seq_cst);
        if (v > max)
            max = v;
    }
    /* Tickets grow only while someone always waits; 2^32 - 1 entries
     * without a moment of calm would wrap.  We do not handle that. */
    uint32_t mine = max + 1;
    atomic_store_explicit(&b->number[self], mine, memory_order_seq_cst);
    atomic_store_explicit(&b->choosing[self], 0, memory_order_seq_cst);

    for (unsigned j = 0; j < n; j++) {
        if (j == self)
            continue;
        /* Wait until j has its number: else j could draw a smaller one
         * after we looked and enter with us. */
        while (atomic_load_explicit(&b->choosing[j], memory_order_seq_cst))
            teach_pause(&spins);
        for (;;) {
            uint32_t nj = atomic_load_explicit(&b->number[j], memory_order_seq_cst);
            if (nj == 0 || nj > mine || (nj == mine && j > self))
                break;
            teach_pause(&spins);
        }
    }
    return 0;
}

IPCX_API int ipcx_bakery_unlock(ipcx_bakery *p, unsigned self)
{
    struct bakery *b = (struct bakery *) p;
    if (!p || b->n > IPCX_BAKERY_MAX || self >= b->n)
        return ipcx__fail(-EINVAL, "no bakery, or process %u is not one of its n", self);
    atomic_store_explicit(&b->number[self], 0, memory_order_release);
    return 0;
}

/* ---- test-and-set -------------------------------------------------- */

struct tas {
    _Atomic uint32_t word; /* 1: held */
};
IPCX_SYNC_FITS(ipcx_tas, struct tas);

IPCX_API int ipcx_tas_init(ipcx_tas *t)
{
    if (!t)
        return ipcx__fail(-EINVAL, "no lock");
    memset(t, 0, sizeof *t);
    return 0;
}

/* TSL REGISTER,LOCK in a loop: every try is a write that takes the cache
 * line away from the holder, which is what TTAS avoids. */
IPCX_API int ipcx_tas_lock(ipcx_tas *t)
{
    if (!t)
        return ipcx__fail(-EINVAL, "no lock");
    struct tas *l = (struct tas *) t;
    unsigned spins = 0;
    while (atomic_exchange_explicit(&l->word, 1, memory_order_acquire))
        teach_pause(&spins);
    return 0;
}

/* Read (shared cache line, no traffic) until it looks free, then try. */
IPCX_API int ipcx_ttas_lock(ipcx_tas *t)
{
    if (!t)
        return ipcx__fail(-EINVAL, "no lock");
    struct tas *l = (struct tas *) t;
    unsigned spins = 0;
    for (;;) {
        while (atomic_load_explicit(&l->word, memory_order_relaxed))
            teach_pause(&spins);
        if (!atomic_exchange_explicit(&l->word, 1, memory_order_acquire))
            return 0;
    }
}

IPCX_API int ipcx_tas_unlock(ipcx_tas *t)
{
    if (!t)
        return ipcx__fail(-EINVAL, "no lock");
    atomic_store_explicit(&((struct tas *) t)->word, 0, memory_order_release);
    return 0;
}
