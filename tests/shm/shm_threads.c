/*
 * shm_threads.c - the ring driven by threads of one process, each with its
 * own handle, so ThreadSanitizer sees every shared access of the ring code
 * (build with -DIPCX_SANITIZE=thread: make test-tsan).  spsc 1x1, mpmc
 * 2x2 and bcast 1x3 (overflow=block; overflow=drop reads racily by design,
 * see docs/shm.md); then again with descriptors: every call with timeout 0
 * and poll(2) on ipcx_fd() (POLLOUT on a sending end, POLLIN on a
 * receiving end) in between, with two senders on the byte rings, which
 * take turns.  Counts and checks every message.
 */
#include "t.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>

#define N 20000
#define POLL_MS 10000 /* a descriptor that stays silent this long fails the run: no hang */

struct arg {
    char url[128];
    int  id, nrx, fd;
    long got;
    uint64_t sum;
};

/* With a descriptor: wait until it says the call may succeed.  0, or -1 when it never does. */
static int await_fd(ipcx_chan *c, short ev)
{
    struct pollfd p = { ipcx_fd(c), ev, 0 };
    int n;
    if (p.fd < 0)
        return -1;
    do
        n = poll(&p, 1, POLL_MS);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

static void *tx_main(void *p)
{
    struct arg *a = p;
    ipcx_chan *c;
    memcpy(&c, a->url + 120, sizeof c);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t m[8] = { i, (uint32_t) a->id, i * 3u };
        int r;
        if (a->fd) {
            while ((r = ipcx_send(c, m, sizeof m, 0, 0)) == -EAGAIN)
                if (await_fd(c, POLLOUT) < 0)
                    return (void *) 5;
        } else if (i % 2) {
            void *l;
            if ((r = ipcx_loan(c, sizeof m, &l)) == 0) {
                memcpy(l, m, sizeof m);
                r = ipcx_commit(c, l, sizeof m, 0);
            }
        } else {
            r = ipcx_send(c, m, sizeof m, 0, 5000);
        }
        if (r < 0)
            return (void *) 2;
    }
    ipcx_close(c);
    return NULL;
}

static void *rx_main(void *p)
{
    struct arg *a = p;
    ipcx_chan *c = NULL;
    uint32_t m[8];
    long n;
    /* The receivers were opened by main before any sender (so none misses a message). */
    memcpy(&c, a->url + 120, sizeof c);
    for (;;) {
        n = ipcx_recv(c, m, sizeof m, NULL, a->fd ? 0 : 5000);
        if (n == -EAGAIN && a->fd) {
            if (await_fd(c, POLLIN) < 0)
                return (void *) 6;
            continue;
        }
        if (n != (long) sizeof m)
            break;
        if (m[2] != m[0] * 3u)
            return (void *) 3;
        a->got++;
        a->sum += m[0];
    }
    ipcx_close(c);
    return n == -EPIPE ? NULL : (void *) 4;
}

static void run(const char *mode, int ntx, int nrx, int fd)
{
    char u[120];
    snprintf(u, sizeof u, "shm:/ipcx-t-%d-thr-%s%s?mode=%s&maxmsg=64&size=8192", (int) getpid(),
             mode, fd ? "-fd" : "", mode);
    ipcx_chan *owner;
    T_SUCCESS(ipcx_open(&owner, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    pthread_t t[8];
    struct arg a[8];
    for (int i = 0; i < nrx; i++) {
        ipcx_chan *c = owner;
        if (i > 0)
            T_SUCCESS(ipcx_open(&c, u, IPCX_RECV));
        memset(&a[i], 0, sizeof a[i]);
        a[i].fd = fd;
        snprintf(a[i].url, 120, "%s", u);
        memcpy(a[i].url + 120, &c, sizeof c);
        if (i == 0)
            owner = NULL; /* thread 0 closes it (and removes the segment) */
    }
    for (int i = 0; i < ntx; i++) {
        memset(&a[nrx + i], 0, sizeof a[0]);
        a[nrx + i].id = i;
        a[nrx + i].fd = fd;
        /* Every sender opens before any starts, so none sees "all senders gone" early. */
        ipcx_chan *c;
        T_SUCCESS(ipcx_open(&c, u, IPCX_SEND));
        memcpy(a[nrx + i].url + 120, &c, sizeof c);
    }
    for (int i = 0; i < nrx + ntx; i++)
        T_OK(pthread_create(&t[i], NULL, i < nrx ? rx_main : tx_main, &a[i]) == 0);
    long total = 0;
    for (int i = 0; i < nrx + ntx; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        if (rv)
            T_FAIL("%s: thread %d failed with %ld", mode, i, (long) rv);
        if (i < nrx)
            total += a[i].got;
    }
    long want = strcmp(mode, "bcast") == 0 ? (long) N * ntx * nrx : (long) N * ntx;
    T_EQ(total, want);
}

int main(void)
{
    run("spsc", 1, 1, 0);
    run("mpmc", 2, 2, 0);
    run("bcast", 1, 3, 0);
    run("spsc", 2, 1, 1);
    run("mpsc", 2, 1, 1);
    run("mpmc", 2, 2, 1);
    run("bcast", 2, 3, 1);
    return 0;
}
