/*
 * bench_util.h - what every benchmark of ipcx needs and must do alike:
 * a nanosecond clock, pinning to a CPU, and percentiles of sorted samples.
 * Shared by tools/bench/ (ipcx bench), bench/shm_bench.c and
 * bench/sync_bench.c, so their figures mean the same thing.  It lives in
 * common/, outside both, so that neither includes a file of the other.
 */
#ifndef IPCX_BENCH_UTIL_H
#define IPCX_BENCH_UTIL_H

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Pin the calling process to cpu: 0, or -1 if not pinned (one CPU only, or refused). */
static inline int bench_pin(int cpu)
{
    cpu_set_t set;
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return -1;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

static inline int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

static inline void bench_sort(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_i64);
}

/* The per_mille-th per-mille sample of n sorted ones: 500 the median, 990 p99. */
static inline double bench_pct(const int64_t *sorted, size_t n, unsigned per_mille)
{
    return (double) sorted[n * per_mille / 1000];
}

#endif
