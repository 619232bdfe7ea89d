/*
 * ring.c - what every ring mode shares: formatting and validating a
 * segment header, registering participants, noticing dead ones, sleeping
 * and waking (spin, then a process-shared futex), doorbells for ipcx_fd(),
 * and re-registering after fork.  The byte ring (spsc, bcast) is in
 * ring_bytes.c, the slot ring (mpsc, mpmc) in ring_slots.c.
 *
 * Ordering notation: every atomic access names its order and says why in
 * a comment; the pattern for each is the one of liburing's queue.c
 * (release on publish, acquire on consume, a full fence before reading a
 * "needs wakeup" word) and musl's __wait.c (bounded spin, then futex).
 */
#include "ring.h"
#include "bell.h"
#include "../err.h"
#include "../sys/futex.h"
#include "../sys/sys.h"
#include "../sys/fs.h"
#include "../sys/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

_Static_assert(sizeof(struct ipcx__shm_part) == 64, "participant layout");
_Static_assert(sizeof(struct ipcx__shm_slot) == IPCX_SLOT_HDR, "slot layout");
_Static_assert(sizeof(struct ipcx__shm_rec) == IPCX_REC_HDR, "record layout");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "shared atomics must be lock-free to work across processes");

#define RING_PAGE      4096u
#define RING_SLICE_MS  100     /* the longest futex sleep before looking at peers */
#define RING_CHECK_MS  20      /* a non-blocking caller looks at peers this seldom */
#define RING_SPIN_MIN  16u
#define RING_SPIN_DEF  1024u
#define RING_SPIN_QUICK 64u    /* tries before the spin looks at the clock */
#define RING_TRY_NS    40      /* a guess at one try, until a spin measured it */

/* ---- header ------------------------------------------------------------ */

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

/* ---- open handles, for fork -------------------------------------------- */

static pthread_mutex_t ring_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipcx__ring *ring_list;
static pthread_once_t ring_fork_once = PTHREAD_ONCE_INIT;

static int ring_claim(struct ipcx__ring *r, int tx, uint64_t mine, uint64_t start);

/*
 * A forked child holds a copy of every open handle, as it holds copies of
 * descriptors, and like a descriptor the copy counts: the child's copy is a
 * participant of its own.  Its entry is claimed before fork (in the
 * parent, still under the parent's pid), so there is no moment at which a
 * parent that closes the end it does not use leaves the end unregistered.
 *
 * Who the entry belongs to is then settled twice, whichever comes first:
 * the parent's handler learns the child's pid (the one new pid among this
 * thread's children, ipcx__children in sys/proc.h) and hands the entry to the child's
 * pid and start time; the child's handler writes the same.  So a child
 * killed before its handler ran (SIGKILL at the first instruction) is a
 * participant with a dead pid, reaped like any other, not one that lives
 * as long as its parent.  If the parent cannot tell the child (no such
 * /proc file, more children than it can read) or fork failed, the entry
 * stays with the parent's pid and goes when the parent does.
 */
#define RING_FORK_KIDS 1024
static pid_t ring_kids[RING_FORK_KIDS]; /* this thread's children before fork; under ring_list_lock */
static int ring_nkids;                 /* how many, or < 0: not known, no handing over */

static void ring_fork_prepare(void)
{
    (void) pthread_mutex_lock(&ring_list_lock);
    pid_t pid = getpid();
    int claimed = 0;
    for (struct ipcx__ring *r = ring_list; r; r = r->next_open) {
        r->fork_me = -1;
        if (r->me >= 0 && r->pid == pid && !ipcx__ring_dead(r))
            r->fork_me = ring_claim(r, r->tx, r->mine, r->start);
        claimed |= r->fork_me >= 0;
    }
    /* Only a fork that claimed entries pays for the look at /proc. */
    ring_nkids = claimed ? ipcx__children(ring_kids, RING_FORK_KIDS) : -1;
}

/* The pid of the child fork just made: the one not in ring_kids, or 0 if that is unclear. */
static pid_t ring_fork_new_child(void)
{
    static pid_t after[RING_FORK_KIDS];
    pid_t child = 0;
    int n = ring_nkids < 0 ? -1 : ipcx__children(after, RING_FORK_KIDS);
    for (int i = 0; i < n; i++) {
        int known = 0;
        for (int j = 0; j < ring_nkids && !known; j++)
            known = after[i] == ring_kids[j];
        if (known)
            continue;
        if (child)
            return 0; /* two new ones: not ours to guess */
        child = after[i];
    }
    return child;
}

/*
 * Entry i, claimed for a child as (parent's owner word pm, start ps), now
 * belongs to the child (cm, cs).  The child's handler may be doing the
 * same at this moment or have done it long ago (and even closed the copy,
 * so that the entry is free or somebody else's): every step is a CAS from
 * the parent's values, and what is not ours any more is left alone.
 * Start first (0: judged by the pid alone, and pm's pid is alive), then
 * the owner, then the child's start: never the parent's pid with the
 * child's start time or the reverse.
 */
static void ring_fork_hand(struct ipcx__shm_part *p, uint64_t pm, uint64_t ps, uint64_t cm,
                           uint64_t cs)
{
    uint64_t v = ps, o = pm;
    int zeroed = atomic_compare_exchange_strong_explicit(&p->start, &v, 0, memory_order_relaxed,
                                                         memory_order_relaxed);
    if (atomic_compare_exchange_strong_explicit(&p->owner, &o, cm, memory_order_acq_rel,
                                                memory_order_relaxed)) {
        /* release: a checker that sees the start sees the owner (ipcx__ring_check_peers). */
        atomic_store_explicit(&p->start, cs, memory_order_release);
        return;
    }
    v = 0;
    if (zeroed) /* not ours any more: give back the start we took */
        (void) atomic_compare_exchange_strong_explicit(&p->start, &v, ps, memory_order_relaxed,
                                                       memory_order_relaxed);
}

static void ring_fork_parent(void)
{
    pid_t child = ring_fork_new_child();
    if (child > 0) {
        uint64_t cs = 0;
        /* A child already dead and reaped has no start time: 0, judged by its (dead) pid. */
        (void) ipcx__proc_start(child, &cs);
        for (struct ipcx__ring *r = ring_list; r; r = r->next_open) {
            if (r->fork_me < 0)
                continue;
            uint64_t cm = (uint64_t) (uint32_t) child | (r->mine & ~UINT64_C(0xffffffff));
            ring_fork_hand(&r->h->part[r->fork_me], r->mine, r->start, cm, cs);
        }
    }
    (void) pthread_mutex_unlock(&ring_list_lock);
}

static void ring_fork_child(void)
{
    pid_t pid = getpid();
    uint64_t start = 0;
    (void) ipcx__proc_start(pid, &start);
    /*
     * The child's copies skip the wakers' fence as the parent's did, so it
     * registers too; whether the kernel kept the parent's registration in
     * the child does not matter then.  With no ring open it registers at
     * its first join.
     */
    int was = ipcx__mb_ok();
    atomic_store_explicit(&ipcx__mb_registered, 0, memory_order_relaxed);
    int unfenced = was && ring_list && ipcx__mb_register() == 0;
    for (struct ipcx__ring *r = ring_list; r; r = r->next_open)
        if (!unfenced)
            atomic_store_explicit(&r->h->fenced, 1, memory_order_seq_cst);
    if (ring_list && !unfenced)
        (void) ipcx__mb_slow(); /* as in ipcx__ring_join: no waker left unfenced by a stale look */
    for (struct ipcx__ring *r = ring_list; r; r = r->next_open) {
        r->loaned = r->peeked = r->locked = 0; /* the parent's loan or peek stays the parent's */
        /*
         * The doorbell FIFO is the parent's participant's: our copies of its
         * descriptors and of the others' are closed (they would leak, and
         * ring or watch the parent's doorbell); ipcx_fd() here makes the
         * child's own.
         */
        if (r->bellfd >= 0)
            (void) ipcx__close(r->bellfd);
        r->bellfd = -1;
        for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
            if (r->bellw[i] >= 0)
                (void) ipcx__close(r->bellw[i]);
            r->bellw[i] = -1, r->bellowner[i] = 0, r->bellstart[i] = 0;
        }
        r->me = r->fork_me; /* -1 if there was no room: the copy is unusable (-EPIPE) */
        if (r->me < 0)
            continue;
        struct ipcx__shm_part *p = &r->h->part[r->me];
        uint64_t mine = (uint64_t) (uint32_t) pid | (r->mine & ~UINT64_C(0xffffffff));
        /*
         * Never a moment with the parent's pid and the child's start time
         * (a checker would judge the parent dead): start 0 (judged by the
         * pid alone), then the owner, then the child's start, with release
         * (a checker that sees it sees the owner; see ipcx__ring_check_peers).
         */
        atomic_store_explicit(&p->start, 0, memory_order_relaxed);
        atomic_store_explicit(&p->owner, mine, memory_order_release);
        atomic_store_explicit(&p->start, start, memory_order_release);
        r->mine = mine;
        r->pid = pid;
        r->start = start;
    }
    (void) pthread_mutex_unlock(&ring_list_lock);
}

static void ring_fork_init(void)
{
    (void) pthread_atfork(ring_fork_prepare, ring_fork_parent, ring_fork_child);
}

/* ---- participants -------------------------------------------------------- */

/* Doorbells (see there): a participant being reaped; a count that never wraps below 0. */
static void ring_bell_reaped(struct ipcx__ring *r, unsigned i, uint64_t o, uint64_t start);
static void ring_count_down(_Atomic uint32_t *n);

/* Claim a free participant entry for (mine, start) and count it.  Index, or -1. */
static int ring_claim(struct ipcx__ring *r, int tx, uint64_t mine, uint64_t start)
{
    struct ipcx__shm_hdr *h = r->h;
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        uint64_t free_ = 0;
        struct ipcx__shm_part *p = &h->part[i];
        /* Cheap look first; the CAS is acq_rel so our later stores follow the claim. */
        if (atomic_load_explicit(&p->owner, memory_order_relaxed) != 0)
            continue;
        if (!atomic_compare_exchange_strong_explicit(&p->owner, &free_, mine,
                                                     memory_order_acq_rel,
                                                     memory_order_relaxed))
            continue;
        /*
         * A free entry's start is 0 (cleared before its owner was): a
         * checker seeing start 0 judges by the pid alone.  release: one
         * that sees our start sees our owner word.
         */
        atomic_store_explicit(&p->start, start, memory_order_release);
        atomic_store_explicit(&p->bell, 0, memory_order_relaxed);
        atomic_store_explicit(&p->want, 0, memory_order_relaxed);
        atomic_store_explicit(&p->fifo, 0, memory_order_relaxed);
        if (!tx && r->fx.mode == IPCX_SHM_BCAST)
            atomic_store_explicit(&p->cursor, r->cursor, memory_order_seq_cst);
        /* seq_cst: the counts are read by peers deciding -EPIPE (ring_peer_gone). */
        atomic_fetch_add_explicit(tx ? &h->ntx : &h->nrx, 1, memory_order_seq_cst);
        atomic_store_explicit(tx ? &h->txseen : &h->rxseen, 1, memory_order_seq_cst);
        atomic_fetch_add_explicit(&h->users, 1, memory_order_seq_cst);
        return (int) i;
    }
    return -1;
}

static int ring_register(struct ipcx__ring *r, int tx)
{
    uint64_t start = 0;
    pid_t pid = getpid();
    uint64_t mine = (uint64_t) (uint32_t) pid | (tx ? IPCX_PART_TX : IPCX_PART_RX);

    (void) ipcx__proc_start(pid, &start);
    for (int pass = 0; pass < 2; pass++) {
        int i = ring_claim(r, tx, mine, start);
        if (i >= 0) {
            r->me = i;
            r->mine = mine;
            r->pid = pid;
            r->start = start;
            return 0;
        }
        (void) ipcx__ring_check_peers(r); /* dead ones may hold entries */
    }
    return ipcx__fail(-EMFILE, "all %u participant entries of the ring are taken",
                      IPCX_SHM_PARTS);
}

int ipcx__ring_join(struct ipcx__ring *r, int tx, unsigned limit, int spin_max)
{
    struct ipcx__shm_hdr *h = r->h;
    int r2;

    (void) pthread_once(&ring_fork_once, ring_fork_init);
    if (!ipcx__mb_ok() && ipcx__mb_register() < 0 &&
        !atomic_load_explicit(&h->fenced, memory_order_relaxed)) {
        /*
         * Without membarrier(2) here, the others must fence when they
         * wake.  A waker that looked at fenced just before this store
         * skips its fence once more: the global barrier after it ends
         * that window (and if even that is refused, a sleep is cut into
         * slices of at most RING_SLICE_MS, so a lost wake-up costs time,
         * never a hang).
         */
        atomic_store_explicit(&h->fenced, 1, memory_order_seq_cst);
        (void) ipcx__mb_slow();
    }
    r->tx = tx;
    r->me = -1;
    r->bellfd = -1;
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++)
        r->bellw[i] = -1;
    r->spin_max = spin_max < 0 ? RING_SPIN_DEF : (unsigned) spin_max;
    r->spin = r->spin_max < RING_SPIN_MIN ? r->spin_max : RING_SPIN_MIN;
    r->try_ns = RING_TRY_NS;
    if (limit) {
        _Atomic uint32_t *n = tx ? &h->ntx : &h->nrx;
        /* relaxed: a hint; two racing opens may both pass, as with any "one receiver" rule. */
        if (atomic_load_explicit(n, memory_order_relaxed) >= limit)
            (void) ipcx__ring_check_peers(r);
        if (atomic_load_explicit(n, memory_order_relaxed) >= limit)
            return ipcx__fail(-EBUSY, "this %s ring already has its %s",
                              r->fx.mode == IPCX_SHM_SPSC ? "spsc" : "mpsc",
                              tx ? "sender" : "receiver");
    }
    if (!ipcx__ring_slotted(r))
        ipcx__bytes_join(r);
    (void) pthread_mutex_lock(&ring_list_lock);
    r2 = ring_register(r, tx);
    if (r2 == 0 && !tx && r->fx.mode == IPCX_SHM_BCAST)
        ipcx__bytes_joined(r);
    if (r2 == 0) {
        r->next_open = ring_list;
        r->prev_open = NULL;
        if (ring_list)
            ring_list->prev_open = r;
        ring_list = r;
    }
    (void) pthread_mutex_unlock(&ring_list_lock);
    return r2;
}

/* Everybody waiting re-evaluates: membership changed. */
static void ring_bells_all(struct ipcx__ring *r);

static void ring_wake_all(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    /* release: the membership change is visible to whoever sees the new seq. */
    atomic_fetch_add_explicit(&h->data.seq, 1, memory_order_release);
    atomic_fetch_add_explicit(&h->space.seq, 1, memory_order_release);
    (void) ipcx__futex_wake(&h->data.seq, INT32_MAX);
    (void) ipcx__futex_wake(&h->space.seq, INT32_MAX);
    ring_bells_all(r); /* a receiver polling its descriptor must see the end, too */
}

int ipcx__ring_leave(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    int last = 0;

    if (!h)
        return 0;
    if (r->me >= 0 && r->pid == getpid()) {
        struct ipcx__shm_part *p = &h->part[r->me];
        /*
         * The dead go first: the reaper removes their doorbells, and "last"
         * then means that nobody is left, not that nobody alive is.
         */
        (void) ipcx__ring_check_peers(r);
        if (r->loaned && ipcx__ring_slotted(r))
            (void) ipcx__slots_abandon(r);
        if (r->peeked && ipcx__ring_slotted(r))
            (void) ipcx__slots_unpeek(r); /* the message goes to another receiver */
        if (!ipcx__ring_slotted(r))
            ipcx__bytes_unlock(r); /* an unfinished loan or peek is given up */
        r->loaned = r->peeked = 0;
        if (r->bellfd >= 0) {
            if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel) && r->tx)
                ring_count_down(&h->sbells);
            if (atomic_exchange_explicit(&p->fifo, 0, memory_order_acq_rel) && !r->tx)
                ring_count_down(&h->bells);
            (void) ipcx__close(r->bellfd);
            (void) unlink(r->bellpath);
            r->bellfd = -1;
        }
        atomic_fetch_sub_explicit(r->tx ? &h->ntx : &h->nrx, 1, memory_order_seq_cst);
        last = atomic_fetch_sub_explicit(&h->users, 1, memory_order_seq_cst) == 1;
        /* release: everything this participant did happens before its entry is reused. */
        uint64_t mine = r->mine;
        atomic_store_explicit(&p->start, 0, memory_order_relaxed); /* a free entry's (ring_claim) */
        (void) atomic_compare_exchange_strong_explicit(&p->owner, &mine, 0,
                                                       memory_order_release,
                                                       memory_order_relaxed);
        ring_wake_all(r);
    }
    if (r->me >= 0 || r->next_open || r->prev_open || ring_list == r) {
        (void) pthread_mutex_lock(&ring_list_lock);
        if (r->prev_open)
            r->prev_open->next_open = r->next_open;
        else if (ring_list == r)
            ring_list = r->next_open;
        if (r->next_open)
            r->next_open->prev_open = r->prev_open;
        (void) pthread_mutex_unlock(&ring_list_lock);
    }
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++)
        if (r->bellw[i] >= 0)
            (void) ipcx__close(r->bellw[i]), r->bellw[i] = -1;
    r->me = -1;
    /* The last one out removes what dead participants' doorbells left (see bell.h). */
    if (last)
        ipcx__ring_bells_sweep(r);
    return last;
}

int ipcx__ring_check_peers(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    int reaped = 0;

    r->checked_ms = ipcx__now_ms();
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &h->part[i];
        /*
         * Start, owner, start again: the pair is judged only if start did
         * not change around the owner (an entry claimed, or taken over by
         * a forked child, is not mistaken for its old owner with the new
         * start time).  acquire on start: pairs with the release of a
         * claim or fork, so its owner word is seen; on owner: pairs with
         * the release that freed or claimed the entry.
         */
        uint64_t start = atomic_load_explicit(&p->start, memory_order_acquire);
        uint64_t o = atomic_load_explicit(&p->owner, memory_order_acquire);
        if (!o || (int) i == r->me || (o & IPCX_PART_REAPING))
            continue;
        uint64_t role = o & (IPCX_PART_TX | IPCX_PART_RX);
        if (role != IPCX_PART_TX && role != IPCX_PART_RX)
            continue; /* garbage: not ours to judge */
        if (atomic_load_explicit(&p->start, memory_order_relaxed) != start)
            continue; /* changing hands: judged next time */
        if (ipcx__proc_alive(IPCX_PART_PID(o), start))
            continue;
        /* One survivor reaps: the CAS elects it. */
        if (!atomic_compare_exchange_strong_explicit(&p->owner, &o, o | IPCX_PART_REAPING,
                                                     memory_order_acq_rel,
                                                     memory_order_relaxed))
            continue;
        if (ipcx__ring_slotted(r))
            ipcx__slots_reap(r, i);
        else
            ipcx__bytes_reap(r, i);
        ring_bell_reaped(r, i, o, start);
        atomic_fetch_sub_explicit(role == IPCX_PART_TX ? &h->ntx : &h->nrx, 1,
                                  memory_order_seq_cst);
        atomic_fetch_sub_explicit(&h->users, 1, memory_order_seq_cst);
        /* release: the recovery above happens before the entry can be claimed again. */
        atomic_store_explicit(&p->start, 0, memory_order_relaxed); /* a free entry's (ring_claim) */
        atomic_store_explicit(&p->owner, 0, memory_order_release);
        reaped++;
    }
    if (reaped)
        ring_wake_all(r);
    return reaped;
}

int ipcx__ring_peer_gone(const struct ipcx__ring *r)
{
    const struct ipcx__shm_hdr *h = r->h;
    /*
     * seq_cst pairs with the seq_cst updates in ring_register and leave:
     * "seen" is set after the count went up, so seen && count == 0 means
     * the other side came and went, never that it is still arriving.
     */
    if (r->tx)
        return atomic_load_explicit(&h->rxseen, memory_order_seq_cst) &&
               atomic_load_explicit(&h->nrx, memory_order_seq_cst) == 0 ? -EPIPE : 0;
    return atomic_load_explicit(&h->txseen, memory_order_seq_cst) &&
           atomic_load_explicit(&h->ntx, memory_order_seq_cst) == 0 ? -EPIPE : 0;
}

/* ---- a segment that shrinks (docs/shm.md, Truncation) ------------------- */

int ipcx__ring_gone(const struct ipcx__ring *r)
{
    if (!ipcx__ring_dead(r))
        return 0;
    return ipcx__fail(-EIO, "the shared memory segment shrank under this channel (truncated "
                            "by another process): it is dead, close it");
}

/* The size check (a system call): before sleeping and after a sleep that timed out. */
static int ring_shrunk(struct ipcx__ring *r)
{
    return r->zone && ipcx__sigbus_check(r->zone);
}

/* ---- waiting and waking -------------------------------------------------- */

/*
 * Store-load ordering between a waker and a sleeper (Dekker): the waker
 * stores its publication (a tag, head, tail or slot word) and then reads
 * waiters; the sleeper stores to waiters (or arms a doorbell) and then
 * re-checks the ring.  Either it sees the message or the waker sees it.
 * Both sides need a full barrier between their store and their load.
 * The waker runs for every message, the sleeper only before a sleep, so
 * the cost is moved to the sleeper: when every participant's process is
 * registered with membarrier(2), the waker needs only a compiler barrier
 * and the sleeper calls ipcx__mb_all(), which puts a full barrier into
 * every running participant (the asymmetric fence of liburcu and folly).
 * If some participant cannot use membarrier (fenced), both sides fence,
 * like liburing's io_uring_smp_mb() before IORING_SQ_NEED_WAKEUP.
 */
static int ring_fenced(const struct ipcx__ring *r)
{
    return !ipcx__mb_ok() || atomic_load_explicit(&r->h->fenced, memory_order_relaxed);
}

/* The waker's half: after the publication, before reading waiters or bells. */
static void ring_waker_barrier(const struct ipcx__ring *r)
{
    if (ring_fenced(r))
        atomic_thread_fence(memory_order_seq_cst);
    else
        atomic_signal_fence(memory_order_seq_cst); /* the compiler must not move it */
}

void ipcx__ring_sleeper_barrier(const struct ipcx__ring *r)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (!atomic_load_explicit(&r->h->fenced, memory_order_relaxed) && ipcx__mb_all() < 0)
        /* Cannot happen once registered; if it does, wakers must fence from now on. */
        atomic_store_explicit(&r->h->fenced, 1, memory_order_seq_cst);
}

void ipcx__ring_wake(struct ipcx__ring *r, struct ipcx__shm_wake *w)
{
    ring_waker_barrier(r);
    /* seq_cst: see the light barrier in ring_sleep (a plain load on x86). */
    if (atomic_load_explicit(&w->waiters, memory_order_seq_cst)) {
        /* release: a sleeper that sees the new seq also sees the message. */
        atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
        (void) ipcx__futex_wake(&w->seq, INT32_MAX);
    }
}

/*
 * Sleep on w until try succeeds, fails for good or the deadline passes.
 * The spin before it has found nothing.
 */
static int ring_sleep(struct ipcx__ring *r, struct ipcx__shm_wake *w, ipcx__ring_try try,
                      void *arg, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    int64_t slept_since = ipcx__now_ms();
    unsigned nap = 1;
    int rc, full = 0;
    /* About to sleep: has the segment shrunk?  (A syscall, but sleeping costs more.) */
    if (ring_shrunk(r))
        return ipcx__ring_gone(r);
    /* If nobody looked at the peers lately, look now (we may wait for the dead). */
    if (slept_since - r->checked_ms >= RING_SLICE_MS && ipcx__ring_check_peers(r) &&
        (rc = try(r, arg)) != -EAGAIN)
        return rc;
    for (;;) {
        /* acquire: if the seq we read is already bumped, we see what was published before. */
        uint32_t seq = atomic_load_explicit(&w->seq, memory_order_acquire);
        atomic_fetch_add_explicit(&w->waiters, 1, memory_order_relaxed);
        /*
         * Pairs with the waker's barrier in ipcx__ring_wake (see there).
         * A byte-ring receiver that knows the next number looks at the
         * tag, which the sender stores with a seq_cst exchange before its
         * seq_cst load of waiters: with a seq_cst fence here that pair is
         * ordered on its own (C11's fence rule), and no membarrier(2) is
         * needed.  That holds only if the try found nothing because the
         * tag at the cursor was not the expected one: if it failed for
         * another reason (rxlock held by a forked copy, the number became
         * unknown), it is repeated after the full barrier.  After a slice
         * that timed out the try looks at everything (head, corruption: a
         * scribbled tag must not keep a receiver waiting for good).
         */
        int light = !full && w == &r->h->data && !ipcx__ring_slotted(r) && r->seq_known;
        if (light) {
            atomic_thread_fence(memory_order_seq_cst);
            /* Tag only, as a spinning try: the try says if that is why it found nothing. */
            r->spinning = 1;
            r->tag_miss = 0;
            rc = try(r, arg);
            r->spinning = 0;
        }
        if (!light || (rc == -EAGAIN && !r->tag_miss)) {
            ipcx__ring_sleeper_barrier(r);
            rc = try(r, arg);
        }
        full = 0;
        if (rc != -EAGAIN || ipcx__ring_dead(r)) {
            atomic_fetch_sub_explicit(&w->waiters, 1, memory_order_relaxed);
            return ipcx__ring_dead(r) ? ipcx__ring_gone(r) : rc;
        }
        int left = ipcx__remaining(&d);
        if (left == 0) {
            atomic_fetch_sub_explicit(&w->waiters, 1, memory_order_relaxed);
            /* A waiter that times out checks its peers: maybe it waits for the dead. */
            if (ipcx__ring_check_peers(r) && (rc = try(r, arg)) != -EAGAIN)
                return rc;
            return ipcx__expired(&d);
        }
        /*
         * Sleep in slices of 1, 2, 4 ... RING_SLICE_MS: a peer that died
         * just after we looked is noticed within a few ms, and one that
         * sleeps long still looks only every RING_SLICE_MS.
         */
        int slice = left < 0 || left > (int) nap ? (int) nap : left;
        int fr = ipcx__futex_wait(&w->seq, seq, slice);
        atomic_fetch_sub_explicit(&w->waiters, 1, memory_order_relaxed);
        if (fr == -EINTR && ipcx__intr_returns())
            return -EINTR;
        if (fr == -ETIMEDOUT) {
            full = 1;
            /* Nothing woke us: the segment may have shrunk (a fault in the look below tells too). */
            if (ring_shrunk(r))
                return ipcx__ring_gone(r);
            (void) ipcx__ring_check_peers(r);
            nap = nap * 2 > RING_SLICE_MS ? RING_SLICE_MS : nap * 2;
        }
    }
}

/*
 * The spin found nothing and a sleep followed, waited_ns in all.  Had the
 * longest spin allowed (spin_max tries of ns_per_try each) covered that
 * wait, spinning would have been cheaper than the sleep and the wake-up:
 * spin long enough for such a wait next time.  A longer wait (an idle
 * peer) halves the budget, down to RING_SPIN_MIN tries.
 */
static void ring_spin_learn(struct ipcx__ring *r, int64_t waited_ns, int64_t ns_per_try)
{
    if (ns_per_try < 1)
        ns_per_try = 1;
    int64_t want = 2 * waited_ns / ns_per_try + 1;
    if (want <= (int64_t) r->spin_max)
        r->spin = want > (int64_t) r->spin ? (unsigned) want : r->spin;
    else
        r->spin = r->spin / 2 < RING_SPIN_MIN ? RING_SPIN_MIN : r->spin / 2;
    if (r->spin > r->spin_max)
        r->spin = r->spin_max;
}

int ipcx__ring_wait(struct ipcx__ring *r, struct ipcx__shm_wake *w,
                    ipcx__ring_try try, void *arg, int timeout_ms)
{
    /* A caller that will spin looks cheaply from the first try on. */
    r->spinning = timeout_ms != 0 && r->spin > 0;
    int rc = try(r, arg);
    if (rc != -EAGAIN) {
        r->spinning = 0;
        return rc;
    }
    if (timeout_ms == 0) {
        /* A poller never sleeps, so it looks at the peers (and the size) now and then instead. */
        if (ipcx__now_ms() - r->checked_ms >= RING_CHECK_MS) {
            if (ring_shrunk(r))
                return ipcx__ring_gone(r);
            if (ipcx__ring_check_peers(r))
                rc = try(r, arg);
        }
        return rc;
    }
    /*
     * Bounded adaptive spin: worth it when the peer runs on another CPU.
     * While spinning, a try may watch only the cheap signs of a message
     * (r->spinning; see bytes_try_peek); the sleep path looks at everything.
     * The clock is read only after RING_SPIN_QUICK tries: most waits of a
     * busy pair end before, and a clock read costs as much as a try.
     */
    unsigned i = 0, quick = r->spin < RING_SPIN_QUICK ? r->spin : RING_SPIN_QUICK;
    int64_t t0 = 0;
    for (; i < r->spin; i++) {
        if (i == quick)
            t0 = ipcx__now_ns();
        ipcx__cpu_relax();
        rc = try(r, arg);
        if (rc != -EAGAIN) {
            r->spinning = 0;
            r->spin = r->spin * 2 > r->spin_max ? r->spin_max : r->spin * 2;
            return rc;
        }
    }
    r->spinning = 0;
    if (!r->spin)
        return ring_sleep(r, w, try, arg, timeout_ms);
    int64_t t1 = ipcx__now_ns();
    if (i > quick)
        r->try_ns = (t1 - t0) / (i - quick);
    rc = ring_sleep(r, w, try, arg, timeout_ms);
    if (rc == 0)
        ring_spin_learn(r, ipcx__now_ns() - t1 + (int64_t) i * r->try_ns, r->try_ns);
    return rc;
}

/* ---- doorbells ------------------------------------------------------------ */

/*
 * ipcx_fd() makes a doorbell: a FIFO (named by bell.h) that its
 * participant holds open at both ends.  A receiver hands out the read end,
 * readable while a byte is in it: when a receive may succeed.  A sender
 * hands out the write end of a one-page pipe, which one byte fills: it is
 * writable while the pipe is empty, i.e. while the sender's bell is not
 * armed, when a send may succeed.
 *
 * Receiver: finds the ring empty -> drains its FIFO, arms (bell = 1), looks
 * again; a producer that publishes takes the 1 and writes a byte.
 * Sender: finds the ring full -> writes its byte, arms, looks again (tries
 * the send once more); whoever frees room (a release, a bcast cursor that
 * moves, txlock given up, a peer that leaves or is reaped) takes the 1 and
 * reads the byte back.  On both sides the arming store and the publishing
 * or freeing store are each followed by a barrier before the other side's
 * word is read (Dekker; the armer takes the sleeper's half, the changer the
 * waker's, see ipcx__ring_wake): either the second look finds the change,
 * or the changer finds the bell armed.  Whoever takes the 1 (an exchange)
 * rings, so each arming is rung once.
 */

static uint64_t ring_role(uint64_t o)
{
    return o & (IPCX_PART_TX | IPCX_PART_RX);
}

/* n - 1, but never below 0: a forged or lost count must not wrap to "all armed". */
static void ring_count_down(_Atomic uint32_t *n)
{
    uint32_t v = atomic_load_explicit(n, memory_order_relaxed);
    /* relaxed: a count too high costs a look, never a missed bell (see ring_tx_arm). */
    for (int tries = 0; v && tries < 64; tries++)
        if (atomic_compare_exchange_weak_explicit(n, &v, v - 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return;
}

/*
 * Our descriptor of the FIFO of entry i (not ours) for its owner o, opened
 * once and kept while the entry has the same owner and start time; -1 if
 * it cannot be opened.  A sender's: the read end.  A receiver's: read and
 * write (Linux allows O_RDWR on a FIFO), so that a reader is always there
 * and a write after its owner died fails neither with EPIPE nor raises
 * SIGPIPE in this process; we never read from it.
 */
static int ring_bell_fd(struct ipcx__ring *r, unsigned i, uint64_t o)
{
    uint64_t start = atomic_load_explicit(&r->h->part[i].start, memory_order_relaxed);
    struct stat st;
    char path[128];

    if (r->bellw[i] >= 0 && (r->bellowner[i] != o || r->bellstart[i] != start)) {
        (void) ipcx__close(r->bellw[i]); /* the entry changed hands: another FIFO */
        r->bellw[i] = -1;
    }
    if (r->bellw[i] >= 0)
        return r->bellw[i];
    if (ipcx__bell_path(path, sizeof path, r->fx.id, i, IPCX_PART_PID(o), start) < 0)
        return -1;
    int fd = open(path, (ring_role(o) == IPCX_PART_TX ? O_RDONLY : O_RDWR) | O_NONBLOCK |
                        O_NOFOLLOW | O_CLOEXEC);
    /* The name comes from the segment: use nothing but a FIFO. */
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))) {
        (void) ipcx__close(fd);
        fd = -1;
    }
    r->bellw[i] = fd;
    r->bellowner[i] = o;
    r->bellstart[i] = start;
    return fd;
}

/* Ring entry i as role: write a receiver's byte, read a sender's back. */
static void ring_bell_poke(struct ipcx__ring *r, unsigned i, uint64_t role, uint64_t o)
{
    char buf[64] = { 1 };
    ssize_t n;

    if ((int) i == r->me) {
        /* Our own: a receiver rings itself through its write end, a sender drains its read end. */
        if (r->tx && r->bellfd >= 0)
            while (read(r->bellfd, buf, sizeof buf) > 0)
                ;
        else if (!r->tx && r->bellw[i] >= 0)
            (void) !write(r->bellw[i], buf, 1);
        return;
    }
    int fd = ring_bell_fd(r, i, o);
    if (fd < 0)
        return;
    if (role == IPCX_PART_TX)
        while ((n = read(fd, buf, sizeof buf)) > 0)
            ;
    else
        n = write(fd, buf, 1);
    /* Empty, full (then it is readable anyway) or no writer left: fine.  Else forget it. */
    if (n < 0 && errno != EAGAIN) {
        (void) ipcx__close(r->bellw[i]);
        r->bellw[i] = -1;
    }
}

/* We took entry i's bell (exchanged its 1 for 0): ring it. */
static void ring_bell_fire(struct ipcx__ring *r, unsigned i)
{
    /* acquire (after the acq_rel exchange): the owner and start of whoever armed it. */
    uint64_t o = atomic_load_explicit(&r->h->part[i].owner, memory_order_acquire);
    uint64_t role = (int) i == r->me ? (r->tx ? IPCX_PART_TX : IPCX_PART_RX) : ring_role(o);
    if (role == IPCX_PART_TX)
        ring_count_down(&r->h->sbells); /* an armed sender is counted; a receiver is not */
    if (role == IPCX_PART_TX || role == IPCX_PART_RX)
        ring_bell_poke(r, i, role, o);
}

void ipcx__ring_notify_data(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    ipcx__ring_wake(r, &h->data); /* its barrier also orders the loads below */
    if (!atomic_load_explicit(&h->bells, memory_order_relaxed))
        return; /* the common case: nobody asked for a descriptor, no cost */
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &h->part[i];
        if (!atomic_load_explicit(&p->bell, memory_order_relaxed))
            continue;
        /* A sender's bell waits for room, not for messages. */
        if (ring_role(atomic_load_explicit(&p->owner, memory_order_relaxed)) != IPCX_PART_RX)
            continue;
        /* Disarm and ring once: the receiver re-arms when it finds the ring empty. */
        if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
            ring_bell_fire(r, i);
    }
}

/*
 * Byte rings that wait for room (spsc, bcast overflow=block): the head and
 * the oldest byte a receiver still needs, as a sender's try judges them
 * (ring_bytes.c, bytes_oldest).  0 where room is no question: slot rings
 * (a freed slot fits any message) and overflow=drop (it makes room).
 */
static int ring_tx_room(struct ipcx__ring *r, uint64_t *head, uint64_t *oldest)
{
    struct ipcx__shm_hdr *h = r->h;

    if (ipcx__ring_slotted(r) || (r->fx.flags & IPCX_SHM_F_DROP))
        return 0;
    *head = atomic_load_explicit(&h->head, memory_order_relaxed);
    if (r->fx.mode == IPCX_SHM_SPSC) {
        *oldest = atomic_load_explicit(&h->tail, memory_order_acquire);
        return 1;
    }
    *oldest = ipcx__bytes_oldest_cursor(r, *head);
    return 1;
}

/* Would a record of want bytes fit, padded to the wrap as bytes_try_loan pads?  Errs to yes. */
static int ring_tx_fits(const struct ipcx__ring *r, uint64_t head, uint64_t oldest,
                        uint64_t want)
{
    uint64_t cap = r->fx.data_size, pos = head & r->mask;
    if (oldest > head || head - oldest > cap || want == 0 || want > cap)
        return 1; /* nothing sensible to judge by: let it look */
    uint64_t pad = cap - pos < want ? cap - pos : 0;
    return head + pad + want <= oldest + cap;
}

void ipcx__ring_bells_tx(struct ipcx__ring *r, int fits)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t head = 0, oldest = 0;
    int sized = 0;

    /* relaxed, after the caller's waker barrier (see ring.h and ring_tx_arm). */
    if (!atomic_load_explicit(&h->sbells, memory_order_relaxed))
        return; /* the common case: no sender waits with a descriptor, no cost */
    if (fits)
        sized = ring_tx_room(r, &head, &oldest);
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &h->part[i];
        /* Never our own: a sender that frees txlock is about to arm or has room. */
        if ((int) i == r->me || !atomic_load_explicit(&p->bell, memory_order_relaxed))
            continue;
        if (ring_role(atomic_load_explicit(&p->owner, memory_order_relaxed)) != IPCX_PART_TX)
            continue; /* a receiver's bell is rung by messages */
        /*
         * txlock given up: a sender that was denied it may go on if its
         * message fits; one waiting for room must not be woken for nothing
         * (two full senders would wake each other forever).
         */
        if (sized && !ring_tx_fits(r, head, oldest,
                                   atomic_load_explicit(&p->want, memory_order_relaxed)))
            continue;
        if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
            ring_bell_fire(r, i);
    }
}

/*
 * Membership changed (a leave, a reap): every armed receiver is rung (it
 * may see the end of the senders), and every sender's descriptor turns
 * writable (a receiver that held room back, or txlock, is gone, or the
 * last one: a send returns -EPIPE).  A sender's FIFO is drained whether
 * its bell is armed or not: a peer that took the 1 and died before it read
 * the byte must not leave the descriptor unwritable for good.  At worst
 * the sender looks once for nothing and arms again.
 */
static void ring_bells_all(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    /*
     * seq_cst fence: the membership change (an owner word cleared with
     * release, a count) before our loads of the bells, against a sender's
     * arming and second look (ring_tx_arm).  Rare: leaves and reaps only.
     */
    atomic_thread_fence(memory_order_seq_cst);
    if (!atomic_load_explicit(&h->bells, memory_order_relaxed) &&
        !atomic_load_explicit(&h->fifos, memory_order_relaxed))
        return;
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &h->part[i];
        uint64_t o = atomic_load_explicit(&p->owner, memory_order_acquire);
        int mine = (int) i == r->me;
        uint64_t role = mine ? (r->tx ? IPCX_PART_TX : IPCX_PART_RX) : ring_role(o);
        if (role == IPCX_PART_RX) {
            if (!mine && atomic_load_explicit(&p->bell, memory_order_relaxed) &&
                atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
                ring_bell_fire(r, i);
        } else if (role == IPCX_PART_TX &&
                   (mine ? r->bellfd >= 0 : atomic_load_explicit(&p->fifo, memory_order_relaxed) != 0)) {
            if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
                ring_count_down(&h->sbells);
            ring_bell_poke(r, i, IPCX_PART_TX, o);
        }
    }
}

/* A reaped participant (o, start: the dead owner): take its bell, remove its FIFO. */
static void ring_bell_reaped(struct ipcx__ring *r, unsigned i, uint64_t o, uint64_t start)
{
    struct ipcx__shm_hdr *h = r->h;
    struct ipcx__shm_part *p = &h->part[i];
    uint64_t role = ring_role(o);
    char path[128];

    if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel) && role == IPCX_PART_TX)
        ring_count_down(&h->sbells);
    if (!atomic_exchange_explicit(&p->fifo, 0, memory_order_acq_rel))
        return; /* it never made a doorbell */
    if (ipcx__bell_path(path, sizeof path, r->fx.id, i, IPCX_PART_PID(o), start) == 0)
        (void) unlink(path);
    if (role == IPCX_PART_RX)
        ring_count_down(&h->bells);
    if (r->bellw[i] >= 0 && (int) i != r->me) {
        (void) ipcx__close(r->bellw[i]);
        r->bellw[i] = -1;
    }
}

void ipcx__ring_bells_sweep(const struct ipcx__ring *r)
{
    /* relaxed: a hint; a FIFO made after we looked has a live owner, which the sweep spares. */
    if (r->h && atomic_load_explicit(&r->h->fifos, memory_order_relaxed))
        (void) ipcx__bell_sweep(&r->fx.id, 0, NULL, NULL);
}

/* Has a receiver something to take? Used only to re-check after arming a doorbell. */
static int ring_has_data(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    if (ipcx__ring_slotted(r)) {
        uint64_t q = atomic_load_explicit(&h->tail, memory_order_acquire);
        struct ipcx__shm_slot *s = (void *) (r->data + (q & r->mask) * r->fx.slot_size);
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        return (w >> 9) != q || ((w >> 6) & 7) != IPCX_SLOT_EMPTY ||
               atomic_load_explicit(&h->orphans, memory_order_relaxed) ||
               ipcx__ring_peer_gone(r);
    }
    return atomic_load_explicit(&h->head, memory_order_acquire) > r->cursor ||
           ipcx__ring_peer_gone(r);
}

/* The receiver found nothing: empty the FIFO and arm the bell. */
static void ring_bell_rearm(struct ipcx__ring *r)
{
    char buf[64];
    while (read(r->bellfd, buf, sizeof buf) > 0)
        ;
    /* Arm, then look again: store-load against notify_data, as a sleeper. */
    atomic_store_explicit(&r->h->part[r->me].bell, 1, memory_order_seq_cst);
    ipcx__ring_sleeper_barrier(r);
    if (ring_has_data(r) &&
        atomic_exchange_explicit(&r->h->part[r->me].bell, 0, memory_order_seq_cst)) {
        char c = 1;
        (void) !write(r->bellw[r->me], &c, 1); /* our own write end: readable again */
    }
}

/* Take our own armed bell back and read our byte: the descriptor is writable again. */
static void ring_tx_disarm(struct ipcx__ring *r, int drain)
{
    struct ipcx__shm_part *p = &r->h->part[r->me];
    char buf[64];
    if (atomic_load_explicit(&p->bell, memory_order_relaxed) &&
        atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel)) {
        ring_count_down(&r->h->sbells);
        drain = 1;
    }
    /* Else whoever took the 1 reads the byte; drain: read it now anyway. */
    if (drain)
        while (read(r->bellfd, buf, sizeof buf) > 0)
            ;
}

/* A send found no room: arm our doorbell (the descriptor turns unwritable). */
static void ring_tx_arm(struct ipcx__ring *r, size_t len)
{
    struct ipcx__shm_hdr *h = r->h;
    struct ipcx__shm_part *p = &h->part[r->me];
    char c = 1;

    /* What the send needs: a txlock holder rings us only if it fits (ipcx__ring_bells_tx). */
    atomic_store_explicit(&p->want, (uint32_t) ipcx__rec_max(len), memory_order_relaxed);
    /*
     * Count, then the byte, then the flag.  Counted before armed: a
     * counted bell that is not armed costs a freer a look, an armed one not
     * counted would be missed.  The byte before the flag: whoever takes the
     * 1 finds the byte to read (EAGAIN here: it is full already).
     */
    atomic_fetch_add_explicit(&h->sbells, 1, memory_order_seq_cst);
    (void) !write(r->bellw[r->me], &c, 1);
    if (atomic_exchange_explicit(&p->bell, 1, memory_order_seq_cst))
        ring_count_down(&h->sbells); /* armed already and not rung since: counted once */
    /*
     * Arm, then look again (store-load), as a sleeper: it pairs with the
     * waker's barrier between a freeing store and the freer's loads of
     * sbells and bell (ipcx__ring_wake, before ipcx__ring_bells_tx): either
     * our second try sees the room, or the freer sees us armed.
     */
    ipcx__ring_sleeper_barrier(r);
}

/*
 * A sender with a descriptor after a loan attempt that returned rc: arm
 * when the ring is full, and look once more; disarm when a send would not
 * block.  Returns what the caller returns (0: the loan is made).
 */
static int ring_tx_bell(struct ipcx__ring *r, size_t len, void **buf, int rc)
{
    if (rc == 0) {
        /* One relaxed load per send: room came without a ring (a race, txlock). */
        if (atomic_load_explicit(&r->h->part[r->me].bell, memory_order_relaxed))
            ring_tx_disarm(r, 0);
        return 0;
    }
    if (rc != -EAGAIN && rc != -ETIMEDOUT && rc != -EINTR) {
        ring_tx_disarm(r, 1); /* -EPIPE, -EPROTO: a send does not block now */
        return rc;
    }
    ring_tx_arm(r, len);
    int again = ipcx__ring_slotted(r) ? ipcx__slots_loan(r, len, buf, 0)
                                      : ipcx__bytes_loan(r, len, buf, 0);
    if (again == -EAGAIN && ring_shrunk(r))
        again = ipcx__ring_gone(r); /* nobody would ring: the segment shrank */
    if (again == -EAGAIN)
        return rc; /* armed: whoever frees room rings */
    ring_tx_disarm(r, again < 0);
    return again;
}

/* Make our FIFO and open both ends: bellfd (read) and bellw[me] (write). */
static int ring_bell_make(struct ipcx__ring *r)
{
    struct ipcx__shm_part *p = &r->h->part[r->me];
    int fd = -1, wfd = -1, rc;

    rc = ipcx__bell_path(r->bellpath, sizeof r->bellpath, r->fx.id, (unsigned) r->me, r->pid,
                         r->start);
    if (rc < 0)
        return ipcx__fail(rc, "the doorbell's name is too long");
    /* Flags first: a reaper and the last one out look for FIFOs where they say so. */
    atomic_store_explicit(&r->h->fifos, 1, memory_order_seq_cst);
    atomic_store_explicit(&p->fifo, 1, memory_order_seq_cst);
    if (mkfifo(r->bellpath, 0600) < 0) {
        rc = -errno;
        /* Ours from before (same segment, entry, pid and start time) is taken over. */
        if (rc != -EEXIST || (rc = ipcx__fs_reusable(r->bellpath, S_IFIFO)) < 0) {
            rc = ipcx__fail(rc, "cannot make the doorbell %s", r->bellpath);
            goto fail;
        }
    }
    fd = open(r->bellpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    /* Both ends held: no POLLHUP or POLLERR, and we can ring (or drain) ourselves. */
    if (fd >= 0)
        wfd = open(r->bellpath, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || wfd < 0) {
        rc = ipcx__fail(-errno, "cannot open the doorbell %s", r->bellpath);
        goto fail_unlink;
    }
    if (r->tx) {
        /* One page: one byte makes it full, and only an empty pipe is writable. */
        long page = sysconf(_SC_PAGESIZE);
        int sz = fcntl(wfd, F_SETPIPE_SZ, (int) (page > 0 ? page : RING_PAGE));
        if (sz < 0) {
            rc = ipcx__fail(-errno, "cannot make the doorbell %s one page", r->bellpath);
            goto fail_unlink;
        }
        if (page > 0 && sz > page) {
            rc = ipcx__fail(-ENOTSUP, "the doorbell %s is %d bytes, not one page: one byte "
                                      "would not make it unwritable", r->bellpath, sz);
            goto fail_unlink;
        }
    }
    r->bellfd = fd;
    r->bellw[r->me] = wfd;
    r->bellowner[r->me] = r->mine;
    r->bellstart[r->me] = r->start;
    return 0;
fail_unlink:
    (void) ipcx__close(fd);
    (void) ipcx__close(wfd);
    (void) unlink(r->bellpath);
fail:
    atomic_store_explicit(&p->fifo, 0, memory_order_relaxed);
    return rc;
}

int ipcx__ring_fd(struct ipcx__ring *r)
{
    if (r->me < 0)
        return ipcx__fail(-EPIPE, "this end is no longer registered in the ring");
    if (r->bellfd >= 0)
        return r->tx ? r->bellw[r->me] : r->bellfd;
    int rc = ring_bell_make(r);
    if (rc < 0)
        return rc;
    /* A sender's starts empty, writable: a send may succeed; the first that finds no room arms it. */
    if (r->tx)
        return r->bellw[r->me];
    atomic_fetch_add_explicit(&r->h->bells, 1, memory_order_seq_cst);
    ring_bell_rearm(r);
    return r->bellfd;
}

/* ---- the message API ------------------------------------------------------ */

int ipcx__ring_loan(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms)
{
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r);
    if (r->me < 0)
        return ipcx__fail(-EPIPE, "this end is no longer registered in the ring");
    if (r->loaned)
        return ipcx__fail(-EBUSY, "a loan is outstanding: commit it first");
    if (len > r->fx.maxmsg)
        return ipcx__fail(-EMSGSIZE, "%zu bytes is more than the ring's maxmsg=%llu", len,
                          (unsigned long long) r->fx.maxmsg);
    int rc = ipcx__ring_slotted(r) ? ipcx__slots_loan(r, len, buf, timeout_ms)
                                   : ipcx__bytes_loan(r, len, buf, timeout_ms);
    if (r->tx && r->bellfd >= 0)
        rc = ring_tx_bell(r, len, buf, rc); /* a descriptor: armed while the ring is full */
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
    int rc = ipcx__ring_slotted(r) ? ipcx__slots_commit(r, len, prio)
                                   : ipcx__bytes_commit(r, len, prio);
    return ipcx__ring_dead(r) ? ipcx__ring_gone(r) : rc;
}

int ipcx__ring_peek(struct ipcx__ring *r, const void **msg, size_t *len, unsigned *prio,
                    int timeout_ms)
{
    int rc = 0;
    if (ipcx__ring_dead(r))
        return ipcx__ring_gone(r);
    if (r->me < 0)
        return ipcx__fail(-EPIPE, "this end is no longer registered in the ring");
    if (!r->peeked) {
        rc = ipcx__ring_slotted(r) ? ipcx__slots_peek(r, timeout_ms)
                                   : ipcx__bytes_peek(r, timeout_ms);
        if (ipcx__ring_dead(r))
            return ipcx__ring_gone(r); /* what was found may be the replacement's zeros */
        if (rc == -EAGAIN || rc == -ETIMEDOUT || rc == -EINTR) {
            if (r->bellfd >= 0) {
                /* About to poll the descriptor, maybe for ever: has the segment shrunk? */
                if (ring_shrunk(r))
                    return ipcx__ring_gone(r);
                ring_bell_rearm(r);
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
    int rc = ipcx__ring_slotted(r) ? ipcx__slots_release(r) : ipcx__bytes_release(r);
    /* With a descriptor: once the ring is empty it must stop being readable. */
    if (r->bellfd >= 0 && !ring_has_data(r))
        ring_bell_rearm(r);
    return rc;
}
