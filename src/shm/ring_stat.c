/*
 * ring_stat.c - read a ring as a bystander (ring_stat.h): the validated
 * layout (ipcx__ring_check, the same check a participant makes), then a
 * snapshot of the shared words.  Those are written by other processes and
 * may be forged by anyone who may write the segment, so every index is
 * checked against the layout before it is used to read, counts are
 * clamped to what the layout allows (and the look says so), and a segment
 * that shrinks under the look (the SIGBUS zone seg.c registered) gives
 * -EIO.  Nothing here writes to the segment or takes a lock.
 */
#include "ring_int.h"
#include "ring_stat.h"
#include "ipcx.h"
#include "ipcx/admin.h"
#include "../util/err.h"
#include "../sys/proc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const stat_modes[IPCX_SHM_NMODES] = { "spsc", "mpsc", "mpmc", "bcast" };

static uint64_t ld(_Atomic uint64_t *p)
{
    return atomic_load_explicit(p, memory_order_acquire);
}

static unsigned ld32(_Atomic uint32_t *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

/* The participants: owner, start, role, liveness, doorbell. */
static void stat_parts(const struct ipcx__ring *r, struct ipcx_ring_info *out)
{
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &r->h->part[i];
        uint64_t o = ld(&p->owner);
        if (!o || !ring_role(o))
            continue;
        struct ipcx_ring_part *q = &out->part[out->nparts++];
        q->pid = IPCX_PART_PID(o);
        q->role = (o & IPCX_PART_TX) ? IPCX_SEND : IPCX_RECV;
        q->start = ld(&p->start);
        q->alive = q->pid > 0 && ipcx__proc_alive(q->pid, q->start);
        q->armed = ld32(&p->bell) != 0;
        q->fifo = ld32(&p->fifo) != 0;
    }
}

/*
 * Byte rings: the records between from (the spsc tail, or the slowest
 * registered bcast receiver) and head.  The message count is head's number less
 * the number of the record at from (its tag), so no record is walked.
 * 0, or 1 if the indices are impossible (the counts are then bounds).
 */
static int stat_bytes(const struct ipcx__ring *r, struct ipcx_ring_info *out)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t cap = r->fx.data_size, head = ld(&h->head), seq = ld(&h->seq);
    uint64_t from = r->fx.mode == IPCX_SHM_BCAST ? ipcx__bytes_oldest_cursor(r, head)
                                                 : ld(&h->tail);

    if (from > head || head - from > cap || ((head | from) & (IPCX_REC_HDR - 1))) {
        out->bytes = 0;
        return 1;
    }
    out->bytes = head - from;
    if (from == head)
        return 0;
    struct bytes_rec rec = bytes_rec(r, from);
    if (rec.len == IPCX_REC_PAD) {
        from += cap - (from & r->mask); /* the padding to the end: the next record is at 0 */
        if (from >= head)
            return 1;
        rec = bytes_rec(r, from);
    }
    /* Every record takes 16 bytes at least: no more messages than that. */
    uint64_t most = (head - from) / IPCX_REC_HDR, n = seq - rec.seq;
    if (rec.seq > seq || n == 0 || n > most) {
        out->messages = n > most ? most : 0;
        return 1;
    }
    out->messages = n;
    return 0;
}

/* Slot rings: the full slots, each read by its header (a bounded walk of nslots). */
static int stat_slots(const struct ipcx__ring *r, struct ipcx_ring_info *out)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t head = ld(&h->head), tail = ld(&h->tail), n = r->fx.nslots, full = 0;
    int suspect = tail > head || head - tail > n;

    for (uint64_t i = 0; i < n; i++) {
        struct ipcx__shm_slot *s = (void *) (r->data + i * r->fx.slot_size);
        uint64_t w = ld(&s->word);
        unsigned state = (unsigned) (w >> 6) & 7u;
        if (state != IPCX_SLOT_FULL && state != IPCX_SLOT_REDELIVER)
            continue;
        uint32_t len;
        memcpy(&len, &s->len, sizeof len);
        if (len == IPCX_SLOT_SKIP)
            continue;
        if (len > r->fx.maxmsg) {
            suspect = 1;
            continue;
        }
        full++;
        out->bytes += len;
    }
    out->messages = full;
    return suspect;
}

int ipcx__ring_stat(void *base, size_t size, struct ipcx_ring_info *out)
{
    struct ipcx__ring r;
    memset(&r, 0, sizeof r);
    int rc = ipcx__ring_check(&r, base, size);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->version = r.fx.version;
    snprintf(out->mode, sizeof out->mode, "%s", stat_modes[r.fx.mode]);
    out->drop = (r.fx.flags & IPCX_SHM_F_DROP) != 0;
    out->seg_size = r.fx.seg_size;
    out->capacity = r.fx.data_size;
    out->maxmsg = r.fx.maxmsg;
    out->nslots = r.fx.nslots;
    out->slot_size = r.fx.slot_size;
    int suspect = ipcx__ring_slotted(&r) ? stat_slots(&r, out) : stat_bytes(&r, out);
    out->senders = ld32(&r.h->ntx);
    out->receivers = ld32(&r.h->nrx);
    out->bells = ld32(&r.h->bells);
    out->armed_senders = ld32(&r.h->sbells);
    out->fifos = ld32(&r.h->fifos) != 0;
    stat_parts(&r, out);
    /* Forged counts are clamped to the room there is. */
    if (out->senders > IPCX_SHM_PARTS || out->receivers > IPCX_SHM_PARTS) {
        suspect = 1;
        out->senders = out->senders > IPCX_SHM_PARTS ? IPCX_SHM_PARTS : out->senders;
        out->receivers = out->receivers > IPCX_SHM_PARTS ? IPCX_SHM_PARTS : out->receivers;
    }
    out->bells = out->bells > IPCX_SHM_PARTS ? IPCX_SHM_PARTS : out->bells;
    out->armed_senders = out->armed_senders > IPCX_SHM_PARTS ? IPCX_SHM_PARTS : out->armed_senders;
    if (ipcx__ring_dead(&r))
        return ipcx__ring_gone(&r); /* it shrank while we read: what we read is zeros */
    out->suspect = suspect;
    return 0;
}
