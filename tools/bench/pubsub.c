/*
 * pubsub.c - `ipcx bench pubsub`: one publisher and 1, 4 and 16 lossless
 * subscribers, each in a process of its own, under one topic: ipcx over
 * shm: (one bcast ring that every subscriber reads) and unix: (a fan-out:
 * one send per subscriber and message), and ZeroMQ XPUB/SUB over ipc://
 * when libzmq can be opened (XPUB_NODROP and no high-water mark, so that
 * it too loses nothing).  The messages are the runner's (run.c: sequence
 * number and checksum); each subscriber checks that it got exactly
 * 0..M-1, in order and intact, and a row with a wrong one fails.
 *
 * Per row: the per-subscriber rate (messages each subscriber received per
 * second of wall time), the publisher's CPU time per message, each
 * subscriber's CPU time per message (the per-subscriber cost: flat when a
 * message is written once whatever the number of readers) and the wall
 * time per message.  CPU time is what compares across subscriber counts:
 * 16 subscribers share the CPUs of a small machine, so wall time grows
 * with the count whatever the design.  Nothing is pinned (17 processes).
 * Each row runs in a measuring process of its own, as run.c's rows do
 * (the command never calls ZeroMQ itself); the result comes back through
 * shared memory.  It prints its own table; --json and the rest are the
 * transport rows' alone.
 */
#include "ipcx.h"
#include "ipcx/pubsub.h"
#include "bench.h"
#include "bench_util.h"
#ifdef IPCX_HAVE_ZMQ
#include "peer_zmq.h"
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define PS_MAX_SUBS  16
#define PS_WAIT_MS   10000 /* the longest wait for a peer: setup, a message */
#define PS_TOPIC     "t"

/*
 * Set in a measuring process when ipcx bench died (its PR_SET_PDEATHSIG is
 * SIGTERM, caught without SA_RESTART): every wait ends, and the row cleans
 * up as after any failure (its subscribers killed, the ring removed).
 */
static volatile sig_atomic_t ps_stop;

enum ps_kind { PS_SHM, PS_UNIX, PS_ZMQ };

static const struct {
    const char *name;
    enum ps_kind kind;
} ps_schemes[] = {
    { "ipcx shm: bcast", PS_SHM },
    { "ipcx unix: fan-out", PS_UNIX },
    { "zeromq xpub/sub ipc", PS_ZMQ },
};
static const int ps_counts[] = { 1, 4, 16 };
#define PS_NSCHEMES (sizeof ps_schemes / sizeof ps_schemes[0])
#define PS_NCOUNTS  (sizeof ps_counts / sizeof ps_counts[0])

struct ps_result {
    double rate;                    /* msgs/s each subscriber received */
    double pub_ns, sub_ns, wall_ns; /* per message */
    int failed;
    char why[160];
};

/* What a subscriber tells the measuring process at its end. */
struct ps_report {
    int64_t cpu_ns;
    long errors;   /* messages missing, out of order or damaged */
};

/* One row being measured. */
struct ps_row {
    enum ps_kind kind;
    int n;
    long msgs;
    size_t size;
    char url[256];    /* what the subscribers open */
    ipcx_pub *pub;
    void *zctx, *zpub;
};

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Read exactly len bytes within ms (each wait); 0, -ETIMEDOUT or -EPIPE (all writers gone). */
static int read_full(int fd, void *buf, size_t len, int ms)
{
    size_t o = 0;
    while (o < len) {
        struct pollfd pf = { fd, POLLIN, 0 };
        int r = poll(&pf, 1, ms);
        if (r < 0 && errno == EINTR && !ps_stop)
            continue;
        if (r <= 0)
            return r == 0 ? -ETIMEDOUT : -errno;
        ssize_t k = read(fd, (char *) buf + o, len - o);
        if (k < 0 && errno == EINTR && !ps_stop)
            continue;
        if (k <= 0)
            return k == 0 ? -EPIPE : -errno;
        o += (size_t) k;
    }
    return 0;
}

/* ---- the subscribers ---- */

/* Count what is wrong with message i (n bytes at m, or an error n < 0). */
static long ps_check(const void *m, long n, long i)
{
    return n < 0 || bench_msg_verify(m, n, (uint32_t) i) < 0;
}

static int ipcx_subscriber(const struct ps_row *w, int ready, struct ps_report *rep)
{
    ipcx_sub *s = NULL;
    char topic[IPCX_TOPIC_MAX + 1], *buf = malloc(w->size + 1);
    if (!buf || ipcx_sub_open(&s, w->url, 0) < 0 || ipcx_subscribe(s, PS_TOPIC) < 0)
        return 1;
    /* Ready, then the publisher's welcome: it answers while it counts us. */
    if (write(ready, "r", 1) != 1 || ipcx_sub_wait(s, PS_WAIT_MS) < 0)
        return 1;
    int64_t t0 = cpu_ns();
    for (long i = 0; i < w->msgs; i++) {
        long n = ipcx_sub_recv(s, topic, sizeof topic, buf, w->size + 1, PS_WAIT_MS);
        if (n == -ETIMEDOUT || n == -EPIPE) {
            rep->errors += w->msgs - i; /* the rest never came */
            break;
        }
        rep->errors += ps_check(buf, n, i) || strcmp(topic, PS_TOPIC) != 0;
    }
    rep->cpu_ns = cpu_ns() - t0;
    ipcx_sub_close(s);
    free(buf);
    return 0;
}

#ifdef IPCX_HAVE_ZMQ
/* ZeroMQ filters on the first bytes: a message is the topic, then the runner's. */
static int zmq_subscriber(const struct ps_row *w, int ready, struct ps_report *rep)
{
    void *ctx = zmq_lib.zmq_ctx_new(), *s = ctx ? zmq_lib.zmq_socket(ctx, ZMQ_SUB) : NULL;
    char *buf = malloc(w->size + 16);
    int hwm = 0, ms = PS_WAIT_MS, linger = 0;
    if (!s || !buf)
        return 1;
    zmq_lib.zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_lib.zmq_setsockopt(s, ZMQ_RCVTIMEO, &ms, sizeof ms);
    zmq_lib.zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_lib.zmq_connect(s, w->url) < 0 ||
        zmq_lib.zmq_setsockopt(s, ZMQ_SUBSCRIBE, PS_TOPIC, 1) < 0 || write(ready, "r", 1) != 1)
        return 1;
    int64_t t0 = cpu_ns();
    for (long i = 0; i < w->msgs; i++) {
        int n;
        while ((n = zmq_lib.zmq_recv(s, buf, w->size + 16, 0)) < 0 && zmq_lib.zmq_errno() == EINTR)
            ;
        if (n < 0) {
            rep->errors += w->msgs - i;
            break;
        }
        rep->errors += n < 1 || buf[0] != PS_TOPIC[0] || ps_check(buf + 1, n - 1, i);
    }
    rep->cpu_ns = cpu_ns() - t0;
    zmq_lib.zmq_close(s);
    zmq_lib.zmq_ctx_term(ctx);
    free(buf);
    return 0;
}
#endif

/* A subscriber process: receive the row's messages, report on done. */
static int ps_subscriber(const struct ps_row *w, pid_t parent, int ready, int done)
{
    struct ps_report rep = { 0, 0 };
    int r = 1;
    if (bench_die_with(parent, SIGKILL) < 0)
        return 1;
    if (w->kind != PS_ZMQ)
        r = ipcx_subscriber(w, ready, &rep);
#ifdef IPCX_HAVE_ZMQ
    else
        r = zmq_subscriber(w, ready, &rep);
#endif
    if (r == 0 && write(done, &rep, sizeof rep) != (ssize_t) sizeof rep)
        r = 1;
    return r;
}

/* ---- the publisher ---- */

/* Before the subscribers are forked: what they open (ipcx: the publisher). */
static int ps_pub_open(struct ps_row *w)
{
    int pid = (int) getpid(), r;
    if (w->kind == PS_ZMQ) {
        snprintf(w->url, sizeof w->url, "ipc:///tmp/ipcx-b-%d-ps.zmq", pid);
        return 0; /* bound after the fork: a ZeroMQ context does not survive one */
    }
    if (w->kind == PS_SHM)
        snprintf(w->url, sizeof w->url, "shm:/ipcx-b-%d-ps?maxmsg=%zu", pid, w->size + 64);
    else
        snprintf(w->url, sizeof w->url, "unix:@ipcx-b-%d-ps", pid);
    if ((r = ipcx_pub_open(&w->pub, w->url, 0)) < 0)
        return r;
    /* shm: subscribers open the ring's own URL; a fan-out tells its address. */
    return w->kind == PS_SHM || ipcx_pub_addr(w->pub, w->url, sizeof w->url) >= 0 ? 0 : -ENOSPC;
}

/* Once all subscribers said ready: wait until the publisher knows every one. */
static int ps_pub_ready(struct ps_row *w)
{
    if (w->kind != PS_ZMQ) {
        for (int t = 0; ipcx_pub_subscribers(w->pub) < w->n; t++) {
            if (t == PS_WAIT_MS || ps_stop)
                return ps_stop ? -EINTR : -ETIMEDOUT;
            usleep(1000);
        }
        return 0;
    }
#ifdef IPCX_HAVE_ZMQ
    int one = 1, hwm = 0, ms = PS_WAIT_MS;
    char b[64];
    if (!(w->zctx = zmq_lib.zmq_ctx_new()) || !(w->zpub = zmq_lib.zmq_socket(w->zctx, ZMQ_XPUB)))
        return -ENOMEM;
    zmq_lib.zmq_setsockopt(w->zpub, ZMQ_XPUB_NODROP, &one, sizeof one);
    zmq_lib.zmq_setsockopt(w->zpub, ZMQ_XPUB_VERBOSE, &one, sizeof one); /* every subscription, not the first */
    zmq_lib.zmq_setsockopt(w->zpub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_lib.zmq_setsockopt(w->zpub, ZMQ_RCVTIMEO, &ms, sizeof ms);
    if (zmq_lib.zmq_bind(w->zpub, w->url) < 0)
        return -zmq_lib.zmq_errno();
    /* XPUB: the subscriptions arrive as messages, so we know when all n are in. */
    for (int k = 0; k < w->n; k++)
        if (zmq_lib.zmq_recv(w->zpub, b, sizeof b, 0) < 0)
            return -zmq_lib.zmq_errno(); /* EINTR too: ipcx bench is gone */
    return 0;
#else
    return -ENOTSUP;
#endif
}

static int ps_publish_all(struct ps_row *w)
{
    char *buf = calloc(1, w->size + 1), *m = buf + 1;
    int r = buf ? 0 : -ENOMEM;
    if (buf)
        buf[0] = PS_TOPIC[0];
    for (long i = 0; i < w->msgs && r == 0; i++) {
        if (ps_stop) {
            r = -EINTR;
            break;
        }
        bench_msg_stamp(m, w->size, (uint32_t) i);
        if (w->kind != PS_ZMQ) {
            r = ipcx_publish(w->pub, PS_TOPIC, m, w->size, PS_WAIT_MS);
            continue;
        }
#ifdef IPCX_HAVE_ZMQ
        while (zmq_lib.zmq_send(w->zpub, buf, w->size + 1, 0) < 0)
            if (zmq_lib.zmq_errno() != EINTR || ps_stop) {
                r = -zmq_lib.zmq_errno();
                break;
            }
#endif
    }
    free(buf);
    return r;
}

static void ps_pub_close(struct ps_row *w)
{
    ipcx_pub_close(w->pub);
#ifdef IPCX_HAVE_ZMQ
    if (w->zpub) {
        int linger = 1000; /* deliver what is queued, but never block close for long */
        zmq_lib.zmq_setsockopt(w->zpub, ZMQ_LINGER, &linger, sizeof linger);
        zmq_lib.zmq_close(w->zpub);
    }
    if (w->zctx)
        zmq_lib.zmq_ctx_term(w->zctx);
    if (w->kind == PS_ZMQ)
        unlink(w->url + strlen("ipc://"));
#endif
}

/* ---- one row, in its measuring process ---- */

static void ps_fail(struct ps_result *res, const char *what, int r)
{
    if (res->failed)
        return;
    res->failed = 1;
    snprintf(res->why, sizeof res->why, "%s: %s", what, ipcx_strerror(r));
}

static void ps_measure(struct ps_row *w, struct ps_result *res)
{
    int ready[2] = { -1, -1 }, done[2] = { -1, -1 }, nk = 0, r;
    pid_t kids[PS_MAX_SUBS], self = getpid();
    long errors = 0;
    int64_t sub_cpu = 0;

    if ((r = ps_pub_open(w)) < 0) {
        ps_fail(res, "publisher", r);
        goto out;
    }
    if (pipe(ready) < 0 || pipe(done) < 0) {
        ps_fail(res, "pipe", -errno);
        goto out;
    }
    for (; nk < w->n; nk++) {
        if ((kids[nk] = fork()) < 0) {
            ps_fail(res, "fork", -errno);
            goto out;
        }
        if (kids[nk] == 0) {
            close(ready[0]);
            close(done[0]);
            _exit(ps_subscriber(w, self, ready[1], done[1]));
        }
    }
    close(ready[1]);
    close(done[1]);
    ready[1] = done[1] = -1; /* a subscriber that dies leaves our reads an end */
    char rb[PS_MAX_SUBS];
    if ((r = read_full(ready[0], rb, (size_t) w->n, PS_WAIT_MS)) < 0 || (r = ps_pub_ready(w)) < 0) {
        ps_fail(res, "subscribers did not come", r);
        goto out;
    }
    int64_t w0 = bench_now_ns(), c0 = cpu_ns();
    if ((r = ps_publish_all(w)) < 0) {
        ps_fail(res, "publish", r);
        goto out;
    }
    for (int k = 0; k < w->n; k++) {
        struct ps_report rep;
        if ((r = read_full(done[0], &rep, sizeof rep, PS_WAIT_MS)) < 0) {
            ps_fail(res, "a subscriber's report", r);
            goto out;
        }
        sub_cpu += rep.cpu_ns;
        errors += rep.errors;
    }
    /* After the last report: ZeroMQ's I/O thread sends what zmq_send queued
     * after the loop, and that is the publisher's work too (waiting for the
     * reports costs no CPU). */
    int64_t w1 = bench_now_ns(), c1 = cpu_ns();
    res->pub_ns = (double) (c1 - c0) / (double) w->msgs;
    res->sub_ns = (double) sub_cpu / w->n / (double) w->msgs;
    res->wall_ns = (double) (w1 - w0) / (double) w->msgs;
    res->rate = (double) w->msgs / ((double) (w1 - w0) / 1e9);
    if (errors) {
        res->failed = 1;
        snprintf(res->why, sizeof res->why, "%ld messages failed verification", errors);
    }
out:
    for (int k = 0; k < nk; k++) {
        int st = 0;
        if (res->failed)
            kill(kids[k], SIGKILL);
        while (waitpid(kids[k], &st, 0) < 0 && errno == EINTR)
            ;
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            ps_fail(res, "a subscriber", -ECHILD);
    }
    for (int i = 0; i < 2; i++) {
        if (ready[i] >= 0)
            close(ready[i]);
        if (done[i] >= 0)
            close(done[i]);
    }
    ps_pub_close(w);
}

static void ps_on_stop(int sig)
{
    (void) sig;
    ps_stop = 1;
}

/* Remove what the measuring process pid made (ps_pub_open's names), for one that died. */
static void ps_remove(const struct ps_row *w, pid_t pid)
{
    char name[128];
    if (w->kind == PS_SHM) {
        snprintf(name, sizeof name, "shm:/ipcx-b-%d-ps", (int) pid);
        (void) ipcx_unlink(name);
    } else if (w->kind == PS_ZMQ) {
        snprintf(name, sizeof name, "/tmp/ipcx-b-%d-ps.zmq", (int) pid);
        (void) unlink(name);
    }
}

/* Each row in a process of its own: the command stays clean of the libraries. */
static void ps_run(struct ps_row *w, struct ps_result *res)
{
    struct ps_result *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t self = getpid(), pid;
    int st = 0;

    memset(res, 0, sizeof *res);
    res->failed = 1;
    if (shared == MAP_FAILED) {
        snprintf(res->why, sizeof res->why, "mmap: %s", ipcx_strerror(-errno));
        return;
    }
    memset(shared, 0, sizeof *shared);
    pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = ps_on_stop; /* no SA_RESTART: waits end with EINTR */
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) == 0 && bench_die_with(self, SIGTERM) == 0)
            ps_measure(w, shared);
        _exit(0);
    }
    if (pid > 0)
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        *res = *shared;
    } else {
        snprintf(res->why, sizeof res->why, "the measuring process died (status %d)", st);
        if (pid > 0)
            ps_remove(w, pid); /* what it could not remove itself */
    }
    munmap(shared, sizeof *shared);
}

/* ---- the table ---- */

static void cell_us(FILE *f, double ns)
{
    fprintf(f, ns > 0 ? "| %.2f " : "| - ", ns / 1000);
}

static void cell_ratio(FILE *f, double x, double y)
{
    fprintf(f, x > 0 && y > 0 ? "| %.2f " : "| - ", x / y);
}

int bench_pubsub(const struct bench_params *p0, FILE *f, int norefs)
{
    static struct ps_result rs[PS_NSCHEMES][PS_NCOUNTS];
    struct bench_params p = *p0;
    int have[PS_NSCHEMES], rc = 0;
    char why[256] = "";

    for (size_t s = 0; s < PS_NSCHEMES; s++) {
        have[s] = ps_schemes[s].kind != PS_ZMQ || !norefs;
#ifdef IPCX_HAVE_ZMQ
        if (ps_schemes[s].kind == PS_ZMQ && have[s])
            have[s] = bench_zmq_load(why, sizeof why) == 0;
#else
        if (ps_schemes[s].kind == PS_ZMQ && have[s]) {
            have[s] = 0;
            snprintf(why, sizeof why, "ZeroMQ was not found at build time");
        }
#endif
    }
    if (*why && !p.quiet)
        fprintf(stderr, "ipcx bench: pub/sub peer rows left out: %s\n", why);
    p.row = 0;
    p.nrows = 0;
    for (size_t s = 0; s < PS_NSCHEMES; s++)
        p.nrows += have[s] ? (int) PS_NCOUNTS : 0;
    for (size_t s = 0; s < PS_NSCHEMES; s++) {
        for (size_t i = 0; have[s] && i < PS_NCOUNTS; i++) {
            struct ps_row w = { ps_schemes[s].kind, ps_counts[i], p.rtts * 2, p.small, "", NULL,
                                NULL, NULL };
            char what[40];
            p.row++;
            snprintf(what, sizeof what, "%d subscriber%s", w.n, w.n > 1 ? "s" : "");
            bench_progress(&p, what, ps_schemes[s].name);
            ps_run(&w, &rs[s][i]);
            if (rs[s][i].failed) {
                fprintf(stderr, "%sipcx bench: %s to %d: %s\n", p.progress ? "\r\033[K" : "",
                        ps_schemes[s].name, w.n, rs[s][i].why);
                rc = -1;
            }
        }
    }
    if (p.progress)
        fprintf(stderr, "\r\033[K");

    const struct ps_result *zmq = NULL;
    for (size_t s = 0; s < PS_NSCHEMES; s++)
        if (ps_schemes[s].kind == PS_ZMQ && have[s])
            zmq = rs[s];
    fprintf(f, "\n| pub/sub, %zu B, %ld msgs | subscribers | per-subscriber msgs/s "
               "| publisher CPU per msg (us) | subscriber CPU per msg (us) | wall per msg (us) "
               "| subscriber CPU / 1 subscriber's (x) ",
            p.small, p.rtts * 2);
    if (zmq)
        fprintf(f, "| publisher CPU / zeromq's (x) | wall / zeromq's (x) ");
    fprintf(f, "|\n|---|---:|---:|---:|---:|---:|---:%s|\n", zmq ? "|---:|---:" : "");
    for (size_t s = 0; s < PS_NSCHEMES; s++) {
        for (size_t i = 0; have[s] && i < PS_NCOUNTS; i++) {
            const struct ps_result *r = &rs[s][i], *one = &rs[s][0];
            const struct ps_result *z = zmq && ps_schemes[s].kind != PS_ZMQ && !zmq[i].failed ? &zmq[i] : NULL;
            fprintf(f, "| %s | %d ", ps_schemes[s].name, ps_counts[i]);
            if (r->failed) {
                fprintf(f, "| failed: %s ", r->why);
                for (int k = 3; k < 7 + 2 * (zmq != NULL); k++)
                    fprintf(f, "| - ");
                fprintf(f, "|\n");
                continue;
            }
            fprintf(f, "| %.0f ", r->rate);
            cell_us(f, r->pub_ns);
            cell_us(f, r->sub_ns);
            cell_us(f, r->wall_ns);
            cell_ratio(f, one->failed ? -1 : r->sub_ns, one->sub_ns);
            if (zmq) {
                cell_ratio(f, z ? r->pub_ns : -1, z ? z->pub_ns : -1);
                cell_ratio(f, z ? r->wall_ns : -1, z ? z->wall_ns : -1);
            }
            fprintf(f, "|\n");
        }
    }
    fprintf(f, "\nLossless subscribers, each in a process of its own, nothing pinned.  CPU times "
               "are per message (the subscriber's: the mean over the subscribers); \"subscriber "
               "CPU / 1 subscriber's\" is the per-subscriber cost against the same scheme's with "
               "one subscriber (flat is 1.00)%s; - where a row has nothing to compare with.\n",
            zmq ? ", the zeromq ratios an ipcx row's against ZeroMQ's with as many subscribers "
                  "(lower is better for ipcx)" : "");
    return rc;
}
