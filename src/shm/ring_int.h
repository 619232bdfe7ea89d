/*
 * ring_int.h - what the files of the ring share and src/transport/shm.c
 * does not see (ring.h is the API it calls).  The rooms:
 *
 *   ring_hdr.c    the segment header: sizes, formatting, validation
 *   ring_part.c   participants: claims, leaving, reaping dead peers (and
 *                 the byte ring's repair of a sender that died in a
 *                 commit), re-registering after fork
 *   ring_wait.c   waiting and waking: the spin, the futex sleep, barriers
 *   ring_bells.c  doorbells: the FIFOs behind ipcx_fd()
 *   ring.c        the message API (loan, commit, peek, release, the
 *                 one-piece send and receive), dispatching through the
 *                 kind table below
 *   ring_bytes.c  the byte ring (spsc, bcast): its kind
 *   ring_slots.c  the slot ring (mpsc, mpmc): its kind
 *
 * Every file includes this one and nothing of the others: no circle.
 */
#ifndef IPCX_RING_INT_H
#define IPCX_RING_INT_H

#include "ring.h"

#include <string.h>

#define RING_PAGE      4096u
#define RING_SLICE_MS  100     /* the longest futex sleep before looking at peers */
#define RING_CHECK_MS  20      /* a non-blocking caller looks at peers this seldom */
#define RING_SPIN_MIN  16u
#define RING_SPIN_DEF  1024u
#define RING_SPIN_QUICK 64u    /* tries before the spin looks at the clock */
#define RING_IDLE_WAITS 4u     /* long waits in a row that make an idle peer (halve the spin) */
#define RING_TRY_NS    40      /* a guess at one try, until a spin measured it */
#define RING_PREFAULT_AUTO (64u << 20) /* prefault by default up to this segment size (ring.c) */

/* ---- the kind table: what differs between byte and slot rings ------------ */

struct ipcx__ring_kind {
    /* The message calls after the common checks (ring.c); timeout_ms as poll(2). */
    int  (*loan)(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms);
    int  (*commit)(struct ipcx__ring *r, size_t len, unsigned prio);
    int  (*peek)(struct ipcx__ring *r, int timeout_ms);
    int  (*release)(struct ipcx__ring *r);
    /* One-piece send and receive: 0 done, 1 not tried (the long way follows). */
    int  (*send)(struct ipcx__ring *r, const void *msg, size_t len, unsigned prio);
    int  (*recv)(struct ipcx__ring *r, void *buf, size_t cap, unsigned *prio, long *got,
                 unsigned tries);
    /* Before registering (private indices), and registered (under the open-handle lock). */
    void (*join)(struct ipcx__ring *r);
    void (*joined)(struct ipcx__ring *r);
    /* Leaving: give back an unfinished loan or peek. */
    void (*drop)(struct ipcx__ring *r);
    /* Recover what dead participant idx held. */
    void (*reap)(struct ipcx__ring *r, unsigned idx);
    /* A receiver's re-check after arming its doorbell: may a receive find something? */
    int  (*has_data)(struct ipcx__ring *r);
    /*
     * Waiting for room as a sender judges it: 1 with the head and the
     * oldest byte a receiver still needs, 0 where room is no question.
     */
    int  (*tx_room)(struct ipcx__ring *r, uint64_t *head, uint64_t *oldest);
};

extern const struct ipcx__ring_kind ipcx__ring_bytes, ipcx__ring_slots;
/* By ring mode (ring.c); the mode was validated by ipcx__ring_check. */
extern const struct ipcx__ring_kind *const ipcx__ring_kinds[IPCX_SHM_NMODES];

static inline const struct ipcx__ring_kind *ring_kind(const struct ipcx__ring *r)
{
    return ipcx__ring_kinds[r->fx.mode];
}

/* ---- between the rooms ---------------------------------------------------- */

/* Try once: 0 done, -EAGAIN not now (wait and retry), other -errno final. */
typedef int (*ipcx__ring_try)(struct ipcx__ring *r, void *arg);
int  ipcx__ring_wait(struct ipcx__ring *r, struct ipcx__shm_wake *w,
                     ipcx__ring_try try, void *arg, int timeout_ms);
void ipcx__ring_wake(struct ipcx__ring *r, struct ipcx__shm_wake *w);
/* A sleeper's half of the store-load barrier (ring_wait.c): after announcing, before looking. */
void ipcx__ring_sleeper_barrier(const struct ipcx__ring *r);
/* IPCX_SHM_WAITS=FILE: append this participant's wait counts to FILE. */
void ipcx__ring_waits_report(const struct ipcx__ring *r);
/* After a message was published: wake sleeping receivers and ring doorbells. */
void ipcx__ring_notify_data(struct ipcx__ring *r);
/*
 * Room was freed (fits = 0: a receiver released, every armed sender is
 * rung) or txlock was given up (fits = 1: only senders whose last failed
 * send would fit now).  Rings the doorbells of armed senders other than r.
 * One relaxed load when no sender is armed.  Call it after the waker's
 * barrier that follows the freeing store: right after ipcx__ring_wake or
 * ipcx__ring_notify_data, whose barrier it relies on (the Dekker pair with
 * the sleeper's barrier in a sender's arming).
 */
void ipcx__ring_bells_tx(struct ipcx__ring *r, int fits);
/* -EPIPE when the other side has come and gone entirely, else 0. */
int  ipcx__ring_peer_gone(const struct ipcx__ring *r);

int  ipcx__bytes_loan(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms);
int  ipcx__bytes_commit(struct ipcx__ring *r, size_t len, unsigned prio);
/*
 * A whole send in one piece when nothing stands in the way (no wrap, room
 * as last seen, the lock free, nobody else sent since): 0 sent, 1 not
 * tried (the caller loans, copies and commits instead).
 */
int  ipcx__bytes_send(struct ipcx__ring *r, const void *msg, size_t len, unsigned prio);
/*
 * A whole spsc receive in one piece when the next message is there, or
 * comes within tries looks, and fits: 0 received (*got bytes), 1 not
 * tried (the caller peeks instead, which waits as long as asked).
 */
int  ipcx__bytes_recv(struct ipcx__ring *r, void *buf, size_t cap, unsigned *prio, long *got,
                      unsigned tries);
int  ipcx__bytes_peek(struct ipcx__ring *r, int timeout_ms);
int  ipcx__bytes_release(struct ipcx__ring *r);
void ipcx__bytes_join(struct ipcx__ring *r);
void ipcx__bytes_joined(struct ipcx__ring *r);
void ipcx__bytes_unlock(struct ipcx__ring *r);
/* bcast: the lowest live receiver cursor in [head - capacity, head], or head. */
uint64_t ipcx__bytes_oldest_cursor(const struct ipcx__ring *r, uint64_t head);
/* Free the byte ring locks participant idx held when it died (ring_part.c). */
void ipcx__bytes_reap(struct ipcx__ring *r, unsigned idx);

int  ipcx__slots_loan(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms);
int  ipcx__slots_commit(struct ipcx__ring *r, size_t len, unsigned prio);
int  ipcx__slots_abandon(struct ipcx__ring *r);
int  ipcx__slots_peek(struct ipcx__ring *r, int timeout_ms);
int  ipcx__slots_release(struct ipcx__ring *r);
int  ipcx__slots_unpeek(struct ipcx__ring *r);
/* Recover the slots participant idx held when it died. */
void ipcx__slots_reap(struct ipcx__ring *r, unsigned idx);

/* A slot ring (mpsc, mpmc)?  The wait's light re-check is for byte rings only. */
static inline int ipcx__ring_slotted(const struct ipcx__ring *r)
{
    return ring_kind(r) == &ipcx__ring_slots;
}

/* ---- participants (ring_part.c) and doorbells (ring_bells.c) ------------- */

static inline uint64_t ring_role(uint64_t o)
{
    return o & (IPCX_PART_TX | IPCX_PART_RX);
}

/* n - 1, but never below 0: a forged or lost count must not wrap to "all armed". */
static inline void ring_count_down(_Atomic uint32_t *n)
{
    uint32_t v = atomic_load_explicit(n, memory_order_relaxed);
    /* relaxed: a count too high costs a look, never a missed bell (see ring_tx_arm). */
    for (int tries = 0; v && tries < 64; tries++)
        if (atomic_compare_exchange_weak_explicit(n, &v, v - 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return;
}

/* The size check (a system call): before sleeping and after a sleep that timed out. */
static inline int ring_shrunk(struct ipcx__ring *r)
{
    return r->zone && ipcx__sigbus_check(r->zone);
}

/* Membership changed (a leave, a reap): ring every doorbell that may care. */
void ipcx__ring_bells_all(struct ipcx__ring *r);
/* A reaped participant (o, start: the dead owner): take its bell, remove its FIFO. */
void ipcx__ring_bell_reaped(struct ipcx__ring *r, unsigned i, uint64_t o, uint64_t start);
/* Has a receiver something to take (or is every sender gone)? */
int  ipcx__ring_has_data(struct ipcx__ring *r);
/* The receiver found nothing: empty the FIFO and arm the bell. */
void ipcx__ring_bell_rearm(struct ipcx__ring *r);
/*
 * A sender with a descriptor after a loan attempt that returned rc: arm
 * when the ring is full, and look once more; disarm when a send would not
 * block.  Returns what the caller returns (0: the loan is made).
 */
int  ipcx__ring_tx_bell(struct ipcx__ring *r, size_t len, void **buf, int rc);

/* ---- the byte ring's records (ring_bytes.c, and its repair in ring_part.c) -- */

/* A record header as read: private memory, later checks use only the copy. */
struct bytes_rec {
    uint32_t len, prio;
    uint64_t seq;
};

static inline _Atomic uint64_t *bytes_tagp(const struct ipcx__ring *r, uint64_t at)
{
    return (_Atomic uint64_t *) (void *) (r->data + (at & r->mask) +
                                          offsetof(struct ipcx__shm_rec, tag));
}

/* Read the record header at at: the tag first (acquire), then what it covers. */
static inline struct bytes_rec bytes_rec(const struct ipcx__ring *r, uint64_t at)
{
    struct bytes_rec rec;
    /* acquire: pairs with the sender's release of the tag; len and prio are complete. */
    rec.seq = atomic_load_explicit(bytes_tagp(r, at), memory_order_acquire) ^ r->fx.id;
    memcpy(&rec, r->data + (at & r->mask), 2 * sizeof (uint32_t));
    return rec;
}

#endif
