/* classics.c - the helpers of classics.h. */
#include "classics.h"
#include "demo.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static ipcx_sem *set;
static char set_url[64];
static pid_t set_owner;

void classic_sysvsem_remove(void)
{
    if (!set || getpid() != set_owner)
        return;
    (void) ipcx_sem_close(set);
    set = NULL;
    int r = ipcx_sem_unlink(set_url);
    if (r < 0 && r != -ENOENT)
        fprintf(stderr, "cannot remove %s: %s\n", set_url, ipcx_strerror(r));
}

ipcx_sem *classic_sysvsem(unsigned n, unsigned value, char *url, size_t len)
{
    ipcx_sem *s;
    int r;
    if (set)
        demo_die("one System V set per demo");
    snprintf(set_url, sizeof set_url, "sysvsem:79%ld?n=%u", (long) getpid(), n);
    set_owner = getpid();
    r = ipcx_sem_open(&s, set_url, IPCX_CREATE | IPCX_EXCL, value);
    if (r < 0)
        demo_die("cannot create %s: %s (%s)", set_url, ipcx_strerror(r), ipcx_errdetail());
    set = s;
    static int registered;
    if (!registered++)
        (void) atexit(classic_sysvsem_remove);
    if (url)
        snprintf(url, len, "%s", set_url);
    return s;
}

void classic_die_interrupted(void)
{
    classic_sysvsem_remove();
    demo_die_by_signal();
}

void classic_nap_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

unsigned classic_rand(unsigned *state, unsigned n)
{
    *state = *state * 1103515245u + 12345u;
    return n ? (*state >> 16) % n : 0;
}

/* The child to blame: one killed by a signal before one that exited with
 * an error (which is often a survivor that found a dead peer's lock). */
static int classic_blame(const struct classic_watch *w)
{
    int blame = -1;
    for (int i = 0; i < w->n; i++) {
        if (w->pids[i] != 0 || w->status[i] == -1 || demo_exited_ok(w->status[i]))
            continue;
        if (WIFSIGNALED(w->status[i]))
            return i;
        if (blame < 0)
            blame = i;
    }
    return blame;
}

static int classic_watchdog(void *arg)
{
    struct classic_watch *w = arg;
    if (demo_interrupted())
        return -1;
    if ((w->failed = classic_blame(w)) >= 0)
        return CLASSIC_CHILD_FAILED;
    return w->look ? w->look() : 0;
}

int classic_wait(struct classic_watch *w, int poll_ms)
{
    w->failed = -1;
    int r = demo_wait(w->pids, w->n, w->status, classic_watchdog, w, poll_ms);
    if (r == -1) {
        demo_kill_all(w->pids, w->n);
        classic_die_interrupted();
    }
    if (r == 0 && (w->failed = classic_blame(w)) >= 0)
        return CLASSIC_CHILD_FAILED; /* the last ones failed after the last look */
    if (r == CLASSIC_CHILD_FAILED) {
        /* Whoever died before the one seen is a zombie now: collect them, so
         * the blame goes to the first cause, then stop the rest. */
        for (int i = 0; i < w->n; i++)
            if (w->pids[i] > 0 && waitpid(w->pids[i], &w->status[i], WNOHANG) == w->pids[i])
                w->pids[i] = 0;
        w->failed = classic_blame(w);
        demo_kill_all(w->pids, w->n);
    }
    return r;
}

const char *classic_status(int status, char *buf, size_t len)
{
    if (status == -1)
        snprintf(buf, len, "still running");
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
    return buf;
}
