/*
 * ring_wait.c - waiting and waking: a bounded adaptive spin, then a sleep
 * on a process-shared futex word in slices (so that dead peers and a
 * shrunk segment are noticed), and the two halves of the store-load
 * barrier between a waker and a sleeper (docs/shm.md, Wake-up protocol).
 * The pattern is musl's __wait.c (bounded spin, then futex) and liburing's
 * full fence before reading a "needs wakeup" word.
 */
#include "ring_int.h"
#include "../util/err.h"
#include "../sys/futex.h"
#include "../sys/sys.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

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
        r->waits.futex++;
        int fr = ipcx__futex_wait(&w->seq, seq, slice);
        atomic_fetch_sub_explicit(&w->waiters, 1, memory_order_relaxed);
        if (fr == -EINTR && ipcx__intr_returns())
            return -EINTR;
        if (fr == -ETIMEDOUT) {
            r->waits.slices++;
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
 * spin long enough for such a wait next time.  A longer wait halves the
 * budget, down to RING_SPIN_MIN tries, but only the RING_IDLE_WAITS-th
 * in a row (an idle peer): the wait measured across a sleep includes our
 * own wake-up (the peer's futex_wake, the scheduler: tens of us on a
 * loaded machine), so one long wait of a busy pair, or a peer preempted
 * once, must not shrink the budget.  When it did (the rule before), the
 * next answers outlasted the smaller spin, slept, measured their wake-up
 * as a long wait and halved again: 15% of the round trips of a busy pair
 * slept at the default (docs/PERF.md, "The shm tail").  A budget the
 * application chose (spin=) is not learned: it is always spent whole.
 */
static void ring_spin_learn(struct ipcx__ring *r, int64_t waited_ns, int64_t ns_per_try)
{
    if (r->spin_fixed)
        return;
    if (ns_per_try < 1)
        ns_per_try = 1;
    int64_t want = 2 * waited_ns / ns_per_try + 1;
    if (want <= (int64_t) r->spin_max) {
        r->long_waits = 0;
        r->spin = want > (int64_t) r->spin ? (unsigned) want : r->spin;
    } else if (++r->long_waits >= RING_IDLE_WAITS)
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
    r->waits.slow += timeout_ms != 0;
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
            r->long_waits = 0;
            r->spin = r->spin * 2 > r->spin_max ? r->spin_max : r->spin * 2;
            return rc;
        }
    }
    r->spinning = 0;
    if (!r->spin) {
        r->waits.nospin++;
        return ring_sleep(r, w, try, arg, timeout_ms);
    }
    if (r->spin < r->spin_max)
        r->waits.low++;
    else
        r->waits.spent++;
    int64_t t1 = ipcx__now_ns();
    if (i > quick)
        r->try_ns = (t1 - t0) / (i - quick);
    rc = ring_sleep(r, w, try, arg, timeout_ms);
    if (rc == 0)
        ring_spin_learn(r, ipcx__now_ns() - t1 + (int64_t) i * r->try_ns, r->try_ns);
    return rc;
}

/*
 * IPCX_SHM_WAITS=FILE: each participant appends one line with its wait
 * counts to FILE when it leaves the ring (bench/shm_bench and `ipcx bench`
 * read them; docs/PERF.md, "The shm tail").  The counts are kept always:
 * they change only on the slow path (a wait whose first look found
 * nothing), so there is no cost when the variable is not set.
 */
void ipcx__ring_waits_report(const struct ipcx__ring *r)
{
    /* secure_getenv: a set-user-ID program must not append to a file it is told. */
    const char *path = secure_getenv("IPCX_SHM_WAITS");
    const struct ipcx__ring_waits *c = &r->waits;
    char line[256];

    if (!path || !*path)
        return;
    int n = snprintf(line, sizeof line,
                     "pid=%d end=%s slow=%llu nospin=%llu low=%llu spent=%llu futex=%llu "
                     "slices=%llu\n", (int) r->pid, r->tx ? "tx" : "rx", c->slow, c->nospin,
                     c->low, c->spent, c->futex, c->slices);
    int fd = ipcx__openat(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                          0600);
    if (fd < 0)
        return;
    (void) ipcx__write_all(fd, line, (size_t) n); /* O_APPEND: one line, whole */
    (void) ipcx__close(fd);
}
