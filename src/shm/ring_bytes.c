/*
 * ring_bytes.c - the byte ring of the spsc and bcast modes: variable-length
 * records (a 16-byte header, the payload, padded to 16 bytes) in a power-of-
 * two ring, with a padding record where a record would not fit before the
 * wrap.  One producer at a time: senders take txlock from loan to commit
 * (forked copies and several opened senders are thus safe; a sender that
 * dies holding it is reaped).  spsc: one consumer at a time (rxlock from
 * peek to release), whose tail frees space.  bcast:
 * every receiver has its own cursor; overflow=block waits for the slowest,
 * overflow=drop moves a shared tail over the oldest records and a lapped
 * receiver counts what it lost from the sequence numbers.
 *
 * Indices are 64-bit byte counts that never wrap in practice; the position
 * in the ring is index & mask.  Everything read from the segment is checked
 * against the local, validated copy of the header before it is used.
 */
#include "ring_int.h"
#include "../util/err.h"
#include "../sys/futex.h"

#include <errno.h>
#include <string.h>


static int bytes_drop(const struct ipcx__ring *r)
{
    return (r->fx.flags & IPCX_SHM_F_DROP) != 0;
}

static uint64_t bytes_tag(const struct ipcx__ring *r, uint64_t seq)
{
    return seq ^ r->fx.id;
}

/* Publish a record header: len and prio, then the tag with release. */
static void bytes_put(struct ipcx__ring *r, uint64_t at, uint32_t len, uint32_t prio,
                      uint64_t tag)
{
    uint32_t lp[2] = { len, prio };
    memcpy(r->data + (at & r->mask), lp, sizeof lp);
    /* release: the payload, len and prio are visible before the tag that vouches for them. */
    (void) atomic_exchange_explicit(bytes_tagp(r, at), tag, memory_order_seq_cst);
}

void ipcx__bytes_join(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    /* acquire: pairs with the producer's release of head; what precedes it is ours to read. */
    r->head = atomic_load_explicit(&h->head, memory_order_acquire);
    r->seq = atomic_load_explicit(&h->seq, memory_order_relaxed);
    r->limit = 0;
    if (r->fx.mode == IPCX_SHM_SPSC)
        r->cursor = atomic_load_explicit(&h->tail, memory_order_acquire);
    else
        r->cursor = r->head; /* bcast: a late receiver starts at the current end */
    r->avail = r->cursor;
    if (bytes_drop(r) && r->tx)
        r->limit = atomic_load_explicit(&h->tail, memory_order_relaxed) + r->fx.data_size;
    /* Records start 16-byte aligned; indices that say otherwise were forged. */
    r->broken = ((r->head | r->cursor | r->limit) & (IPCX_REC_HDR - 1)) ||
                (r->tx && r->limit > r->head + r->fx.data_size) ||
                (r->tx && r->limit && r->limit < r->head);
}

/*
 * A new bcast receiver has published a provisional cursor (seq_cst, in
 * ring_register).  A producer that reserved space before seeing it writes
 * at or after the head we read now, so starting here is safe; any later
 * reservation sees our cursor.  The seqlock gives a head and the sequence
 * number of the record that will be written there, consistently.
 */
void ipcx__bytes_joined(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t v1, v2, head, seq;
    /*
     * Our cursor (stored in ring_claim) before the producer's head, a
     * sleeper's barrier: a producer that reserves room after this sees
     * our cursor; one that reserved before wrote at or after the head we
     * read next.
     */
    ipcx__ring_sleeper_barrier(r);
    for (int tries = 0; tries < 1000000; tries++) {
        /* Seqlock reader: acquire on the version, data, acquire fence, version again. */
        v1 = atomic_load_explicit(&h->pubver, memory_order_acquire);
        head = atomic_load_explicit(&h->head, memory_order_relaxed);
        seq = atomic_load_explicit(&h->seq, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        v2 = atomic_load_explicit(&h->pubver, memory_order_relaxed);
        if (v1 == v2 && !(v1 & 1))
            break;
    }
    r->cursor = r->avail = head;
    r->broken = (head & (IPCX_REC_HDR - 1)) != 0;
    r->seq = seq;
    r->seq_known = 1;
    /* release: our cursor only moves forward after our reads. */
    atomic_store_explicit(&h->part[r->me].cursor, head, memory_order_release);
}

/* The oldest byte some receiver still needs; -EPROTO if the segment lies. */
static int bytes_oldest(struct ipcx__ring *r, uint64_t *oldest)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t cap = r->fx.data_size, min = r->head;

    if (r->fx.mode == IPCX_SHM_SPSC) {
        /* acquire: the consumer's reads of what it released happen before we overwrite. */
        min = atomic_load_explicit(&h->tail, memory_order_acquire);
        if (min > r->head || r->head - min > cap || (min & (IPCX_REC_HDR - 1)))
            return ipcx__fail(-EPROTO, "shm: ring tail %llu out of range (head %llu)",
                              (unsigned long long) min, (unsigned long long) r->head);
    } else {
        min = ipcx__bytes_oldest_cursor(r, r->head);
    }
    *oldest = min;
    return 0;
}

/*
 * The oldest cursor of the receivers (holders_only: of those that hold an
 * overflow=drop producer, lossless=yes), or head when there is none.
 */
static uint64_t bytes_oldest_rx(const struct ipcx__ring *r, uint64_t head, int holders_only)
{
    uint64_t cap = r->fx.data_size, min = head;
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &r->h->part[i];
        uint64_t o = atomic_load_explicit(&p->owner, memory_order_relaxed);
        if ((o & (IPCX_PART_TX | IPCX_PART_RX)) != IPCX_PART_RX)
            continue;
        /*
         * acquire: the receiver's reads of what it passed happen before we
         * overwrite; and its hold, stored before its first cursor, is seen.
         */
        uint64_t c = atomic_load_explicit(&p->cursor, memory_order_acquire);
        if (holders_only && !atomic_load_explicit(&p->hold, memory_order_relaxed))
            continue;
        /* A cursor outside the live window is stale or forged: it cannot hold us. */
        if (c > head || head - c > cap || (c & (IPCX_REC_HDR - 1)))
            continue;
        if (c < min)
            min = c;
    }
    return min;
}

uint64_t ipcx__bytes_oldest_cursor(const struct ipcx__ring *r, uint64_t head)
{
    return bytes_oldest_rx(r, head, 0);
}

/*
 * overflow=drop: move the shared tail over old records until need bytes
 * are free; -EAGAIN (wait for room) if that would pass a receiver that
 * holds the producer.
 */
static int bytes_make_room_drop(struct ipcx__ring *r, uint64_t need)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t cap = r->fx.data_size, tail = r->limit - cap;
    if (r->limit < cap || tail > r->head || (tail & (IPCX_REC_HDR - 1)))
        return ipcx__fail(-EPROTO, "shm: ring tail out of range");
    /* A holder's cursor is never passed by the tail: it loses nothing; the others may. */
    if (r->head + need - bytes_oldest_rx(r, r->head, 1) > cap)
        return -EAGAIN;

    while (r->head + need - tail > cap) {
        struct bytes_rec rec = bytes_rec(r, tail);
        uint64_t pos = tail & r->mask, step;
        if (rec.len == IPCX_REC_PAD)
            step = cap - pos;
        else if (rec.len <= r->fx.maxmsg && ipcx__rec_span(tail, rec.len) <= cap - pos)
            step = ipcx__rec_span(tail, rec.len);
        else
            return ipcx__fail(-EPROTO, "shm: record at %llu was overwritten by someone else",
                              (unsigned long long) tail);
        if (step > r->head - tail)
            return ipcx__fail(-EPROTO, "shm: record at %llu runs past the head",
                              (unsigned long long) tail);
        tail += step;
    }
    r->limit = tail + cap;
    /*
     * Seqlock writer: the new tail is stored, then a release fence, then the
     * bytes are overwritten.  A receiver that copied a record reads tail
     * after an acquire fence: if it saw any overwritten byte it also sees
     * this tail, and discards the copy.
     */
    atomic_store_explicit(&h->tail, tail, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    return 0;
}

struct bytes_loan_arg {
    uint64_t len, need, pad;
};

/* Take a byte ring lock (txlock or rxlock) for this call; -EAGAIN if another holds it. */
static int bytes_lock(struct ipcx__ring *r, _Atomic uint32_t *lk)
{
    uint32_t free_ = 0;
    if (r->locked)
        return 0;
    /* acquire: the previous holder's index updates happen before our reads of them. */
    if (!atomic_compare_exchange_strong_explicit(lk, &free_, (uint32_t) r->me + 1,
                                                 memory_order_acquire, memory_order_relaxed))
        return -EAGAIN;
    r->locked = 1;
    return 1;
}

/*
 * spsc: take the receiver lock (if not held).  Just taken, another
 * receiver (a forked copy) may have moved the tail: start there, with the
 * number of the record there unknown.  As bytes_lock.
 */
static int bytes_rx_lock(struct ipcx__ring *r)
{
    int rc = bytes_lock(r, &r->h->rxlock);
    if (rc == 1) {
        uint64_t tail = atomic_load_explicit(&r->h->tail, memory_order_relaxed);
        if (tail != r->cursor) {
            r->cursor = r->avail = tail;
            r->seq_known = 0; /* learnt from the record there */
            r->broken = (r->cursor & (IPCX_REC_HDR - 1)) != 0;
        }
    }
    return rc;
}

/*
 * A receiver waiting for the record at the cursor touches the line after
 * the header: a small message continues there.  In the look that finds
 * the tag both misses are then under way together, and x86 keeps loads in
 * order (a later tag seen means the earlier line is fresh), so taking the
 * record does not wait for a second line.  Only a warm-up: the value is
 * not used.
 */
static void bytes_warm(const struct ipcx__ring *r)
{
    uint64_t next = ((r->cursor & r->mask) | 63) + 1;
    if (next < r->fx.data_size)
        (void) *(volatile const uint8_t *) (r->data + next);
}

/* Drop the lock; the caller wakes waiters (a barrier, then the waiters word). */
static void bytes_unlock_nowake(struct ipcx__ring *r)
{
    if (!r->locked)
        return;
    r->locked = 0;
    /* release: our index updates happen before the next holder's acquire. */
    atomic_store_explicit(r->tx ? &r->h->txlock : &r->h->rxlock, 0, memory_order_release);
}

void ipcx__bytes_unlock(struct ipcx__ring *r)
{
    if (!r->locked)
        return;
    bytes_unlock_nowake(r);
    ipcx__ring_wake(r, r->tx ? &r->h->space : &r->h->data);
    if (r->tx)
        ipcx__ring_bells_tx(r, 1); /* senders with a descriptor that were denied txlock */
}

/* Just took the sender lock: the indices may have moved under other senders. */
static void bytes_tx_reload(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t head = atomic_load_explicit(&h->head, memory_order_relaxed);
    if (head == r->head && !r->broken)
        return; /* nobody else sent since our last commit: our cached limit still holds */
    r->head = head;
    r->seq = atomic_load_explicit(&h->seq, memory_order_relaxed);
    r->limit = bytes_drop(r) ? atomic_load_explicit(&h->tail, memory_order_relaxed) +
                               r->fx.data_size : 0;
    r->broken = ((r->head | r->limit) & (IPCX_REC_HDR - 1)) ||
                r->limit > r->head + r->fx.data_size || (r->limit && r->limit < r->head);
}

static int bytes_try_loan(struct ipcx__ring *r, void *arg)
{
    struct bytes_loan_arg *a = arg;
    uint64_t oldest = 0;
    int rc = ipcx__ring_peer_gone(r);
    if (rc)
        return rc;
    if ((rc = bytes_lock(r, &r->h->txlock)) < 0)
        return rc;
    if (rc == 1)
        bytes_tx_reload(r);
    if (r->broken)
        return ipcx__fail(-EPROTO, "shm: ring indices are corrupt");
    uint64_t pos = r->head & r->mask, cap = r->fx.data_size;
    a->need = ipcx__rec_span(r->head, a->len);
    a->pad = 0;
    if (cap - pos < a->need) { /* does not fit before the wrap: pad, and start the ring again */
        a->pad = cap - pos;
        a->need = ipcx__rec_span(r->head + a->pad, a->len);
    }
    if (r->head + a->pad + a->need <= r->limit)
        return 0;
    if (bytes_drop(r))
        return bytes_make_room_drop(r, a->pad + a->need);
    if ((rc = bytes_oldest(r, &oldest)) < 0)
        return rc;
    r->limit = oldest + r->fx.data_size;
    return r->head + a->pad + a->need <= r->limit ? 0 : -EAGAIN;
}

int ipcx__bytes_loan(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms)
{
    struct bytes_loan_arg a = { len, 0, 0 };
    int rc = ipcx__ring_wait(r, &r->h->space, bytes_try_loan, &a, timeout_ms);
    if (rc < 0) {
        ipcx__bytes_unlock(r);
        return rc;
    }
    if (a.pad) /* a tag nobody expects: the padding counts from commit on */
        bytes_put(r, r->head, IPCX_REC_PAD, 0, ~bytes_tag(r, r->seq));
    r->pad = a.pad;
    r->at = r->head + a.pad;
    *buf = r->data + (r->at & r->mask) + ipcx__rec_off(r->at, len);
    return 0;
}

/*
 * Publish the record at r->at (after the padding of r->pad bytes, if any):
 * its tag, then the number and head, unlock, wake.  The payload is in place.
 */
static void bytes_publish(struct ipcx__ring *r, size_t len, unsigned prio)
{
    struct ipcx__shm_hdr *h = r->h;
    /* The padding carries the number of the record after it: a receiver skips to the wrap. */
    if (r->pad)
        bytes_put(r, r->at - r->pad, IPCX_REC_PAD, 0, bytes_tag(r, r->seq));
    bytes_put(r, r->at, (uint32_t) len, prio, bytes_tag(r, r->seq));
    r->head = r->at + ipcx__rec_span(r->at, len);
    r->seq++;
    if (r->fx.mode == IPCX_SHM_BCAST) {
        /* Seqlock writer for (head, seq), read by joining receivers: odd while changing. */
        uint64_t v = atomic_load_explicit(&h->pubver, memory_order_relaxed);
        atomic_store_explicit(&h->pubver, v + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        atomic_store_explicit(&h->seq, r->seq, memory_order_relaxed);
        /* release: the record (header and payload) is visible before the head that covers it. */
        atomic_store_explicit(&h->head, r->head, memory_order_release);
        atomic_store_explicit(&h->pubver, v + 2, memory_order_release);
    } else {
        atomic_store_explicit(&h->seq, r->seq, memory_order_relaxed);
        /* release: the record (header and payload) is visible before the head that covers it. */
        atomic_store_explicit(&h->head, r->head, memory_order_release);
    }
    bytes_unlock_nowake(r);
    /* One waker's barrier (in notify_data) serves both wake checks below. */
    ipcx__ring_notify_data(r);
    if (atomic_load_explicit(&h->space.waiters, memory_order_relaxed))
        ipcx__ring_wake(r, &h->space); /* senders waiting for txlock */
    ipcx__ring_bells_tx(r, 1); /* and senders with a descriptor that were denied it */
}

int ipcx__bytes_commit(struct ipcx__ring *r, size_t len, unsigned prio)
{
    int rc = ipcx__ring_peer_gone(r);
    if (rc) {
        ipcx__bytes_unlock(r);
        return ipcx__fail(rc, "every receiver is gone");
    }
    uint64_t off = ipcx__rec_off(r->at, len), loan_off = ipcx__rec_off(r->at, r->loan_len);
    if (off != loan_off) /* shorter than loaned, and below IPCX_REC_ALIGN: under 1 KiB to move */
        memmove(r->data + (r->at & r->mask) + off, r->data + (r->at & r->mask) + loan_off, len);
    bytes_publish(r, len, prio);
    return 0;
}

int ipcx__bytes_send(struct ipcx__ring *r, const void *msg, size_t len, unsigned prio)
{
    uint64_t pos = r->head & r->mask, span = ipcx__rec_span(r->head, len);

    if (r->loaned || r->locked || r->broken || bytes_drop(r) || span > r->fx.data_size - pos ||
        r->head + span > r->limit || ipcx__ring_peer_gone(r))
        return 1; /* a wrap, a full ring as last seen, a gone receiver: the long way */
    if (bytes_lock(r, &r->h->txlock) < 0)
        return 1;
    if (atomic_load_explicit(&r->h->head, memory_order_relaxed) != r->head) {
        /*
         * Another sender moved on: the long way reloads.  No wake here: a
         * sender denied the lock meanwhile is woken when our long way
         * takes and gives it up again.
         */
        bytes_unlock_nowake(r);
        return 1;
    }
    r->pad = 0;
    r->at = r->head;
    if (len)
        ipcx__ring_copy(r->data + pos + ipcx__rec_off(r->at, len), msg, len);
    bytes_publish(r, len, prio);
    /* The segment shrank under the copy or the publication: the long way says -EIO. */
    return ipcx__ring_dead(r);
}

/* A bad record: give up everything up to the head, so the next receive can go on. */
static int bytes_bad(struct ipcx__ring *r, const char *what)
{
    r->cursor = r->avail;
    r->seq_known = 0;
    if (r->fx.mode == IPCX_SHM_SPSC)
        /* release: as in a normal release. */
        atomic_store_explicit(&r->h->tail, r->cursor, memory_order_release);
    else
        atomic_store_explicit(&r->h->part[r->me].cursor, r->cursor, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst); /* the room before the look at sender bells */
    ipcx__ring_bells_tx(r, 0);
    return ipcx__fail(-EBADMSG, "shm: %s; the rest of the ring was skipped", what);
}

/*
 * overflow=drop: if the producer moved the tail past our cursor we were
 * lapped.  Jump to the tail and count the messages between from the
 * sequence numbers.  Returns 1 if we jumped.
 */
static int bytes_lapped(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    for (int tries = 0; tries < 64; tries++) {
        uint64_t tail = atomic_load_explicit(&h->tail, memory_order_acquire);
        if (tail <= r->cursor)
            return 0;
        if (tail & (IPCX_REC_HDR - 1))
            return 0; /* forged: the head check below reports it */
        struct bytes_rec rec = bytes_rec(r, tail);
        /* acquire fence, then tail again: was the header we read overwritten meanwhile? */
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&h->tail, memory_order_relaxed) != tail)
            continue;
        uint64_t seq = rec.seq;
        if (rec.len == IPCX_REC_PAD) {
            /* The record after the padding has the number we want: read it next round. */
            r->cursor = tail;
            tail += r->fx.data_size - (tail & r->mask);
            rec = bytes_rec(r, tail);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&h->tail, memory_order_relaxed) > r->cursor)
                continue;
            seq = rec.seq;
        }
        if (r->seq_known && seq > r->seq)
            r->lost += (long long) (seq - r->seq);
        r->seq = seq;
        r->seq_known = 1;
        r->cursor = r->avail = tail; /* avail = cursor: look at the head again */
        return 1;
    }
    return 0;
}

/* The record at the cursor is good: it is the one peeked. */
static int bytes_take(struct ipcx__ring *r, const struct bytes_rec *rec, uint64_t rs)
{
    r->seq = rec->seq + 1;
    r->seq_known = 1;
    r->peek_ptr = r->data + (r->cursor & r->mask) + ipcx__rec_off(r->cursor, rec->len);
    r->peek_len = rec->len;
    r->peek_prio = rec->prio;
    r->at = r->cursor;
    r->next = r->cursor + rs;
    if (r->avail < r->next)
        r->avail = r->next; /* taken on its tag: head is at least here */
    return 0;
}

static int bytes_try_peek(struct ipcx__ring *r, void *arg)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t cap = r->fx.data_size;
    (void) arg;

    if (r->fx.mode == IPCX_SHM_SPSC) {
        int rc = bytes_rx_lock(r);
        if (rc < 0)
            return rc;
    }
    if (r->broken)
        return ipcx__fail(-EPROTO, "shm: ring indices are corrupt");
    for (int skips = 0; skips < 4; skips++) {
        if (bytes_drop(r))
            (void) bytes_lapped(r);
        if (r->lost) {
            r->lost_total += r->lost;
            r->lost = 0;
            return ipcx__fail(-ENOBUFS, "messages were lost to overflow=drop (see ipcx_lost)");
        }
        uint64_t pos = r->cursor & r->mask;
        if (r->seq_known) {
            /*
             * Fast path: the record we expect is tagged at the cursor; head
             * need not be read.  Anything odd goes the long way below, which
             * checks against head and reports.
             */
            if (r->spinning)
                bytes_warm(r);
            struct bytes_rec rec = bytes_rec(r, r->cursor);
            if (rec.seq == r->seq) {
                if (rec.len == IPCX_REC_PAD) {
                    r->cursor += cap - pos;
                    if (r->avail < r->cursor)
                        r->avail = r->cursor;
                    continue;
                }
                uint64_t rs = ipcx__rec_span(r->cursor, rec.len);
                if (rec.len <= r->fx.maxmsg && rs <= cap - pos)
                    return bytes_take(r, &rec, rs);
            }
            /*
             * While spinning, only the tag is watched: head is on the
             * sender's line, and reading it would pull that line over on
             * every message.  The spin is bounded; before sleeping, the try
             * takes the long way (head, corruption, a number not known).
             */
            else if (r->spinning) {
                r->tag_miss = 1;
                return -EAGAIN;
            }
        }
        if (r->cursor == r->avail) {
            /* acquire: pairs with the producer's release of head: the records are complete. */
            uint64_t head = atomic_load_explicit(&h->head, memory_order_acquire);
            /*
             * Nothing past the cursor.  head may even lag behind it by the
             * records taken on their tags: the sender stores it after them.
             */
            if (head <= r->cursor && r->cursor - head <= cap) {
                int gone = ipcx__ring_peer_gone(r);
                /* The last messages may have come just before the sender left: look again. */
                if (gone && atomic_load_explicit(&h->head, memory_order_acquire) <= r->cursor)
                    return ipcx__fail(-EPIPE, "every sender is gone and the ring is empty");
                return -EAGAIN;
            }
            r->avail = head;
        }
        if (r->avail < r->cursor || r->avail - r->cursor > cap ||
            (r->avail & (IPCX_REC_HDR - 1))) {
            if (bytes_drop(r) && r->avail > r->cursor)
                continue; /* lapped while we looked: bytes_lapped handles it */
            return bytes_bad(r, "ring head out of range");
        }
        uint64_t left = r->avail - r->cursor;
        struct bytes_rec rec = bytes_rec(r, r->cursor);
        if (rec.len == IPCX_REC_PAD) {
            if (cap - pos > left)
                return bytes_bad(r, "padding record runs past the head");
            r->cursor += cap - pos;
            continue;
        }
        uint64_t rs = ipcx__rec_span(r->cursor, rec.len);
        if (rec.len > r->fx.maxmsg || rs > cap - pos || rs > left) {
            if (bytes_drop(r) && atomic_load_explicit(&h->tail, memory_order_acquire) > r->cursor)
                continue; /* overwritten while we read it */
            return bytes_bad(r, "record length out of range");
        }
        if (bytes_drop(r) && r->seq_known && rec.seq != r->seq) {
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&h->tail, memory_order_relaxed) > r->cursor)
                continue;
        }
        return bytes_take(r, &rec, rs);
    }
    return -EAGAIN; /* only padding so far; come back */
}

int ipcx__bytes_recv(struct ipcx__ring *r, void *buf, size_t cap, unsigned *prio, long *got,
                     unsigned tries)
{
    if (r->fx.mode != IPCX_SHM_SPSC || !r->seq_known || r->peeked || r->broken ||
        r->bellfd >= 0 || bytes_drop(r))
        return 1;
    /*
     * Up to tries looks at the tag (a message about to come is taken here,
     * without the layers of the long way).  Not there by then, padding, too
     * big for buf, or the lock brought an unknown number: the long way,
     * which keeps our lock.
     */
    if (bytes_rx_lock(r) < 0 || !r->seq_known || r->broken)
        return 1;
    uint64_t pos = r->cursor & r->mask;
    struct bytes_rec rec;
    for (unsigned i = 0;; i++) {
        if (i)
            bytes_warm(r);
        rec = bytes_rec(r, r->cursor);
        if (rec.seq == r->seq)
            break;
        if (i >= tries)
            return 1;
        ipcx__cpu_relax();
    }
    if (rec.len == IPCX_REC_PAD || rec.len > cap || rec.len > r->fx.maxmsg)
        return 1;
    uint64_t rs = ipcx__rec_span(r->cursor, rec.len);
    if (rs > r->fx.data_size - pos)
        return 1;
    (void) bytes_take(r, &rec, rs);
    if (rec.len)
        ipcx__ring_copy(buf, r->peek_ptr, rec.len);
    if (ipcx__ring_dead(r))
        return 1; /* the copy may hold zeros: the long way says -EIO */
    if (prio)
        *prio = rec.prio;
    *got = (long) rec.len;
    (void) ipcx__bytes_release(r); /* 0: only overflow=drop can report a stale copy */
    return 0;
}

int ipcx__bytes_peek(struct ipcx__ring *r, int timeout_ms)
{
    int rc = ipcx__ring_wait(r, &r->h->data, bytes_try_peek, NULL, timeout_ms);
    if (rc < 0)
        ipcx__bytes_unlock(r); /* an idle receiver holds up no other */
    return rc;
}

int ipcx__bytes_release(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    int stale = 0;

    if (bytes_drop(r)) {
        /* Seqlock reader's check: acquire fence, then the tail. */
        atomic_thread_fence(memory_order_acquire);
        stale = atomic_load_explicit(&h->tail, memory_order_relaxed) > r->at;
    }
    r->cursor = r->next;
    /* release: our reads of the record happen before the producer may overwrite it. */
    if (r->fx.mode == IPCX_SHM_SPSC)
        atomic_store_explicit(&h->tail, r->cursor, memory_order_release);
    else
        atomic_store_explicit(&h->part[r->me].cursor, r->cursor, memory_order_release);
    bytes_unlock_nowake(r);
    if (!bytes_drop(r) || r->hold) { /* a holder's cursor is what a producer may wait for */
        ipcx__ring_wake(r, &h->space); /* its barrier also covers the checks below */
        ipcx__ring_bells_tx(r, 0);     /* senders that wait with a descriptor */
    }
    if (r->fx.mode == IPCX_SHM_SPSC && atomic_load_explicit(&h->data.waiters, memory_order_relaxed))
        ipcx__ring_wake(r, &h->data); /* receivers waiting for rxlock */
    if (stale) {
        r->lost_total++;
        return ipcx__fail(-ESTALE, "the message was overwritten while it was held "
                                   "(overflow=drop)");
    }
    return 0;
}

/* A bcast receiver just registered: its cursor starts at the head (ipcx__bytes_joined). */
static void bytes_registered(struct ipcx__ring *r)
{
    if (!r->tx && r->fx.mode == IPCX_SHM_BCAST)
        ipcx__bytes_joined(r);
}

/* Anything past our cursor?  Only to re-check after arming a doorbell. */
static int bytes_has_data(struct ipcx__ring *r)
{
    return atomic_load_explicit(&r->h->head, memory_order_acquire) > r->cursor;
}

/*
 * Rings that wait for room (spsc, bcast overflow=block): the head and the
 * oldest byte a receiver still needs, as a sender's try judges them
 * (bytes_oldest).  0 for overflow=drop: it makes room.
 */
static int bytes_tx_room(struct ipcx__ring *r, uint64_t *head, uint64_t *oldest)
{
    struct ipcx__shm_hdr *h = r->h;

    if (r->fx.flags & IPCX_SHM_F_DROP)
        return 0;
    *head = atomic_load_explicit(&h->head, memory_order_relaxed);
    if (r->fx.mode == IPCX_SHM_SPSC) {
        *oldest = atomic_load_explicit(&h->tail, memory_order_acquire);
        return 1;
    }
    *oldest = ipcx__bytes_oldest_cursor(r, *head);
    return 1;
}

const struct ipcx__ring_kind ipcx__ring_bytes = {
    .loan = ipcx__bytes_loan, .commit = ipcx__bytes_commit,
    .peek = ipcx__bytes_peek, .release = ipcx__bytes_release,
    .send = ipcx__bytes_send, .recv = ipcx__bytes_recv,
    .join = ipcx__bytes_join, .joined = bytes_registered, .drop = ipcx__bytes_unlock,
    .reap = ipcx__bytes_reap, .has_data = bytes_has_data, .tx_room = bytes_tx_room,
};
