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
#include <immintrin.h>

__attribute__((target("avx512f"))) static void copy_avx512(void *dst, const void *src,
                                                          size_t n)
{
    char *d = dst;
    const char *s = src;
    for (; n >= 256; n -= 256, d += 256, s += 256) {
        __m512i a = _mm512_loadu_si512((const void *) s);
        __m512i b = _mm512_loadu_si512((const void *) (s + 64));
        __m512i c = _mm512_loadu_si512((const void *) (s + 128));
        __m512i e = _mm512_loadu_si512((const void *) (s + 192));
        _mm512_storeu_si512((void *) d, a);
        _mm512_storeu_si512((void *) (d + 64), b);
        _mm512_storeu_si512((void *) (d + 128), c);
        _mm512_storeu_si512((void *) (d + 192), e);
    }
    memcpy(d, s, n);
}

__attribute__((target("avx2"))) static void copy_avx2(void *dst, const void *src, size_t n)
{
    char *d = dst;
    const char *s = src;
    for (; n >= 128; n -= 128, d += 128, s += 128) {
        __m256i a = _mm256_loadu_si256((const __m256i *) s);
        __m256i b = _mm256_loadu_si256((const __m256i *) (s + 32));
        __m256i c = _mm256_loadu_si256((const __m256i *) (s + 64));
        __m256i e = _mm256_loadu_si256((const __m256i *) (s + 96));
        _mm256_storeu_si256((__m256i *) d, a);
        _mm256_storeu_si256((__m256i *) (d + 32), b);
        _mm256_storeu_si256((__m256i *) (d + 64), c);
        _mm256_storeu_si256((__m256i *) (d + 96), e);
    }
    memcpy(d, s, n);
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
