/*
 * ipcx/sync.h - process-shared synchronisation: named semaphores by URL,
 * and semaphores, robust mutexes, condition variables, reader-writer locks,
 * barriers and bounded spinlocks that live in memory the caller shares
 * (a MAP_SHARED mapping, a shm segment), plus the classic teaching locks
 * (Peterson, Lamport's bakery, test-and-set).
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * value on failure.  Timeouts are in milliseconds as poll(2): -1 waits
 * forever, 0 never waits (-EAGAIN), >0 waits at least that long
 * (-ETIMEDOUT).  A wait interrupted by a signal whose handler was installed
 * without SA_RESTART returns -EINTR; otherwise it resumes.
 *
 * The objects below are plain memory: put them in a mapping every process
 * shares, call the *_init function once before any other process uses the
 * object, and never copy one.  Their contents are private to ipcx.
 *
 * Owners are threads (kernel thread ids): a lock taken by one thread is
 * unlocked by the same thread, also after fork (the child is another
 * owner).  All processes must be in the same PID namespace.
 * See docs/sync.md for each primitive's policy and what happens when a
 * holder dies.
 */
#ifndef IPCX_SYNC_H
#define IPCX_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include <ipcx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Named semaphores, one API over three mechanisms, picked by the URL:
 *
 *   sem:/name[?mode=0600]        ipcx's futex semaphore in a small POSIX shm
 *                                segment (/dev/shm/name) with a checked header
 *   posixsem:/name[?mode=0600]   a POSIX named semaphore (sem_open)
 *   sysvsem:KEY[?n=N&mode=0600&undo=1]
 *   sysvsem:/path?proj=P[&n=N&mode=0600&undo=1]
 *                                a System V semaphore set of N members
 *                                (KEY decimal or 0x hex; /path and proj as
 *                                ftok); undo=1 makes every operation of this
 *                                handle SEM_UNDO
 *
 * The plain calls (wait, post, value) use member 0; ipcx_sem_op() reaches
 * every member of a set and applies several operations atomically.
 */
typedef struct ipcx_sem ipcx_sem;

/* The largest value of a semaphore (sysvsem: 32767, the kernel's SEMVMX). */
#define IPCX_SEM_VALUE_MAX 0x7fffffff

/* A flag of struct ipcx_semop: undo this operation when the process exits. */
#define IPCX_SEM_UNDO 0x1

/* One operation of ipcx_sem_op(): add op to member num (op < 0 waits until
 * the value is at least -op; op == 0 waits until it is zero). */
struct ipcx_semop {
    unsigned short num;
    short          op;
    unsigned short flags; /* IPCX_SEM_UNDO */
};

/*
 * Open a named semaphore.  flags: IPCX_CREATE creates it with every member
 * set to value, IPCX_EXCL with it fails with -EEXIST when it exists; value
 * is ignored when an existing one is opened.  *s is written only on
 * success.  -EINVAL for a bad URL (nothing is created), -ENOENT, -EEXIST,
 * -EPROTO when an existing sem: segment has a bad header.
 */
IPCX_API int ipcx_sem_open(ipcx_sem **s, const char *url, int flags,
                           unsigned value);

/* Take one token from member 0: 0, -EAGAIN (timeout 0), -ETIMEDOUT, -EINTR,
 * -EIDRM (a sysvsem set removed meanwhile). */
IPCX_API int ipcx_sem_wait(ipcx_sem *s, int timeout_ms);

/* ipcx_sem_wait(s, 0). */
IPCX_API int ipcx_sem_trywait(ipcx_sem *s);

/* Give one token to member 0 and wake one waiter.  -EOVERFLOW at the maximum. */
IPCX_API int ipcx_sem_post(ipcx_sem *s);

/* The value of member 0 (>= 0), or -errno. */
IPCX_API int ipcx_sem_value(ipcx_sem *s);

/* The value of member num (>= 0), or -errno (-EINVAL past the last member). */
IPCX_API int ipcx_sem_getval(ipcx_sem *s, unsigned num);

/* The number of members: N for sysvsem, 1 otherwise. */
IPCX_API int ipcx_sem_count(const ipcx_sem *s);

/*
 * Apply nops operations at once: either all of them or none (semop(2)).
 * sysvsem supports any set of operations; sem: and posixsem: take exactly
 * one operation on member 0 with op -1 or +1 (-ENOTSUP otherwise), and
 * IPCX_SEM_UNDO only on sysvsem (-ENOTSUP).
 */
IPCX_API int ipcx_sem_op(ipcx_sem *s, const struct ipcx_semop *ops,
                         size_t nops, int timeout_ms);

/* Close the handle; the semaphore stays until ipcx_sem_unlink.  NULL is fine. */
IPCX_API int ipcx_sem_close(ipcx_sem *s);

/* Remove the named semaphore of url (processes that have it open keep using
 * sem:/posixsem:; a removed sysvsem set fails their next call with -EIDRM). */
IPCX_API int ipcx_sem_unlink(const char *url);

/* ------------------------------------------------------------------ */
/* A futex semaphore in shared memory (as sem_init with pshared = 1). */
typedef union ipcx_semaphore {
    uint32_t w_[4];
    uint64_t align_;
} ipcx_semaphore;

IPCX_API int ipcx_semaphore_init(ipcx_semaphore *s, unsigned value);
IPCX_API int ipcx_semaphore_wait(ipcx_semaphore *s, int timeout_ms);
IPCX_API int ipcx_semaphore_trywait(ipcx_semaphore *s);
IPCX_API int ipcx_semaphore_post(ipcx_semaphore *s);
/* The value (>= 0), or -EPROTO when the shared word holds an impossible value. */
IPCX_API int ipcx_semaphore_value(ipcx_semaphore *s);
IPCX_API int ipcx_semaphore_destroy(ipcx_semaphore *s);

/* ------------------------------------------------------------------ */
/*
 * A robust, error-checking mutex.  lock returns 0, or -EOWNERDEAD when the
 * previous holder died holding it: the caller now holds it, and the data
 * it protects may be half-updated.  Repair them and call
 * ipcx_mutex_consistent(); unlocking without that makes the mutex
 * unusable: every later lock gets -ENOTRECOVERABLE.  -EDEADLK when the
 * caller already holds it; unlock by a thread that does not hold it is
 * -EPERM.
 */
typedef union ipcx_mutex {
    uint32_t w_[4];
    uint64_t align_;
} ipcx_mutex;

IPCX_API int ipcx_mutex_init(ipcx_mutex *m);
IPCX_API int ipcx_mutex_lock(ipcx_mutex *m, int timeout_ms);
IPCX_API int ipcx_mutex_trylock(ipcx_mutex *m);
IPCX_API int ipcx_mutex_unlock(ipcx_mutex *m);
IPCX_API int ipcx_mutex_consistent(ipcx_mutex *m);
/* -EBUSY while it is held. */
IPCX_API int ipcx_mutex_destroy(ipcx_mutex *m);

/* ------------------------------------------------------------------ */
/*
 * A condition variable used with an ipcx_mutex the caller holds.  wait
 * releases the mutex, sleeps until a signal or broadcast (or spuriously),
 * and takes the mutex again before it returns, whatever it returns: 0,
 * -ETIMEDOUT / -EAGAIN, -EINTR, or -EOWNERDEAD from retaking the mutex.
 * -EPERM when the caller does not hold m.
 */
typedef union ipcx_cond {
    uint32_t w_[4];
    uint64_t align_;
} ipcx_cond;

IPCX_API int ipcx_cond_init(ipcx_cond *c);
IPCX_API int ipcx_cond_wait(ipcx_cond *c, ipcx_mutex *m, int timeout_ms);
IPCX_API int ipcx_cond_signal(ipcx_cond *c);
IPCX_API int ipcx_cond_broadcast(ipcx_cond *c);
IPCX_API int ipcx_cond_destroy(ipcx_cond *c);

/* ------------------------------------------------------------------ */
/*
 * A reader-writer lock with a policy chosen at init:
 *   PREFER_READERS  a reader enters whenever no writer holds the lock; a
 *                   steady stream of readers starves writers.
 *   PREFER_WRITERS  no reader enters while a writer waits; a steady stream
 *                   of writers starves readers.
 *   FAIR            phase-fair: no reader enters while a writer waits, and
 *                   when a writer leaves, the readers that were waiting all
 *                   enter before the next writer.  Nobody starves.
 * At most IPCX_RWLOCK_SLOTS threads hold or wait for it at once (more
 * readers wait for a free slot).  A holder or waiter that dies is removed
 * by the next waiter that looks (within tens of milliseconds); a lock
 * taken over from a dead writer returns -EOWNERDEAD (held).
 */
#define IPCX_RWLOCK_PREFER_READERS 0
#define IPCX_RWLOCK_PREFER_WRITERS 1
#define IPCX_RWLOCK_FAIR           2
#define IPCX_RWLOCK_SLOTS          32

typedef union ipcx_rwlock {
    uint32_t w_[8 + 2 * IPCX_RWLOCK_SLOTS];
    uint64_t align_;
} ipcx_rwlock;

IPCX_API int ipcx_rwlock_init(ipcx_rwlock *rw, int policy);
IPCX_API int ipcx_rwlock_rdlock(ipcx_rwlock *rw, int timeout_ms);
IPCX_API int ipcx_rwlock_wrlock(ipcx_rwlock *rw, int timeout_ms);
/* Releases the read or the write lock the caller holds; -EPERM if none. */
IPCX_API int ipcx_rwlock_unlock(ipcx_rwlock *rw);
/* How many readers and writers wait now (either pointer may be NULL). */
IPCX_API int ipcx_rwlock_waiting(ipcx_rwlock *rw, unsigned *readers,
                                 unsigned *writers);
IPCX_API int ipcx_rwlock_destroy(ipcx_rwlock *rw);

/* ------------------------------------------------------------------ */
/*
 * A reusable barrier for n parties (threads, in any processes).  A party
 * joins with ipcx_barrier_join() (or at its first wait); when any joined
 * party dies, the barrier breaks: every wait, now and later, returns
 * -EPIPE until it is initialised again.  wait returns IPCX_BARRIER_LAST
 * to the party that completed the round, 0 to the others; a wait that
 * times out withdraws from the round.
 */
#define IPCX_BARRIER_MAX  64
#define IPCX_BARRIER_LAST 1

typedef union ipcx_barrier {
    uint32_t w_[8 + IPCX_BARRIER_MAX];
    uint64_t align_;
} ipcx_barrier;

IPCX_API int ipcx_barrier_init(ipcx_barrier *b, unsigned n);
/* -ENOSPC when n parties have joined already; -EPIPE when broken. */
IPCX_API int ipcx_barrier_join(ipcx_barrier *b);
IPCX_API int ipcx_barrier_wait(ipcx_barrier *b, int timeout_ms);
IPCX_API int ipcx_barrier_destroy(ipcx_barrier *b);

/* ------------------------------------------------------------------ */
/*
 * A lock that busy-waits for at most spin_us microseconds, then sleeps on
 * a futex.  Robust like the mutex: a lock taken over from a dead holder
 * returns -EOWNERDEAD (held), with no consistency state to clear.
 */
#define IPCX_SPIN_DEFAULT_US 50

typedef union ipcx_spin {
    uint32_t w_[4];
    uint64_t align_;
} ipcx_spin;

IPCX_API int ipcx_spin_init(ipcx_spin *s, unsigned spin_us);
IPCX_API int ipcx_spin_lock(ipcx_spin *s, int timeout_ms);
IPCX_API int ipcx_spin_trylock(ipcx_spin *s);
IPCX_API int ipcx_spin_unlock(ipcx_spin *s);
IPCX_API int ipcx_spin_destroy(ipcx_spin *s);

/* ------------------------------------------------------------------ */
/*
 * Teaching locks: the course's algorithms, correct on a real multicore
 * machine.  They only busy-wait (yielding the CPU now and then), have no
 * timeout and are not robust: a holder that dies blocks the others for
 * good.  Use them to learn and to measure, not to build on.
 */
typedef union ipcx_peterson {
    uint32_t w_[4];
    uint64_t align_;
} ipcx_peterson;

IPCX_API int ipcx_peterson_init(ipcx_peterson *p);
/* self is 0 or 1: which of the two processes calls. */
IPCX_API int ipcx_peterson_lock(ipcx_peterson *p, unsigned self);
IPCX_API int ipcx_peterson_unlock(ipcx_peterson *p, unsigned self);

#define IPCX_BAKERY_MAX 64
typedef union ipcx_bakery {
    uint32_t w_[2 + 2 * IPCX_BAKERY_MAX];
    uint64_t align_;
} ipcx_bakery;

IPCX_API int ipcx_bakery_init(ipcx_bakery *b, unsigned n);
/* self is 0..n-1: which of the n processes calls. */
IPCX_API int ipcx_bakery_lock(ipcx_bakery *b, unsigned self);
IPCX_API int ipcx_bakery_unlock(ipcx_bakery *b, unsigned self);

/* Test-and-set: lock spins on the atomic exchange itself; ttas_lock reads
 * until the lock looks free and only then exchanges. */
typedef union ipcx_tas {
    uint32_t w_[2];
    uint64_t align_;
} ipcx_tas;

IPCX_API int ipcx_tas_init(ipcx_tas *t);
IPCX_API int ipcx_tas_lock(ipcx_tas *t);
IPCX_API int ipcx_ttas_lock(ipcx_tas *t);
IPCX_API int ipcx_tas_unlock(ipcx_tas *t);

#ifdef __cplusplus
}
#endif
#endif
