/*
 * ring.c - the message API of the ring (ring.h): loan, commit, peek and
 * release after the checks every kind shares (registered, the segment not
 * shrunk, sizes), a whole send and receive (the kind's one-piece path
 * when it can be taken, else the long way), dispatching to the byte ring
 * (ring_bytes.c) or the slot ring (ring_slots.c) through the kind table.
 * The other rooms are listed in ring_int.h.
 *
 * Ordering notation: every atomic access names its order and says why in
 * a comment; the pattern for each is the one of liburing's queue.c
 * (release on publish, acquire on consume, a full fence before reading a
 * "needs wakeup" word) and musl's __wait.c (bounded spin, then futex).
 */
#include "ring_int.h"
#include "../util/err.h"
#include "../sys/shmfile.h"

#include <errno.h>

const struct ipcx__ring_kind *const ipcx__ring_kinds[IPCX_SHM_NMODES] = {
    [IPCX_SHM_SPSC] = &ipcx__ring_bytes, [IPCX_SHM_MPSC] = &ipcx__ring_slots,
    [IPCX_SHM_MPMC] = &ipcx__ring_slots, [IPCX_SHM_BCAST] = &ipcx__ring_bytes,
};

/* ---- a segment that shrinks (docs/shm.md, Truncation) ------------------- */

int ipcx__ring_gone(const struct ipcx__ring *r)
{
    if (!ipcx__ring_dead(r))
        return 0;
    return ipcx__fail(-EIO, "the shared memory segment shrank under this channel (truncated "
                            "by another process): it is dead, close it");
}

/* ---- the mapping's pages (docs/shm.md, Tail latency) -------------------- */

/*
 * A page of the segment costs a page fault the first time this process
 * touches it: the first write anywhere allocates and zeroes it (tmpfs),
 * the first touch by every other process maps it, and fork does not copy
 * the page tables of a shared mapping, so a forked child faults on each
 * page again.  A byte ring reaches a new page every 50 records of 64 B:
 * until the ring had wrapped once (4 MiB by default, 52k such records)
 * 2-4% of the round trips took 5-25 us instead of 0.15 us, spinning or
 * not.  So every handle fills its page tables once, when it joins, and a
 * forked child's copy at its first message call (not in the fork handler:
 * a child that only execs would pay for every ring).  The whole segment
 * is thus allocated at open, not as it is first written: up to
 * RING_PREFAULT_AUTO bytes by default (a 1 TiB ring, which size= allows,
 * must not fill /dev/shm at open), any size with prefault=yes.
 */
void ipcx__ring_prefault(struct ipcx__ring *r, int want)
{
    r->prefault = want < 0 ? r->fx.seg_size <= RING_PREFAULT_AUTO : want > 0;
    r->unfilled = 0;
    /* Best effort: where it fails, the pages fault on first touch as they always did. */
    if (r->prefault)
        (void) ipcx__shmfile_populate(r->h, r->fx.seg_size);
}

/* A forked child's copy, at its first message call: fill its page tables (see above). */
static inline void ring_filled(struct ipcx__ring *r)
{
    if (__builtin_expect(r->unfilled, 0))
        ipcx__ring_prefault(r, 1);
}

/* ---- the message API ------------------------------------------------------ */

int ipcx__ring_loan(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms)
{
    ring_filled(r);
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r);
    if (r->me < 0)
        return ipcx__fail(-EPIPE, "this end is no longer registered in the ring");
    if (r->loaned)
        return ipcx__fail(-EBUSY, "a loan is outstanding: commit it first");
    if (len > r->fx.maxmsg)
        return ipcx__fail(-EMSGSIZE, "%zu bytes is more than the ring's maxmsg=%llu", len,
                          (unsigned long long) r->fx.maxmsg);
    int rc = ring_kind(r)->loan(r, len, buf, timeout_ms);
    if (r->tx && r->bellfd >= 0)
        rc = ipcx__ring_tx_bell(r, len, buf, rc); /* a descriptor: armed while the ring is full */
    if (rc == 0) {
        r->loaned = 1;
        r->loan_len = len;
    }
    return rc;
}

int ipcx__ring_commit(struct ipcx__ring *r, void *buf, size_t len, unsigned prio)
{
    if (!r->loaned)
        return ipcx__fail(-EINVAL, "nothing was loaned");
    if (len > r->loan_len)
        return ipcx__fail(-EINVAL, "commit of %zu bytes, the loan was %zu", len, r->loan_len);
    (void) buf; /* the loan is the one outstanding; buf is checked by the callers that care */
    r->loaned = 0;
    /* Dead before (the copy into the loan faulted) or during the publication: not sent. */
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r);
    int rc = ring_kind(r)->commit(r, len, prio);
    return ipcx__ring_dead(r) ? ipcx__ring_gone(r) : rc;
}

int ipcx__ring_peek(struct ipcx__ring *r, const void **msg, size_t *len, unsigned *prio,
                    int timeout_ms)
{
    int rc = 0;
    ring_filled(r);
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r);
    if (r->me < 0)
        return ipcx__fail(-EPIPE, "this end is no longer registered in the ring");
    if (!r->peeked) {
        rc = ring_kind(r)->peek(r, timeout_ms);
        if (ipcx__ring_dead(r))
            return ipcx__ring_gone(r); /* what was found may be the replacement's zeros */
        if (rc == -EAGAIN || rc == -ETIMEDOUT || rc == -EINTR) {
            if (r->bellfd >= 0) {
                /* About to poll the descriptor, maybe for ever: has the segment shrunk? */
                if (ring_shrunk(r))
                    return ipcx__ring_gone(r);
                ipcx__ring_bell_rearm(r);
            }
        }
        if (rc < 0)
            return rc; /* -ENOBUFS once after a loss: the next call delivers */
        r->peeked = 1;
    }
    *msg = r->peek_ptr;
    *len = r->peek_len;
    if (prio)
        *prio = r->peek_prio;
    return 0;
}

int ipcx__ring_release(struct ipcx__ring *r)
{
    if (!r->peeked)
        return ipcx__fail(-EINVAL, "nothing was peeked");
    r->peeked = 0;
    /* The copy out of the ring (or the caller's reading of a peek) may have read zeros. */
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r);
    int rc = ring_kind(r)->release(r);
    /* With a descriptor: once the ring is empty it must stop being readable. */
    if (r->bellfd >= 0 && !ipcx__ring_has_data(r))
        ipcx__ring_bell_rearm(r);
    return rc;
}

/* How many looks a one-piece receive may take for a receive with this timeout. */
static unsigned ring_quick(const struct ipcx__ring *r, int timeout_ms)
{
    return timeout_ms == 0 ? 0 : r->spin < 64 ? r->spin : 64;
}

int ipcx__ring_send(struct ipcx__ring *r, const void *msg, size_t len, unsigned prio,
                    int timeout_ms)
{
    void *buf;
    ring_filled(r);
    /* One piece, unless a descriptor was asked for: its arming lives in the loan. */
    if (r->me >= 0 && r->bellfd < 0 && ring_kind(r)->send(r, msg, len, prio) == 0)
        return 0;
    int rc = ipcx__ring_loan(r, len, &buf, timeout_ms);
    if (rc < 0)
        return rc;
    if (len)
        ipcx__ring_copy(buf, msg, len);
    return ipcx__ring_commit(r, buf, len, prio);
}

long ipcx__ring_recv(struct ipcx__ring *r, void *buf, size_t cap, unsigned *prio,
                     int timeout_ms)
{
    const void *m;
    size_t len;
    unsigned p;
    long got;
    ring_filled(r);
    if (r->me >= 0 &&
        ring_kind(r)->recv(r, buf, cap, prio, &got, ring_quick(r, timeout_ms)) == 0)
        return got;
    int rc = ipcx__ring_peek(r, &m, &len, &p, timeout_ms);
    if (rc < 0)
        return rc;
    if (len > cap)
        return ipcx__fail(-EMSGSIZE, "the message has %zu bytes, the buffer %zu", len, cap);
    if (len)
        ipcx__ring_copy(buf, m, len);
    rc = ipcx__ring_release(r);
    if (rc == -ESTALE)
        return ipcx__fail(-ENOBUFS, "the message was overwritten while it was copied "
                                    "(overflow=drop): it counts as lost");
    if (rc < 0)
        return rc;
    if (prio)
        *prio = p;
    return (long) len;
}
