/*
 * classics.h - what the synchronisation classics (race, prodcons,
 * philosophers, readerswriters, cannibals) share beyond demos/lib/demo.h:
 * a System V semaphore set that is removed on every way out (normal end,
 * demo_die, SIGINT/SIGTERM/SIGHUP), the signal flag their watchdogs look
 * at, and a short nap.
 *
 * The set's key is 79<pid of the demo> in decimal, the form the test
 * suite's leftover check (tests/leftovers.sh) recognises: a set left by a
 * demo that was SIGKILLed is reported there and by `ipcs -s`.
 */
#ifndef IPCX_CLASSICS_H
#define IPCX_CLASSICS_H

#include <ipcx/sync.h>

#include <stddef.h>
#include <sys/types.h>

/*
 * Signals: demo_catch_signals(), demo_interrupted() and, in a child,
 * demo_child_signals() (demos/lib/demo.h).
 */

/*
 * After an interruption: say so, remove the set (if any) and die by the
 * signal caught.
 */
void classic_die_interrupted(void) __attribute__((noreturn));

/*
 * Create the demo's System V set of n members, each set to value; the
 * URL (sysvsem:79<pid>?n=N) goes to url.  It is removed by
 * classic_sysvsem_remove(), and by an atexit handler of this process
 * (never of a child that exits) if the demo ends another way.
 * demo_die on failure.
 */
ipcx_sem *classic_sysvsem(unsigned n, unsigned value, char *url, size_t len);
void classic_sysvsem_remove(void);

/*
 * Waiting for the children with the watchdogs every classic has:
 * classic_wait() is demo_wait() over w->pids, polling every poll_ms, that
 * stops when
 *   - a signal was caught: it kills the children and calls
 *     classic_die_interrupted() (it does not return);
 *   - a child ended other than by exit 0: it kills the others and returns
 *     CLASSIC_CHILD_FAILED with the child's index in w->failed (the
 *     survivors may wait for the dead one for ever: never wait for them);
 *   - w->look (the demo's own watchdog, may be NULL) returns nonzero: that
 *     value, the children left running for the caller to look at and
 *     demo_kill_all().
 * It returns 0 when all exited with 0.
 */
#define CLASSIC_CHILD_FAILED (-2)
struct classic_watch {
    pid_t *pids;
    int *status;
    int n;
    int (*look)(void);
    int failed;
};
int classic_wait(struct classic_watch *w, int poll_ms);

/* How a child ended, from its wait status: "exit status 1", "killed by signal 9". */
const char *classic_status(int status, char *buf, size_t len);

/* Sleep us microseconds (resumed after a signal). */
void classic_nap_us(long us);

/* A small pseudo-random number in [0, n) for think/eat times: no verdict
 * depends on it. */
unsigned classic_rand(unsigned *state, unsigned n);

#endif
