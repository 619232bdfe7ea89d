/*
 * kill_test.c - holders killed with SIGKILL, at a random moment and at a
 * known one.  Survivors never wait past their timeout: their timed calls
 * return (a watchdog fails the test on a hang); the mutex, the spinlock
 * and the rwlock are taken over (-EOWNERDEAD where the dead one may have
 * left half-written data); a broken barrier gives -EPIPE; a System V
 * semaphore with undo=1 gets its value back.  Half of the killed children
 * are reaped only at the end, so that zombies count as dead too.
 */
#include "sync_t.h"

#define TRIALS 3

struct shared {
    ipcx_mutex     mutex, cvm;
    ipcx_spin      spin;
    ipcx_rwlock    rw;
    ipcx_semaphore sem;
    ipcx_barrier   bar;
    ipcx_cond      cv;
    _Atomic int    held, stop, ownerdead, started;
    volatile long  work;
};

static struct shared *sh;
static ipcx_sem *vsem, *fsem;
static char vurl[128], furl[128];

static void cleanup(void)
{
    ipcx_sem_close(vsem);
    ipcx_sem_close(fsem);
    vsem = fsem = NULL;
    if (vurl[0])
        ipcx_sem_unlink(vurl);
    if (furl[0])
        ipcx_sem_unlink(furl);
}

/* ---- lock-like primitives: one adapter each ------------------------ */

enum { P_MUTEX, P_SPIN, P_RW_W, P_RW_R, P_VSEM, P_FSEM, P_COUNT };
static const char *pname[P_COUNT] = { "mutex", "spin", "rwlock writer", "rwlock reader",
                                      "sysvsem undo=1", "sem:" };

/* Take primitive p as the holder (role 0) or the survivor (role 1). */
static int p_lock(int p, int role, int timeout_ms)
{
    int r;
    switch (p) {
    case P_MUTEX:
        r = ipcx_mutex_lock(&sh->mutex, timeout_ms);
        if (r == -EOWNERDEAD)
            (void) ipcx_mutex_consistent(&sh->mutex);
        return r;
    case P_SPIN:
        return ipcx_spin_lock(&sh->spin, timeout_ms);
    case P_RW_W: /* the holder writes, the survivor reads */
        return role == 0 ? ipcx_rwlock_wrlock(&sh->rw, timeout_ms)
                         : ipcx_rwlock_rdlock(&sh->rw, timeout_ms);
    case P_RW_R: /* the holder reads, the survivor writes */
        return role == 0 ? ipcx_rwlock_rdlock(&sh->rw, timeout_ms)
                         : ipcx_rwlock_wrlock(&sh->rw, timeout_ms);
    case P_VSEM:
        return ipcx_sem_wait(vsem, timeout_ms);
    default:
        return ipcx_sem_wait(fsem, timeout_ms);
    }
}

static int p_unlock(int p)
{
    switch (p) {
    case P_MUTEX: return ipcx_mutex_unlock(&sh->mutex);
    case P_SPIN: return ipcx_spin_unlock(&sh->spin);
    case P_RW_W: case P_RW_R: return ipcx_rwlock_unlock(&sh->rw);
    case P_VSEM: return ipcx_sem_post(vsem);
    default: return ipcx_sem_post(fsem);
    }
}

static int holder(void *arg, int i)
{
    int p = *(int *) arg;
    (void) i;
    atomic_fetch_add(&sh->started, 1);
    for (;;) {
        int r = p_lock(p, 0, -1);
        if (r != 0 && r != -EOWNERDEAD)
            return 1;
        atomic_store(&sh->held, 1);
        for (unsigned n = st_rand(20000); n > 0; n--)
            sh->work++;
        atomic_store(&sh->held, 0);
        if (p_unlock(p) != 0)
            return 1;
    }
}

/* Takes the primitive again and again with a timeout until told to stop.
 * Only a semaphore without undo may time out: its dead holder took a token
 * with it for good. */
static int survivor(void *arg, int i)
{
    int p = *(int *) arg;
    (void) i;
    atomic_fetch_add(&sh->started, 1);
    for (int n = 0; !atomic_load(&sh->stop) || n < 3; n++) {
        int r = p_lock(p, 1, p == P_FSEM ? 300 : 5000);
        if (r == -EOWNERDEAD)
            atomic_fetch_add(&sh->ownerdead, 1);
        else if (r == -ETIMEDOUT && p == P_FSEM)
            return 0;
        else if (r != 0) {
            fprintf(stderr, "%s survivor: %s\n", pname[p], ipcx_strerror(r));
            return 1;
        }
        if (p_unlock(p) != 0)
            return 1;
    }
    return 0;
}

static void trial(int p, int t)
{
    atomic_store(&sh->stop, 0);
    atomic_store(&sh->started, 0);
    pid_t h = st_spawn(holder, &p, 0);
    pid_t s = st_spawn(survivor, &p, 1);
    st_await(&sh->started, 2, 10000);
    st_sleep_ms(1 + (int) st_rand(30)); /* a random moment */
    kill(h, SIGKILL);
    if (t % 2 == 0)
        st_kill(h); /* reap now; odd trials leave a zombie until the end */
    atomic_store(&sh->stop, 1);
    ST_JOIN(s, 30000);
    if (t % 2 == 1)
        st_kill(h);
}

static void test_random_kills(void)
{
    for (int p = 0; p < P_COUNT; p++) {
        atomic_store(&sh->ownerdead, 0);
        for (int t = 0; t < TRIALS; t++)
            trial(p, t);
        printf("%-15s %d random kills: survivors went on, %d took over from a dead holder\n",
               pname[p], TRIALS, atomic_load(&sh->ownerdead));
    }
    /* Undo gave back whatever the killed holders had taken. */
    T_EQ(ipcx_sem_value(vsem), 1);
}

/* ---- killed at a known moment -------------------------------------- */

static int hold_and_pause(void *arg, int i)
{
    int p = *(int *) arg;
    (void) i;
    if (p_lock(p, 0, -1) != 0)
        return 1;
    atomic_store(&sh->held, 1);
    pause();
    return 0;
}

static void kill_holding(int p)
{
    atomic_store(&sh->held, 0);
    pid_t h = st_spawn(hold_and_pause, &p, 0);
    st_await(&sh->held, 1, 10000);
    st_kill(h);
}

static void test_known_kills(void)
{
    int p;

    /* A mutex unlocked without repair is unusable for good. */
    kill_holding(P_MUTEX);
    T_ERR(ipcx_mutex_lock(&sh->mutex, 5000), -EOWNERDEAD);
    T_ERR(ipcx_mutex_unlock(&sh->mutex), 0);
    T_ERR(ipcx_mutex_lock(&sh->mutex, 5000), -ENOTRECOVERABLE);
    T_ERR(ipcx_mutex_trylock(&sh->mutex), -ENOTRECOVERABLE);
    T_ERR(ipcx_mutex_destroy(&sh->mutex), 0);
    T_ERR(ipcx_mutex_init(&sh->mutex), 0);

    /* Spinlock, rwlock writer: taken over, with -EOWNERDEAD. */
    kill_holding(P_SPIN);
    T_ERR(ipcx_spin_lock(&sh->spin, 5000), -EOWNERDEAD);
    T_ERR(ipcx_spin_unlock(&sh->spin), 0);
    kill_holding(P_RW_W);
    T_ERR(ipcx_rwlock_rdlock(&sh->rw, 5000), -EOWNERDEAD);
    T_ERR(ipcx_rwlock_unlock(&sh->rw), 0);
    /* A dead reader is removed silently; trylock finds it too. */
    kill_holding(P_RW_R);
    T_ERR(ipcx_rwlock_wrlock(&sh->rw, 0), 0);
    T_ERR(ipcx_rwlock_unlock(&sh->rw), 0);

    /* System V undo: the killed holder's token comes back. */
    p = P_VSEM;
    kill_holding(p);
    T_EQ(ipcx_sem_value(vsem), 1);

    /* The futex semaphore has no owner: the token is gone, and a waiter
     * gets -ETIMEDOUT, not a hang. */
    kill_holding(P_FSEM);
    T_ERR(ipcx_sem_wait(fsem, 50), -ETIMEDOUT);
    T_ERR(ipcx_sem_post(fsem), 0);
}

/* ---- barrier: a party dies, the others get -EPIPE ------------------ */

static int party(void *arg, int i)
{
    (void) arg, (void) i;
    if (ipcx_barrier_join(&sh->bar) != 0)
        return 1;
    atomic_fetch_add(&sh->started, 1);
    for (;;) {
        int r = ipcx_barrier_wait(&sh->bar, -1);
        if (r == -EPIPE)
            return 42;
        if (r < 0)
            return 1;
    }
}

static void test_barrier(void)
{
    for (int t = 0; t < TRIALS; t++) {
        pid_t pid[3];
        T_ERR(ipcx_barrier_init(&sh->bar, 3), 0);
        atomic_store(&sh->started, 0);
        for (int i = 0; i < 3; i++)
            pid[i] = st_spawn(party, NULL, i);
        st_await(&sh->started, 3, 10000);
        st_sleep_ms(1 + (int) st_rand(30));
        kill(pid[0], SIGKILL);
        T_EQ(st_wait(pid[1], 30000), 42);
        T_EQ(st_wait(pid[2], 30000), 42);
        st_kill(pid[0]);
        T_ERR(ipcx_barrier_wait(&sh->bar, 0), -EPIPE);
    }
    printf("barrier         %d random kills: the other parties got -EPIPE\n", TRIALS);
}

/* ---- condvar: a waiter dies; the mutex holder dies ----------------- */

static int cv_waiter(void *arg, int i)
{
    (void) arg, (void) i;
    if (ipcx_mutex_lock(&sh->cvm, -1) != 0)
        return 1;
    atomic_store(&sh->held, 1);
    int r = ipcx_cond_wait(&sh->cv, &sh->cvm, 30000);
    return r == -EOWNERDEAD ? 42 : r == 0 ? 0 : 1;
}

static int cv_signal_and_hold(void *arg, int i)
{
    (void) arg, (void) i;
    if (ipcx_mutex_lock(&sh->cvm, -1) != 0)
        return 1;
    (void) ipcx_cond_signal(&sh->cv);
    atomic_store(&sh->stop, 1);
    pause();
    return 0;
}

static void test_cond(void)
{
    /* A waiter killed in its wait: the others are not disturbed. */
    atomic_store(&sh->held, 0);
    pid_t w = st_spawn(cv_waiter, NULL, 0);
    st_await(&sh->held, 1, 10000);
    T_ERR(ipcx_mutex_lock(&sh->cvm, 5000), 0); /* w is in its wait now */
    T_ERR(ipcx_mutex_unlock(&sh->cvm), 0);
    st_kill(w);
    T_ERR(ipcx_mutex_lock(&sh->cvm, 5000), 0);
    T_ERR(ipcx_cond_signal(&sh->cv), 0);
    T_ERR(ipcx_cond_wait(&sh->cv, &sh->cvm, 30), -ETIMEDOUT);
    T_ERR(ipcx_mutex_unlock(&sh->cvm), 0);

    /* The signaller dies holding the mutex: the woken waiter retakes it
     * with -EOWNERDEAD. */
    atomic_store(&sh->held, 0);
    atomic_store(&sh->stop, 0);
    w = st_spawn(cv_waiter, NULL, 0);
    st_await(&sh->held, 1, 10000);
    pid_t h = st_spawn(cv_signal_and_hold, NULL, 0);
    st_await(&sh->stop, 1, 10000);
    st_kill(h);
    T_EQ(st_wait(w, 30000), 42);
    printf("cond            a killed waiter and a killed signaller: no hang\n");
}

int main(void)
{
    sh = st_shared(sizeof *sh);
    t_cleanup = cleanup;
    T_ERR(ipcx_mutex_init(&sh->mutex), 0);
    T_ERR(ipcx_mutex_init(&sh->cvm), 0);
    T_ERR(ipcx_spin_init(&sh->spin, 20), 0);
    T_ERR(ipcx_rwlock_init(&sh->rw, IPCX_RWLOCK_PREFER_WRITERS), 0);
    T_ERR(ipcx_cond_init(&sh->cv), 0);
    snprintf(vurl, sizeof vurl, "sysvsem:%d?undo=1", 0x1d000000 | (int) getpid());
    T_ERR(ipcx_sem_open(&vsem, vurl, IPCX_CREATE | IPCX_EXCL, 1), 0);
    char name[96];
    snprintf(furl, sizeof furl, "sem:%s", st_name(name, sizeof name, "kill"));
    T_ERR(ipcx_sem_open(&fsem, furl, IPCX_CREATE | IPCX_EXCL, 1), 0);

    test_known_kills();
    test_random_kills();
    test_barrier();
    test_cond();
    cleanup();
    return 0;
}
