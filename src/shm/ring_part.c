/*
 * ring_part.c - the participants of a ring: every open handle claims an
 * entry (pid | role, start time), counts itself, and unclaims it when it
 * leaves; survivors notice dead ones and recover what they held (the
 * kind's reap: slots in ring_slots.c, the byte ring's locks and its head
 * below).  After fork, a child's copies of open handles are participants
 * of their own (the pthread_atfork handlers below).  docs/shm.md, "Dead
 * peers and recovery".
 */
#include "ring_int.h"
#include "../util/err.h"
#include "../sys/futex.h"
#include "../sys/sys.h"
#include "../sys/proc.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

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
        /* fork copied none of the segment's page tables: the first message call fills them. */
        r->unfilled = r->prefault;
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
        /* Before the cursor (seq_cst): a producer that sees the cursor sees whether it holds. */
        atomic_store_explicit(&p->hold, (uint32_t) r->hold, memory_order_relaxed);
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
    /* spin= given: the application chose the budget, spent whole (ring_wait.c). */
    r->spin_fixed = spin_max >= 0;
    r->spin = r->spin_fixed || r->spin_max < RING_SPIN_MIN ? r->spin_max : RING_SPIN_MIN;
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
    ring_kind(r)->join(r);
    (void) pthread_mutex_lock(&ring_list_lock);
    r2 = ring_register(r, tx);
    if (r2 == 0)
        ring_kind(r)->joined(r);
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
static void ring_wake_all(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    /* release: the membership change is visible to whoever sees the new seq. */
    atomic_fetch_add_explicit(&h->data.seq, 1, memory_order_release);
    atomic_fetch_add_explicit(&h->space.seq, 1, memory_order_release);
    (void) ipcx__futex_wake(&h->data.seq, INT32_MAX);
    (void) ipcx__futex_wake(&h->space.seq, INT32_MAX);
    ipcx__ring_bells_all(r); /* a receiver polling its descriptor must see the end, too */
}

int ipcx__ring_leave(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    int last = 0;

    if (!h)
        return 0;
    if (r->me >= 0 && r->pid == getpid()) {
        struct ipcx__shm_part *p = &h->part[r->me];
        ipcx__ring_waits_report(r);
        /*
         * The dead go first: the reaper removes their doorbells, and "last"
         * then means that nobody is left, not that nobody alive is.
         */
        (void) ipcx__ring_check_peers(r);
        ring_kind(r)->drop(r); /* an unfinished loan or peek is given up */
        r->loaned = r->peeked = 0;
        if (r->bellfd >= 0) {
            if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel) && r->tx)
                ring_count_down(&h->sbells);
            if (atomic_exchange_explicit(&p->fifo, 0, memory_order_acq_rel) && !r->tx)
                ring_count_down(&h->bells);
            (void) ipcx__close(r->bellfd);
            int u = ipcx__unlinkat(AT_FDCWD, r->bellpath, 0);
            r->bell_left = u < 0 && u != -ENOENT ? u : 0; /* close reports it */
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
        ring_kind(r)->reap(r, i);
        ipcx__ring_bell_reaped(r, i, o, start);
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

/* ---- the byte ring: locks and head of a dead participant ------------------ */

/*
 * A sender that died inside commit may have published tags but not the
 * head and number that cover them: receivers took those records already.
 * Walk the tags from head on and move head and seq past every published
 * record, so the next sender does not write over them with numbers the
 * receivers have seen.  The caller holds txlock.  Bounded by one ring.
 */
static void bytes_repair_head(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t head = atomic_load_explicit(&h->head, memory_order_relaxed);
    uint64_t seq = atomic_load_explicit(&h->seq, memory_order_relaxed), cap = r->fx.data_size;
    uint64_t start = head, v = atomic_load_explicit(&h->pubver, memory_order_relaxed);

    /* bcast: died inside the (head, seq) seqlock: leave the version even again. */
    if (v & 1)
        atomic_store_explicit(&h->pubver, v + 1, memory_order_release);
    if (head & (IPCX_REC_HDR - 1))
        return; /* forged: the receivers' checks report it */
    /*
     * Died between storing seq and head: seq is one ahead of the record at
     * head.  In a ring at rest head's position never carries the number
     * before seq: that record (and the padding before it, if any) lies
     * behind head, as the ring holds two of the largest records.
     */
    if (bytes_rec(r, head).seq + 1 == seq)
        seq--;
    uint64_t seq0 = seq;
    while (head - start < cap) {
        struct bytes_rec rec = bytes_rec(r, head);
        uint64_t pos = head & r->mask;
        if (rec.seq != seq)
            break;
        if (rec.len == IPCX_REC_PAD)
            head += cap - pos;
        else if (rec.len <= r->fx.maxmsg && ipcx__rec_span(head, rec.len) <= cap - pos)
            head += ipcx__rec_span(head, rec.len), seq++;
        else
            break;
    }
    if (head == start && seq == seq0)
        return;
    atomic_store_explicit(&h->seq, seq, memory_order_relaxed);
    /* release: as a commit's. */
    atomic_store_explicit(&h->head, head, memory_order_release);
}

void ipcx__bytes_reap(struct ipcx__ring *r, unsigned idx)
{
    uint32_t held = idx + 1;
    /*
     * A dead sender's loan was never published and a dead receiver's peek
     * never freed: drop the locks.  The sender's lock passes through our
     * hands first, to put head right if it died halfway through a commit.
     */
    /*
     * Taken in our own name: should we die in the repair, whoever reaps us
     * takes it over and repairs again (the repair can be repeated).
     */
    if (atomic_compare_exchange_strong_explicit(&r->h->txlock, &held, (uint32_t) r->me + 1,
                                                memory_order_acq_rel, memory_order_relaxed)) {
        bytes_repair_head(r);
        atomic_store_explicit(&r->h->txlock, 0, memory_order_release);
    }
    held = idx + 1;
    (void) atomic_compare_exchange_strong_explicit(&r->h->rxlock, &held, 0,
                                                   memory_order_acq_rel, memory_order_relaxed);
}
