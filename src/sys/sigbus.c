/*
 * sigbus.c - survive shared mappings that shrink (sigbus.h, docs/shm.md
 * "Truncation"): the registry of zones, the one SIGBUS handler, and the
 * size check that waiters run before and after sleeping.
 *
 * Why no sigsetjmp around the ring's accesses: it would cost every send
 * and receive a register save (and a system call with the signal mask),
 * and the application's own loans and peeks touch the mapping outside
 * any such bracket.  Replacing the range with anonymous memory makes the
 * faulting instruction succeed when the handler returns, wherever it was;
 * the ring looks at the zone's dead flag (a load of private memory) at
 * the ends of its operations and before it sleeps.
 *
 * The handler is async-signal-safe in what it does: atomic loads of the
 * registry (nodes are never freed, only reused), mmap(2), sigaction(2),
 * raise(3), and a call of the previous handler.
 */
#include "sigbus.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static _Atomic(struct ipcx__sigbus_zone *) sigbus_zones;
static struct sigaction sigbus_prev;   /* what was installed before us */
static pthread_once_t sigbus_once = PTHREAD_ONCE_INIT;
static int sigbus_installed;           /* 0 if sigaction refused: guard nothing */

static struct ipcx__sigbus_zone *sigbus_zone_at(const void *addr)
{
    const char *a = addr;
    /* acquire on the list head and each base: pairs with the release in guard. */
    for (struct ipcx__sigbus_zone *z = atomic_load_explicit(&sigbus_zones, memory_order_acquire);
         z; z = z->next) {
        char *b = atomic_load_explicit(&z->base, memory_order_acquire);
        if (b && a >= b && (size_t) (a - b) < atomic_load_explicit(&z->size, memory_order_relaxed))
            return z;
    }
    return NULL;
}

/* The range on private anonymous memory: no access to it can fault any more. */
static int sigbus_replace(struct ipcx__sigbus_zone *z)
{
    char *b = atomic_load_explicit(&z->base, memory_order_acquire);
    size_t n = atomic_load_explicit(&z->size, memory_order_relaxed);
    if (!b)
        return -1;
    void *p = mmap(b, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    atomic_store_explicit(&z->dead, 1, memory_order_seq_cst);
    return 0;
}

/* Not ours: what would have happened without us. */
static void sigbus_chain(int sig, siginfo_t *si, void *uc)
{
    /* SIG_DFL and SIG_IGN first: they may come with SA_SIGINFO set too, and
     * sa_sigaction shares its storage with sa_handler (calling it would
     * jump to address 0 or 1). */
    int plain = sigbus_prev.sa_handler == SIG_DFL || sigbus_prev.sa_handler == SIG_IGN;
    if (!plain && (sigbus_prev.sa_flags & SA_SIGINFO)) {
        sigbus_prev.sa_sigaction(sig, si, uc);
        return;
    }
    if (sigbus_prev.sa_handler == SIG_IGN && si->si_code <= 0)
        return; /* a SIGBUS sent by kill(2) and ignored */
    if (sigbus_prev.sa_handler == SIG_DFL || sigbus_prev.sa_handler == SIG_IGN) {
        /*
         * The default action: with it restored, a fault happens again when
         * we return (the kernel cannot ignore a fault either), and a sent
         * signal is raised again (pending while this handler runs).
         */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        (void) sigemptyset(&dfl.sa_mask);
        (void) sigaction(SIGBUS, &dfl, NULL);
        if (si->si_code <= 0)
            (void) raise(SIGBUS);
        return;
    }
    sigbus_prev.sa_handler(sig);
}

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    struct ipcx__sigbus_zone *z;
    /* Only a fault of an access beyond the file's end (BUS_ADRERR) inside a zone is ours. */
    if (si && si->si_code == BUS_ADRERR && (z = sigbus_zone_at(si->si_addr)) &&
        sigbus_replace(z) == 0) {
        errno = saved;
        return; /* the access is made again, on the replacement */
    }
    sigbus_chain(sig, si, uc);
    errno = saved;
}

static void sigbus_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigbus_handler;
    /* The application's alternate stack, if it has one; no extra signals blocked. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    (void) sigemptyset(&sa.sa_mask);
    sigbus_installed = sigaction(SIGBUS, &sa, &sigbus_prev) == 0;
}

static int sigbus_ours(void)
{
    struct sigaction cur;
    return sigaction(SIGBUS, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
           cur.sa_sigaction == sigbus_handler;
}

int ipcx__sigbus_guard(void *base, size_t size, int fd, struct ipcx__sigbus_zone **out)
{
    struct ipcx__sigbus_zone *z;

    (void) pthread_once(&sigbus_once, sigbus_install);
    if (!sigbus_installed)
        return -ENOTSUP;
    /* A free node first: channels come and go, the list stays as long as the most ever open. */
    for (z = atomic_load_explicit(&sigbus_zones, memory_order_acquire); z; z = z->next) {
        int free_ = 0;
        if (!atomic_load_explicit(&z->used, memory_order_relaxed) &&
            atomic_compare_exchange_strong_explicit(&z->used, &free_, 1, memory_order_acquire,
                                                    memory_order_relaxed))
            break;
    }
    if (!z) {
        z = calloc(1, sizeof *z);
        if (!z)
            return -ENOMEM;
        atomic_store_explicit(&z->used, 1, memory_order_relaxed);
        struct ipcx__sigbus_zone *head = atomic_load_explicit(&sigbus_zones, memory_order_relaxed);
        do
            z->next = head;
        while (!atomic_compare_exchange_weak_explicit(&sigbus_zones, &head, z,
                                                      memory_order_release,
                                                      memory_order_relaxed));
    }
    z->fd = fd;
    atomic_store_explicit(&z->dead, 0, memory_order_relaxed);
    atomic_store_explicit(&z->size, size, memory_order_relaxed);
    /* release: a handler that sees base sees its size. */
    atomic_store_explicit(&z->base, (char *) base, memory_order_release);
    *out = z;
    return 0;
}

int ipcx__sigbus_unguard(struct ipcx__sigbus_zone *z)
{
    if (!z)
        return 0;
    int dead = atomic_load_explicit(&z->dead, memory_order_seq_cst);
    atomic_store_explicit(&z->base, NULL, memory_order_release);
    z->fd = -1;
    atomic_store_explicit(&z->used, 0, memory_order_release);
    return dead;
}

struct ipcx__sigbus_zone *ipcx__sigbus_find(const void *base)
{
    for (struct ipcx__sigbus_zone *z = atomic_load_explicit(&sigbus_zones, memory_order_acquire);
         z; z = z->next)
        if (atomic_load_explicit(&z->base, memory_order_acquire) == base)
            return z;
    return NULL;
}

void ipcx__sigbus_kill(struct ipcx__sigbus_zone *z)
{
    if (z && !atomic_load_explicit(&z->dead, memory_order_relaxed))
        (void) sigbus_replace(z);
}

int ipcx__sigbus_check(struct ipcx__sigbus_zone *z)
{
    struct stat st;

    if (!z)
        return 0;
    if (atomic_load_explicit(&z->dead, memory_order_relaxed))
        return 1;
    size_t size = atomic_load_explicit(&z->size, memory_order_relaxed);
    if (z->fd >= 0) {
        if (fstat(z->fd, &st) == 0 && (uint64_t) st.st_size < (uint64_t) size)
            ipcx__sigbus_kill(z);
    } else if (size && sigbus_ours()) {
        /*
         * No descriptor (System V): the last byte faults if the segment
         * shrank at all, and the handler kills the zone.  Only while our
         * handler is the one installed: else the fault would be the
         * application's to judge.
         */
        volatile const char *last = atomic_load_explicit(&z->base, memory_order_relaxed);
        if (last)
            (void) last[size - 1];
    }
    return atomic_load_explicit(&z->dead, memory_order_relaxed);
}
