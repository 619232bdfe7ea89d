/*
 * pool_sec_test.c - the worker pool against another user and against
 * connections that hold places (src/pattern/pool_sock.c, pool_mq.c;
 * docs/security.md "The worker pool"): pool_sec_test CASE URL, %p in URL
 * becomes the pid.
 *
 *   stranger  unix: (a path with mode=0666, or abstract): a worker of uid
 *             65534 connects to root's dispatcher and says HELLO: it is
 *             closed and never sent a job; root's own worker gets the job;
 *             with allow=uid:65534 the same worker is served (needs root)
 *   squat     unix:@name: uid 65534 listens first under root's pool name:
 *             root's worker refuses it (-EACCES, the uid in the detail)
 *             instead of taking its jobs (needs root)
 *   mqallow   mq: a worker of uid 65534 that allow= names opens first, so
 *             its user made the queue and the pool table: root's submitter
 *             accepts both (the owner rule of every named object) and the
 *             worker gets root's job (needs root)
 *   silent    unix:, tcp: 256 connections that never say HELLO fill the
 *             dispatcher's places: the oldest is shed for a real worker,
 *             which gets the job
 *
 * No time thresholds: a wait that would hang is bounded by CTest's timeout.
 */
#include "t.h"
#include "ipcx/pubsub.h"
#include "pool_raw.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#define NOBODY 65534

static char url[512];
static char pool_url[512]; /* the dispatcher's address (tcp port 0 got one) */

static int wait_child(pid_t pid)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void become_nobody(void)
{
    T_OK(setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
         setresuid(NOBODY, NOBODY, NOBODY) == 0);
}

static ipcx_pool *submitter(const char *u)
{
    ipcx_pool *p = NULL;
    T_SUCCESS(ipcx_pool_open(&p, u, IPCX_SEND | IPCX_CREATE));
    T_SUCCESS(ipcx_pool_addr(p, pool_url, sizeof pool_url));
    return p;
}

static int raw_connect(void)
{
    return raw_connect_to(pool_url);
}

/* Run the dispatcher until fd is readable (a child reports). */
static void pump_until(ipcx_pool *p, int fd)
{
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    while (poll(&pf, 1, 0) == 0) {
        int r = ipcx_pool_dispatch(p, 5);
        T_OK(r == 0 || r == -ETIMEDOUT);
    }
}

/*
 * A worker of uid 65534 (a raw HELLO, so that nothing in the library
 * decides for it): reports on fd 'J' if it was sent a job, 'C' if the
 * dispatcher closed it.
 */
static pid_t stranger(int report)
{
    pid_t pid = fork();
    if (pid)
        return pid;
    become_nobody();
    int fd = raw_connect();
    uint8_t h[16] = { 0x50, 0x4c, 1, 1 }, in[16];
    h[15] = 1; /* HELLO, window 1 */
    /* The dispatcher may have closed it already: then the write fails (EPIPE). */
    ssize_t n = write(fd, h, sizeof h) == (ssize_t) sizeof h ? read(fd, in, sizeof in) : 0;
    char c = n > 3 && in[3] == 2 ? 'J' : 'C';
    T_OK(write(report, &c, 1) == 1);
    _exit(0);
}

static int case_stranger(void)
{
    if (geteuid() != 0)
        return T_SKIP;
    for (int allowed = 0; allowed < 2; allowed++) {
        char u[600];
        snprintf(u, sizeof u, "%s%s", url, allowed ? "&allow=uid:65534" : "");
        if (!strchr(url, '?'))
            snprintf(u, sizeof u, "%s%s", url, allowed ? "?allow=uid:65534" : "");
        ipcx_pool *p = submitter(u);
        uint32_t job = 42;
        T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
        int rep[2];
        T_OK(pipe(rep) == 0);
        pid_t kid = stranger(rep[1]);
        (void) close(rep[1]); /* a child that dies unheard ends the wait (EOF) */
        pump_until(p, rep[0]);
        char c = 0;
        T_OK(read(rep[0], &c, 1) == 1);
        T_EQ(wait_child(kid), 0);
        if (allowed) {
            T_EQ(c, 'J'); /* allow= names it: a worker like any other */
        } else {
            T_EQ(c, 'C'); /* closed, never sent the job */
            T_EQ(ipcx_pool_redelivered(p), 0);
            pid_t w = fork();
            if (w == 0) {
                ipcx_pool *wk = NULL;
                uint32_t got = 0;
                T_SUCCESS(ipcx_pool_open(&wk, pool_url, IPCX_RECV));
                T_EQ(ipcx_pool_take(wk, &got, sizeof got, -1), (long) sizeof got);
                T_EQ(got, 42);
                T_SUCCESS(ipcx_pool_done(wk));
                T_SUCCESS(ipcx_pool_close(wk));
                _exit(0);
            }
            T_SUCCESS(ipcx_pool_dispatch(p, -1));
            T_EQ(wait_child(w), 0);
        }
        T_SUCCESS(ipcx_pool_close(p));
        (void) close(rep[0]);
    }
    printf("stranger: uid 65534 was closed without a job; root's worker did it; "
           "with allow=uid:65534 it was served\n");
    return 0;
}

static int case_squat(void)
{
    if (geteuid() != 0)
        return T_SKIP;
    T_OK(!strncmp(url, "unix:@", 6));
    int ready[2];
    T_OK(pipe(ready) == 0);
    pid_t sq = fork();
    if (sq == 0) {
        become_nobody();
        ipcx_pool *p = submitter(url);
        uint32_t job = 666;
        T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
        T_OK(write(ready[1], "r", 1) == 1);
        for (;;)
            (void) ipcx_pool_dispatch(p, -1); /* until killed */
    }
    char c;
    T_OK(read(ready[0], &c, 1) == 1);
    ipcx_pool *w = NULL;
    int r = ipcx_pool_open(&w, url, IPCX_RECV);
    const char *detail = ipcx_errdetail();
    if (r == 0) {
        uint32_t got = 0;
        long n = ipcx_pool_take(w, &got, sizeof got, 1000);
        fprintf(stderr, "root's worker joined uid 65534's dispatcher (take: %ld, job %u)\n", n,
                got);
        (void) ipcx_pool_close(w);
    }
    kill(sq, SIGKILL);
    T_EQ(wait_child(sq), 128 + SIGKILL);
    T_ERR(r, -EACCES);
    T_OK(strstr(detail, "uid 65534") != NULL);
    printf("squat: root's worker refused uid 65534's dispatcher (%s)\n", detail);
    return 0;
}

static int case_mqallow(void)
{
    if (geteuid() != 0)
        return T_SKIP;
    int ready[2], fin[2];
    T_OK(pipe(ready) == 0 && pipe(fin) == 0);
    pid_t w = fork();
    if (w == 0) {
        become_nobody();
        ipcx_pool *wk = NULL;
        uint32_t got = 0;
        T_SUCCESS(ipcx_pool_open(&wk, url, IPCX_RECV | IPCX_CREATE));
        T_OK(write(ready[1], "r", 1) == 1);
        T_EQ(ipcx_pool_take(wk, &got, sizeof got, -1), (long) sizeof got);
        T_EQ(got, 31);
        T_SUCCESS(ipcx_pool_done(wk));
        T_OK(write(fin[1], "d", 1) == 1);
        T_SUCCESS(ipcx_pool_close(wk));
        _exit(0);
    }
    (void) close(ready[1]);
    (void) close(fin[1]);
    char c;
    T_OK(read(ready[0], &c, 1) == 1);
    ipcx_pool *p = NULL;
    int r = ipcx_pool_open(&p, url, IPCX_SEND);
    if (r < 0) {
        fprintf(stderr, "root's submitter: %s (%s)\n", ipcx_strerror(r), ipcx_errdetail());
        kill(w, SIGKILL);
        (void) wait_child(w);
    }
    T_SUCCESS(r);
    uint32_t job = 31;
    T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
    T_OK(read(fin[0], &c, 1) == 1);
    T_EQ(wait_child(w), 0);
    T_SUCCESS(ipcx_pool_dispatch(p, -1));
    T_SUCCESS(ipcx_pool_close(p));
    T_SUCCESS(ipcx_pool_unlink(url));
    printf("mqallow: uid 65534's queue and table, named by allow=, were used by root\n");
    return 0;
}

#define SILENT 256 /* the dispatcher's places (PSK_MAX_WORKERS) */

static int case_silent(void)
{
    ipcx_pool *p = submitter(url);
    static int fds[SILENT + 1];
    uint32_t job = 9;
    T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
    for (int i = 0; i < SILENT; i++) {
        fds[i] = raw_connect();
        if (i % 64 == 63)
            T_ERR(ipcx_pool_dispatch(p, 0), -EAGAIN); /* takes them in */
    }
    T_ERR(ipcx_pool_dispatch(p, 0), -EAGAIN);
    T_EQ(ipcx_pool_workers(p), 0); /* nobody said HELLO */
    int rep[2];
    T_OK(pipe(rep) == 0);
    pid_t w = fork();
    if (w == 0) {
        ipcx_pool *wk = NULL;
        uint32_t got = 0;
        T_SUCCESS(ipcx_pool_open(&wk, pool_url, IPCX_RECV));
        long n = ipcx_pool_take(wk, &got, sizeof got, -1);
        if (n < 0)
            fprintf(stderr, "the real worker: %s (%s)\n", ipcx_strerror((int) n),
                    ipcx_errdetail());
        T_EQ(n, (long) sizeof got);
        T_EQ(got, 9);
        T_SUCCESS(ipcx_pool_done(wk));
        T_OK(write(rep[1], "d", 1) == 1);
        T_SUCCESS(ipcx_pool_close(wk));
        _exit(0);
    }
    (void) close(rep[1]); /* a worker that fails unheard ends the wait (EOF) */
    pump_until(p, rep[0]);
    T_EQ(wait_child(w), 0);
    T_SUCCESS(ipcx_pool_dispatch(p, -1));
    /* The oldest silent connection was the one shed. */
    char b;
    T_EQ(read(fds[0], &b, 1), 0);
    for (int i = 0; i < SILENT; i++)
        (void) close(fds[i]);
    T_SUCCESS(ipcx_pool_close(p));
    printf("silent: %d connections without HELLO; the oldest shed, the real worker did the job\n",
           SILENT);
    return 0;
}

static void cleanup(void)
{
    if (url[0])
        (void) ipcx_pool_unlink(url);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pool_sec_test CASE URL\n");
        return 1;
    }
    T_OK(ipcx_tmpl_expand(url, sizeof url, argv[2], (int) getpid(), NULL, NULL) == 0);
    t_cleanup = cleanup;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(argv[1], "stranger"))
        return case_stranger();
    if (!strcmp(argv[1], "squat"))
        return case_squat();
    if (!strcmp(argv[1], "mqallow"))
        return case_mqallow();
    if (!strcmp(argv[1], "silent"))
        return case_silent();
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 1;
}
