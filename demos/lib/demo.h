/*
 * demo.h - what every demo under demos/ shares: the --help/--summary
 * protocol that `ipcx demo` lists them by, the verdict line, option
 * numbers, a shared page for related processes, and children that are
 * reaped, watched and never outlive the demo.
 *
 * A demo is a program demos/bin/NAME (installed in libexec/ipcx/demos).
 * `ipcx demo` runs each with --summary to list it, and `ipcx demo NAME
 * ARGS...` executes it.  Its last line on stdout is its verdict:
 *
 *     verdict: ok <what was checked>
 *     verdict: FAILED <what went wrong>
 *
 * and its exit status says the same: 0 ok, 1 failed, 2 bad usage.  A demo
 * whose point is a failure (a deadlock, a lost update) that it detected as
 * it should reports "ok" with the finding in the text.
 *
 * A demo removes every IPC object it creates, also when a child of it was
 * killed.  Named ones are called ipcx-NAME-PID... (NAME the demo's, PID
 * the demo process's): /tmp/ipcx-NAME-PID-..., /dev/shm/ipcx-NAME-PID,
 * mq:/ipcx-NAME-PID-...; tests/demos/run_demo.sh fails a run that leaves
 * one behind.
 *
 * These helpers print and exit: they are for programs, not for libipcx.
 */
#ifndef IPCX_DEMO_H
#define IPCX_DEMO_H

#include <stddef.h>
#include <sys/types.h>

#define DEMO_EXIT_OK     0
#define DEMO_EXIT_FAILED 1
#define DEMO_EXIT_USAGE  2

struct demo_info {
    const char *name;    /* as `ipcx demo NAME` starts it */
    const char *summary; /* one line: what it shows */
    const char *seed;    /* where in the course texts, e.g. "seed 001: producer/consumer" */
    const char *usage;   /* the whole --help text */
};

/*
 * Call first in main: --summary prints "SUMMARY<TAB>SEED" and exits 0,
 * -h/--help prints the usage and exits 0.  Other arguments are the demo's.
 */
void demo_start(const struct demo_info *d, int argc, char **argv);

/* Print "NAME: message" and the usage hint to stderr; exits 2. */
void demo_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * The usage error for an argument a demo does not take: a is unknown, or,
 * when it is the last argument (last != 0) and an option, perhaps one
 * whose value is missing ("--procs" at the end).
 */
void demo_unknown_arg(const char *a, int last) __attribute__((noreturn));

/* Print "NAME: message" to stderr; exits 1 (a demo that cannot run). */
void demo_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The number in s for option opt, within [min, max], or a usage error. */
long demo_num(const char *opt, const char *s, long min, long max);

/* Print the verdict line (ok != 0: "ok") and return the exit status. */
int demo_verdict(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * len zeroed bytes shared with the children forked afterwards
 * (MAP_SHARED|MAP_ANONYMOUS: no name, nothing to remove); demo_die on
 * failure.  demo_unshare unmaps it.
 */
void *demo_shared(size_t len);
void demo_unshare(void *p, size_t len);

/*
 * Fork a child that runs fn(arg, i) and exits with its return value.  The
 * child dies with SIGKILL when the demo's process dies (PR_SET_PDEATHSIG),
 * so a killed demo leaves no process behind.  Returns the pid.
 */
pid_t demo_fork(int (*fn)(void *arg, int i), void *arg, int i);

/*
 * Wait for the n children in pids.  A child reaped has its pids[i] set to
 * 0 and its wait status in status[i] (if status is not NULL; -1 until
 * then), so a pid is never signalled after it may have been reused.
 * Every poll_ms (at least 1) while some run, watch(arg) is called if
 * given: a nonzero return stops the wait (the watchdog saw what it looks
 * for, e.g. a deadlock) and is returned; the children still running are
 * left for the caller to inspect and demo_kill_all.  Returns 0 when all
 * have exited.
 */
int demo_wait(pid_t *pids, int n, int *status, int (*watch)(void *arg),
              void *arg, int poll_ms);

/* SIGKILL each child of pids not yet reaped (pids[i] > 0), reap it, set pids[i] = 0. */
void demo_kill_all(pid_t *pids, int n);

/*
 * Catch SIGINT, SIGTERM and SIGHUP in this process (SA_RESTART: waits go
 * on; the handler only notes the signal).  demo_interrupted() then returns
 * it, so a watch callback can stop the wait and the demo can kill its
 * children and remove its objects before demo_die_by_signal() ends it by
 * that signal.  Call it after forking the children (they keep the default
 * actions and die with the demo).
 */
void demo_catch_signals(void);
int demo_interrupted(void);
void demo_die_by_signal(void) __attribute__((noreturn));
/* In a child: the default actions of those signals again (the parent cleans up). */
void demo_child_signals(void);

/* 1 if the wait status is a normal exit with status 0. */
int demo_exited_ok(int status);

/* A monotonic clock in nanoseconds, for reports (never for a verdict). */
long long demo_now_ns(void);

#endif
