/*
 * rwlock_test.c - the rwlock across processes: readers share, a writer
 * excludes, and the policies do what they promise, measured as counts.
 *
 * Starvation: two reader processes keep the lock read-held without a gap
 * (a steady stream): a reader leaves only once a reader entered after it
 * (the newest entrant always stays), or once a try failed.  A writer process waits for the
 * write lock meanwhile.  With prefer-readers a reader's try always
 * succeeds while readers hold the lock, so the writer cannot get in: its
 * count is exactly 0.  With prefer-writers and fair, a waiting writer makes
 * the tries fail, the readers drain and the writer gets in: at most one
 * hand-off can happen after the writer started waiting before it does.
 * No assertion depends on timing or on a race firing.
 */
#include "sync_t.h"

#define HANDOFFS 300

enum { PH_WARMUP, PH_COUNTING, PH_DONE };

struct shared {
    ipcx_rwlock rw;
    _Atomic int entries, fails, handoffs, phase, wcount, wtries, ready;
    _Atomic int readers_in, writer_in, bad;
};

static struct shared *sh;

static int reader(void *arg, int i)
{
    (void) arg, (void) i;
    while (atomic_load(&sh->phase) != PH_DONE) {
        int r = ipcx_rwlock_rdlock(&sh->rw, 0);
        if (r == -EAGAIN) {
            atomic_fetch_add(&sh->fails, 1);
            sched_yield();
            continue;
        }
        if (r != 0)
            return 1;
        int fails = atomic_load(&sh->fails);
        int me = atomic_fetch_add(&sh->entries, 1) + 1;
        /* Hold until a reader entered after us (it now holds the lock for
         * the stream), or a try failed since we entered. */
        while (atomic_load(&sh->entries) == me && atomic_load(&sh->fails) == fails &&
               atomic_load(&sh->phase) != PH_DONE)
            sched_yield();
        if (atomic_load(&sh->entries) != me) {
            unsigned w = 0;
            (void) ipcx_rwlock_waiting(&sh->rw, NULL, &w);
            int ph = atomic_load(&sh->phase);
            if (ph == PH_WARMUP && w > 0)
                atomic_store(&sh->phase, ph = PH_COUNTING);
            if (ph == PH_COUNTING && atomic_fetch_add(&sh->handoffs, 1) + 1 >= HANDOFFS)
                atomic_store(&sh->phase, PH_DONE);
        }
        if (ipcx_rwlock_unlock(&sh->rw) != 0)
            return 1;
    }
    return 0;
}

static int writer(void *arg, int i)
{
    (void) arg, (void) i;
    while (atomic_load(&sh->phase) != PH_DONE) {
        atomic_fetch_add(&sh->wtries, 1);
        int r = ipcx_rwlock_wrlock(&sh->rw, 1000);
        if (r == -ETIMEDOUT)
            continue;
        if (r != 0)
            return 1;
        if (atomic_load(&sh->phase) == PH_COUNTING)
            atomic_fetch_add(&sh->wcount, 1);
        if (ipcx_rwlock_unlock(&sh->rw) != 0)
            return 1;
        sched_yield(); /* let the readers build their stream again */
    }
    return 0;
}

static int starvation(int policy)
{
    pid_t r0, r1, w;
    T_ERR(ipcx_rwlock_init(&sh->rw, policy), 0);
    atomic_store(&sh->entries, 0);
    atomic_store(&sh->fails, 0);
    atomic_store(&sh->handoffs, 0);
    atomic_store(&sh->phase, PH_WARMUP);
    atomic_store(&sh->wcount, 0);
    r0 = st_spawn(reader, NULL, 0);
    r1 = st_spawn(reader, NULL, 1);
    w = st_spawn(writer, NULL, 0);
    ST_JOIN(r0, 60000);
    ST_JOIN(r1, 60000);
    ST_JOIN(w, 60000);
    return atomic_load(&sh->wcount);
}

/* ---- readers share, writers exclude -------------------------------- */

static int sharer(void *arg, int i)
{
    int write = i >= 2;
    (void) arg;
    atomic_fetch_add(&sh->ready, 1);
    while (atomic_load(&sh->ready) < 4)
        sched_yield();
    for (int n = 0; n < 2000; n++) {
        int r = write ? ipcx_rwlock_wrlock(&sh->rw, 10000) : ipcx_rwlock_rdlock(&sh->rw, 10000);
        if (r != 0)
            return 1;
        if (write) {
            if (atomic_fetch_add(&sh->writer_in, 1) != 0 || atomic_load(&sh->readers_in) != 0)
                atomic_store(&sh->bad, 1);
            atomic_fetch_sub(&sh->writer_in, 1);
        } else {
            atomic_fetch_add(&sh->readers_in, 1);
            if (atomic_load(&sh->writer_in) != 0)
                atomic_store(&sh->bad, 1);
            atomic_fetch_sub(&sh->readers_in, 1);
        }
        if (ipcx_rwlock_unlock(&sh->rw) != 0)
            return 1;
    }
    return 0;
}

static void exclusion(int policy)
{
    pid_t pid[4];
    T_ERR(ipcx_rwlock_init(&sh->rw, policy), 0);
    atomic_store(&sh->ready, 0);
    for (int i = 0; i < 4; i++)
        pid[i] = st_spawn(sharer, NULL, i);
    for (int i = 0; i < 4; i++)
        ST_JOIN(pid[i], 60000);
    T_EQ(atomic_load(&sh->bad), 0);
}

static int hold_read(void *arg, int i)
{
    (void) arg, (void) i;
    if (ipcx_rwlock_rdlock(&sh->rw, 1000) != 0)
        return 1;
    atomic_fetch_add(&sh->ready, 1);
    while (atomic_load(&sh->ready) < 2) /* both readers in at once */
        sched_yield();
    return ipcx_rwlock_unlock(&sh->rw) == 0 ? 0 : 1;
}

/* A writer in another process that waits until the parent lets it in. */
static int wait_write(void *arg, int i)
{
    (void) arg, (void) i;
    if (ipcx_rwlock_wrlock(&sh->rw, -1) != 0)
        return 1;
    return ipcx_rwlock_unlock(&sh->rw) == 0 ? 0 : 1;
}

/*
 * A thread that holds a read lock: its write request is refused at once
 * with -EDEADLK (it used to wait for itself: -ETIMEDOUT here), and it gets
 * a second read lock while another process's writer waits, under every
 * policy (it used to wait for that writer, which waits for it).
 */
static void self_deadlock(int policy)
{
    T_ERR(ipcx_rwlock_init(&sh->rw, policy), 0);
    T_ERR(ipcx_rwlock_rdlock(&sh->rw, 0), 0);
    T_ERR(ipcx_rwlock_wrlock(&sh->rw, 2000), -EDEADLK);
    pid_t w = st_spawn(wait_write, NULL, 0);
    unsigned rd = 0, wr = 0;
    while (wr == 0) { /* until the writer waits */
        T_ERR(ipcx_rwlock_waiting(&sh->rw, &rd, &wr), 0);
        sched_yield();
    }
    T_ERR(ipcx_rwlock_rdlock(&sh->rw, 2000), 0);
    T_ERR(ipcx_rwlock_wrlock(&sh->rw, 0), -EDEADLK);
    T_ERR(ipcx_rwlock_unlock(&sh->rw), 0);
    T_ERR(ipcx_rwlock_unlock(&sh->rw), 0); /* the writer gets in now */
    ST_JOIN(w, 10000);
    T_ERR(ipcx_rwlock_unlock(&sh->rw), -EPERM);
    T_ERR(ipcx_rwlock_destroy(&sh->rw), 0);
}

int main(void)
{
    static const char *names[] = { "prefer-readers", "prefer-writers", "fair" };
    sh = st_shared(sizeof *sh);

    /* Two readers inside at once; a writer meanwhile times out. */
    T_ERR(ipcx_rwlock_init(&sh->rw, IPCX_RWLOCK_PREFER_WRITERS), 0);
    T_ERR(ipcx_rwlock_rdlock(&sh->rw, 0), 0);
    atomic_store(&sh->ready, 0);
    pid_t a = st_spawn(hold_read, NULL, 0), b = st_spawn(hold_read, NULL, 1);
    ST_JOIN(a, 10000);
    ST_JOIN(b, 10000);
    unsigned rd = 9, wr = 9;
    T_ERR(ipcx_rwlock_waiting(&sh->rw, &rd, &wr), 0);
    T_EQ(rd, 0);
    T_EQ(wr, 0);
    T_ERR(ipcx_rwlock_unlock(&sh->rw), 0);
    T_ERR(ipcx_rwlock_destroy(&sh->rw), 0);

    for (int p = 0; p < 3; p++)
        exclusion(p);
    for (int p = 0; p < 3; p++)
        self_deadlock(p);

    int counts[3];
    for (int p = 0; p < 3; p++) {
        counts[p] = starvation(p);
        printf("%-15s writer got in %d times during %d reader hand-offs (%d fails)\n", names[p],
               counts[p], HANDOFFS, atomic_load(&sh->fails));
    }
    T_EQ(counts[IPCX_RWLOCK_PREFER_READERS], 0);
    T_OK(counts[IPCX_RWLOCK_PREFER_WRITERS] >= 1);
    T_OK(counts[IPCX_RWLOCK_FAIR] >= 1);
    return 0;
}
