/*
 * rwlock.c - ipcx_rwlock: a process-shared reader-writer lock with a
 * policy chosen at init (prefer readers, prefer writers, phase-fair), that
 * survives holders and waiters that die.
 *
 * The state is small and changed under a guard (the robust owner word of
 * lock.c), held for a few instructions; waiters sleep on a sequence word
 * that every change which may let someone in bumps (one futex, everybody
 * woken: clarity over a thundering herd of at most IPCX_RWLOCK_SLOTS).
 *
 * Every reader holding the lock and every waiter has a slot with its TID,
 * so that the dead can be found: a waiter whose sleep slice ends sweeps
 * the table (and the writer) and frees what dead threads held.  A waiting
 * writer that died must go too, or "prefer writers" would shut readers
 * out for good.  Whoever gets the lock after a dead writer was removed
 * gets -EOWNERDEAD: what the writer protected may be half-written.  A
 * dead reader changed nothing, so it is removed silently.
 */
#include "sync.h"
#include "sys/futex.h"
#include "../util/err.h"
#include "sys/proc.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

enum { SLOT_FREE, SLOT_READING, SLOT_WAIT_READ, SLOT_WAIT_WRITE };

struct rwlock {
    _Atomic uint32_t guard;    /* owner word guarding every field below but seq and sleepers */
    _Atomic uint32_t seq;      /* futex: bumped whenever a waiter may now get in */
    _Atomic uint32_t sleepers; /* threads in (or entering) a futex wait on seq */
    uint32_t policy;           /* IPCX_RWLOCK_* */
    uint32_t writer;           /* TID of the write holder, 0 if none */
    uint32_t rpass;            /* fair: waiting readers to admit before the next writer */
    uint32_t writer_died;      /* a dead writer was removed: the next holder hears of it */
    uint32_t spare;
    struct {
        uint32_t tid;
        uint32_t kind; /* SLOT_* */
    } slot[IPCX_RWLOCK_SLOTS];
};
IPCX_SYNC_FITS(ipcx_rwlock, struct rwlock);

struct rw_counts {
    unsigned reading, wait_read, wait_write;
};

static struct rw_counts rw_count(const struct rwlock *rw)
{
    struct rw_counts c = { 0, 0, 0 };
    for (int i = 0; i < IPCX_RWLOCK_SLOTS; i++) {
        if (rw->slot[i].tid == 0)
            continue;
        c.reading += rw->slot[i].kind == SLOT_READING;
        c.wait_read += rw->slot[i].kind == SLOT_WAIT_READ;
        c.wait_write += rw->slot[i].kind == SLOT_WAIT_WRITE;
    }
    return c;
}

static int rw_alloc(struct rwlock *rw, uint32_t tid, uint32_t kind)
{
    for (int i = 0; i < IPCX_RWLOCK_SLOTS; i++) {
        if (rw->slot[i].tid == 0) {
            rw->slot[i].tid = tid;
            rw->slot[i].kind = kind;
            return i;
        }
    }
    return -1;
}

static void rw_free(struct rwlock *rw, int i)
{
    rw->slot[i].tid = 0;
    rw->slot[i].kind = SLOT_FREE;
}

/* Remove the dead (under the guard).  Returns 1 if anything changed. */
static int rw_sweep(struct rwlock *rw)
{
    int changed = 0;
    if (rw->writer && !ipcx__tid_alive(rw->writer)) {
        rw->writer = 0;
        rw->writer_died = 1;
        changed = 1;
    }
    for (int i = 0; i < IPCX_RWLOCK_SLOTS; i++) {
        if (rw->slot[i].tid && !ipcx__tid_alive(rw->slot[i].tid)) {
            rw_free(rw, i);
            changed = 1;
        }
    }
    return changed;
}

/* Let every sleeper look again. */
static void rw_wake(struct rwlock *rw)
{
    atomic_fetch_add_explicit(&rw->seq, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&rw->sleepers, memory_order_seq_cst) > 0)
        (void) ipcx__futex_wake(&rw->seq, INT_MAX);
}

/* Take the guard; after a guard holder died, the table may be torn: sweep. */
static void rw_guard(struct rwlock *rw)
{
    if (ipcx__guard_lock(&rw->guard) && rw_sweep(rw))
        rw_wake(rw);
}

/* How many read locks the thread tid holds (under the guard). */
static unsigned rw_reads_of(const struct rwlock *rw, uint32_t tid)
{
    unsigned n = 0;
    for (int i = 0; i < IPCX_RWLOCK_SLOTS; i++)
        n += rw->slot[i].tid == tid && rw->slot[i].kind == SLOT_READING;
    return n;
}

/*
 * May the caller enter now?  waiting: it already waits (has a slot);
 * reads: the read locks it holds already.  A thread that holds one gets
 * another whatever the policy: the writer it would wait for waits for it.
 */
static int rw_can(struct rwlock *rw, int write, int waiting, unsigned reads)
{
    struct rw_counts c = rw_count(rw);
    if (rw->rpass > c.wait_read)
        rw->rpass = c.wait_read; /* passes of readers that left unused */
    if (rw->writer)
        return 0;
    if (write) {
        if (c.reading)
            return 0;
        if (rw->policy == IPCX_RWLOCK_PREFER_READERS)
            return c.wait_read == 0;
        if (rw->policy == IPCX_RWLOCK_FAIR)
            return rw->rpass == 0;
        return 1;
    }
    if (rw->policy == IPCX_RWLOCK_PREFER_READERS || c.wait_write == 0 || reads > 0)
        return 1;
    /* A writer waits: prefer-writers shuts readers out; fair lets in the
     * readers that were waiting when the last writer left. */
    return rw->policy == IPCX_RWLOCK_FAIR && waiting && rw->rpass > 0;
}

static int rw_lock(ipcx_rwlock *p, int write, int timeout_ms)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no rwlock");
    struct rwlock *rw = (struct rwlock *) p;
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);
    uint32_t self = ipcx__self_tid();
    int mine = -1, swept = 0, slice = IPCX_SLICE_MIN_MS, r;

    rw_guard(rw);
    if (rw->policy > IPCX_RWLOCK_FAIR) {
        ipcx__guard_unlock(&rw->guard);
        return ipcx__fail(-EPROTO, "rwlock policy %u is impossible", rw->policy);
    }
    if (rw->writer == self) {
        ipcx__guard_unlock(&rw->guard);
        return ipcx__fail(-EDEADLK, "the caller holds the write lock");
    }
    unsigned reads = rw_reads_of(rw, self);
    if (write && reads > 0) {
        ipcx__guard_unlock(&rw->guard);
        return ipcx__fail(-EDEADLK, "the caller holds %u read lock%s: a write lock would wait "
                          "for them for ever (unlock, then ask for the write lock)",
                          reads, reads == 1 ? "" : "s");
    }
    for (;;) {
        if (rw_can(rw, write, mine >= 0, reads)) {
            if (write) {
                rw->writer = self;
                if (mine >= 0)
                    rw_free(rw, mine);
                mine = 0;
            } else {
                int was_waiting = mine >= 0;
                if (mine < 0)
                    mine = rw_alloc(rw, self, SLOT_READING);
                if (mine >= 0) {
                    rw->slot[mine].kind = SLOT_READING;
                    if (was_waiting && rw->rpass > 0)
                        rw->rpass--;
                }
            }
            if (mine >= 0) { /* a reader without a free slot waits for one */
                r = 0;
                if (rw->writer_died) {
                    rw->writer_died = 0;
                    r = -EOWNERDEAD;
                }
                ipcx__guard_unlock(&rw->guard);
                return r;
            }
        }
        if (ipcx__remaining(&d) == 0) {
            /* Before giving up, look once for a dead holder. */
            if (!swept && rw_sweep(rw)) {
                swept = 1;
                rw_wake(rw);
                continue;
            }
            r = ipcx__expired(&d);
            break;
        }
        if (mine < 0)
            mine = rw_alloc(rw, self, write ? SLOT_WAIT_WRITE : SLOT_WAIT_READ);
        uint32_t seq = atomic_load_explicit(&rw->seq, memory_order_seq_cst);
        ipcx__guard_unlock(&rw->guard);

        atomic_fetch_add_explicit(&rw->sleepers, 1, memory_order_seq_cst);
        int w = ipcx__sync_sleep(&rw->seq, seq, &d, slice, 1);
        atomic_fetch_sub_explicit(&rw->sleepers, 1, memory_order_seq_cst);

        rw_guard(rw);
        if (w == -EINTR) {
            r = -EINTR;
            break;
        }
        if (w == -ETIMEDOUT) {
            if (rw_sweep(rw))
                rw_wake(rw);
            slice = ipcx__next_slice(slice);
        }
    }
    /* Leaving without the lock: a writer that stops waiting may let
     * readers in, a reader may let a prefer-readers writer in. */
    if (mine >= 0) {
        rw_free(rw, mine);
        rw_wake(rw);
    }
    ipcx__guard_unlock(&rw->guard);
    return r;
}

IPCX_API int ipcx_rwlock_init(ipcx_rwlock *p, int policy)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no rwlock");
    if (policy < IPCX_RWLOCK_PREFER_READERS || policy > IPCX_RWLOCK_FAIR)
        return ipcx__fail(-EINVAL, "unknown rwlock policy %d", policy);
    memset(p, 0, sizeof *p);
    ((struct rwlock *) p)->policy = (uint32_t) policy;
    return 0;
}

IPCX_API int ipcx_rwlock_rdlock(ipcx_rwlock *rw, int timeout_ms)
{
    return rw_lock(rw, 0, timeout_ms);
}

IPCX_API int ipcx_rwlock_wrlock(ipcx_rwlock *rw, int timeout_ms)
{
    return rw_lock(rw, 1, timeout_ms);
}

IPCX_API int ipcx_rwlock_unlock(ipcx_rwlock *p)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no rwlock");
    struct rwlock *rw = (struct rwlock *) p;
    uint32_t self = ipcx__self_tid();
    int r = 0;

    rw_guard(rw);
    if (rw->writer == self) {
        rw->writer = 0;
        /* Phase-fair: the readers waiting now go before the next writer. */
        if (rw->policy == IPCX_RWLOCK_FAIR)
            rw->rpass = rw_count(rw).wait_read;
    } else {
        int i;
        for (i = 0; i < IPCX_RWLOCK_SLOTS; i++)
            if (rw->slot[i].tid == self && rw->slot[i].kind == SLOT_READING)
                break;
        if (i == IPCX_RWLOCK_SLOTS)
            r = ipcx__fail(-EPERM, "the caller holds no lock on this rwlock");
        else
            rw_free(rw, i);
    }
    if (r == 0)
        rw_wake(rw);
    ipcx__guard_unlock(&rw->guard);
    return r;
}

IPCX_API int ipcx_rwlock_waiting(ipcx_rwlock *p, unsigned *readers, unsigned *writers)
{
    if (!p)
        return ipcx__fail(-EINVAL, "no rwlock");
    struct rwlock *rw = (struct rwlock *) p;
    rw_guard(rw);
    struct rw_counts c = rw_count(rw);
    ipcx__guard_unlock(&rw->guard);
    if (readers)
        *readers = c.wait_read;
    if (writers)
        *writers = c.wait_write;
    return 0;
}

IPCX_API int ipcx_rwlock_destroy(ipcx_rwlock *p)
{
    if (!p)
        return 0;
    struct rwlock *rw = (struct rwlock *) p;
    rw_guard(rw);
    (void) rw_sweep(rw);
    struct rw_counts c = rw_count(rw);
    int busy = rw->writer || c.reading || c.wait_read || c.wait_write;
    ipcx__guard_unlock(&rw->guard);
    if (busy)
        return ipcx__fail(-EBUSY, "the rwlock is held or waited for");
    memset(p, 0, sizeof *p);
    return 0;
}
