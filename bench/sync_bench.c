/*
 * sync_bench.c - what src/sync/ costs, beside what glibc and the kernel
 * offer for the same job, measured in one run and printed as Markdown:
 *
 *   1. uncontended lock+unlock (or wait+post) in one process, on objects in
 *      shared memory: every ipcx primitive, glibc's process-shared (and
 *      robust) pthread mutex, sem_t and System V semop;
 *   2. hand-off latency between two processes pinned to CPUs 0 and 1: a
 *      ping-pong over two semaphores (ipcx's futex semaphore, sem:,
 *      posixsem:, sysvsem:, glibc sem_t, raw semop), and over a mutex and
 *      condition variable (ipcx vs glibc).  One hand-off is half a round
 *      trip.
 *
 * Median and p99 of one run; the ratio column divides by glibc's row of
 * the same kind (pthread mutex for locks, sem_t for semaphores, pthread
 * cond for condvars).  Usage: sync_bench [rounds]   (default 20000)
 * Figures never gate a test.
 */
#include "ipcx/sync.h"
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/wait.h>

#define BATCH 200 /* operations per timed sample of the uncontended loop */

struct stat2 {
    double median, p99;
};

static struct stat2 stats(int64_t *v, size_t n, double div)
{
    bench_sort(v, n);
    struct stat2 s = { bench_pct(v, n, 500) / div, bench_pct(v, n, 990) / div };
    return s;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "sync_bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

/* A benchmark of calls that fail would measure nothing: every call is checked. */
#define MUST(call) do { int must_r_ = (call); if (must_r_ < 0) die(#call, must_r_); } while (0)

#define CHECK(call)                                                            \
    do {                                                                       \
        int r_ = (call);                                                       \
        if (r_ != 0)                                                           \
            die(#call, r_ < 0 ? -r_ : r_);                                     \
    } while (0)

/* ---- the objects, all in one shared mapping ------------------------ */

struct shared {
    ipcx_mutex      m;
    ipcx_cond       c;
    ipcx_spin       spin;
    ipcx_semaphore  s[2];
    ipcx_rwlock     rw;
    ipcx_peterson   pet;
    ipcx_bakery     bak;
    ipcx_tas        tas;
    pthread_mutex_t pm, pmr;
    pthread_spinlock_t pspin;
    pthread_rwlock_t prw;
    pthread_cond_t  pc;
    sem_t           ps[2];
    volatile int    turn;
};

static struct shared *sh;
static ipcx_sem *fsem[2], *psem[2], *vsem;
static sem_t *osem[2]; /* glibc's named semaphores (sem_open), the sem: handle's peer */
static int semid = -1;
static char names[4][64];

static void make_objects(void)
{
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap", errno);
    CHECK(ipcx_mutex_init(&sh->m));
    CHECK(ipcx_cond_init(&sh->c));
    CHECK(ipcx_spin_init(&sh->spin, IPCX_SPIN_DEFAULT_US));
    CHECK(ipcx_semaphore_init(&sh->s[0], 0));
    CHECK(ipcx_semaphore_init(&sh->s[1], 0));
    CHECK(ipcx_rwlock_init(&sh->rw, IPCX_RWLOCK_FAIR));
    CHECK(ipcx_peterson_init(&sh->pet));
    CHECK(ipcx_bakery_init(&sh->bak, 2));
    CHECK(ipcx_tas_init(&sh->tas));

    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    CHECK(pthread_mutex_init(&sh->pm, &ma));
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    CHECK(pthread_mutex_init(&sh->pmr, &ma));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    CHECK(pthread_cond_init(&sh->pc, &ca));
    if (sem_init(&sh->ps[0], 1, 0) || sem_init(&sh->ps[1], 1, 0))
        die("sem_init", errno);
    CHECK(pthread_spin_init(&sh->pspin, PTHREAD_PROCESS_SHARED));
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
    CHECK(pthread_rwlock_init(&sh->prw, &ra));

    char url[320];
    for (int i = 0; i < 2; i++) {
        snprintf(names[i], sizeof names[i], "/ipcx-bench-%d-%d", (int) getpid(), i);
        snprintf(url, sizeof url, "sem:%s", names[i]);
        CHECK(ipcx_sem_open(&fsem[i], url, IPCX_CREATE | IPCX_EXCL, 0));
        snprintf(url, sizeof url, "posixsem:%s", names[i]);
        CHECK(ipcx_sem_open(&psem[i], url, IPCX_CREATE | IPCX_EXCL, 0));
    }
    for (int i = 0; i < 2; i++) {
        char on[300];
        snprintf(on, sizeof on, "%s-glibc", names[i]);
        osem[i] = sem_open(on, O_CREAT | O_EXCL, 0600, 0);
        if (osem[i] == SEM_FAILED)
            die("sem_open", errno);
    }
    snprintf(names[2], sizeof names[2], "sysvsem:%d?n=2", 0x1e000000 | (int) getpid());
    CHECK(ipcx_sem_open(&vsem, names[2], IPCX_CREATE | IPCX_EXCL, 0));
    semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (semid < 0)
        die("semget", errno);
}

static void remove_objects(void)
{
    char url[320];
    for (int i = 0; i < 2; i++) {
        ipcx_sem_close(fsem[i]);
        ipcx_sem_close(psem[i]);
        snprintf(url, sizeof url, "sem:%s", names[i]);
        ipcx_sem_unlink(url);
        snprintf(url, sizeof url, "posixsem:%s", names[i]);
        ipcx_sem_unlink(url);
    }
    for (int i = 0; i < 2; i++) {
        char on[300];
        snprintf(on, sizeof on, "%s-glibc", names[i]);
        if (osem[i] && osem[i] != SEM_FAILED)
            sem_close(osem[i]);
        sem_unlink(on);
    }
    ipcx_sem_close(vsem);
    ipcx_sem_unlink(names[2]);
    if (semid >= 0)
        semctl(semid, 0, IPC_RMID);
}

/* ---- 1. uncontended ------------------------------------------------ */

enum kind { K_LOCK, K_SEM, K_COND, K_SPIN, K_RW, K_NSEM, K_KINDS };

struct op {
    const char *name;
    enum kind   kind;
    int         baseline; /* glibc's row of its kind */
    void (*run)(void);    /* one lock+unlock / wait+post */
};

static int sv_op(int num, int op)
{
    struct sembuf b = { (unsigned short) num, (short) op, 0 };
    return semop(semid, &b, 1);
}

static void u_mutex(void) { MUST(ipcx_mutex_lock(&sh->m, -1)); MUST(ipcx_mutex_unlock(&sh->m)); }
static void u_spin(void) { MUST(ipcx_spin_lock(&sh->spin, -1)); MUST(ipcx_spin_unlock(&sh->spin)); }
static void u_rwr(void) { MUST(ipcx_rwlock_rdlock(&sh->rw, -1)); MUST(ipcx_rwlock_unlock(&sh->rw)); }
static void u_rww(void) { MUST(ipcx_rwlock_wrlock(&sh->rw, -1)); MUST(ipcx_rwlock_unlock(&sh->rw)); }
static void u_pet(void) { MUST(ipcx_peterson_lock(&sh->pet, 0)); MUST(ipcx_peterson_unlock(&sh->pet, 0)); }
static void u_bak(void) { MUST(ipcx_bakery_lock(&sh->bak, 0)); MUST(ipcx_bakery_unlock(&sh->bak, 0)); }
static void u_tas(void) { MUST(ipcx_tas_lock(&sh->tas)); MUST(ipcx_tas_unlock(&sh->tas)); }
static void u_ttas(void) { MUST(ipcx_ttas_lock(&sh->tas)); MUST(ipcx_tas_unlock(&sh->tas)); }
static void u_pm(void) { pthread_mutex_lock(&sh->pm); pthread_mutex_unlock(&sh->pm); }
static void u_pmr(void) { pthread_mutex_lock(&sh->pmr); pthread_mutex_unlock(&sh->pmr); }
static void u_sem(void) { MUST(ipcx_semaphore_post(&sh->s[0])); MUST(ipcx_semaphore_wait(&sh->s[0], -1)); }
static void u_fsem(void) { MUST(ipcx_sem_post(fsem[0])); MUST(ipcx_sem_wait(fsem[0], -1)); }
static void u_psem(void) { MUST(ipcx_sem_post(psem[0])); MUST(ipcx_sem_wait(psem[0], -1)); }
static void u_vsem(void) { MUST(ipcx_sem_post(vsem)); MUST(ipcx_sem_wait(vsem, -1)); }
static void u_ps(void) { sem_post(&sh->ps[0]); sem_wait(&sh->ps[0]); }
static void u_os(void) { sem_post(osem[0]); sem_wait(osem[0]); }
static void u_pspin(void) { pthread_spin_lock(&sh->pspin); pthread_spin_unlock(&sh->pspin); }
static void u_prwr(void) { pthread_rwlock_rdlock(&sh->prw); pthread_rwlock_unlock(&sh->prw); }
static void u_prww(void) { pthread_rwlock_wrlock(&sh->prw); pthread_rwlock_unlock(&sh->prw); }
static void u_sv(void) { sv_op(0, 1); sv_op(0, -1); }

static const struct op uops[] = {
    { "glibc pthread_mutex (pshared)",        K_LOCK, 1, u_pm },
    { "glibc pthread_mutex (pshared, robust, errorcheck)", K_LOCK, 0, u_pmr },
    { "ipcx_mutex",                           K_LOCK, 0, u_mutex },
    { "glibc pthread_spin (pshared)",         K_SPIN, 1, u_pspin },
    { "ipcx_spin",                            K_SPIN, 0, u_spin },
    { "glibc pthread_rwlock (pshared) read",  K_RW,   1, u_prwr },
    { "glibc pthread_rwlock (pshared) write", K_RW,   0, u_prww },
    { "ipcx_rwlock read",                     K_RW,   0, u_rwr },
    { "ipcx_rwlock write",                    K_RW,   0, u_rww },
    { "ipcx_peterson",                        K_LOCK, 0, u_pet },
    { "ipcx_bakery (n=2)",                    K_LOCK, 0, u_bak },
    { "ipcx_tas",                             K_LOCK, 0, u_tas },
    { "ipcx_ttas",                            K_LOCK, 0, u_ttas },
    { "glibc sem_t (pshared) post+wait",      K_SEM,  1, u_ps },
    { "System V semop +1, -1",                K_SEM,  0, u_sv },
    { "ipcx_semaphore post+wait",             K_SEM,  0, u_sem },
    { "glibc sem_open'd sem_t post+wait",     K_NSEM, 1, u_os },
    { "ipcx_sem sem: post+wait",              K_NSEM, 0, u_fsem },
    { "ipcx_sem posixsem: post+wait",         K_SEM,  0, u_psem },
    { "ipcx_sem sysvsem: post+wait",          K_SEM,  0, u_vsem },
};

static void uncontended(int rounds)
{
    size_t n = sizeof uops / sizeof uops[0];
    int samples = rounds / 20 > 100 ? rounds / 20 : 100;
    int64_t *v = calloc((size_t) samples, sizeof *v);
    struct stat2 st[32], base[K_KINDS];
    for (int k = 0; k < K_KINDS; k++)
        base[k] = (struct stat2) { 1, 1 };

    for (size_t i = 0; i < n; i++) {
        for (int w = 0; w < BATCH * 10; w++) /* warm up */
            uops[i].run();
        for (int s = 0; s < samples; s++) {
            int64_t t0 = bench_now_ns();
            for (int b = 0; b < BATCH; b++)
                uops[i].run();
            v[s] = bench_now_ns() - t0;
        }
        st[i] = stats(v, (size_t) samples, BATCH);
        if (uops[i].baseline)
            base[uops[i].kind] = st[i];
    }
    printf("### Uncontended lock+unlock (wait+post), one process, ns per pair\n\n");
    printf("%d samples of %d pairs each.\n\n", samples, BATCH);
    printf("| primitive | median ns | p99 ns | median / glibc |\n|---|---:|---:|---:|\n");
    for (size_t i = 0; i < n; i++)
        printf("| %s | %.1f | %.1f | %.2f |\n", uops[i].name, st[i].median, st[i].p99,
               st[i].median / base[uops[i].kind].median);
    printf("\n(glibc row of each kind: pthread_mutex pshared for locks, pthread_spin for\n"
           "ipcx_spin, pthread_rwlock read for the rwlocks, sem_t for semaphores, a sem_open'd\n"
           "sem_t for the sem: handle.)\n\n");
    free(v);
}

/* ---- 2. hand-off between two processes ----------------------------- */

struct pp {
    const char *name;
    enum kind   kind;
    int         baseline;
    void (*give)(int to); /* wake side `to` (0: parent, 1: child) */
    void (*take)(int me); /* wait to be woken */
};

static void g_sem(int to) { MUST(ipcx_semaphore_post(&sh->s[to])); }
static void t_sem(int me) { MUST(ipcx_semaphore_wait(&sh->s[me], -1)); }
static void g_fsem(int to) { MUST(ipcx_sem_post(fsem[to])); }
static void t_fsem(int me) { MUST(ipcx_sem_wait(fsem[me], -1)); }
static void g_psem(int to) { MUST(ipcx_sem_post(psem[to])); }
static void t_psem(int me) { MUST(ipcx_sem_wait(psem[me], -1)); }
static void g_vsem(int to) { struct ipcx_semop o = { (unsigned short) to, 1, 0 }; MUST(ipcx_sem_op(vsem, &o, 1, -1)); }
static void t_vsem(int me) { struct ipcx_semop o = { (unsigned short) me, -1, 0 }; MUST(ipcx_sem_op(vsem, &o, 1, -1)); }
static void g_ps(int to) { sem_post(&sh->ps[to]); }
static void g_os(int to) { sem_post(osem[to]); }
static void t_os(int me) { while (sem_wait(osem[me]) != 0) ; }
static void t_ps(int me) { while (sem_wait(&sh->ps[me]) != 0) ; }
static void g_sv(int to) { sv_op(to, 1); }
static void t_sv(int me) { while (sv_op(me, -1) != 0) ; }

/* Condvar ping-pong: turn says whose move it is. */
static void g_cond(int to)
{
    ipcx_mutex_lock(&sh->m, -1);
    sh->turn = to;
    ipcx_cond_signal(&sh->c);
    ipcx_mutex_unlock(&sh->m);
}
static void t_cond(int me)
{
    ipcx_mutex_lock(&sh->m, -1);
    while (sh->turn != me)
        ipcx_cond_wait(&sh->c, &sh->m, -1);
    ipcx_mutex_unlock(&sh->m);
}
static void g_pcond(int to)
{
    pthread_mutex_lock(&sh->pm);
    sh->turn = to;
    pthread_cond_signal(&sh->pc);
    pthread_mutex_unlock(&sh->pm);
}
static void t_pcond(int me)
{
    pthread_mutex_lock(&sh->pm);
    while (sh->turn != me)
        pthread_cond_wait(&sh->pc, &sh->pm);
    pthread_mutex_unlock(&sh->pm);
}

static const struct pp pps[] = {
    { "glibc sem_t (pshared)",      K_SEM,  1, g_ps,    t_ps },
    { "System V semop",             K_SEM,  0, g_sv,    t_sv },
    { "ipcx_semaphore",             K_SEM,  0, g_sem,   t_sem },
    { "glibc sem_open'd sem_t",     K_NSEM, 1, g_os,    t_os },
    { "ipcx_sem sem:",              K_NSEM, 0, g_fsem,  t_fsem },
    { "ipcx_sem posixsem:",         K_SEM,  0, g_psem,  t_psem },
    { "ipcx_sem sysvsem:",          K_SEM,  0, g_vsem,  t_vsem },
    { "glibc pthread_cond + mutex", K_COND, 1, g_pcond, t_pcond },
    { "ipcx_cond + ipcx_mutex",     K_COND, 0, g_cond,  t_cond },
};

static struct stat2 pingpong(const struct pp *p, int rounds, int pinned)
{
    int64_t *v = calloc((size_t) rounds, sizeof *v);
    sh->turn = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", errno);
    if (pid == 0) {
        if (pinned)
            (void) bench_pin(1);
        for (int i = 0; i < rounds + 100; i++) {
            p->take(1);
            p->give(0);
        }
        _exit(0);
    }
    for (int i = 0; i < 100; i++) { /* warm up */
        p->give(1);
        p->take(0);
    }
    for (int i = 0; i < rounds; i++) {
        int64_t t0 = bench_now_ns();
        p->give(1);
        p->take(0);
        v[i] = bench_now_ns() - t0;
    }
    int st;
    waitpid(pid, &st, 0);
    struct stat2 s = stats(v, (size_t) rounds, 2.0); /* a hand-off is half a round trip */
    free(v);
    return s;
}

static void handoff(int rounds)
{
    size_t n = sizeof pps / sizeof pps[0];
    struct stat2 st[16], base[K_KINDS];
    for (int k = 0; k < K_KINDS; k++)
        base[k] = (struct stat2) { 1, 1 };
    int pinned = bench_pin(0) == 0;

    for (size_t i = 0; i < n; i++) {
        st[i] = pingpong(&pps[i], rounds, pinned);
        if (pps[i].baseline)
            base[pps[i].kind] = st[i];
    }
    printf("### Hand-off latency between two processes (ping-pong), ns\n\n");
    printf("%d round trips; %s; one hand-off = half a round trip.\n\n", rounds,
           pinned ? "processes pinned to CPUs 0 and 1" : "NOT pinned (fewer than 2 CPUs)");
    printf("| primitive | median ns | p99 ns | median / glibc |\n|---|---:|---:|---:|\n");
    for (size_t i = 0; i < n; i++)
        printf("| %s | %.0f | %.0f | %.2f |\n", pps[i].name, st[i].median, st[i].p99,
               st[i].median / base[pps[i].kind].median);
    printf("\n(glibc row of each kind: sem_t for semaphores, pthread_cond for condvars.)\n");
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20000;
    if (rounds < 100)
        rounds = 100;
    make_objects();
    uncontended(rounds);
    handoff(rounds);
    remove_objects();
    return 0;
}
