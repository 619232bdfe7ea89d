/*
 * sem_test.c - semaphore semantics for all four kinds (in memory, sem:,
 * posixsem:, sysvsem:) across processes: the value never goes below 0
 * (never more holders than tokens), a timed wait gives -ETIMEDOUT and not
 * before its time, a signal with a non-SA_RESTART handler gives -EINTR, a
 * post lets exactly one waiter through; System V operations on several
 * members are atomic (philosophers take two forks at once); URL checks.
 */
#include "sync_t.h"

#include <fcntl.h>
#include <sys/stat.h>

#define KINDS 4

struct shared {
    ipcx_semaphore sem;
    _Atomic int    inside, max_inside, ready, woken, go;
    _Atomic int    bad;
    int            fork_owner[5]; /* philosophers: who holds fork i (0 = nobody) */
};

static struct shared *sh;
static ipcx_sem *named[KINDS];
static char urls[KINDS][160];
static char pathbuf[128];
static const char *kind_name[KINDS] = { "semaphore", "sem:", "posixsem:", "sysvsem:" };

static int s_wait(int k, int timeout_ms)
{
    return k == 0 ? ipcx_semaphore_wait(&sh->sem, timeout_ms) : ipcx_sem_wait(named[k], timeout_ms);
}

static int s_post(int k)
{
    return k == 0 ? ipcx_semaphore_post(&sh->sem) : ipcx_sem_post(named[k]);
}

static int s_value(int k)
{
    return k == 0 ? ipcx_semaphore_value(&sh->sem) : ipcx_sem_value(named[k]);
}

static void cleanup(void)
{
    for (int k = 1; k < KINDS; k++) {
        ipcx_sem_close(named[k]);
        named[k] = NULL;
        if (urls[k][0])
            ipcx_sem_unlink(urls[k]);
    }
    if (pathbuf[0])
        unlink(pathbuf);
}

/* Open kind k afresh with value v (sysvsem: a set of 5 for the forks). */
static void s_make(int k, unsigned v)
{
    if (k == 0) {
        T_ERR(ipcx_semaphore_init(&sh->sem, v), 0);
        return;
    }
    if (named[k]) {
        ipcx_sem_close(named[k]);
        T_ERR(ipcx_sem_unlink(urls[k]), 0);
    }
    T_ERR(ipcx_sem_open(&named[k], urls[k], IPCX_CREATE | IPCX_EXCL, v), 0);
}

/* ---- never negative: K tokens, never more than K holders ---------- */

static int pool_worker(void *arg, int i)
{
    int k = *(int *) arg;
    (void) i;
    atomic_fetch_add(&sh->ready, 1);
    while (!atomic_load(&sh->go))
        sched_yield();
    for (int n = 0; n < 2000; n++) {
        int r = s_wait(k, 10000);
        if (r != 0) {
            fprintf(stderr, "%s: wait: %s\n", kind_name[k], ipcx_strerror(r));
            return 1;
        }
        int in = atomic_fetch_add(&sh->inside, 1) + 1;
        int m = atomic_load(&sh->max_inside);
        while (in > m && !atomic_compare_exchange_weak(&sh->max_inside, &m, in))
            ;
        if (s_value(k) < 0)
            atomic_store(&sh->bad, 1);
        atomic_fetch_sub(&sh->inside, 1);
        if (s_post(k) != 0)
            return 1;
    }
    return 0;
}

static void test_pool(int k)
{
    pid_t pid[4];
    s_make(k, 2);
    atomic_store(&sh->max_inside, 0);
    atomic_store(&sh->ready, 0);
    atomic_store(&sh->go, 0);
    for (int i = 0; i < 4; i++)
        pid[i] = st_spawn(pool_worker, &k, i);
    st_await(&sh->ready, 4, 10000);
    atomic_store(&sh->go, 1);
    for (int i = 0; i < 4; i++)
        ST_JOIN(pid[i], 60000);
    T_OK(atomic_load(&sh->max_inside) <= 2);
    T_EQ(atomic_load(&sh->bad), 0);
    T_EQ(s_value(k), 2);
    printf("%-10s pool of 2, 4 processes: at most %d inside\n", kind_name[k],
           atomic_load(&sh->max_inside));
}

/* ---- the basics, and timeouts -------------------------------------- */

static void test_basics(int k)
{
    s_make(k, 2);
    T_EQ(s_value(k), 2);
    T_ERR(s_wait(k, 0), 0);
    T_ERR(s_wait(k, -1), 0);
    T_ERR(s_wait(k, 0), -EAGAIN);
    T_EQ(s_value(k), 0);
    int64_t t0 = st_now_ms();
    T_ERR(s_wait(k, 100), -ETIMEDOUT);
    T_OK(st_now_ms() - t0 >= 100); /* a lower bound only */
    T_ERR(s_post(k), 0);
    T_EQ(s_value(k), 1);
    T_ERR(s_wait(k, 100), 0);
}

/* ---- a post lets exactly one waiter through ------------------------ */

static int one_waiter(void *arg, int i)
{
    int k = *(int *) arg;
    (void) i;
    atomic_fetch_add(&sh->ready, 1);
    int r = s_wait(k, 30000);
    if (r != 0)
        return 1;
    atomic_fetch_add(&sh->woken, 1);
    return 0;
}

static void test_wake_one(int k)
{
    pid_t pid[3];
    s_make(k, 0);
    atomic_store(&sh->ready, 0);
    atomic_store(&sh->woken, 0);
    for (int i = 0; i < 3; i++)
        pid[i] = st_spawn(one_waiter, &k, i);
    st_await(&sh->ready, 3, 10000);
    st_sleep_ms(30); /* let them reach their sleep (correct either way) */
    T_ERR(s_post(k), 0);
    st_await(&sh->woken, 1, 10000);
    st_sleep_ms(50); /* a second one would have woken by now */
    T_EQ(atomic_load(&sh->woken), 1);
    T_EQ(s_value(k), 0);
    T_ERR(s_post(k), 0);
    T_ERR(s_post(k), 0);
    for (int i = 0; i < 3; i++)
        ST_JOIN(pid[i], 30000);
    T_EQ(atomic_load(&sh->woken), 3);
    T_EQ(s_value(k), 0);
}

/* ---- -EINTR under a handler without SA_RESTART ---------------------- */

static void on_usr1(int sig)
{
    (void) sig;
}

static int pester(void *arg, int i)
{
    pid_t parent = *(pid_t *) arg;
    (void) i;
    for (;;) { /* until killed: a signal that came too early is repeated */
        st_sleep_ms(20);
        kill(parent, SIGUSR1);
    }
    return 0;
}

static void test_eintr(int k)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* sa_flags without SA_RESTART */
    sigaction(SIGUSR1, &sa, &old);
    s_make(k, 0);
    pid_t me = getpid();
    pid_t p = st_spawn(pester, &me, 0);
    T_ERR(s_wait(k, 20000), -EINTR);
    st_kill(p);
    sigaction(SIGUSR1, &old, NULL);
}

/* ---- System V: several members at once ---------------------------- */

static int philosopher(void *arg, int i)
{
    ipcx_sem *s = arg;
    struct ipcx_semop take[2] = { { (unsigned short) i, -1, 0 }, { (unsigned short) ((i + 1) % 5), -1, 0 } };
    struct ipcx_semop give[2] = { { (unsigned short) i, 1, 0 }, { (unsigned short) ((i + 1) % 5), 1, 0 } };
    for (int n = 0; n < 300; n++) {
        if (ipcx_sem_op(s, take, 2, 20000) != 0)
            return 1;
        /* Both forks are ours: nobody may hold either. */
        if (sh->fork_owner[i] || sh->fork_owner[(i + 1) % 5])
            atomic_store(&sh->bad, 1);
        sh->fork_owner[i] = sh->fork_owner[(i + 1) % 5] = i + 1;
        sched_yield();
        sh->fork_owner[i] = sh->fork_owner[(i + 1) % 5] = 0;
        if (ipcx_sem_op(s, give, 2, 0) != 0)
            return 1;
    }
    return 0;
}

static void test_sysv_atomic(void)
{
    char url[160];
    ipcx_sem *s;
    snprintf(url, sizeof url, "sysvsem:%d?n=5", 0x1b000000 | (int) getpid());
    /* Drop the n=1 set of the other tests; cleanup removes this one. */
    ipcx_sem_close(named[3]);
    named[3] = NULL;
    T_ERR(ipcx_sem_unlink(urls[3]), 0);
    snprintf(urls[3], sizeof urls[3], "%s", url);
    T_ERR(ipcx_sem_open(&s, url, IPCX_CREATE | IPCX_EXCL, 1), 0);
    named[3] = s;
    T_EQ(ipcx_sem_count(s), 5);

    /* Nothing is applied unless everything can be: fork 1 is taken, so a
     * wait for forks 0 and 1 times out and leaves fork 0 alone. */
    struct ipcx_semop one = { 1, -1, 0 }, both[2] = { { 0, -1, 0 }, { 1, -1, 0 } };
    T_ERR(ipcx_sem_op(s, &one, 1, 0), 0);
    T_ERR(ipcx_sem_op(s, both, 2, 0), -EAGAIN);
    int64_t t0 = st_now_ms();
    T_ERR(ipcx_sem_op(s, both, 2, 60), -ETIMEDOUT);
    T_OK(st_now_ms() - t0 >= 60);
    T_EQ(ipcx_sem_getval(s, 0), 1);
    T_EQ(ipcx_sem_getval(s, 1), 0);
    one.op = 1;
    T_ERR(ipcx_sem_op(s, &one, 1, 0), 0);

    /* Five philosophers take two forks at once: no fork ever held twice. */
    pid_t pid[5];
    for (int i = 0; i < 5; i++)
        pid[i] = st_spawn(philosopher, s, i);
    for (int i = 0; i < 5; i++)
        ST_JOIN(pid[i], 60000);
    T_EQ(atomic_load(&sh->bad), 0);
    for (int i = 0; i < 5; i++)
        T_EQ(ipcx_sem_getval(s, (unsigned) i), 1);
    printf("sysvsem: 5 philosophers x 300 meals, forks taken two at once\n");

    struct ipcx_semop outside = { 5, -1, 0 };
    T_ERR(ipcx_sem_op(s, &outside, 1, 0), -EINVAL);
    T_ERR(ipcx_sem_getval(s, 5), -EINVAL);
}

/* ---- URLs and headers ---------------------------------------------- */

static void test_urls(void)
{
    ipcx_sem *s = NULL;
    char name[96], url[200];
    st_name(name, sizeof name, "u");

    snprintf(url, sizeof url, "sem:%s?bogus=1", name);
    T_ERR(ipcx_sem_open(&s, url, IPCX_CREATE, 1), -EINVAL);
    snprintf(url, sizeof url, "sem:%s?n=2", name);
    T_ERR(ipcx_sem_open(&s, url, IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sem:noslash", IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sem:/a/b", IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sysvsem:0", IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sysvsem:12x", IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sysvsem:/tmp", IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sysvsem:5?n=0", IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sysvsem:5?undo=2", IPCX_CREATE, 1), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "sysvsem:5", IPCX_CREATE, 40000), -EINVAL);
    T_ERR(ipcx_sem_open(&s, "tcp://x:1", IPCX_CREATE, 1), -EPROTONOSUPPORT);
    T_ERR(ipcx_sem_open(&s, "sem:/x", IPCX_EXCL, 1), -EINVAL);
    T_OK(s == NULL);

    /* Opening what is not there; creating what is. */
    snprintf(url, sizeof url, "sem:%s", name);
    T_ERR(ipcx_sem_open(&s, url, 0, 0), -ENOENT);
    snprintf(url, sizeof url, "posixsem:%s", name);
    T_ERR(ipcx_sem_open(&s, url, 0, 0), -ENOENT);
    T_ERR(ipcx_sem_open(&s, urls[1], IPCX_CREATE | IPCX_EXCL, 0), -EEXIST);
    T_ERR(ipcx_sem_open(&s, urls[2], IPCX_CREATE | IPCX_EXCL, 0), -EEXIST);

    /* A second handle on the same semaphore sees the same value. */
    T_ERR(ipcx_sem_open(&s, urls[1], IPCX_CREATE, 0), 0);
    T_ERR(ipcx_sem_post(named[1]), 0);
    T_EQ(ipcx_sem_value(s), ipcx_sem_value(named[1]));
    struct ipcx_semop two[2] = { { 0, -1, 0 }, { 0, -1, 0 } }, undo = { 0, -1, IPCX_SEM_UNDO };
    T_ERR(ipcx_sem_op(s, two, 2, 0), -ENOTSUP);
    T_ERR(ipcx_sem_op(s, &undo, 1, 0), -ENOTSUP);
    ipcx_sem_close(s);

    /* sem: with a bad header (not ours): -EPROTO, before any use. */
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    T_OK(fd >= 0);
    T_OK(ftruncate(fd, 24) == 0);
    T_OK(write(fd, "not a semaphore, really!", 24) == 24);
    close(fd);
    snprintf(url, sizeof url, "sem:%s", name);
    T_ERR(ipcx_sem_open(&s, url, 0, 0), -EPROTO);
    T_ERR(ipcx_sem_open(&s, url, IPCX_CREATE, 0), -EPROTO);
    T_ERR(ipcx_sem_unlink(url), 0);
    T_ERR(ipcx_sem_unlink(url), -ENOENT);

    /* sysvsem by path and proj (ftok). */
    snprintf(pathbuf, sizeof pathbuf, "/tmp/ipcx-t-%d-key", (int) getpid());
    fd = open(pathbuf, O_CREAT | O_WRONLY, 0600);
    T_OK(fd >= 0);
    close(fd);
    snprintf(url, sizeof url, "sysvsem:%s?proj=7&n=2", pathbuf);
    T_ERR(ipcx_sem_open(&s, url, IPCX_CREATE | IPCX_EXCL, 3), 0);
    T_EQ(ipcx_sem_getval(s, 1), 3);
    ipcx_sem_close(s);
    snprintf(url, sizeof url, "sysvsem:%s?proj=7", pathbuf);
    T_ERR(ipcx_sem_open(&s, url, 0, 0), 0);
    T_EQ(ipcx_sem_count(s), 2);
    ipcx_sem_close(s);
    T_ERR(ipcx_sem_unlink(url), 0);
    T_ERR(ipcx_sem_open(&s, url, 0, 0), -ENOENT);
    unlink(pathbuf);
    pathbuf[0] = 0;
}

int main(void)
{
    char name[96];
    sh = st_shared(sizeof *sh);
    t_cleanup = cleanup;
    st_name(name, sizeof name, "sem");
    snprintf(urls[1], sizeof urls[1], "sem:%s", name);
    snprintf(urls[2], sizeof urls[2], "posixsem:%s", name);
    snprintf(urls[3], sizeof urls[3], "sysvsem:%d", 0x1a000000 | (int) getpid());

    for (int k = 0; k < KINDS; k++) {
        test_basics(k);
        test_pool(k);
        test_wake_one(k);
        test_eintr(k);
    }
    test_urls();
    test_sysv_atomic();
    cleanup();
    return 0;
}
