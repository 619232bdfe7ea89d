/*
 * shm_bench.c - the shared-memory ring against its floors, in one run so
 * that every figure is also a ratio (docs/PERF.md).  Two processes pinned
 * to CPUs 0 and 1 (sched_setaffinity).  Prints median and p99 of round
 * trips, and rates.  Never run by the tests.
 *
 *   shm_bench [iterations]        (default 200000 round trips per row)
 *   shm_bench iterations rt       only the awake round trip vs the floor
 *   shm_bench messages copy       only the 64 KiB copy vs memcpy, in blocks
 *   shm_bench messages oneway     only the one-way 64 B rate, 5 times
 *   shm_bench iterations tail     p50/p99/p99.9, sleeps per 100k round
 *                                 trips by spin budget (IPCX_SHM_WAITS) and
 *                                 page faults, by ring size and prefault=
 *
 * The two latency ratios (awake spsc vs the floor, sleeping spsc vs a raw
 * futex ping-pong) come from ten alternating blocks of the two rows: the
 * median of the per-block ratios, with their range (see alternate()).
 *
 * Rows: cache-line ping-pong (the hardware floor), spsc round trip with
 * both sides spinning, Unix stream socket round trip, raw futex ping-pong
 * vs spsc with sleeping receivers (spin=0), one-way 64 B messages per
 * second, 64 KiB copy vs memcpy bandwidth, loan/commit 1 MiB vs 64 B,
 * mpmc 2x2 and bcast 1x3 message rates.
 */
#include "ipcx.h"
#include "bench_util.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long iters = 200000;

struct lat { double p50, p99, p999; };
static struct lat stats(int64_t *v, long n)
{
    bench_sort(v, (size_t) n);
    struct lat l = { bench_pct(v, (size_t) n, 500), bench_pct(v, (size_t) n, 990),
                     bench_pct(v, (size_t) n, 999) };
    return l;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void *shared(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        exit(1);
    return p;
}

static void die(const char *what, long r)
{
    fprintf(stderr, "%s: %s (%s)\n", what, ipcx_strerror((int) r), ipcx_errdetail());
    exit(1);
}

/* ---- floor: two cache lines bounced between the CPUs ---------------- */
static struct lat bench_floor(int64_t *t, long n, const char *q)
{
    (void) q;
    _Atomic uint64_t *w = shared(4096);
    pid_t pid = fork();
    if (pid == 0) {
        (void) bench_pin(1);
        for (uint64_t i = 1; i <= (uint64_t) n + 1000; i++) {
            while (atomic_load_explicit(&w[0], memory_order_acquire) != i)
                ;
            atomic_store_explicit(&w[16], i, memory_order_release);
        }
        _exit(0);
    }
    (void) bench_pin(0);
    for (uint64_t i = 1; i <= (uint64_t) n + 1000; i++) {
        int64_t t0 = bench_now_ns();
        atomic_store_explicit(&w[0], i, memory_order_release);
        while (atomic_load_explicit(&w[16], memory_order_acquire) != i)
            ;
        if (i > 1000)
            t[i - 1001] = bench_now_ns() - t0;
    }
    waitpid(pid, NULL, 0);
    munmap((void *) w, 4096);
    return stats(t, n);
}

/* ---- raw futex ping-pong: both sides sleep every time ---------------- */
static void fwait(_Atomic uint32_t *w, uint32_t v)
{
    while (atomic_load(w) == v)
        syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}
static void fwake(_Atomic uint32_t *w)
{
    atomic_fetch_add(w, 1);
    syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}
static struct lat bench_futex(int64_t *t, long n, const char *q)
{
    (void) q;
    _Atomic uint32_t *w = shared(4096);
    pid_t pid = fork();
    if (pid == 0) {
        (void) bench_pin(1);
        for (uint32_t i = 0; i < (uint32_t) n; i++) {
            fwait(&w[0], i);
            fwake(&w[32]);
        }
        _exit(0);
    }
    (void) bench_pin(0);
    for (uint32_t i = 0; i < (uint32_t) n; i++) {
        int64_t t0 = bench_now_ns();
        fwake(&w[0]);
        fwait(&w[32], i);
        t[i] = bench_now_ns() - t0;
    }
    waitpid(pid, NULL, 0);
    return stats(t, n);
}

/* ---- Unix stream socket round trip ----------------------------------- */
static struct lat bench_unix(int64_t *t, long n)
{
    int sv[2];
    char b[64] = { 0 };
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = fork();
    if (pid == 0) {
        (void) bench_pin(1);
        for (long i = 0; i < n; i++) {
            if (read(sv[1], b, 64) != 64 || write(sv[1], b, 64) != 64)
                _exit(1);
        }
        _exit(0);
    }
    (void) bench_pin(0);
    for (long i = 0; i < n; i++) {
        int64_t t0 = bench_now_ns();
        if (write(sv[0], b, 64) != 64 || read(sv[0], b, 64) != 64)
            exit(1);
        t[i] = bench_now_ns() - t0;
    }
    waitpid(pid, NULL, 0);
    close(sv[0]);
    close(sv[1]);
    return stats(t, n);
}

/* ---- ipcx ring round trip: ping on one ring, pong on another ---------- */

/* Page faults this process has taken so far (minor and major). */
static long faults_now(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt + ru.ru_majflt : 0;
}

/* Page faults of both processes in the measured round trips of the last bench_ring_rt. */
static long rt_faults;

/*
 * q is appended to the URL; a ring of 4 KiB unless q says size= (the
 * tail rows: a ring of the default size is written into pages it has not
 * touched yet until it has wrapped once; docs/shm.md, Tail latency).
 */
static struct lat bench_ring_rt(int64_t *t, long n, const char *q)
{
    ipcx_chan *a[2], *b[2];
    char u[160];
    char m[64] = { 0 };
    long r;
    _Atomic long *kid_faults = shared(4096);
    snprintf(u, sizeof u, "shm:?mode=spsc&maxmsg=64%s%s", strstr(q, "size=") ? "" : "&size=4096",
             q);
    if ((r = ipcx_pair(u, a)) < 0 || (r = ipcx_pair(u, b)) < 0)
        die("pair", r);
    pid_t pid = fork();
    if (pid == 0) {
        long f0 = 0;
        (void) bench_pin(1);
        ipcx_close(a[1]);
        ipcx_close(b[0]);
        for (long i = 0; i < n + 1000; i++) {
            if (i == 1000)
                f0 = faults_now();
            if ((r = ipcx_recv(a[0], m, sizeof m, NULL, -1)) != 64)
                die("child recv", r);
            if ((r = ipcx_send(b[1], m, 64, 0, -1)) < 0)
                die("child send", r);
        }
        atomic_store(kid_faults, faults_now() - f0);
        ipcx_close(a[0]); /* its wait counts go to IPCX_SHM_WAITS (tail) */
        ipcx_close(b[1]);
        _exit(0);
    }
    long f0 = 0;
    (void) bench_pin(0);
    ipcx_close(a[0]);
    ipcx_close(b[1]);
    for (long i = 0; i < n + 1000; i++) {
        if (i == 1000)
            f0 = faults_now();
        int64_t t0 = bench_now_ns();
        if ((r = ipcx_send(a[1], m, 64, 0, -1)) < 0)
            die("send", r);
        if ((r = ipcx_recv(b[0], m, sizeof m, NULL, -1)) != 64)
            die("recv", r);
        if (i >= 1000)
            t[i - 1000] = bench_now_ns() - t0;
    }
    rt_faults = faults_now() - f0;
    waitpid(pid, NULL, 0);
    rt_faults += atomic_load(kid_faults);
    munmap((void *) kid_faults, 4096);
    ipcx_close(a[1]);
    ipcx_close(b[0]);
    return stats(t, n);
}

/*
 * One way: the child sends n messages of len bytes (copy or loan/commit),
 * the parent receives (copy or peek/release).  Returns messages per second.
 */
static double bench_oneway(const char *q, size_t len, long n, int zc, int ntx, int nrx)
{
    ipcx_chan *e[2];
    long r;
    char u[160];
    snprintf(u, sizeof u, "shm:%s", q);
    if ((r = ipcx_pair(u, e)) < 0)
        die("pair", r);
    char *buf = malloc(len);
    memset(buf, 1, len);
    _Atomic int *go = shared(4096);
    pid_t kids[8];
    int nk = 0;
    for (int k = 0; k < ntx; k++) {
        if ((kids[nk++] = fork()) == 0) {
            (void) bench_pin(1);
            ipcx_close(e[0]);
            while (!atomic_load(go))
                ;
            for (long i = 0; i < n / ntx; i++) {
                if (zc) {
                    void *l;
                    if ((r = ipcx_loan(e[1], len, &l)) < 0)
                        die("loan", r);
                    *(char *) l = 1; /* zero copy: the payload is written in place */
                    r = ipcx_commit(e[1], l, len, 0);
                } else {
                    r = ipcx_send(e[1], buf, len, 0, -1);
                }
                if (r < 0)
                    die("send", r);
            }
            _exit(0);
        }
    }
    /* Extra receivers (mpmc, bcast) are children on CPU 0 as well. */
    long per = strstr(q, "bcast") ? n : n / nrx;
    for (int k = 1; k < nrx; k++) {
        if ((kids[nk++] = fork()) == 0) {
            (void) bench_pin(0);
            ipcx_close(e[1]);
            for (long i = 0; i < per; i++)
                if ((r = ipcx_recv(e[0], buf, len, NULL, -1)) < 0)
                    die("recv", r);
            _exit(0);
        }
    }
    (void) bench_pin(0);
    ipcx_close(e[1]);
    int64_t t0 = bench_now_ns();
    atomic_store(go, 1);
    for (long i = 0; i < per; i++) {
        if (zc) {
            const void *m;
            size_t l;
            if ((r = ipcx_peek(e[0], &m, &l, -1)) < 0)
                die("peek", r);
            r = ipcx_release(e[0]);
        } else {
            r = ipcx_recv(e[0], buf, len, NULL, -1);
        }
        if (r < 0)
            die("recv", r);
    }
    for (int k = 0; k < nk; k++) {
        int st = 0;
        if (waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "shm_bench: a sender or receiver of %s failed\n", q);
            exit(1);
        }
    }
    int64_t dt = bench_now_ns() - t0; /* until every receiver is done */
    ipcx_close(e[0]);
    free(buf);
    munmap((void *) go, 4096);
    /* n messages: in all for spsc and mpmc, to each receiver for bcast. */
    return (double) n / ((double) dt / 1e9);
}

static double bench_memcpy(size_t len, long n)
{
    char *a = malloc(len), *b = malloc(len);
    memset(a, 1, len);
    memset(b, 2, len);
    (void) bench_pin(0);
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        memcpy(i % 2 ? a : b, i % 2 ? b : a, len);
        __asm__ __volatile__("" ::: "memory");
    }
    double s = (double) (bench_now_ns() - t0) / 1e9;
    free(a);
    free(b);
    return (double) len * (double) n / s;
}

/*
 * Two rows measured in alternating blocks: the floor of a VM jumps (other
 * guests, vCPU placement), so each block of row b is read against the
 * block of row a just before it, and the figure is the median of those
 * ratios.  The p50/p99 are over all blocks of a row.
 */
typedef struct lat (*bench_fn)(int64_t *t, long n, const char *q);
struct alt {
    struct lat a, b;
    double med, lo, hi; /* of the block ratios b.p50 / a.p50 */
};
enum { BLOCKS = 10 };

static struct alt alternate(bench_fn fa, const char *qa, bench_fn fb, const char *qb, long n,
                            int verbose)
{
    double ratio[BLOCKS];
    long per = n / BLOCKS;
    int64_t *t = malloc(sizeof *t * (size_t) per);
    int64_t *ta = malloc(sizeof *ta * (size_t) per * BLOCKS);
    int64_t *tb = malloc(sizeof *tb * (size_t) per * BLOCKS);
    if (!t || !ta || !tb)
        exit(1);
    for (int k = 0; k < BLOCKS; k++) {
        struct lat a = fa(t, per, qa);
        memcpy(ta + k * per, t, sizeof *t * (size_t) per);
        struct lat b = fb(t, per, qb);
        memcpy(tb + k * per, t, sizeof *t * (size_t) per);
        ratio[k] = b.p50 / a.p50;
        if (verbose)
            printf("block %d: p50 %7.0f  vs %7.0f  %.2fx\n", k, a.p50, b.p50, ratio[k]);
    }
    qsort(ratio, BLOCKS, sizeof ratio[0], cmp_double);
    struct alt r = { stats(ta, per * BLOCKS), stats(tb, per * BLOCKS),
                     (ratio[BLOCKS / 2 - 1] + ratio[BLOCKS / 2]) / 2, ratio[0], ratio[BLOCKS - 1] };
    free(t);
    free(ta);
    free(tb);
    return r;
}

/*
 * 64 KiB messages through the default ring (two copies, across the two
 * CPUs) against one core's memcpy of 64 KiB in cache, in BLOCKS / 2
 * alternating blocks; the ratio is the median of the block ratios.
 */
struct copyrow {
    double mc, ring;   /* bytes per second, medians over the blocks */
    double med, lo, hi;
};

static struct copyrow bench_copy(long msgs, int verbose)
{
    enum { N = BLOCKS / 2 };
    double mc[N], cp[N], ratio[N];
    for (int k = 0; k < N; k++) {
        mc[k] = bench_memcpy(65536, msgs);
        cp[k] = 65536 * bench_oneway("?mode=spsc&maxmsg=64k&spin=100000", 65536, msgs / N, 0, 1,
                                     1);
        ratio[k] = cp[k] / mc[k];
        if (verbose)
            printf("block %d: memcpy %.2f GB/s  ring %.2f GB/s  %.2fx\n", k, mc[k] / 1e9,
                   cp[k] / 1e9, ratio[k]);
    }
    qsort(mc, N, sizeof mc[0], cmp_double);
    qsort(cp, N, sizeof cp[0], cmp_double);
    qsort(ratio, N, sizeof ratio[0], cmp_double);
    struct copyrow r = { mc[N / 2], cp[N / 2], ratio[N / 2], ratio[0], ratio[N - 1] };
    return r;
}

/*
 * The tail (docs/PERF.md, "The shm tail"): the floor, then spsc round trips
 * with the default spin and with spin budgets, each with p50, p99, p99.9,
 * the ratios to the floor of the same run, and how many waits of both
 * processes slept in the kernel (futex waits entered, per 100k round
 * trips, by cause), read back from IPCX_SHM_WAITS.
 */
static void tail_counts(const char *path, unsigned long long c[5])
{
    FILE *f = fopen(path, "r");
    char line[256];
    memset(c, 0, 5 * sizeof c[0]);
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long slow, nospin, low, spent, futex, slices;
        if (sscanf(line, "pid=%*d end=%*s slow=%llu nospin=%llu low=%llu spent=%llu futex=%llu "
                         "slices=%llu", &slow, &nospin, &low, &spent, &futex, &slices) == 6) {
            c[0] += futex;
            c[1] += nospin;
            c[2] += low;
            c[3] += spent;
            c[4] += slices;
        }
    }
    if (f)
        fclose(f);
    (void) unlink(path);
}

static int bench_tail(int64_t *t)
{
    /* A 4 KiB ring (no page it has not touched), then the default size with and without prefault. */
    static const char *const rows[] = { "", "&spin=1024", "&spin=10000", "&spin=100000",
                                        "&size=4M&prefault=no", "&size=4M",
                                        "&size=4M&spin=100000&prefault=no", "&size=4M&spin=100000" };
    char path[64];
    snprintf(path, sizeof path, "/tmp/ipcx-shm-bench-%d.waits", (int) getpid());
    (void) unlink(path);
    if (setenv("IPCX_SHM_WAITS", path, 1) != 0)
        return 1;
    memset(t, 0, sizeof *t * (size_t) iters); /* our own first touches are no ring's faults */
    struct lat fl = bench_floor(t, iters, NULL);
    printf("shm_bench tail: %ld round trips per row, CPUs 0 and 1, ns; sleeps and page faults "
           "per 100k round trips (both ends)\n", iters);
    printf("%-36s p50 %6.0f  p99 %6.0f  p99.9 %7.0f\n", "floor", fl.p50, fl.p99, fl.p999);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unsigned long long c[5];
        struct lat l = bench_ring_rt(t, iters, rows[i]);
        tail_counts(path, c);
        double per = 100000.0 / (double) (iters + 1000), fper = 100000.0 / (double) iters;
        printf("spsc%-32s p50 %6.0f  p99 %6.0f  p99.9 %7.0f  (%.2fx %.1fx %.1fx floor)  "
               "faults %.0f  sleeps %.0f: budget 0 %.0f, below max %.0f, max spent %.0f; "
               "slices %.0f\n",
               *rows[i] ? rows[i] : " default", l.p50, l.p99, l.p999, l.p50 / fl.p50,
               l.p99 / fl.p99, l.p999 / fl.p999, (double) rt_faults * fper, (double) c[0] * per,
               (double) c[1] * per, (double) c[2] * per, (double) c[3] * per,
               (double) c[4] * per);
    }
    (void) unsetenv("IPCX_SHM_WAITS");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        iters = atol(argv[1]);
    /* Shared, not malloc'd: after each fork a private array would take a copy-on-write
     * fault per page in the timed loops (counted by the tail rows as if the ring's). */
    int64_t *t = shared(sizeof *t * (size_t) iters);
    long nf = iters / 4 > 20000 ? 20000 : iters / 4;

    if (argc > 2 && strcmp(argv[2], "oneway") == 0) {
        /*
         * Only the one-way 64 B rate, five times, each after a floor: a
         * message that finds the receiver waiting costs a line transfer,
         * so the rate follows the floor of the moment.
         */
        for (int k = 0; k < 5; k++) {
            struct lat f = bench_floor(t, iters < 20000 ? iters : 20000, NULL); /* t holds iters */
            printf("floor p50 %4.0f ns: %.2f M msgs/s\n", f.p50,
                   bench_oneway("?mode=spsc&maxmsg=64&size=64k&spin=100000", 64, iters, 0, 1, 1) /
                       1e6);
        }
        return 0;
    }
    if (argc > 2 && strcmp(argv[2], "tail") == 0)
        return bench_tail(t);
    if (argc > 2 && strcmp(argv[2], "copy") == 0) {
        struct copyrow c = bench_copy(iters, 1);
        printf("median of the block ratios %.2fx (%.2f-%.2f)\n", c.med, c.lo, c.hi);
        return 0;
    }
    int only_rt = argc > 2 && strcmp(argv[2], "rt") == 0;
    struct alt aw = alternate(bench_floor, NULL, bench_ring_rt, "&spin=100000", iters, only_rt);
    if (only_rt) {
        printf("median of the block ratios %.2fx (%.2f-%.2f)\n", aw.med, aw.lo, aw.hi);
        return 0;
    }
    struct lat fl = aw.a, rs = aw.b;
    printf("shm_bench: %ld round trips per latency row, CPUs 0 and 1, ns\n\n", iters);
    struct lat ux = bench_unix(t, iters);
    printf("%-44s p50 %7.0f  p99 %7.0f\n", "floor: cache-line ping-pong", fl.p50, fl.p99);
    printf("%-44s p50 %7.0f  p99 %7.0f   %.2fx floor (median of %d block ratios, "
           "%.2f-%.2f)\n", "spsc 64 B round trip, both awake", rs.p50, rs.p99, aw.med, BLOCKS,
           aw.lo, aw.hi);
    printf("%-44s p50 %7.0f  p99 %7.0f   %.1fx spsc\n", "unix stream socket 64 B round trip", ux.p50,
           ux.p99, ux.p50 / rs.p50);
    struct alt sl = alternate(bench_futex, NULL, bench_ring_rt, "&spin=0", nf, 0);
    printf("%-44s p50 %7.0f  p99 %7.0f\n", "raw futex ping-pong", sl.a.p50, sl.a.p99);
    printf("%-44s p50 %7.0f  p99 %7.0f   %.2fx futex (median of %d block ratios, %.2f-%.2f)\n",
           "spsc 64 B round trip, sleeping (spin=0)", sl.b.p50, sl.b.p99, sl.med, BLOCKS, sl.lo,
           sl.hi);

    long nm = iters * 20;
    double ow = bench_oneway("?mode=spsc&maxmsg=64&size=64k&spin=100000", 64, nm, 0, 1, 1);
    printf("\n%-44s %9.2f M msgs/s\n", "spsc one way 64 B (send/recv)", ow / 1e6);
    struct copyrow c = bench_copy(100000, 0);
    printf("%-44s %9.2f GB/s\n", "memcpy 64 KiB, one core", c.mc / 1e9);
    printf("%-44s %9.2f GB/s   %.2fx memcpy (median of %d block ratios, %.2f-%.2f)\n",
           "spsc 64 KiB send/recv (two copies)", c.ring / 1e9, c.med, BLOCKS / 2, c.lo, c.hi);
    double z64 = bench_oneway("?mode=spsc&maxmsg=1M&size=8M&spin=100000", 64, nm / 2, 1, 1, 1);
    double z1m = bench_oneway("?mode=spsc&maxmsg=1M&size=8M&spin=100000", 1 << 20, nm / 2, 1, 1, 1);
    printf("%-44s %9.2f M msgs/s\n", "spsc loan/commit + peek/release 64 B", z64 / 1e6);
    printf("%-44s %9.2f M msgs/s   %.2fx the 64 B time\n", "spsc loan/commit + peek/release 1 MiB",
           z1m / 1e6, z64 / z1m);
    double mp = bench_oneway("?mode=mpmc&maxmsg=64&size=64k&spin=1000", 64, nm / 4, 0, 2, 2);
    printf("%-44s %9.2f M msgs/s\n", "mpmc 2 senders x 2 receivers 64 B", mp / 1e6);
    double bc = bench_oneway("?mode=bcast&maxmsg=64&size=64k&spin=1000", 64, nm / 4, 0, 1, 3);
    printf("%-44s %9.2f M msgs/s (each receiver)\n", "bcast 1 sender x 3 receivers 64 B", bc / 1e6);
    (void) munmap(t, sizeof *t * (size_t) iters); /* shared(), not malloc */
    return 0;
}
