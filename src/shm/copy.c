/*
 * copy.c - the copy into and out of a ring for large messages.
 *
 * For 64 KiB messages glibc's memcpy uses `rep movsb`, which reads lines
 * that another core has just written (the ring) more slowly than a plain
 * loop of vector loads and stores: through a 4 MiB ring a receiver with
 * the loop below moves 38 GB/s where memcpy moves 30 (docs/PERF.md, on a
 * Zen 4).  Below IPCX_COPY_VEC_MIN, and where the CPU has no AVX-512 or
 * AVX2, it is memcpy.  The vector width is chosen once, at first use.
 */
#include "ring.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#define IPCX_COPY_VEC_MIN 8192u

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

/* 64 bytes, any alignment: the compiler makes one or two vector moves of it. */
typedef char copy_vec __attribute__((vector_size(64), aligned(1), may_alias));

/* The loop, compiled once per target below. */
static inline __attribute__((always_inline)) void copy_loop(char *d, const char *s, size_t n)
{
    /*
     * Stores that straddle two cache lines cost two: bring the destination
     * to a line first (a receiver's buffer from malloc is 16-byte aligned),
     * and let the loads be unaligned instead.  n >= IPCX_COPY_VEC_MIN here.
     */
    size_t head = (size_t) (-(uintptr_t) d & 63);
    memcpy(d, s, head);
    d += head, s += head, n -= head;
    for (; n >= 256; n -= 256, d += 256, s += 256) {
        copy_vec a = *(const copy_vec *) s, b = *(const copy_vec *) (s + 64);
        copy_vec c = *(const copy_vec *) (s + 128), e = *(const copy_vec *) (s + 192);
        *(copy_vec *) d = a;
        *(copy_vec *) (d + 64) = b;
        *(copy_vec *) (d + 128) = c;
        *(copy_vec *) (d + 192) = e;
    }
    memcpy(d, s, n);
}

__attribute__((target("avx512f"))) static void copy_avx512(void *dst, const void *src, size_t n)
{
    copy_loop(dst, src, n);
}

__attribute__((target("avx2"))) static void copy_avx2(void *dst, const void *src, size_t n)
{
    copy_loop(dst, src, n);
}

typedef void (*copy_fn)(void *, const void *, size_t);

static copy_fn copy_pick(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return copy_avx512;
    if (__builtin_cpu_supports("avx2"))
        return copy_avx2;
    return NULL;
}

void ipcx__ring_copy(void *dst, const void *src, size_t n)
{
    /* 0: not chosen yet, 1: memcpy, else the function.  Racing first uses pick the same. */
    static _Atomic(uintptr_t) chosen;
    if (n < IPCX_COPY_VEC_MIN) {
        memcpy(dst, src, n);
        return;
    }
    uintptr_t f = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (!f) {
        copy_fn p = copy_pick();
        f = p ? (uintptr_t) p : 1;
        atomic_store_explicit(&chosen, f, memory_order_relaxed);
    }
    if (f == 1)
        memcpy(dst, src, n);
    else
        ((copy_fn) f)(dst, src, n);
}

#else

void ipcx__ring_copy(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}

#endif
