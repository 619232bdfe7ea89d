/*
 * sync.h - what the primitives of src/sync/ share: the robust owner word
 * (lock.c) that the mutex, the spinlock and the internal guards of the
 * rwlock and the barrier are built on, sliced futex waits that look for
 * dead owners, and the checks of the public objects' sizes.
 *
 * The owner word is a 32-bit futex word:
 *   0                      free
 *   TID [| WAITERS]        held by the thread TID (a kernel thread id)
 *   NOTRECOV               unusable for good (a mutex unlocked while
 *                          inconsistent)
 * WAITERS says that someone sleeps, or may sleep, on the word, so an
 * unlock must wake one.  The bit layout is the kernel's robust futex one
 * (TID in the low 30 bits, FUTEX_WAITERS as bit 31).
 *
 * Why not the kernel robust list (set_robust_list)?  A thread has exactly
 * one robust list head, and libc registers its own for every thread at
 * creation; registering ours would silently disable the robustness of
 * libc's pthread mutexes in that thread, and joining libc's list means
 * copying libc's private mutex layout.  So ipcx detects a dead owner
 * itself: a waiter sleeps in slices (1 ms doubling to 64 ms), and after
 * each slice it asks whether the owner TID still runs (kill(tid, 0) and
 * /proc/TID/stat, where a zombie counts as dead).  When it does not, the
 * waiter takes the word over with one compare-and-swap from exactly the
 * value it checked, so two waiters can never both take over.
 * Limits: all processes share one PID namespace; a TID reused by another
 * thread within one slice of the owner's death keeps the lock held until
 * that thread ends (a delay, never two owners); an owner that calls exec
 * keeps its TID and so its locks.
 */
#ifndef IPCX_SYNC_INT_H
#define IPCX_SYNC_INT_H

#include "ipcx/sync.h"
#include "sys/sys.h"
#include "../util/url.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

#define IPCX_LOCK_WAITERS  0x80000000u /* someone may sleep on the word */
#define IPCX_LOCK_NOTRECOV 0x40000000u /* unusable for good */
#define IPCX_LOCK_TID_MASK 0x3fffffffu /* the owner's thread id */

/* The first and the longest sleep between two looks at the owner. */
#define IPCX_SLICE_MIN_MS 1
#define IPCX_SLICE_MAX_MS 64

/* A flag of ipcx__lock_acquire: never return -EINTR (a condvar retaking
 * its mutex, a guard taken for a few instructions). */
#define IPCX__LOCK_NOINTR 0x1

/*
 * Take the owner word.  spin_ns bounds the busy-wait before sleeping.
 * Returns 0; -EOWNERDEAD when it was taken over from a dead owner (held
 * now); -EDEADLK when the caller holds it; -ENOTRECOVERABLE; or, when d
 * passes, -EAGAIN (timeout 0) / -ETIMEDOUT; -EINTR.
 */
int ipcx__lock_acquire(_Atomic uint32_t *word, const struct ipcx__deadline *d,
                       int64_t spin_ns, int flags);

/* Release the owner word: -EPERM unless the caller holds it. */
int ipcx__lock_release(_Atomic uint32_t *word);

/* Make the word unusable for good and wake everybody (the caller holds it). */
void ipcx__lock_poison(_Atomic uint32_t *word);

/* 1 if the caller holds the word. */
int ipcx__lock_held(_Atomic uint32_t *word);

/* Take an internal guard word: never -EINTR, never gives up (its holders
 * hold it for a few instructions, and a dead one is found within a slice).
 * Returns 0, or 1 when it was taken over from a dead holder, so the
 * caller can repair what the guard protects. */
int ipcx__guard_lock(_Atomic uint32_t *word);
void ipcx__guard_unlock(_Atomic uint32_t *word);

/* 1 if the thread tid still runs, 0 if it is gone. */
int ipcx__tid_alive(uint32_t tid);

/*
 * Sleep on a futex word while it holds expect, until d passes or for at
 * most slice_ms.  Returns 0 (woken, or the word changed), -ETIMEDOUT when
 * the slice or the deadline ended (the caller looks at both), -EINTR under
 * the library's EINTR rule (only when intr is set).
 */
int ipcx__sync_sleep(_Atomic uint32_t *word, uint32_t expect,
                     const struct ipcx__deadline *d, int slice_ms, int intr);

/* A deadline that is never shorter than timeout_ms: the ms clock truncates,
 * so a wait for T ms is given T + 1 on the clock.  Inline: every lock call
 * makes one, most with -1 (no clock read then). */
static inline struct ipcx__deadline ipcx__sync_deadline(int timeout_ms)
{
    if (timeout_ms < 0)
        return (struct ipcx__deadline) { -1, 0 };
    return ipcx__deadline(timeout_ms > 0 && timeout_ms < INT_MAX ? timeout_ms + 1 : timeout_ms);
}

/* The next slice: doubled, at most IPCX_SLICE_MAX_MS. */
static inline int ipcx__next_slice(int slice)
{
    return slice >= IPCX_SLICE_MAX_MS / 2 ? IPCX_SLICE_MAX_MS : slice * 2;
}

/* mutex.c, for cond.c: the owner word of a mutex, and retaking it after a
 * wait (never -EINTR; -EOWNERDEAD marks the mutex inconsistent). */
_Atomic uint32_t *ipcx__mutex_word(ipcx_mutex *m);
int ipcx__mutex_relock(ipcx_mutex *m);

/*
 * Named semaphores (semapi.c dispatches by scheme to sem.c, posixsem.c,
 * sysvsem.c).  Each kind fills the handle in open; the URL's query keys
 * are checked against keys before open is called.
 */
struct ipcx_sem {
    const struct ipcx__semkind *kind;
    unsigned nsems; /* members: 1 except for sysvsem */
    int      undo;  /* sysvsem ?undo=1: SEM_UNDO on every operation */
    int      semid; /* sysvsem */
    void    *ptr;   /* sem: the mapped segment; posixsem: the sem_t */
    int      mapped; /* posixsem: ptr is our own mapping of an existing semaphore
                        (munmap), not one sem_open made (sem_close) */
    struct ipcx_allow allow; /* allow=: owners besides the caller and root (owner.h) */
    struct ipcx__sigbus_zone *zone; /* sem:, posixsem:: the SIGBUS guard of ptr's mapping (sigbus.h) */
    int      created; /* the kind's open made the semaphore (the registry's "creator") */
    char    *url;     /* as opened: registered again by a fork child (semapi.c) */
    struct ipcx__reg *reg; /* this process's registry entry, or NULL */
    pid_t    pid;     /* the process reg was written by (a fork child writes its own) */
};

struct ipcx__semkind {
    const char *scheme;
    const char *keys; /* the query keys it accepts, space-separated */
    int  multi;       /* 1: several operations at once, any amount, undo (sysvsem);
                         0: one operation of +1 or -1 without undo (ipcx_sem_op checks) */
    int  (*open)(struct ipcx_sem *s, const struct ipcx_url *u, int flags, unsigned value);
    /* ops are checked against s->nsems; the kind checks what else it supports */
    int  (*op)(struct ipcx_sem *s, const struct ipcx_semop *ops, size_t nops, int timeout_ms);
    /* Optional: ipcx_sem_post / ipcx_sem_wait of member 0 straight to the
     * semaphore, without building and checking an operation list (sem:;
     * docs/sync.md, Figures).  NULL: they go through op. */
    int  (*post1)(struct ipcx_sem *s);
    int  (*wait1)(struct ipcx_sem *s, int timeout_ms);
    int  (*getval)(struct ipcx_sem *s, unsigned num);
    void (*close)(struct ipcx_sem *s);
    int  (*unlink)(const struct ipcx_url *u);
};

extern const struct ipcx__semkind ipcx__semkind_futex;
extern const struct ipcx__semkind ipcx__semkind_posix;
extern const struct ipcx__semkind ipcx__semkind_sysv;

/* A POSIX object name from a URL path: "/name", no other '/', not too long. */
int ipcx__sem_name(const struct ipcx_url *u);

/*
 * The SIGBUS guard of a named semaphore's mapping (sem:, posixsem:; see
 * src/sys/sigbus.h): ipcx__sem_guard registers [p, p + size) as s->zone
 * (0, or a negative errno: the caller unmaps); ipcx__sem_unguard drops it
 * before the mapping goes.  semapi.c answers every call on a semaphore
 * whose file shrank with ipcx__sem_shrunk() (-EIO); a kind's waiter sleeps
 * in slices of IPCX__SEM_SLICE_MS and looks (ipcx__sigbus_check) between.
 */
#define IPCX__SEM_SLICE_MS 100
int  ipcx__sem_guard(struct ipcx_sem *s, void *p, size_t size);
void ipcx__sem_unguard(struct ipcx_sem *s);
int  ipcx__sem_shrunk(void);
/* A named single semaphore (sem:, posixsem:): its name, mode= (default 0600) and value. */
int ipcx__sem_open_args(const struct ipcx_url *u, unsigned value, mode_t *mode);

/* A public object must hold the private layout and be aligned for it. */
#define IPCX_SYNC_FITS(pub, priv)                                              \
    _Static_assert(sizeof(pub) >= sizeof(priv) &&                              \
                   _Alignof(pub) >= _Alignof(priv), #priv " fits in " #pub)

#endif
