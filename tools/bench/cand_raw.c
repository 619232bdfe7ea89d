/*
 * cand_raw.c - the raw rows of `ipcx bench`: the mechanism under each ipcx
 * transport used directly, with fixed-size messages and no framing, so that
 * every ipcx figure is also a ratio to what the kernel gives.  Pipes, Unix
 * socket pairs (stream, seqpacket, dgram) and loopback TCP with one
 * write(2)/read(2) or send/recv per message; POSIX and System V message
 * queues with mq_send/mq_receive and msgsnd/msgrcv.  These make their
 * system calls themselves on purpose: they are the yardstick.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/types.h>

/* ---- raw descriptors: pipes and socket pairs, no framing ---------------- */

/* Fixed-size messages on a byte stream: both sides know the size. */
/* Plain write(2): one system call per message on a pipe or a stream socket
 * (the command ignores SIGPIPE, so a gone peer is EPIPE here too). */
static int raw_send(struct bench_ep *ep, const void *b, size_t n)
{
    size_t o = 0;
    while (o < n) {
        ssize_t r = write(ep->fa, (const char *) b + o, n - o);
        if (r < 0 && errno != EINTR)
            return -errno;
        o += r > 0 ? (size_t) r : 0;
    }
    return 0;
}

/* A raw stream has no frames: both sides know the size, and read exactly that (cap). */
static long raw_recv(struct bench_ep *ep, void *b, size_t cap)
{
    size_t o = 0;
    while (o < cap) {
        ssize_t r = read(ep->fb, (char *) b + o, cap - o);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return r == 0 ? -EPIPE : -errno;
        }
        o += (size_t) r;
    }
    return (long) o;
}

/* Records (seqpacket, dgram): one send, one recv. */
static int rec_send(struct bench_ep *ep, const void *b, size_t n)
{
    ssize_t r;
    while ((r = send(ep->fa, b, n, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return r < 0 ? -errno : 0;
}

static long rec_recv(struct bench_ep *ep, void *b, size_t cap)
{
    ssize_t r;
    while ((r = recv(ep->fb, b, cap, 0)) < 0 && errno == EINTR)
        ;
    return r < 0 ? -errno : r;
}

static void fd_close(struct bench_ep *ep)
{
    close(ep->fa);
    if (ep->fb != ep->fa)
        close(ep->fb);
}

static const struct bench_ep_ops raw_ops = { raw_send, raw_recv, fd_close };
static const struct bench_ep_ops rec_ops = { rec_send, rec_recv, fd_close };

struct raw_link {
    int req[2], rep[2]; /* [0] read side, [1] write side; socket pairs use both */
    int sock;
};

static int raw_make(int type, int fds[2])
{
    if (type == 0)
        return pipe(fds) < 0 ? -errno : 0;
    if (type == SOCK_STREAM + 100) {
        /* TCP over loopback, with TCP_NODELAY like ipcx's tcp. */
        int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        if (l < 0 || bind(l, (void *) &sa, sizeof sa) < 0 || listen(l, 1) < 0 ||
            getsockname(l, (void *) &sa, &len) < 0)
            return -errno;
        fds[1] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[1] < 0 || connect(fds[1], (void *) &sa, sizeof sa) < 0)
            return -errno;
        fds[0] = accept(l, NULL, NULL);
        close(l);
        if (fds[0] < 0)
            return -errno;
        setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return 0;
    }
    return socketpair(AF_UNIX, type, 0, fds) < 0 ? -errno : 0;
}

static int raw_type(const struct bench_cand *c)
{
    if (strcmp(c->url, "pipe") == 0)
        return 0;
    if (strcmp(c->url, "seqpacket") == 0)
        return SOCK_SEQPACKET;
    if (strcmp(c->url, "dgram") == 0)
        return SOCK_DGRAM;
    if (strcmp(c->url, "tcp") == 0)
        return SOCK_STREAM + 100;
    return SOCK_STREAM;
}

static int raw_prepare(struct bench_cand *c, void **state)
{
    struct raw_link *l = calloc(1, sizeof *l);
    int t = raw_type(c), r;
    if (!l)
        return -ENOMEM;
    *state = l;
    if ((r = raw_make(t, l->req)) < 0 || (r = raw_make(t, l->rep)) < 0)
        return r;
    return 0;
}

static void raw_ep(const struct bench_cand *c, struct bench_ep *ep, int wfd, int rfd)
{
    int t = raw_type(c);
    ep->ops = (t == SOCK_SEQPACKET || t == SOCK_DGRAM) ? &rec_ops : &raw_ops;
    ep->exact = ep->ops == &raw_ops;
    ep->fa = wfd;
    ep->fb = rfd;
}

static int raw_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct raw_link *l = state;
    (void) ctl;
    close(l->req[1]);
    close(l->rep[0]);
    raw_ep(c, ep, l->rep[1], l->req[0]);
    return 0;
}

static int raw_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct raw_link *l = state;
    (void) ctl;
    close(l->req[0]);
    close(l->rep[1]);
    raw_ep(c, ep, l->req[1], l->rep[0]);
    return 0;
}

/* ---- raw kernel queues: mq_send/mq_receive, msgsnd/msgrcv ------------------- */


static int mq_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    while (mq_send((mqd_t) ep->fa, b, n, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

static long mq_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    static char big[BENCH_QUEUE_MSGSIZE]; /* mq_receive wants room for mq_msgsize */
    ssize_t r;
    char *to = cap >= BENCH_QUEUE_MSGSIZE ? b : big;
    while ((r = mq_receive((mqd_t) ep->fb, to, BENCH_QUEUE_MSGSIZE, NULL)) < 0)
        if (errno != EINTR)
            return -errno;
    if (cap < BENCH_QUEUE_MSGSIZE) {
        if ((size_t) r > cap)
            return -EMSGSIZE;
        memcpy(b, big, (size_t) r);
    }
    return r;
}

struct sysv_msg {
    long mtype;
    char text[BENCH_QUEUE_MSGSIZE];
};

static int sysv_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    static struct sysv_msg m;
    m.mtype = 1;
    memcpy(m.text, b, n);
    while (msgsnd(ep->fa, &m, n, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

static long sysv_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    static struct sysv_msg m;
    ssize_t r;
    while ((r = msgrcv(ep->fb, &m, sizeof m.text, 0, 0)) < 0)
        if (errno != EINTR)
            return -errno;
    if ((size_t) r > cap)
        return -EMSGSIZE;
    memcpy(b, m.text, (size_t) r);
    return r;
}

static void queue_close(struct bench_ep *ep)
{
    (void) ep; /* the parent removes the queues in fini */
}

static const struct bench_ep_ops mq_ops = { mq_ep_send, mq_ep_recv, queue_close };
static const struct bench_ep_ops sysv_ops = { sysv_ep_send, sysv_ep_recv, queue_close };

struct queue_link {
    int sysv;
    int req, rep;               /* mqd_t or msqid */
    char name[2][64];
};

static int queue_prepare(struct bench_cand *c, void **state)
{
    struct queue_link *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    *state = l;
    l->req = l->rep = -1;
    l->sysv = strcmp(c->url, "sysvmq") == 0;
    for (int k = 0; k < 2; k++) {
        int q;
        if (l->sysv) {
            q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
        } else {
            struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = BENCH_QUEUE_MSGSIZE };
            snprintf(l->name[k], sizeof l->name[k], "/ipcx-b-%d-raw%d", (int) getpid(), k);
            q = (int) mq_open(l->name[k], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
        }
        if (q < 0)
            return -errno;
        *(k ? &l->rep : &l->req) = q;
    }
    return 0;
}

static int queue_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct queue_link *l = state;
    (void) c;
    (void) ctl;
    ep->ops = l->sysv ? &sysv_ops : &mq_ops;
    ep->fa = l->rep;
    ep->fb = l->req;
    return 0;
}

static int queue_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct queue_link *l = state;
    (void) c;
    (void) ctl;
    ep->ops = l->sysv ? &sysv_ops : &mq_ops;
    ep->fa = l->req;
    ep->fb = l->rep;
    return 0;
}

static void queue_fini(struct bench_cand *c, void *state)
{
    struct queue_link *l = state;
    (void) c;
    for (int k = 0; k < 2; k++) {
        int q = k ? l->rep : l->req;
        if (q < 0)
            continue;
        if (l->sysv) {
            msgctl(q, IPC_RMID, NULL);
        } else {
            mq_close((mqd_t) q);
            mq_unlink(l->name[k]);
        }
    }
}

/* ---- the rows ----------------------------------------------------------- */

#define RAW_CAND(label, grp, what) \
    { label, "raw", grp, what, raw_prepare, raw_child, raw_parent, NULL, 0 }
#define QUEUE_CAND(label, grp, what) \
    { label, "raw", grp, what, queue_prepare, queue_child, queue_parent, queue_fini, BENCH_QUEUE_MSGSIZE }

const struct bench_cand bench_raw_rows[] = {
    RAW_CAND("raw pipe", "pipe", "pipe"),
    RAW_CAND("raw unix", "unix", "stream"),
    RAW_CAND("raw unix seqpacket", "seqpacket", "seqpacket"),
    RAW_CAND("raw unix dgram", "dgram", "dgram"),
    RAW_CAND("raw tcp", "tcp", "tcp"),
    QUEUE_CAND("raw mq", "mq", "mq"),
    QUEUE_CAND("raw sysvmq", "sysvmq", "sysvmq"),
};
const size_t bench_raw_nrows = sizeof bench_raw_rows / sizeof bench_raw_rows[0];
