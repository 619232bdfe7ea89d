/*
 * batch_bench.c - one-way floods of small messages with and without
 * batched sends: ipcx_send one by one, ipcx_sendv in batches, IPCX_MORE
 * with ipcx_flush, over unix:, pipe: and tcp:, and ZeroMQ PAIR over ipc://
 * when libzmq was found at configure time.
 *
 *   batch_bench [MESSAGES [SIZE [BATCH]]]   default 1000000 of 64 bytes, batches of 64
 *
 * Two processes pinned to CPU 0 (the sender) and 1 (the receiver).  Per
 * row: the sender's and the receiver's CPU time per message (getrusage,
 * each side's whole process: ZeroMQ's I/O threads count too) and the wall
 * time per message.  The CPU times are the figures to compare on a loaded
 * machine: `ipcx bench` measures wall time only, which on shared cores
 * says more about the neighbours' load than about the design.  Figures
 * only; never a test.
 */
#include "ipcx.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#ifdef IPCX_HAVE_ZMQ
#include <zmq.h>
#endif

static long msgs = 1000000;
static size_t size = 64;
static int batch = 64;

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

enum how { ONE, SENDV, MORE };

/* The sender: msgs messages of size bytes, as how says. */
static int ipcx_flood(ipcx_chan *tx, enum how how)
{
    char *buf = calloc((size_t) batch, size);
    struct ipcx_msg *v = calloc((size_t) batch, sizeof *v);
    if (!buf || !v)
        return -1;
    for (int k = 0; k < batch; k++)
        v[k] = (struct ipcx_msg) { .data = buf + (size_t) k * size, .len = size };
    for (long i = 0; i < msgs;) {
        long n = how == SENDV ? (msgs - i < batch ? msgs - i : batch) : 1;
        long r = how == SENDV ? ipcx_sendv(tx, v, (size_t) n, -1)
                              : ipcx_send(tx, buf, size, how == MORE ? IPCX_MORE : 0, -1);
        if (r < 0 || (how == SENDV && r != n))
            return -1;
        i += n;
    }
    free(buf);
    free(v);
    return ipcx_flush(tx, -1) < 0 ? -1 : 0;
}

struct row {
    double tx_ns, rx_ns, wall_ns; /* per message */
};

/* Run the sender in a child on CPU 0 while this process receives on CPU 1. */
/* Per message: the sender's CPU (it measured d), the receiver's CPU and the
 * wall time from the receiver's first message (msgs - 1 intervals). */
static void row_fill(struct row *out, int64_t d, int64_t rx_cpu, int64_t wall)
{
    out->tx_ns = (double) d / (double) msgs;
    out->rx_ns = (double) rx_cpu / (double) (msgs - 1);
    out->wall_ns = (double) wall / (double) (msgs - 1);
}

static int run_ipcx(const char *url, enum how how, struct row *out)
{
    ipcx_chan *ends[2], *rx, *tx = NULL;
    char addr[512];
    int times[2], named = strcmp(url, "pipe:") != 0;

    if (pipe(times) < 0)
        return -1;
    if (named ? ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE) < 0 ||
                    ipcx_addr(rx, addr, sizeof addr) < 0
              : ipcx_pair(url, ends) < 0)
        return -1;
    if (!named)
        rx = ends[0], tx = ends[1];
    pid_t pid = fork();
    if (pid == 0) {
        (void) bench_pin(0);
        if (!tx && ipcx_open(&tx, addr, IPCX_SEND) < 0)
            _exit(1);
        int64_t c0 = cpu_ns();
        int r = ipcx_flood(tx, how);
        int64_t d = cpu_ns() - c0;
        (void) ipcx_close(tx);
        _exit(r < 0 || write(times[1], &d, sizeof d) != (ssize_t) sizeof d);
    }
    if (tx)
        (void) ipcx_close(tx);
    (void) bench_pin(1);
    char *buf = malloc(size + 1);
    int64_t w0 = 0, c0 = 0, d = 0;
    int bad = !buf;
    for (long i = 0; !bad && i < msgs; i++) {
        bad = ipcx_recv(rx, buf, size + 1, NULL, -1) != (long) size;
        if (i == 0)
            w0 = bench_now_ns(), c0 = cpu_ns(); /* from the first message: not the child's start */
    }
    int64_t w1 = bench_now_ns(), c1 = cpu_ns();
    int st;
    bad |= read(times[0], &d, sizeof d) != (ssize_t) sizeof d;
    waitpid(pid, &st, 0);
    (void) ipcx_close(rx);
    close(times[0]), close(times[1]);
    free(buf);
    row_fill(out, d, c1 - c0, w1 - w0);
    return bad ? -1 : 0;
}

#ifdef IPCX_HAVE_ZMQ
static int run_zmq(struct row *out)
{
    char ep[128];
    int times[2];
    snprintf(ep, sizeof ep, "ipc:///tmp/ipcx-bb-%d", (int) getpid());
    if (pipe(times) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        (void) bench_pin(0);
        void *c = zmq_ctx_new(), *s = zmq_socket(c, ZMQ_PAIR);
        char *buf = calloc(1, size), ack;
        while (zmq_connect(s, ep) != 0)
            usleep(1000);
        int64_t c0 = cpu_ns();
        for (long i = 0; buf && i < msgs; i++)
            if (zmq_send(s, buf, size, 0) != (int) size)
                _exit(1);
        /* Wait for the receiver: ZeroMQ may drop what is unsent at close. */
        if (zmq_recv(s, &ack, 1, 0) != 1)
            _exit(1);
        int64_t d = cpu_ns() - c0;
        zmq_close(s);
        zmq_ctx_term(c);
        _exit(write(times[1], &d, sizeof d) != (ssize_t) sizeof d);
    }
    (void) bench_pin(1);
    void *c = zmq_ctx_new(), *s = zmq_socket(c, ZMQ_PAIR);
    char *buf = malloc(size + 1);
    int64_t w0 = 0, c0 = 0, d = 0;
    int bad = !buf || zmq_bind(s, ep) != 0, st;
    for (long i = 0; !bad && i < msgs; i++) {
        bad = zmq_recv(s, buf, size + 1, 0) != (int) size;
        if (i == 0)
            w0 = bench_now_ns(), c0 = cpu_ns();
    }
    int64_t w1 = bench_now_ns(), c1 = cpu_ns();
    bad |= zmq_send(s, "k", 1, 0) != 1 || read(times[0], &d, sizeof d) != (ssize_t) sizeof d;
    waitpid(pid, &st, 0);
    zmq_close(s);
    zmq_ctx_term(c);
    unlink(ep + strlen("ipc://"));
    close(times[0]), close(times[1]);
    free(buf);
    row_fill(out, d, c1 - c0, w1 - w0);
    return bad ? -1 : 0;
}
#endif

static void print_row(const char *name, int r, const struct row *w)
{
    if (r < 0)
        printf("| %-28s | failed | | | |\n", name);
    else
        printf("| %-28s | %8.1f | %8.1f | %8.1f | %9.0f |\n", name, w->tx_ns, w->rx_ns,
               w->wall_ns, 1e9 / w->wall_ns);
}

int main(int argc, char **argv)
{
    static const struct { const char *name, *url; enum how how; } rows[] = {
        { "ipcx unix", "unix:/tmp/ipcx-bb-%d.sock", ONE },
        { "ipcx unix, ipcx_sendv", "unix:/tmp/ipcx-bb-%d.sock", SENDV },
        { "ipcx unix, IPCX_MORE", "unix:/tmp/ipcx-bb-%d.sock", MORE },
        { "ipcx pipe", "pipe:", ONE },
        { "ipcx pipe, ipcx_sendv", "pipe:", SENDV },
        { "ipcx tcp", "tcp://127.0.0.1:0", ONE },
        { "ipcx tcp, ipcx_sendv", "tcp://127.0.0.1:0", SENDV },
    };
    struct row w;

    if (argc > 1)
        msgs = atol(argv[1]);
    if (argc > 2)
        size = (size_t) atol(argv[2]);
    if (argc > 3)
        batch = atoi(argv[3]);
    if (msgs < 2 || size < 1 || batch < 1 || batch > 1024) {
        fprintf(stderr, "usage: batch_bench [MESSAGES>1 [SIZE>0 [BATCH 1..1024]]]\n");
        return 2;
    }
    printf("%ld messages of %zu bytes one way, batches of %d; ns per message\n\n", msgs, size,
           batch);
    printf("| row | sender CPU | receiver CPU | wall | msgs/s |\n|---|---:|---:|---:|---:|\n");
    fflush(stdout);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char url[128];
        snprintf(url, sizeof url, rows[i].url, (int) getpid());
        int r = run_ipcx(url, rows[i].how, &w);
        print_row(rows[i].name, r, &w);
        fflush(stdout);
    }
#ifdef IPCX_HAVE_ZMQ
    print_row("zeromq pair ipc", run_zmq(&w), &w);
#endif
    return 0;
}
