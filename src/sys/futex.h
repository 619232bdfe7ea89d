/*
 * futex.h - process-shared futex wait and wake, and what the shared-memory
 * code needs to know about other processes (alive? the same process as
 * before?).  Small and generic on purpose: the sync primitives and the
 * shared-memory rings both use them.  Never FUTEX_PRIVATE_FLAG: the words
 * live in memory mapped by several processes.
 */
#ifndef IPCX_FUTEX_H
#define IPCX_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

/* Who holds a word and whether it still lives: ipcx__proc_alive() and friends. */

/*
 * Sleep while *word == expect, at most timeout_ms (-1: no limit).
 * Returns 0 when woken (or spuriously), -EAGAIN when *word != expect
 * already, -ETIMEDOUT, -EINTR.  The caller re-checks its condition.
 */
int ipcx__futex_wait(_Atomic uint32_t *word, uint32_t expect, int timeout_ms);

/* Wake up to n sleepers on word (INT32_MAX: all).  Returns how many woke. */
int ipcx__futex_wake(_Atomic uint32_t *word, int n);

/*
 * membarrier(2) for the asymmetric store-load pattern of the rings: the
 * busy side (a sender publishing, a receiver freeing space) skips its
 * fence, and the rare side (a waiter about to sleep) calls ipcx__mb_all(),
 * which runs a full barrier on every CPU that runs a registered process.
 *
 * ipcx__mb_register: register this process (MEMBARRIER_CMD_REGISTER_
 * GLOBAL_EXPEDITED); 0 on success, -errno (old kernel, seccomp) otherwise.
 * Call it again in a fork child.  ipcx__mb_ok: 1 once registered here.
 * ipcx__mb_all: the expedited barrier; ipcx__mb_slow: MEMBARRIER_CMD_GLOBAL,
 * which needs no registration of anybody (milliseconds).
 */
int  ipcx__mb_register(void);
extern _Atomic int ipcx__mb_registered;
static inline int ipcx__mb_ok(void)
{
    return atomic_load_explicit(&ipcx__mb_registered, memory_order_relaxed);
}
int  ipcx__mb_all(void);
int  ipcx__mb_slow(void);

/* One spin-wait step: tell the CPU we are busy-waiting (pause/yield). */
static inline void ipcx__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif
