/*
 * sync_t.h - helpers of the tests/sync tests: shared memory for forked
 * children, children that run a function, waiting for them with a hang
 * watchdog, names with the pid, and a clock.  Timing is only ever used to
 * wait or to report, never to pass or fail a test on speed.
 */
#ifndef IPCX_SYNC_T_H
#define IPCX_SYNC_T_H

#include "t.h"
#include "ipcx/sync.h"

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* Anonymous shared memory, inherited over fork, zeroed. */
static inline void *st_shared(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        T_FAIL("mmap %zu bytes", n);
    return p;
}

static inline int64_t st_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void st_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Run fn(arg, i) in a child that exits with what fn returns (0 = fine). */
static inline pid_t st_spawn(int (*fn)(void *arg, int i), void *arg, int i)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        T_FAIL("fork");
    if (pid == 0) {
        t_cleanup = NULL; /* the parent removes the objects */
        _exit(fn(arg, i));
    }
    return pid;
}

/*
 * Wait for a child; a child that has not ended after limit_ms is a hang:
 * it is killed and the test fails.  Returns the exit status (or 128 +
 * signal).  The limit is a watchdog, tens of times any expected time.
 */
static inline int st_wait(pid_t pid, int limit_ms)
{
    int64_t until = st_now_ms() + limit_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            T_FAIL("waitpid %d", (int) pid);
        if (st_now_ms() > until) {
            kill(pid, SIGKILL);
            (void) waitpid(pid, &st, 0);
            T_FAIL("child %d hangs (still running after %d ms)", (int) pid, limit_ms);
        }
        st_sleep_ms(2);
    }
}

/* Wait for a child that must exit 0. */
#define ST_JOIN(pid, limit_ms) T_EQ(st_wait((pid), (limit_ms)), 0)

/* Kill and reap a child. */
static inline void st_kill(pid_t pid)
{
    int st;
    kill(pid, SIGKILL);
    (void) waitpid(pid, &st, 0);
}

/* Spin (yielding) until *flag reaches at least want; a watchdog fails the test. */
static inline void st_await(_Atomic int *flag, int want, int limit_ms)
{
    int64_t until = st_now_ms() + limit_ms;
    while (atomic_load(flag) < want) {
        if (st_now_ms() > until)
            T_FAIL("waited %d ms for a flag to reach %d (it is %d)", limit_ms, want,
                   atomic_load(flag));
        sched_yield();
    }
}

/* "/ipcx-t-<pid>-what" (and "sysvsem" keys from the pid). */
static inline const char *st_name(char *buf, size_t cap, const char *fmt, ...)
{
    char what[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(buf, cap, "/ipcx-t-%d-%s", (int) getpid(), what);
    return buf;
}

/* A small random number (for "a random moment"), seeded per test run. */
static inline unsigned st_rand(unsigned below)
{
    static unsigned long long s;
    if (!s)
        s = (unsigned long long) st_now_ms() * 2654435761u ^ (unsigned) getpid();
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned) (s >> 33) % below;
}

#endif
