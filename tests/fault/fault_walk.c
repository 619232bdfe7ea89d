/*
 * fault_walk.c - every system call of a channel's life fails once, in turn.
 *
 *     fault_walk TEMPLATE...      (templates as the conformance suite's:
 *                                  %p the pid, %n a name; "sem:" etc. for
 *                                  the named semaphores)
 *
 * For each template the walk first runs one life of a channel (open the
 * receiver, open a sender, ask the receiver for its descriptor to poll,
 * send a small and a chunked message, receive both, queue one with IPCX_MORE and
 * send it with a batch of both, receive the three, close both) with the fault seam of src/sys/ counting, to learn how
 * many calls pass the seam.  Then, for every call i of those and for every
 * errno in `errs`, a forked child runs the same life with call i failing
 * with that errno (src/sys/fault.h), and checks:
 *   - every API call returned success or a negative errno (-1..-4095),
 *     and a wait on an empty channel timed out or failed, never "received";
 *   - a message received is the one sent, never a part or a mix;
 *   - closing works, and no descriptor is left open (ASan builds also find
 *     every byte of memory that leaked, at the child's exit);
 *   - after the faulty life the object is gone (and no doorbell FIFO of
 *     the child is left in /dev/shm), and a second life without
 *     a fault succeeds with the same names (nothing half-made is in the way).
 * The walk prints how many fault points the library has and which of them
 * this template exercised.
 */
#include "t.h"
#include "ipcx/sync.h"
#include "sys/fault.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define WAIT_MS  3000
#define BIG_LEN  9000   /* more than PIPE_BUF - 20: a chunked message on pipes */

static const int errs[] = { EINTR, EAGAIN, ENOMEM, EACCES, EMFILE };

static int is_sem;           /* a named semaphore template, not a channel */
static int cleanup_failed;   /* a close or unlink of this life reported an error */

static void expand(const char *tmpl, const char *name, char *out, size_t cap)
{
    T_OK(ipcx_tmpl_expand(out, cap, tmpl, (int) getpid(), name, NULL) == 0);
}

static int nfds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* A result of the API: success or a real negative errno, else the walk fails. */
static long check(long r, const char *what, unsigned long at, int err)
{
    if (r < -4095)
        T_FAIL("%s returned %ld with call %lu failing (%s)", what, r, at, strerror(err));
    return r;
}
#define C(expr) check((long) (expr), #expr, at, err)

static void fill(char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (char) ('a' + (i * 7 + seed) % 26);
}

/* Did a receive give exactly one of the messages sent? */
static void check_msg(long n, const char *buf, unsigned long at, int err)
{
    char want[BIG_LEN];
    if (n == 5) {
        if (memcmp(buf, "hello", 5) != 0)
            T_FAIL("call %lu failing (%s): a 5-byte message that is not the one sent", at,
                   strerror(err));
    } else if (n == BIG_LEN) {
        fill(want, BIG_LEN, 3);
        if (memcmp(buf, want, BIG_LEN) != 0)
            T_FAIL("call %lu failing (%s): the big message came back changed", at, strerror(err));
    } else if (n >= 0) {
        T_FAIL("call %lu failing (%s): received %ld bytes, a message never sent", at,
               strerror(err), n);
    }
}

/* One life of a channel.  Stops at the first failure, then closes. */
static void chan_life(const char *url, unsigned long at, int err)
{
    ipcx_chan *rx = NULL, *tx = NULL, *ends[2];
    char addr[512], big[BIG_LEN], buf[BIG_LEN + 16];
    long r;

    if (strchr(url, ':')[1] == '\0' || strstr(url, ":?")) { /* pipe:, shm:?mode= */
        if ((r = C(ipcx_pair(url, ends))) < 0)
            return;
        rx = ends[0], tx = ends[1];
    } else {
        if ((r = C(ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE))) < 0)
            return;
        if ((r = C(ipcx_addr(rx, addr, sizeof addr))) < 0 ||
            (r = C(ipcx_open(&tx, addr, IPCX_SEND))) < 0)
            goto out;
    }
    /* The descriptor to poll: on a stream receiver its first call sets up
     * the doorbell (an eventfd) that the receives below then ring. */
    if ((r = C(ipcx_fd(rx))) < 0 && r != -ENOTSUP)
        goto out;
    /* Nothing there yet: a short wait that times out (the sleeping paths). */
    r = C(ipcx_recv(rx, buf, sizeof buf, NULL, 1));
    if (r >= 0)
        T_FAIL("call %lu failing (%s): received %ld bytes before anything was sent", at,
               strerror(err), r);
    if (r != -ETIMEDOUT)
        goto out;
    fill(big, sizeof big, 3);
    long maxmsg = ipcx_maxmsg(rx);
    size_t blen = maxmsg >= BIG_LEN ? BIG_LEN : 5;
    if ((r = C(ipcx_send(tx, "hello", 5, 1, WAIT_MS))) < 0 ||
        (r = C(ipcx_send(tx, blen == 5 ? "hello" : big, blen, 2, WAIT_MS))) < 0)
        goto out;
    for (int i = 0; i < 2; i++) {
        if ((r = C(ipcx_recv(rx, buf, sizeof buf, NULL, WAIT_MS))) < 0)
            goto out;
        check_msg(r, buf, at, err);
    }
    /* Batched sends: one queued with IPCX_MORE, then a batch that sends it first. */
    struct ipcx_msg v[2] = { { .data = "hello", .len = 5 },
                             { .data = blen == 5 ? "hello" : big, .len = blen } };
    if ((r = C(ipcx_send(tx, "hello", 5, IPCX_MORE, WAIT_MS))) < 0 ||
        (r = C(ipcx_sendv(tx, v, 2, WAIT_MS))) < 2)
        goto out;
    for (int i = 0; i < 3; i++) {
        if ((r = C(ipcx_recv(rx, buf, sizeof buf, NULL, WAIT_MS))) < 0)
            goto out;
        check_msg(r, buf, at, err);
    }
out:
    cleanup_failed |= C(ipcx_close(tx)) < 0;
    cleanup_failed |= C(ipcx_close(rx)) < 0;
}

/* One life of a named semaphore. */
static void sem_life(const char *url, unsigned long at, int err)
{
    ipcx_sem *a = NULL, *b = NULL;
    long r;
    if ((r = C(ipcx_sem_open(&a, url, IPCX_CREATE | IPCX_EXCL, 1))) < 0)
        return;
    if ((r = C(ipcx_sem_open(&b, url, 0, 0))) < 0)
        goto out;
    if ((r = C(ipcx_sem_wait(a, WAIT_MS))) < 0)
        goto out;
    if ((r = C(ipcx_sem_post(b))) < 0)
        goto out;
    r = C(ipcx_sem_value(a));
    if (r >= 0 && r != 1)
        T_FAIL("call %lu failing (%s): the value is %ld after wait and post, want 1", at,
               strerror(err), r);
out:
    cleanup_failed |= C(ipcx_sem_close(b)) < 0;
    cleanup_failed |= C(ipcx_sem_close(a)) < 0;
    cleanup_failed |= C(ipcx_sem_unlink(url)) < 0;
}

static void life(const char *url, unsigned long at, int err)
{
    (is_sem ? sem_life : chan_life)(url, at, err);
}

/* Where the injected failure was, for the messages. */
static const char *fired_at(void)
{
    static char where[256];
    const struct ipcx__fault_site *f = ipcx__fault_fired();
    if (!f)
        return "nothing fired";
    snprintf(where, sizeof where, "%s at %s:%d", f->point, strrchr(f->file, '/') + 1, f->line);
    return where;
}

/* No doorbell FIFO of this process is left in /dev/shm (docs/shm.md names
 * them ipcx-bell-SEGMENT-INDEX-PID-START).  One that is left is removed;
 * it is a failure unless the life was told (strict). */
static void check_no_bells(unsigned long at, int err, int strict)
{
    char mine[32];
    snprintf(mine, sizeof mine, "-%d-", (int) getpid());
    DIR *d = opendir("/dev/shm");
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        const char *p = strncmp(e->d_name, "ipcx-bell-", 10) == 0 ? strstr(e->d_name + 10, mine) : NULL;
        if (p && strchr(p + strlen(mine), '-') == NULL) {
            char name[300];
            snprintf(name, sizeof name, "/dev/shm/%s", e->d_name);
            (void) unlink(name);
            if (!strict)
                continue;
            closedir(d);
            T_FAIL("call %lu failing (%s, %s): the doorbell %s is left behind", at, strerror(err),
                   fired_at(), name);
        }
    }
    closedir(d);
}

/* The object of url is gone: its file, or ipcx_unlink finds nothing. */
static void check_gone(const char *url, unsigned long at, int err)
{
    struct stat st;
    const char *path = NULL;
    if (strncmp(url, "fifo:", 5) == 0)
        path = url + 5;
    else if (strncmp(url, "unix:/", 6) == 0)
        path = url + 5;
    else if (strncmp(url, "sp+unix:/", 9) == 0)
        path = url + 8;
    if (path) {
        char p[512];
        snprintf(p, sizeof p, "%.*s", (int) strcspn(path, "?"), path);
        if (lstat(p, &st) == 0)
            T_FAIL("call %lu failing (%s, %s): %s is left behind", at, strerror(err), fired_at(), p);
        return;
    }
    if (strstr(url, ":?") || strchr(url, ':')[1] == '\0' || strncmp(url, "tcp:", 4) == 0 ||
        strncmp(url, "unix:@", 6) == 0 || strncmp(url, "sp+tcp:", 7) == 0 ||
        strncmp(url, "sp+unix:@", 9) == 0)
        return; /* anonymous, or nothing that outlives its descriptors */
    int r = is_sem ? ipcx_sem_unlink(url) : ipcx_unlink(url);
    if (r != -ENOENT)
        T_FAIL("call %lu failing (%s, %s): %s is left behind (unlink: %s)", at, strerror(err),
               fired_at(), url, ipcx_strerror(r));
}

static int walk(const char *tmpl, unsigned char *seen, size_t nsites,
                struct ipcx__fault_site *const *sites)
{
    char url[512];
    unsigned long calls;
    int runs = 0;

    is_sem = strncmp(tmpl, "sem:", 4) == 0 || strncmp(tmpl, "posixsem:", 9) == 0 ||
             strncmp(tmpl, "sysvsem:", 8) == 0;
    expand(tmpl, "walk", url, sizeof url);
    /* Count the calls of one life (in a child, so the parent's counters stay clean). */
    int pfd[2];
    T_OK(pipe(pfd) == 0);
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        ipcx__fault_arm(NULL, 0, 0, 0);
        life(url, 0, 0);
        calls = ipcx__fault_calls();
        ipcx__fault_disarm();
        check_gone(url, 0, 0);
        T_OK(write(pfd[1], &calls, sizeof calls) == (ssize_t) sizeof calls);
        exit(0);
    }
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        T_FAIL("%s: the life without a fault failed", tmpl);
    T_OK(read(pfd[0], &calls, sizeof calls) == (ssize_t) sizeof calls);
    close(pfd[0]);
    close(pfd[1]);

    for (unsigned long at = 1; at <= calls; at++) {
        for (size_t e = 0; e < sizeof errs / sizeof errs[0]; e++) {
            /* The fired site is reported back through shared counters: the
             * child's are its own, so it writes the site's index to a pipe. */
            T_OK(pipe(pfd) == 0);
            pid = fork();
            T_OK(pid >= 0);
            if (pid == 0) {
                close(pfd[0]);
                ipcx__fault_arm(NULL, at, errs[e], 0);
                /* Find which site fires at this index: run, then report. */
                int fds = nfds();
                life(url, at, errs[e]);
                const struct ipcx__fault_site *f = ipcx__fault_fired();
                ipcx__fault_disarm();
                long idx = -1;
                for (size_t s = 0; f && s < nsites; s++)
                    if (sites[s] == f)
                        idx = (long) s;
                /* Nothing is left behind, unless the life was told that its
                 * close or unlink failed: then the caller removes it, and can. */
                if (cleanup_failed)
                    (void) (is_sem ? ipcx_sem_unlink(url) : ipcx_unlink(url));
                if (nfds() != fds)
                    T_FAIL("%s: call %lu failing (%s): %d descriptors open after the life, %d before",
                           tmpl, at, strerror(errs[e]), nfds(), fds);
                check_gone(url, at, errs[e]);
                check_no_bells(at, errs[e], !cleanup_failed);
                ipcx__fault_arm(NULL, 0, 0, 0);
                life(url, 0, 0);
                ipcx__fault_disarm();
                check_gone(url, 0, 0);
                T_OK(write(pfd[1], &idx, sizeof idx) == (ssize_t) sizeof idx);
                exit(0);
            }
            close(pfd[1]);
            long idx = -1;
            if (read(pfd[0], &idx, sizeof idx) == (ssize_t) sizeof idx && idx >= 0)
                seen[idx] = 1;
            close(pfd[0]);
            T_OK(waitpid(pid, &st, 0) == pid);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                T_FAIL("%s: call %lu of %lu failing with %s: the child %s %d", tmpl, at, calls,
                       strerror(errs[e]), WIFEXITED(st) ? "exited" : "died of signal",
                       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            runs++;
        }
    }
    printf("%s: %lu calls through the seam, %d faulty lives\n", tmpl, calls, runs);
    return runs;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        printf("usage: %s TEMPLATE...   (e.g. 'fifo:/tmp/ipcx-t-%%p-%%n', 'sem:/ipcx-t-%%p-%%n')\n",
               argv[0]);
        return argc < 2 ? 2 : 0;
    }
    struct ipcx__fault_site *const *sites;
    size_t nsites = ipcx__fault_sites(&sites);
    T_OK(nsites > 0);
    unsigned char *seen = calloc(nsites, 1);
    T_OK(seen);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++)
        walk(argv[i], seen, nsites, sites);

    size_t nseen = 0;
    for (size_t s = 0; s < nsites; s++)
        nseen += seen[s];
    printf("fault points: %zu in the library, %zu exercised here:", nsites, nseen);
    for (size_t s = 0; s < nsites; s++)
        if (seen[s])
            printf(" %s", sites[s]->point);
    printf("\nnot exercised here:");
    for (size_t s = 0; s < nsites; s++)
        if (!seen[s])
            printf(" %s(%s:%d)", sites[s]->point, strrchr(sites[s]->file, '/') + 1,
                   sites[s]->line);
    printf("\n");
    free(seen);
    return 0;
}
