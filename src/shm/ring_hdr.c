/*
 * ring_hdr.c - the segment header of a ring: its size for the options
 * asked for, formatting a new segment (published by its magic, stored
 * last), and the validation of a segment somebody else made: one copy of
 * the fixed part, checked field by field against this library's layout
 * and the segment's real size (docs/shm.md, Layout).
 */
#include "ring_int.h"
#include "../util/err.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct ipcx__shm_part) == 64, "participant layout");
_Static_assert(sizeof(struct ipcx__shm_slot) == IPCX_SLOT_HDR, "slot layout");
_Static_assert(sizeof(struct ipcx__shm_rec) == IPCX_REC_HDR, "record layout");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "shared atomics must be lock-free to work across processes");

static uint64_t ring_sum(const struct ipcx__shm_fixed *fx)
{
    /* FNV-1a over the fields after magic and before sum. */
    const uint8_t *p = (const uint8_t *) fx + offsetof(struct ipcx__shm_fixed, version);
    size_t n = offsetof(struct ipcx__shm_fixed, sum) - offsetof(struct ipcx__shm_fixed, version);
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    while (n--)
        h = (h ^ *p++) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}


static uint64_t ring_data_off(void)
{
    return align_up(sizeof(struct ipcx__shm_hdr), RING_PAGE);
}

size_t ipcx__ring_seg_size(const struct ipcx__ring_opts *o, uint32_t *nslots,
                           uint32_t *slot_size)
{
    uint64_t data;

    *nslots = *slot_size = 0;
    if (o->maxmsg > (UINT64_C(1) << 31))
        return (void) ipcx__fail(-EINVAL, "maxmsg=%zu: at most 2 GiB", o->maxmsg), 0;
    if (o->mode == IPCX_SHM_MPSC || o->mode == IPCX_SHM_MPMC) {
        uint64_t ss = IPCX_SLOT_HDR + align_up(o->maxmsg, 64), n = 128;
        if (o->size) {
            for (n = 1; n * 2 * ss <= o->size; n *= 2)
                ;
            if (n * ss > o->size)
                n = 0;
        }
        if (n < 2 || n > (UINT64_C(1) << 24))
            return (void) ipcx__fail(-EINVAL, "size=%zu holds fewer than 2 slots of "
                                     "maxmsg=%zu", o->size, o->maxmsg), 0;
        *nslots = (uint32_t) n;
        *slot_size = (uint32_t) ss;
        data = n * ss;
    } else {
        uint64_t min = 2 * ipcx__rec_max(o->maxmsg);
        /*
         * Default: 32 messages of maxmsg (so 4 MiB for the default
         * maxmsg of 64 KiB), between 1 and 8 MiB.  A ring
         * well over a core's L2 lets the receiver's copy of a line age out
         * to the shared L3 before the sender comes round again; a ring
         * that still sits in the receiver's L2 costs the sender a probe of
         * the other core per line (64 KiB messages: 0.25x memcpy through
         * 1 MiB, 0.7x through 4 MiB; docs/PERF.md).
         */
        uint64_t def = 32 * ipcx__rec_max(o->maxmsg);
        def = def < (UINT64_C(1) << 20) ? UINT64_C(1) << 20
            : def > (UINT64_C(8) << 20) ? UINT64_C(8) << 20 : def;
        data = o->size ? o->size : def;
        if (data < min && !o->size)
            data = min;
        if (data < min)
            return (void) ipcx__fail(-EINVAL, "size=%zu: must hold two messages of maxmsg=%zu",
                                     o->size, o->maxmsg), 0;
        uint64_t p2 = RING_PAGE;
        while (p2 < data)
            p2 *= 2;
        data = p2;
    }
    if (data > (UINT64_C(1) << 40))
        return (void) ipcx__fail(-EINVAL, "the ring would be larger than 1 TiB"), 0;
    return (size_t) (ring_data_off() + data);
}

void ipcx__ring_format(void *base, size_t seg_size, const struct ipcx__ring_opts *o)
{
    struct ipcx__shm_hdr *h = base;
    struct ipcx__shm_fixed fx = { 0 };
    struct timespec ts;

    fx.version = IPCX_SHM_VERSION;
    fx.mode = o->mode;
    fx.flags = o->flags;
    fx.hdr_size = sizeof *h;
    fx.part_size = sizeof h->part[0];
    fx.nparts = IPCX_SHM_PARTS;
    (void) ipcx__ring_seg_size(o, &fx.nslots, &fx.slot_size);
    fx.seg_size = seg_size;
    fx.data_off = ring_data_off();
    fx.data_size = seg_size - fx.data_off;
    fx.maxmsg = o->maxmsg;
    (void) clock_gettime(CLOCK_REALTIME, &ts);
    fx.id = ((uint64_t) getpid() << 32) ^ (uint64_t) ts.tv_nsec ^ ((uint64_t) ts.tv_sec << 20) ^
            (uint64_t) (uintptr_t) base;
    fx.sum = ring_sum(&fx);
    memcpy(&h->fx, &fx, sizeof fx);
    h->fx.magic = 0;
    if (fx.nslots) {
        /* Slot i starts EMPTY for position i. */
        for (uint32_t i = 0; i < fx.nslots; i++) {
            struct ipcx__shm_slot *s =
                (void *) ((uint8_t *) base + fx.data_off + (uint64_t) i * fx.slot_size);
            atomic_store_explicit(&s->word, (uint64_t) i << 9, memory_order_relaxed);
        }
    }
    /*
     * Publish: release orders every store above before magic, so whoever
     * reads the magic with acquire sees a complete header (musl sem_open's
     * "publish after init").
     */
    atomic_store_explicit((_Atomic uint64_t *) &h->fx.magic, IPCX_SHM_MAGIC,
                          memory_order_release);
}

int ipcx__ring_check(struct ipcx__ring *r, void *base, size_t size)
{
    struct ipcx__shm_hdr *h = base;
    struct ipcx__shm_fixed fx;
    uint64_t magic;

    if (size < sizeof *h)
        return ipcx__fail(-EPROTO, "segment of %zu bytes is too small for a ring", size);
    /* A registered mapping that may shrink (seg.c); a fault below makes it dead. */
    r->zone = ipcx__sigbus_find(base);
    /* acquire: pairs with the creator's release store of magic in ring_format. */
    magic = atomic_load_explicit((_Atomic uint64_t *) &h->fx.magic, memory_order_acquire);
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r); /* it shrank under us: the zeros we read mean nothing */
    if (magic == 0)
        return -EAGAIN;
    if (magic != IPCX_SHM_MAGIC)
        return ipcx__fail(-EPROTO, "not an ipcx ring (bad magic)");
    /* One copy; from here on only the copy is used, whatever the segment says later. */
    memcpy(&fx, &h->fx, sizeof fx);
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r); /* it shrank while we read: what we copied is zeros */
    if (fx.version != IPCX_SHM_VERSION)
        return ipcx__fail(-EPROTO, "ring version %u, this library speaks %u", fx.version,
                          IPCX_SHM_VERSION);
    if (fx.sum != ring_sum(&fx))
        return ipcx__fail(-EPROTO, "ring header checksum mismatch");
    if (fx.hdr_size != sizeof *h || fx.part_size != sizeof h->part[0] ||
        fx.nparts != IPCX_SHM_PARTS || fx.data_off != ring_data_off())
        return ipcx__fail(-EPROTO, "ring layout differs from this library's");
    if (fx.mode >= IPCX_SHM_NMODES || (fx.flags & ~IPCX_SHM_F_KNOWN) ||
        ((fx.flags & IPCX_SHM_F_DROP) && fx.mode != IPCX_SHM_BCAST))
        return ipcx__fail(-EPROTO, "ring mode %u flags %#x unknown", fx.mode, fx.flags);
    if (fx.seg_size != size || fx.data_size > size || fx.data_off > size - fx.data_size ||
        fx.data_off + fx.data_size != size)
        return ipcx__fail(-EPROTO, "ring sizes do not match the segment of %zu bytes", size);
    if (fx.maxmsg > (UINT64_C(1) << 31))
        return ipcx__fail(-EPROTO, "ring maxmsg %llu impossible", (unsigned long long) fx.maxmsg);
    if (fx.mode == IPCX_SHM_MPSC || fx.mode == IPCX_SHM_MPMC) {
        if (fx.nslots < 2 || (fx.nslots & (fx.nslots - 1)) ||
            fx.slot_size != IPCX_SLOT_HDR + align_up(fx.maxmsg, 64) ||
            fx.data_size != (uint64_t) fx.nslots * fx.slot_size)
            return ipcx__fail(-EPROTO, "ring slots inconsistent");
        r->mask = fx.nslots - 1;
    } else {
        if (fx.nslots || fx.slot_size || fx.data_size < RING_PAGE ||
            (fx.data_size & (fx.data_size - 1)) || fx.data_size < 2 * ipcx__rec_max(fx.maxmsg))
            return ipcx__fail(-EPROTO, "byte ring capacity inconsistent");
        r->mask = fx.data_size - 1;
    }
    r->fx = fx;
    r->h = h;
    r->data = (uint8_t *) base + fx.data_off;
    return 0;
}
