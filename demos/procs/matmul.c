/*
 * matmul.c - seed 001, "matrix multiplication in 4 processes": C = A x B
 * for two N x N matrices, computed by P worker processes over shared
 * memory.  Each worker takes a band of rows of C; when its band is done
 * it waits at an ipcx_barrier (process-shared, in the same mapping) that
 * the parent also waits at, so the parent knows the product is complete
 * without polling.  A worker that dies breaks the barrier (-EPIPE): the
 * parent reports it instead of hanging.
 *
 * The check is the point, not the speed: the parent computes the product
 * again in one process and compares every element (exact for integers,
 * within a stated relative tolerance for doubles).  The speed-up over one
 * process is measured in the same run and printed with the number of
 * CPUs; it never enters the verdict.
 */
#include "demo.h"
#include "ipcx.h"
#include "ipcx/sync.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "Usage: ipcx demo matmul [--n N] [--procs P] [--type int|double] [--inject-bug]\n"
    "                        [--kill-worker W]\n"
    "\n"
    "Seed 001, \"matrix multiplication in 4 processes\": C = A x B for two\n"
    "N x N matrices (default 512) with P worker processes (default 4), each\n"
    "computing a band of rows of C in one shared mapping; a process-shared\n"
    "ipcx_barrier tells the parent that every band is done (a worker that\n"
    "dies breaks it, so the parent does not wait forever).\n"
    "\n"
    "The verdict is the correctness: the parent multiplies again in one process\n"
    "and compares every element, exactly for --type int (64-bit integers, the\n"
    "default), within a relative 1e-12 for --type double.  The speed-up over\n"
    "one process is measured in the same run and printed with the number of\n"
    "CPUs online: it cannot exceed that number (2 on the project's test VM,\n"
    "whatever P is), and it is never part of the verdict.\n"
    "\n"
    "  --inject-bug   the last worker skips the last row of its band: the\n"
    "                 check must report FAILED\n"
    "  --kill-worker W  worker W (0-based) dies of SIGKILL half-way through its\n"
    "                 band: the barrier breaks, the parent reports it instead\n"
    "                 of waiting for ever (the verdict is ok when it did)\n";

static const struct demo_info info = {
    .name = "matmul",
    .summary = "matrix product in worker processes over shared memory, checked",
    .seed = "seed 001: matrix multiplication in 4 processes",
    .usage = usage,
};

#define TOLERANCE 1e-12

struct job {
    ipcx_barrier done;
    long n;
    int procs, dbl, bug, victim; /* victim: worker + 1 that dies half-way, 0 none */
};

struct mats {
    struct job *job;
    void *a, *b, *c; /* N*N int64_t or double each */
};

/* Rows [lo, hi) of C = A x B, i-k-j order for the cache; one body for both types. */
#define MULTIPLY_ROWS(T, m, lo, hi)                                  \
    do {                                                             \
        long n_ = (m)->job->n;                                       \
        const T *a_ = (m)->a, *b_ = (m)->b;                          \
        T *c_ = (m)->c;                                              \
        for (long i_ = (lo); i_ < (hi); i_++) {                      \
            T *ci_ = c_ + i_ * n_;                                   \
            memset(ci_, 0, (size_t) n_ * sizeof *ci_);               \
            for (long k_ = 0; k_ < n_; k_++) {                       \
                T aik_ = a_[i_ * n_ + k_];                           \
                const T *bk_ = b_ + k_ * n_;                         \
                for (long j_ = 0; j_ < n_; j_++)                     \
                    ci_[j_] += aik_ * bk_[j_];                       \
            }                                                        \
        }                                                            \
    } while (0)

static void multiply_rows(const struct mats *m, long lo, long hi)
{
    if (m->job->dbl)
        MULTIPLY_ROWS(double, m, lo, hi);
    else
        MULTIPLY_ROWS(int64_t, m, lo, hi);
}

static void band(const struct job *j, int w, long *lo, long *hi)
{
    *lo = j->n * w / j->procs;
    *hi = j->n * (w + 1) / j->procs;
}

static int worker(void *arg, int w)
{
    struct mats *m = arg;
    long lo, hi;
    /* Join first: a worker that dies before its wait then breaks the barrier too. */
    int r = ipcx_barrier_join(&m->job->done);
    if (r < 0) {
        fprintf(stderr, "matmul: worker %d: barrier join: %s\n", w, ipcx_strerror(r));
        return 1;
    }
    band(m->job, w, &lo, &hi);
    if (m->job->bug && w == m->job->procs - 1 && hi > lo)
        hi--; /* the injected bug: one row never computed */
    if (m->job->victim == w + 1) {
        multiply_rows(m, lo, lo + (hi - lo) / 2);
        (void) kill(getpid(), SIGKILL); /* half its band done: it dies */
    }
    multiply_rows(m, lo, hi);
    r = ipcx_barrier_wait(&m->job->done, IPCX_FOREVER);
    if (r < 0) {
        fprintf(stderr, "matmul: worker %d: barrier: %s\n", w, ipcx_strerror(r));
        return 1;
    }
    return 0;
}

/* Fill A and B with small pseudo-random values (a fixed LCG: every run the same). */
static void fill(const struct mats *m)
{
    uint64_t x = 12345;
    long nn = m->job->n * m->job->n;
    for (int which = 0; which < 2; which++)
        for (long i = 0; i < nn; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            int v = (int) ((x >> 33) % 199) - 99; /* -99..99 */
            if (m->job->dbl)
                ((double *) (which ? m->b : m->a))[i] = v / 7.0;
            else
                ((int64_t *) (which ? m->b : m->a))[i] = v;
        }
}

/* The number of elements of got that differ from want; the first one in *first. */
static long compare(const struct job *j, const void *got, const void *want, long *first)
{
    long nn = j->n * j->n, bad = 0;
    *first = -1;
    for (long i = 0; i < nn; i++) {
        int same;
        if (j->dbl) {
            double g = ((const double *) got)[i], w = ((const double *) want)[i];
            same = fabs(g - w) <= TOLERANCE * fmax(1.0, fabs(w));
        } else {
            same = ((const int64_t *) got)[i] == ((const int64_t *) want)[i];
        }
        if (!same && bad++ == 0)
            *first = i;
    }
    return bad;
}

int main(int argc, char **argv)
{
    demo_start(&info, argc, argv);
    long n = 512;
    int procs = 4, dbl = 0, bug = 0, victim = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--n") == 0 && i + 1 < argc)
            n = demo_num(a, argv[++i], 1, 4096);
        else if (strcmp(a, "--procs") == 0 && i + 1 < argc)
            procs = (int) demo_num(a, argv[++i], 1, IPCX_BARRIER_MAX - 1);
        else if (strcmp(a, "--type") == 0 && i + 1 < argc) {
            const char *t = argv[++i];
            if (strcmp(t, "int") == 0)
                dbl = 0;
            else if (strcmp(t, "double") == 0)
                dbl = 1;
            else
                demo_usage_error("--type is int or double, not '%s'", t);
        } else if (strcmp(a, "--inject-bug") == 0)
            bug = 1;
        else if (strcmp(a, "--kill-worker") == 0 && i + 1 < argc)
            victim = (int) demo_num(a, argv[++i], 0, IPCX_BARRIER_MAX) + 1;
        else
            demo_unknown_arg(a, i + 1 == argc);
    }

    size_t elem = dbl ? sizeof(double) : sizeof(int64_t);
    size_t mat = (size_t) n * (size_t) n * elem;
    struct mats m;
    m.job = demo_shared(sizeof *m.job);
    m.a = demo_shared(mat);
    m.b = demo_shared(mat);
    m.c = demo_shared(mat);
    m.job->n = n;
    m.job->procs = procs;
    m.job->dbl = dbl;
    m.job->bug = bug;
    m.job->victim = victim;
    if (victim > procs)
        demo_usage_error("--kill-worker %d: the workers are 0..%d", victim - 1, procs - 1);
    int r = ipcx_barrier_init(&m.job->done, (unsigned) procs + 1);
    if (r < 0)
        demo_die("ipcx_barrier_init: %s", ipcx_strerror(r));
    fill(&m);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("matmul: C = A x B, %ld x %ld %s, %d worker processes, %ld CPUs online\n",
           n, n, dbl ? "double" : "int64", procs, cpus);

    /* The reference: one process, the same code, into private memory. */
    void *want = malloc(mat);
    if (!want)
        demo_die("out of memory for the %zu-byte reference", mat);
    struct mats one = m;
    one.c = want;
    long long t0 = demo_now_ns();
    multiply_rows(&one, 0, n);
    long long t_one = demo_now_ns() - t0;

    pid_t *pids = calloc((size_t) procs, sizeof *pids);
    int *status = calloc((size_t) procs, sizeof *status);
    if (!pids || !status)
        demo_die("out of memory");
    if ((r = ipcx_barrier_join(&m.job->done)) < 0)
        demo_die("ipcx_barrier_join: %s", ipcx_strerror(r));
    t0 = demo_now_ns();
    for (int w = 0; w < procs; w++) {
        long lo, hi;
        band(m.job, w, &lo, &hi);
        printf("matmul: worker %d computes rows %ld..%ld\n", w, lo, hi - 1);
        pids[w] = demo_fork(worker, &m, w);
    }
    r = ipcx_barrier_wait(&m.job->done, IPCX_FOREVER);
    long long t_par = demo_now_ns() - t0;
    if (r < 0)
        printf("matmul: the barrier broke (%s): a worker died\n", ipcx_strerror(r));
    demo_wait(pids, procs, status, NULL, NULL, 1);
    int workers_ok = 1;
    for (int w = 0; w < procs; w++)
        if (!demo_exited_ok(status[w])) {
            printf("matmul: worker %d did not exit cleanly (status %#x)\n", w, status[w]);
            workers_ok = 0;
        }

    if (victim) {
        int st = status[victim - 1];
        int killed = st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        int ok = r == -EPIPE && killed;
        free(want);
        free(pids);
        free(status);
        return demo_verdict(ok, "worker %d %s; the barrier %s", victim - 1,
                            killed ? "died of SIGKILL" : "did NOT die of SIGKILL",
                            r == -EPIPE ? "broke and the parent reported it instead of waiting for ever"
                                        : "did NOT break");
    }
    long first, bad = compare(m.job, m.c, want, &first);
    printf("matmul: one process %.1f ms, %d processes %.1f ms: speed-up %.2f on %ld CPUs\n",
           t_one / 1e6, procs, t_par / 1e6, t_par > 0 ? (double) t_one / (double) t_par : 0.0,
           cpus);
    if (cpus < procs)
        printf("matmul: (with %ld CPUs no more than %ldx is possible, however many processes)\n",
               cpus, cpus);
    int ok = r >= 0 && workers_ok && bad == 0;
    if (bad)
        printf("matmul: C[%ld][%ld] differs from the one-process product\n", first / n, first % n);
    free(want);
    free(pids);
    free(status);
    (void) ipcx_barrier_destroy(&m.job->done);
    demo_unshare(m.c, mat);
    demo_unshare(m.b, mat);
    demo_unshare(m.a, mat);
    demo_unshare(m.job, sizeof *m.job);
    if (!ok)
        return demo_verdict(0, "%ld of %ld elements differ from the one-process product%s",
                            bad, n * n, workers_ok ? "" : " (a worker failed)");
    return demo_verdict(1, "all %ld elements equal the one-process product (%s)", n * n,
                        dbl ? "within 1e-12 relative" : "exactly");
}
