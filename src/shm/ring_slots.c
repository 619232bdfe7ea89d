/*
 * ring_slots.c - the slot ring of the mpsc and mpmc modes: a power-of-two
 * array of fixed-size slots, each message in one slot and taken by exactly
 * one receiver.  The design is Vyukov's bounded MPMC queue with one change
 * for dead peers: a slot is claimed by a CAS on the slot's own word, which
 * names the claimer, before the shared position moves.  So every claimed
 * slot says who holds it, and a survivor can finish a dead peer's work.
 *
 * The slot word: position << 9 | state << 6 | participant index.
 *   EMPTY(p)      free for the message at position p
 *   WRITING(p,i)  sender i fills it            -> FULL(p)
 *   FULL(p)       the message at p waits        -> READING(p,i)
 *   READING(p,i)  receiver i holds it           -> EMPTY(p + nslots)
 *   REDELIVER(p)  its receiver died holding it: any receiver may take it
 * A dead sender's WRITING slot becomes FULL with len SKIP (receivers skip
 * it: it was never sent).  A dead receiver's READING slot becomes
 * REDELIVER and is counted in orphans, which receivers look at first.
 * head is the enqueue position, tail the dequeue position; anyone who sees
 * them lag behind the slot words moves them on (helping), so a peer that
 * dies between its CAS on the slot and the move stops nobody.
 */
#include "ring_int.h"
#include "../util/err.h"

#include <errno.h>
#include <string.h>

#define W_POS(w)    ((w) >> 9)
#define W_STATE(w)  ((unsigned) ((w) >> 6) & 7u)
#define W_OWNER(w)  ((unsigned) (w) & 63u)
#define W_MAKE(p, st, own) (((p) << 9) | ((uint64_t) (st) << 6) | (uint64_t) (own))

static struct ipcx__shm_slot *slot_at(const struct ipcx__ring *r, uint64_t pos)
{
    return (struct ipcx__shm_slot *) (r->data + (pos & r->mask) * r->fx.slot_size);
}

static int slots_corrupt(uint64_t pos, uint64_t w)
{
    return ipcx__fail(-EPROTO, "shm: slot word %#llx at position %llu is impossible",
                      (unsigned long long) w, (unsigned long long) pos);
}

/* Move a shared position from p to p + 1 if nobody did yet. */
static void slots_help(_Atomic uint64_t *at, uint64_t p)
{
    /* relaxed: the position is a hint; the slot words carry the ordering. */
    (void) atomic_compare_exchange_strong_explicit(at, &p, p + 1, memory_order_relaxed,
                                                   memory_order_relaxed);
}

static int slots_try_loan(struct ipcx__ring *r, void *arg)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t n = r->fx.nslots;
    (void) arg;

    int rc = ipcx__ring_peer_gone(r);
    if (rc)
        return rc;
    for (unsigned tries = 0; tries < 4 * n + 64; tries++) {
        uint64_t p = atomic_load_explicit(&h->head, memory_order_relaxed);
        struct ipcx__shm_slot *s = slot_at(r, p);
        /* acquire: if EMPTY, the last reader's reads of this slot happened before. */
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        uint64_t wp = W_POS(w) & (UINT64_MAX >> 9), pp = p & (UINT64_MAX >> 9);
        unsigned st = W_STATE(w);
        if (wp == pp && st == IPCX_SLOT_EMPTY) {
            /* acq_rel: claim; our writes to the slot come after, the reader's before. */
            if (atomic_compare_exchange_strong_explicit(
                    &s->word, &w, W_MAKE(pp, IPCX_SLOT_WRITING, (unsigned) r->me),
                    memory_order_acq_rel, memory_order_relaxed)) {
                slots_help(&h->head, p);
                r->at = pp;
                return 0;
            }
            continue;
        }
        if ((wp == pp && st != IPCX_SLOT_EMPTY) ||
            (wp == ((pp + n) & (UINT64_MAX >> 9)) && st == IPCX_SLOT_EMPTY)) {
            slots_help(&h->head, p); /* taken already: the head lags */
            continue;
        }
        if (wp == ((pp - n) & (UINT64_MAX >> 9)) && st != IPCX_SLOT_EMPTY && st <= IPCX_SLOT_REDELIVER)
            return -EAGAIN; /* the slot still holds the message of the previous lap: full */
        /* head may have moved since we read it: only a stable impossibility is corruption. */
        if (atomic_load_explicit(&h->head, memory_order_relaxed) != p)
            continue;
        return slots_corrupt(p, w);
    }
    return ipcx__fail(-EPROTO, "shm: slot ring positions make no progress");
}

int ipcx__slots_loan(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms)
{
    (void) len;
    int rc = ipcx__ring_wait(r, &r->h->space, slots_try_loan, NULL, timeout_ms);
    if (rc < 0)
        return rc;
    *buf = (uint8_t *) slot_at(r, r->at) + IPCX_SLOT_HDR;
    return 0;
}

/* Publish our WRITING slot as FULL with len (or SKIP). */
static int slots_publish(struct ipcx__ring *r, uint64_t pos, uint32_t len, unsigned prio,
                         unsigned owner)
{
    struct ipcx__shm_slot *s = slot_at(r, pos);
    uint64_t want = W_MAKE(pos, IPCX_SLOT_WRITING, owner);
    s->len = len;
    s->prio = prio;
    /* acq_rel: release publishes len, prio and the payload with FULL. */
    if (!atomic_compare_exchange_strong_explicit(&s->word, &want,
                                                 W_MAKE(pos, IPCX_SLOT_FULL, 0),
                                                 memory_order_acq_rel, memory_order_relaxed))
        return ipcx__fail(-EPROTO, "shm: our slot was changed by someone else");
    ipcx__ring_notify_data(r);
    return 0;
}

int ipcx__slots_commit(struct ipcx__ring *r, size_t len, unsigned prio)
{
    int rc = ipcx__ring_peer_gone(r);
    if (rc) {
        (void) ipcx__slots_abandon(r);
        return ipcx__fail(rc, "every receiver is gone");
    }
    return slots_publish(r, r->at, (uint32_t) len, prio, (unsigned) r->me);
}

int ipcx__slots_abandon(struct ipcx__ring *r)
{
    return slots_publish(r, r->at, IPCX_SLOT_SKIP, 0, (unsigned) r->me);
}

/*
 * Scan the slots for messages to redeliver.  take: claim the first one for
 * this receiver (1 if it did); else count them.
 */
static unsigned slots_scan_orphans(struct ipcx__ring *r, int take)
{
    unsigned n = 0;
    for (uint64_t i = 0; i < r->fx.nslots; i++) {
        struct ipcx__shm_slot *s = (void *) (r->data + i * r->fx.slot_size);
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        if (W_STATE(w) != IPCX_SLOT_REDELIVER || (W_POS(w) & r->mask) != i)
            continue;
        if (!take) {
            n++;
        } else if (atomic_compare_exchange_strong_explicit(
                       &s->word, &w, W_MAKE(W_POS(w), IPCX_SLOT_READING, (unsigned) r->me),
                       memory_order_acq_rel, memory_order_relaxed)) {
            r->at = W_POS(w);
            return 1;
        }
    }
    return n;
}

/*
 * Take a message a dead receiver held, if there is one.  orphans is a
 * hint: too high costs scans, too low loses a message (its slot stays
 * REDELIVER with nobody looking).  So a scan that found nothing clears the
 * count (forged, or taken meanwhile: do not scan for ever) and then counts
 * again what is there now.  An orphan is marked in its slot before it is
 * counted (release); if its count was among what the CAS cleared, the CAS
 * (acquire) makes its mark visible to the recount, and if it came after,
 * the count is not 0.  Clearing without the recount lost an orphan counted
 * while the scan was already past its slot.
 */
static int slots_take_orphan(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    if (slots_scan_orphans(r, 1)) {
        atomic_fetch_sub_explicit(&h->orphans, 1, memory_order_relaxed);
        return 1;
    }
    uint32_t o = atomic_load_explicit(&h->orphans, memory_order_relaxed);
    if (o && atomic_compare_exchange_strong_explicit(&h->orphans, &o, 0, memory_order_acq_rel,
                                                     memory_order_relaxed)) {
        unsigned n = slots_scan_orphans(r, 0);
        if (n)
            atomic_fetch_add_explicit(&h->orphans, n, memory_order_release);
    }
    return 0;
}

static int slots_claim(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t n = r->fx.nslots, M = UINT64_MAX >> 9;

    /* relaxed: a hint that orphans exist; the CAS on the slot word decides. */
    if (atomic_load_explicit(&h->orphans, memory_order_relaxed) && slots_take_orphan(r))
        return 0;
    for (unsigned tries = 0; tries < 4 * n + 64; tries++) {
        uint64_t q = atomic_load_explicit(&h->tail, memory_order_relaxed);
        struct ipcx__shm_slot *s = slot_at(r, q);
        /* acquire: if FULL, the sender's writes are visible. */
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        uint64_t wp = W_POS(w), qq = q & M;
        unsigned st = W_STATE(w);
        if (wp == qq && st == IPCX_SLOT_FULL) {
            if (atomic_compare_exchange_strong_explicit(
                    &s->word, &w, W_MAKE(qq, IPCX_SLOT_READING, (unsigned) r->me),
                    memory_order_acq_rel, memory_order_relaxed)) {
                slots_help(&h->tail, q);
                r->at = qq;
                return 0;
            }
            continue;
        }
        if ((wp == qq && (st == IPCX_SLOT_READING || st == IPCX_SLOT_REDELIVER)) ||
            (wp == ((qq + n) & M) && st == IPCX_SLOT_EMPTY)) {
            slots_help(&h->tail, q); /* taken already: the tail lags */
            continue;
        }
        if (wp == qq && (st == IPCX_SLOT_EMPTY || st == IPCX_SLOT_WRITING))
            return -EAGAIN; /* nothing yet, or a sender is filling it */
        if (wp == ((qq - n) & M) && (st == IPCX_SLOT_READING || st == IPCX_SLOT_REDELIVER))
            return -EAGAIN; /* the previous lap is still held: nothing new */
        if (atomic_load_explicit(&h->tail, memory_order_relaxed) != q)
            continue;
        return slots_corrupt(q, w);
    }
    return ipcx__fail(-EPROTO, "shm: slot ring positions make no progress");
}

static int slots_try_peek(struct ipcx__ring *r, void *arg)
{
    (void) arg;
    for (;;) {
        int rc = slots_claim(r);
        if (rc == -EAGAIN) {
            int gone = ipcx__ring_peer_gone(r);
            /* The sender may have published just before it left: claim once more. */
            if (gone && (rc = slots_claim(r)) == -EAGAIN)
                return ipcx__fail(-EPIPE, "every sender is gone and the ring is empty");
        }
        if (rc < 0)
            return rc;
        struct ipcx__shm_slot *s = slot_at(r, r->at);
        uint32_t len = s->len; /* read once: only this copy is used */
        if (len == IPCX_SLOT_SKIP) {
            (void) ipcx__slots_release(r); /* a dead sender's unfinished message */
            continue;
        }
        if (len > r->fx.maxmsg) {
            (void) ipcx__slots_release(r);
            return ipcx__fail(-EBADMSG, "shm: slot length %u out of range; message dropped", len);
        }
        r->peek_ptr = (const uint8_t *) s + IPCX_SLOT_HDR;
        r->peek_len = len;
        r->peek_prio = s->prio;
        return 0;
    }
}

int ipcx__slots_peek(struct ipcx__ring *r, int timeout_ms)
{
    return ipcx__ring_wait(r, &r->h->data, slots_try_peek, NULL, timeout_ms);
}

int ipcx__slots_release(struct ipcx__ring *r)
{
    struct ipcx__shm_slot *s = slot_at(r, r->at);
    uint64_t want = W_MAKE(r->at, IPCX_SLOT_READING, (unsigned) r->me);
    uint64_t M = UINT64_MAX >> 9;
    /* acq_rel: release orders our reads of the payload before the slot is reused. */
    if (!atomic_compare_exchange_strong_explicit(
            &s->word, &want, W_MAKE((r->at + r->fx.nslots) & M, IPCX_SLOT_EMPTY, 0),
            memory_order_acq_rel, memory_order_relaxed))
        return ipcx__fail(-EPROTO, "shm: our slot was changed by someone else");
    ipcx__ring_wake(r, &r->h->space);
    ipcx__ring_bells_tx(r, 0); /* after the barrier in ipcx__ring_wake */
    return 0;
}

int ipcx__slots_unpeek(struct ipcx__ring *r)
{
    struct ipcx__shm_slot *s = slot_at(r, r->at);
    uint64_t want = W_MAKE(r->at, IPCX_SLOT_READING, (unsigned) r->me);
    if (!atomic_compare_exchange_strong_explicit(&s->word, &want,
                                                 W_MAKE(r->at, IPCX_SLOT_REDELIVER, 0),
                                                 memory_order_acq_rel, memory_order_relaxed))
        return -EPROTO;
    atomic_fetch_add_explicit(&r->h->orphans, 1, memory_order_release);
    ipcx__ring_notify_data(r);
    return 0;
}

void ipcx__slots_reap(struct ipcx__ring *r, unsigned idx)
{
    struct ipcx__shm_hdr *h = r->h;
    for (uint64_t i = 0; i < r->fx.nslots; i++) {
        struct ipcx__shm_slot *s = (void *) (r->data + i * r->fx.slot_size);
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        if (W_OWNER(w) != idx || (W_POS(w) & r->mask) != i)
            continue;
        if (W_STATE(w) == IPCX_SLOT_WRITING) {
            /* Never sent: make it a slot receivers skip. */
            s->len = IPCX_SLOT_SKIP;
            (void) atomic_compare_exchange_strong_explicit(
                &s->word, &w, W_MAKE(W_POS(w), IPCX_SLOT_FULL, 0), memory_order_acq_rel,
                memory_order_relaxed);
        } else if (W_STATE(w) == IPCX_SLOT_READING) {
            /* Taken but never released: another receiver gets it. */
            if (atomic_compare_exchange_strong_explicit(
                    &s->word, &w, W_MAKE(W_POS(w), IPCX_SLOT_REDELIVER, 0),
                    memory_order_acq_rel, memory_order_relaxed))
                atomic_fetch_add_explicit(&h->orphans, 1, memory_order_release);
        }
    }
}

/* No one-piece send or receive: loan, copy, commit; peek, copy, release. */
static int slots_send(struct ipcx__ring *r, const void *msg, size_t len, unsigned prio)
{
    (void) r, (void) msg, (void) len, (void) prio;
    return 1;
}

static int slots_recv(struct ipcx__ring *r, void *buf, size_t cap, unsigned *prio, long *got,
                      unsigned tries)
{
    (void) r, (void) buf, (void) cap, (void) prio, (void) got, (void) tries;
    return 1;
}

/* Joining needs nothing private: the positions are read at every try. */
static void slots_nothing(struct ipcx__ring *r)
{
    (void) r;
}

/* Leaving: a loaned slot is skipped, a peeked message goes to another receiver. */
static void slots_drop(struct ipcx__ring *r)
{
    if (r->loaned)
        (void) ipcx__slots_abandon(r);
    if (r->peeked)
        (void) ipcx__slots_unpeek(r);
}

/* Is the slot at the dequeue position anything but EMPTY for it, or an orphan waiting? */
static int slots_has_data(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t q = atomic_load_explicit(&h->tail, memory_order_acquire);
    struct ipcx__shm_slot *s = (void *) (r->data + (q & r->mask) * r->fx.slot_size);
    uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
    return (w >> 9) != q || ((w >> 6) & 7) != IPCX_SLOT_EMPTY ||
           atomic_load_explicit(&h->orphans, memory_order_relaxed);
}

/* A freed slot fits any message: room is no question of size. */
static int slots_tx_room(struct ipcx__ring *r, uint64_t *head, uint64_t *oldest)
{
    (void) r, (void) head, (void) oldest;
    return 0;
}

const struct ipcx__ring_kind ipcx__ring_slots = {
    .loan = ipcx__slots_loan, .commit = ipcx__slots_commit,
    .peek = ipcx__slots_peek, .release = ipcx__slots_release,
    .send = slots_send, .recv = slots_recv,
    .join = slots_nothing, .joined = slots_nothing, .drop = slots_drop,
    .reap = ipcx__slots_reap, .has_data = slots_has_data, .tx_room = slots_tx_room,
};
