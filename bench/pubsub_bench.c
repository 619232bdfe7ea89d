/*
 * pubsub_bench.c - publish/subscribe to 1, 4 and 16 lossless subscribers
 * (separate processes): ipcx over shm: (one bcast ring) and unix: (a
 * fan-out), and ZeroMQ XPUB/SUB over ipc:// when libzmq was found at
 * configure time (XPUB_NODROP, so that it too loses nothing).
 *
 *   pubsub_bench [MESSAGES [SIZE]]      default 20000 messages of 64 bytes
 *
 * Per row: the publisher's CPU time per message, each subscriber's CPU time
 * per message (the per-subscriber cost: flat when the publisher writes a
 * message once, whatever the number of readers), and the wall time per
 * message.  CPU time, not wall time, is compared across subscriber counts:
 * 16 subscribers on a 2-core machine share the cores, so the wall time
 * grows with the count whatever the design.  Figures only; never a test.
 */
#include "ipcx.h"
#include "ipcx/pubsub.h"
#include "bench_util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#ifdef IPCX_HAVE_ZMQ
#include <zmq.h>
#endif

static long msgs = 20000;
static size_t size = 64;

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

struct row {
    double pub_ns, sub_ns, wall_ns; /* per message */
};

/* A subscriber's end: receive msgs messages, report its CPU time on fd. */
static void report(int fd, int64_t t0)
{
    int64_t d = cpu_ns() - t0;
    if (write(fd, &d, sizeof d) != (ssize_t) sizeof d)
        _exit(1);
    _exit(0);
}

static int ipcx_sub_child(const char *url, int ready, int done)
{
    ipcx_sub *s;
    char topic[IPCX_TOPIC_MAX + 1], *buf = malloc(size + 1);
    if (!buf || ipcx_sub_open(&s, url, 0) < 0 || ipcx_subscribe(s, "t") < 0)
        return 1;
    /* ready, then wait for the welcome: the publisher answers while it counts us */
    if (write(ready, "r", 1) != 1 || ipcx_sub_wait(s, -1) < 0)
        return 1;
    int64_t t0 = cpu_ns();
    for (long i = 0; i < msgs; i++)
        if (ipcx_sub_recv(s, topic, sizeof topic, buf, size + 1, -1) != (long) size)
            return 1;
    report(done, t0);
    return 0;
}

/* Fork n subscribers with child(); run pub() once they are ready; gather the CPU times. */
static int run_row(int n, int (*child)(const char *, int, int), const char *url,
                   int (*pub)(void *), void *arg, int (*wait_ready)(void *, int),
                   struct row *out)
{
    int ready[2], done[2];
    pid_t kids[16];
    if (pipe(ready) < 0 || pipe(done) < 0)
        return -1;
    for (int k = 0; k < n; k++)
        if ((kids[k] = fork()) == 0)
            _exit(child(url, ready[1], done[1]));
    char c;
    for (int k = 0; k < n; k++)
        if (read(ready[0], &c, 1) != 1)
            return -1;
    if (wait_ready && wait_ready(arg, n) < 0)
        return -1;
    int64_t w0 = bench_now_ns(), c0 = cpu_ns();
    if (pub(arg) < 0)
        return -1;
    int64_t c1 = cpu_ns(), sub = 0;
    for (int k = 0; k < n; k++) {
        int64_t d;
        if (read(done[0], &d, sizeof d) != (ssize_t) sizeof d)
            return -1;
        sub += d;
    }
    int64_t w1 = bench_now_ns();
    int bad = 0;
    for (int k = 0; k < n; k++) {
        int st;
        waitpid(kids[k], &st, 0);
        bad |= !WIFEXITED(st) || WEXITSTATUS(st);
    }
    close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
    out->pub_ns = (double) (c1 - c0) / (double) msgs;
    out->sub_ns = (double) sub / (double) n / (double) msgs;
    out->wall_ns = (double) (w1 - w0) / (double) msgs;
    return bad ? -1 : 0;
}

static int ipcx_pub_all(void *arg)
{
    ipcx_pub *p = arg;
    char *m = calloc(1, size);
    for (long i = 0; m && i < msgs; i++)
        if (ipcx_publish(p, "t", m, size, -1) < 0)
            return -1;
    free(m);
    return 0;
}

static int ipcx_wait_subs(void *arg, int n)
{
    while (ipcx_pub_subscribers(arg) < n)
        usleep(1000);
    return 0;
}

static int ipcx_row(const char *url, int n, struct row *r)
{
    ipcx_pub *p;
    char addr[512];
    if (ipcx_pub_open(&p, url, 0) < 0 || ipcx_pub_addr(p, addr, sizeof addr) < 0)
        return -1;
    if (!strncmp(url, "shm:", 4))
        snprintf(addr, sizeof addr, "%s", url);
    int rc = run_row(n, ipcx_sub_child, addr, ipcx_pub_all, p, ipcx_wait_subs, r);
    ipcx_pub_close(p);
    return rc;
}

#ifdef IPCX_HAVE_ZMQ
static void *zctx;

static int zmq_sub_child(const char *url, int ready, int done)
{
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_SUB);
    char *buf = malloc(size + 16);
    int hwm = 0;
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (!buf || zmq_connect(s, url) < 0 || zmq_setsockopt(s, ZMQ_SUBSCRIBE, "t", 1) < 0)
        return 1;
    if (write(ready, "r", 1) != 1)
        return 1;
    int64_t t0 = cpu_ns();
    for (long i = 0; i < msgs; i++)
        if (zmq_recv(s, buf, size + 16, 0) != (int) size + 1)
            return 1;
    int64_t d = cpu_ns() - t0;
    if (write(done, &d, sizeof d) != (ssize_t) sizeof d)
        return 1;
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

/* XPUB: the subscriptions arrive as messages, so the publisher knows when all n are in. */
static int zmq_wait_subs(void *pub, int n)
{
    char b[64];
    for (int k = 0; k < n; k++)
        if (zmq_recv(pub, b, sizeof b, 0) < 0)
            return -1;
    return 0;
}

static int zmq_pub_all(void *pub)
{
    char *m = calloc(1, size + 1);
    m[0] = 't'; /* ZeroMQ filters on the first bytes of the message */
    for (long i = 0; i < msgs; i++)
        if (zmq_send(pub, m, size + 1, 0) < 0)
            return -1;
    free(m);
    return 0;
}

static int zmq_row(const char *url, int n, struct row *r)
{
    void *pub = zmq_socket(zctx, ZMQ_XPUB);
    int one = 1, hwm = 0;
    zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof one);
    zmq_setsockopt(pub, ZMQ_XPUB_VERBOSE, &one, sizeof one);
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(pub, url) < 0)
        return -1;
    int rc = run_row(n, zmq_sub_child, url, zmq_pub_all, pub, zmq_wait_subs, r);
    zmq_close(pub);
    return rc;
}
#endif

static void print_row(const char *name, int n, const struct row *r, const struct row *one)
{
    printf("%-22s %3d  %9.0f  %9.0f  %9.0f   %5.2f\n", name, n, r->pub_ns, r->sub_ns,
           r->wall_ns, r->sub_ns / one->sub_ns);
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: pubsub_bench [MESSAGES [SIZE]]\n"
               "pub/sub to 1, 4, 16 lossless subscribers: ipcx shm:, unix:, ZeroMQ.\n");
        return 0;
    }
    if (argc > 1)
        msgs = atol(argv[1]);
    if (argc > 2)
        size = (size_t) atol(argv[2]);
    if (msgs <= 0 || size < 1 || size > 60000)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    printf("%ld messages of %zu bytes, lossless subscribers; ns per message\n", msgs, size);
    printf("%-22s %3s  %9s  %9s  %9s   %s\n", "row", "n", "pub cpu", "sub cpu", "wall",
           "sub/sub(1)");
    static const int counts[] = { 1, 4, 16 };
    char url[128];
    for (int scheme = 0; scheme < 3; scheme++) {
        struct row one = { 0, 0, 0 }, r;
        for (int i = 0; i < 3; i++) {
            int n = counts[i], rc = -1;
            const char *name = scheme == 0 ? "ipcx shm: bcast" : scheme == 1 ? "ipcx unix: fan-out"
                                                                             : "zeromq ipc:// xpub";
            if (scheme == 0) {
                snprintf(url, sizeof url, "shm:/ipcx-b-%d-ps?maxmsg=%zu", (int) getpid(),
                         size + 64);
                rc = ipcx_row(url, n, &r);
            } else if (scheme == 1) {
                snprintf(url, sizeof url, "unix:@ipcx-b-%d-ps", (int) getpid());
                rc = ipcx_row(url, n, &r);
            } else {
#ifdef IPCX_HAVE_ZMQ
                if (!zctx)
                    zctx = zmq_ctx_new();
                snprintf(url, sizeof url, "ipc:///tmp/ipcx-b-%d-ps.zmq", (int) getpid());
                rc = zmq_row(url, n, &r);
                snprintf(url, sizeof url, "/tmp/ipcx-b-%d-ps.zmq", (int) getpid());
                unlink(url);
#else
                printf("%-22s (libzmq not found at configure time)\n", name);
                break;
#endif
            }
            if (rc < 0) {
                printf("%-22s %3d  failed\n", name, n);
                continue;
            }
            if (i == 0)
                one = r;
            print_row(name, n, &r, &one);
        }
    }
    return 0;
}
