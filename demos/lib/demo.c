/* demo.c - the helpers of demo.h. */
#include "demo.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *demo_name = "demo";

void demo_start(const struct demo_info *d, int argc, char **argv)
{
    demo_name = d->name;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--summary") == 0) {
            printf("%s\t%s\n", d->summary, d->seed);
            exit(DEMO_EXIT_OK);
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(d->usage, stdout);
            exit(DEMO_EXIT_OK);
        }
    }
    /* A verdict printed before a fork must not be printed twice. */
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static void vsay(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", demo_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void demo_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'ipcx demo %s --help'.\n", demo_name);
    exit(DEMO_EXIT_USAGE);
}

void demo_unknown_arg(const char *a, int last)
{
    if (last && a[0] == '-')
        demo_usage_error("option '%s' is unknown or needs a value", a);
    demo_usage_error("unknown argument '%s'", a);
}

void demo_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    exit(DEMO_EXIT_FAILED);
}

long demo_num(const char *opt, const char *s, long min, long max)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        demo_usage_error("%s wants a number from %ld to %ld, not '%s'", opt, min, max, s);
    return v;
}

int demo_verdict(int ok, const char *fmt, ...)
{
    va_list ap;
    printf("verdict: %s ", ok ? "ok" : "FAILED");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    return ok ? DEMO_EXIT_OK : DEMO_EXIT_FAILED;
}

void *demo_shared(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        demo_die("cannot map %zu shared bytes: %s", len, strerror(errno));
    return p;
}

void demo_unshare(void *p, size_t len)
{
    if (p)
        (void) munmap(p, len);
}

pid_t demo_fork(int (*fn)(void *arg, int i), void *arg, int i)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        demo_die("fork: %s", strerror(errno));
    if (pid == 0) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* the parent died before prctl */
            _exit(DEMO_EXIT_FAILED);
        int rc = fn(arg, i);
        fflush(NULL);
        _exit(rc);
    }
    return pid;
}

int demo_wait(pid_t *pids, int n, int *status, int (*watch)(void *arg),
              void *arg, int poll_ms)
{
    if (status)
        for (int i = 0; i < n; i++)
            status[i] = -1;
    if (poll_ms < 1)
        poll_ms = 1;
    for (;;) {
        int running = 0;
        for (int i = 0; i < n; i++) {
            int st;
            if (pids[i] <= 0)
                continue;
            pid_t r = waitpid(pids[i], &st, WNOHANG);
            if (r == pids[i]) {
                pids[i] = 0;
                if (status)
                    status[i] = st;
            } else if (r < 0 && errno != EINTR) {
                pids[i] = 0; /* not our child: nothing to wait for */
            } else {
                running++;
            }
        }
        if (running == 0)
            return 0;
        if (watch) {
            int w = watch(arg);
            if (w)
                return w;
        }
        struct timespec ts = { poll_ms / 1000, (long) (poll_ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
}

void demo_kill_all(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            (void) kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++) {
        if (pids[i] <= 0)
            continue;
        while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
        pids[i] = 0;
    }
}

static volatile sig_atomic_t demo_caught;
static const int demo_caught_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void demo_on_signal(int sig)
{
    demo_caught = sig;
}

void demo_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = demo_on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof demo_caught_signals / sizeof demo_caught_signals[0]; i++)
        (void) sigaction(demo_caught_signals[i], &sa, NULL);
}

void demo_child_signals(void)
{
    for (size_t i = 0; i < sizeof demo_caught_signals / sizeof demo_caught_signals[0]; i++)
        (void) signal(demo_caught_signals[i], SIG_DFL);
}

int demo_interrupted(void)
{
    return demo_caught;
}

void demo_die_by_signal(void)
{
    int sig = demo_caught ? demo_caught : SIGTERM;
    fprintf(stderr, "%s: interrupted by signal %d: children killed, objects removed\n", demo_name, sig);
    fflush(NULL);
    (void) signal(sig, SIG_DFL);
    (void) raise(sig);
    _exit(128 + sig);
}

int demo_exited_ok(int status)
{
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

long long demo_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
