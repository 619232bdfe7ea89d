/*
 * bench.c - `ipcx bench`: latency and throughput of every transport, in
 * one run beside the raw mechanism underneath it, the hardware floor and
 * the peer libraries a user would pick instead (bench_peers.c), so that
 * every figure is also a ratio.  Two processes pinned to different CPUs;
 * every message carries a sequence number and a checksum that the other
 * side verifies, and a wrong one fails the run.
 *
 * It measures; it never judges.  Tests only check that it runs and that
 * its output parses.
 */
#include "ipcx.h"
#include "cmd.h"
#include "bench.h"
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define MAX_CANDS   48
#define HDR_BYTES   16
#define TALLY_BYTES 32
#define OP_PING     0x50494e47u /* echo it back */
#define OP_FLOOD    0x464c4f44u /* count it */
#define OP_END      0x454e4421u /* the last of a flood: answer with the tally */
#define OP_QUIT     0x51554954u
#define OP_SIZE     0x53495a45u /* from now on messages have seq bytes (for raw streams) */

/* ---- message format: op, seq, len, checksum; payload stamped with seq ---- */

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint32_t msg_sum(const uint8_t *p, size_t len)
{
    uint64_t s = 0, w;
    size_t i = HDR_BYTES;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        s += w;
    }
    for (; i < len; i++)
        s += p[i];
    return (uint32_t) (s ^ (s >> 32));
}

/* Stamp the sequence number every 64 bytes, so a torn or stale message can't pass. */
static void msg_make(uint8_t *p, size_t len, uint32_t op, uint32_t seq)
{
    for (size_t i = HDR_BYTES; i + 4 <= len; i += 64)
        put32(p + i, seq ^ (uint32_t) i);
    put32(p, op);
    put32(p + 4, seq);
    put32(p + 8, (uint32_t) len);
    put32(p + 12, msg_sum(p, len));
}

/* 0 if p is an intact message of len bytes with that sequence number. */
static int msg_check(const uint8_t *p, long len, uint32_t seq)
{
    if (len < HDR_BYTES || get32(p + 8) != (uint32_t) len || get32(p + 4) != seq)
        return -1;
    for (size_t i = HDR_BYTES; i + 4 <= (size_t) len; i += 64)
        if (get32(p + i) != (seq ^ (uint32_t) i))
            return -1;
    return get32(p + 12) == msg_sum(p, (size_t) len) ? 0 : -1;
}

void bench_expand(char *out, size_t cap, const char *t, const char *tag)
{
    size_t o = 0;
    for (; *t && o + 1 < cap; t++) {
        if (t[0] == '%' && (t[1] == 'p' || t[1] == 'n' || t[1] == 'k')) {
            /* %k: a System V key of the pid and the tag (req/rep differ in their last letter). */
            unsigned key = 0x49000000u | (((unsigned) getpid() & 0xfffffu) << 3) | ((unsigned) tag[strlen(tag) - 1] & 7u);
            int n = t[1] == 'p' ? snprintf(out + o, cap - o, "%d", (int) getpid())
                  : t[1] == 'k' ? snprintf(out + o, cap - o, "%u", key)
                                : snprintf(out + o, cap - o, "%s", tag);
            o += n > 0 ? (size_t) n : 0;
            t++;
            if (o >= cap)
                o = cap - 1;
        } else {
            out[o++] = *t;
        }
    }
    out[o] = '\0';
}

int bench_ctl_put(int fd, const char *s)
{
    size_t n = strlen(s) + 1;
    return write(fd, s, n) == (ssize_t) n ? 0 : -EIO;
}

int bench_ctl_get(int fd, char *buf, size_t cap)
{
    size_t o = 0;
    while (o + 1 < cap) {
        ssize_t r = read(fd, buf + o, 1);
        if (r <= 0)
            return -EIO;
        if (buf[o] == '\0')
            return 0;
        o++;
    }
    return -ENOSPC;
}

/* ---- ipcx channels ---------------------------------------------------- */

static int ipcx_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    return ipcx_send(ep->a, b, n, 0, -1);
}

static long ipcx_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    return ipcx_recv(ep->b, b, cap, NULL, -1);
}

static void ipcx_ep_close(struct bench_ep *ep)
{
    ipcx_close(ep->a);
    ipcx_close(ep->b);
}

static const struct bench_ep_ops ipcx_ep_ops = { ipcx_ep_send, ipcx_ep_recv, ipcx_ep_close };

/* State of an ipcx link: the two pairs (anonymous) or the parent's receiver. */
struct ipcx_link {
    ipcx_chan *req[2], *rep[2]; /* pairs: [0] receives, [1] sends */
    char rep_addr[4200];
    int paired;
};

static int ipcx_prepare(struct bench_cand *c, void **state)
{
    struct ipcx_link *l = calloc(1, sizeof *l);
    char url[4200];
    int r;

    if (!l)
        return -ENOMEM;
    *state = l;
    bench_expand(url, sizeof url, c->url, "rep");
    /* "scheme:" or "scheme:?..." is an anonymous pair; anything else is named. */
    const char *rest = strchr(url, ':') ? strchr(url, ':') + 1 : "";
    r = *rest == '\0' || *rest == '?' ? ipcx_pair(url, l->rep) : -ENOTSUP;
    if (r == 0) {
        l->paired = 1;
        bench_expand(url, sizeof url, c->url, "req");
        return ipcx_pair(url, l->req);
    }
    if (r != -ENOTSUP)
        return r;
    /* A named scheme: the parent receives replies; the child makes the request channel. */
    r = ipcx_open(&l->rep[0], url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
    if (r < 0)
        return r;
    return ipcx_addr(l->rep[0], l->rep_addr, sizeof l->rep_addr) < 0 ? -ENOSPC : 0;
}

static int ipcx_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct ipcx_link *l = state;
    char url[4200], addr[4200];
    int r;

    ep->ops = &ipcx_ep_ops;
    if (l->paired) {
        ipcx_close(l->req[1]);
        ipcx_close(l->rep[0]);
        ep->a = l->rep[1];
        ep->b = l->req[0];
        return 0;
    }
    ipcx_close(l->rep[0]); /* our inherited copy: closing it leaves the parent's object alone */
    bench_expand(url, sizeof url, c->url, "req");
    r = ipcx_open((ipcx_chan **) &ep->b, url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
    if (r < 0)
        return r;
    if (ipcx_addr(ep->b, addr, sizeof addr) < 0 || bench_ctl_put(ctl, addr) < 0)
        return -EIO;
    return ipcx_open((ipcx_chan **) &ep->a, l->rep_addr, IPCX_SEND);
}

static int ipcx_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct ipcx_link *l = state;
    char addr[4200];
    (void) c;

    ep->ops = &ipcx_ep_ops;
    if (l->paired) {
        ipcx_close(l->req[0]);
        ipcx_close(l->rep[1]);
        ep->a = l->req[1];
        ep->b = l->rep[0];
        l->req[1] = l->rep[0] = NULL;
        return 0;
    }
    ep->b = l->rep[0];
    l->rep[0] = NULL;
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    return ipcx_open((ipcx_chan **) &ep->a, addr, IPCX_SEND);
}

/* Every candidate's state is one malloc'd block. */
static void state_free(struct bench_cand *c, void *state)
{
    (void) c;
    free(state);
}

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

#define QUEUE_MSGSIZE 8192 /* the kernel's default limit for both kinds */

static int mq_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    while (mq_send((mqd_t) ep->fa, b, n, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

static long mq_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    static char big[QUEUE_MSGSIZE]; /* mq_receive wants room for mq_msgsize */
    ssize_t r;
    while ((r = mq_receive((mqd_t) ep->fb, cap >= QUEUE_MSGSIZE ? b : big, QUEUE_MSGSIZE, NULL)) < 0)
        if (errno != EINTR)
            return -errno;
    if (cap < QUEUE_MSGSIZE) {
        if ((size_t) r > cap)
            return -EMSGSIZE;
        memcpy(b, big, (size_t) r);
    }
    return r;
}

struct sysv_msg {
    long mtype;
    char text[QUEUE_MSGSIZE];
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
            struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = QUEUE_MSGSIZE };
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
    free(l);
}

/* ---- the candidates ----------------------------------------------------- */

#define IPCX_CAND(label, grp, tmpl) \
    { label, "ipcx", grp, tmpl, ipcx_prepare, ipcx_child, ipcx_parent, state_free, 0 }
#define RAW_CAND(label, grp, what) \
    { label, "raw", grp, what, raw_prepare, raw_child, raw_parent, state_free, 0 }
#define QUEUE_CAND(label, grp, what) \
    { label, "raw", grp, what, queue_prepare, queue_child, queue_parent, queue_fini, QUEUE_MSGSIZE }
#define IPCX_QCAND(label, grp, tmpl) \
    { label, "ipcx", grp, tmpl, ipcx_prepare, ipcx_child, ipcx_parent, state_free, QUEUE_MSGSIZE }

static const struct bench_cand std_cands[] = {
    IPCX_CAND("ipcx pipe", "pipe", "pipe:"),
    IPCX_CAND("ipcx fifo", "pipe", "fifo:/tmp/ipcx-b-%p-%n"),
    IPCX_CAND("ipcx unix", "unix", "unix:/tmp/ipcx-b-%p-%n.sock"),
    IPCX_CAND("ipcx unix seqpacket", "seqpacket", "unix:/tmp/ipcx-b-%p-%n.sock?type=seqpacket"),
    IPCX_CAND("ipcx unix dgram", "dgram", "unix:/tmp/ipcx-b-%p-%n.sock?type=dgram"),
    IPCX_CAND("ipcx tcp", "tcp", "tcp://127.0.0.1:0"),
    IPCX_QCAND("ipcx mq", "mq", "mq:/ipcx-b-%p-%n"),
    IPCX_QCAND("ipcx sysvmq", "sysvmq", "sysvmq:%k"),
    IPCX_CAND("ipcx shm spsc", "shm", "shm:/ipcx-b-%p-%n?mode=spsc"),
    IPCX_CAND("ipcx shm spsc, spinning", "shm", "shm:/ipcx-b-%p-%n?mode=spsc&spin=1000000"),
    IPCX_CAND("ipcx shm mpmc", "shm", "shm:/ipcx-b-%p-%n?mode=mpmc"),
    IPCX_CAND("ipcx shm spsc (pair)", "shm", "shm:?mode=spsc"),
    RAW_CAND("raw pipe", "pipe", "pipe"),
    RAW_CAND("raw unix", "unix", "stream"),
    RAW_CAND("raw unix seqpacket", "seqpacket", "seqpacket"),
    RAW_CAND("raw unix dgram", "dgram", "dgram"),
    RAW_CAND("raw tcp", "tcp", "tcp"),
    QUEUE_CAND("raw mq", "mq", "mq"),
    QUEUE_CAND("raw sysvmq", "sysvmq", "sysvmq"),
};

/* ---- measuring ---------------------------------------------------------- */

struct lat {
    double p50, p99, p999; /* ns; negative: not measured */
};

struct result {
    const struct bench_cand *c;
    struct lat rtt[2];     /* small, medium message */
    double mps;            /* one-way small messages per second */
    double gbps;           /* one-way large messages, GB/s */
    long errors;           /* messages that failed verification */
    int failed;            /* the link could not be made or broke */
    char why[160];
};

struct params {
    size_t small, medium, large;
    long rtts, flood_small, flood_large;
    int quiet;
};

static struct lat percentiles(int64_t *v, long n)
{
    struct lat l = { -1, -1, -1 };
    if (n <= 0)
        return l;
    bench_sort(v, (size_t) n);
    l.p50 = bench_pct(v, (size_t) n, 500);
    l.p99 = bench_pct(v, (size_t) n, 990);
    l.p999 = bench_pct(v, (size_t) n, 999);
    return l;
}

/* The child: verify everything, echo pings, tally floods. */
static int serve(struct bench_ep *ep, size_t cap)
{
    uint8_t *buf = malloc(cap), tally[TALLY_BYTES];
    uint32_t expect = 0, errors = 0;
    size_t size = HDR_BYTES; /* what a raw stream reads next: see OP_SIZE */

    if (!buf)
        return 1;
    for (;;) {
        long n = ep->ops->recv(ep, buf, ep->exact ? size : cap);
        if (n < HDR_BYTES)
            return 2;
        uint32_t op = get32(buf), seq = get32(buf + 4);
        if (op == OP_QUIT) {
            /* Answer it, so the parent knows the QUIT arrived before it
             * closes (a peer library may drop what is unsent at close). */
            if (ep->ops->send(ep, buf, (size_t) n) < 0)
                return 3;
            break;
        }
        if (op == OP_SIZE) {
            if (msg_check(buf, n, seq) < 0 || seq < HDR_BYTES || seq > cap)
                return 2;
            size = seq;
            continue;
        }
        if (op == OP_PING) {
            if (msg_check(buf, n, seq) < 0)
                errors++;
            if (ep->ops->send(ep, buf, (size_t) n) < 0)
                return 3;
            continue;
        }
        if (seq == 0)
            expect = 0;
        if (msg_check(buf, n, expect) < 0)
            errors++;
        expect = seq + 1;
        if (op == OP_END) {
            msg_make(tally, sizeof tally, OP_END, errors);
            errors = 0;
            if (ep->ops->send(ep, tally, sizeof tally) < 0)
                return 3;
        }
    }
    free(buf);
    return 0;
}

static void progress(const struct params *p, const char *what, const char *name)
{
    if (!p->quiet)
        fprintf(stderr, "\r\033[K  %s: %s ...", name, what);
}

/* Tell the echo process the size of the messages that follow (raw streams need it). */
static int set_size(struct bench_ep *ep, size_t *cur, size_t size)
{
    uint8_t *m = calloc(1, *cur);
    int r;
    if (!m)
        return -ENOMEM;
    msg_make(m, *cur, OP_SIZE, (uint32_t) size);
    r = ep->ops->send(ep, m, *cur);
    free(m);
    *cur = size;
    return r;
}

static int pingpong(struct bench_ep *ep, size_t size, long n, struct lat *out, long *errors)
{
    uint8_t *m = malloc(size), *r = malloc(size);
    int64_t *t = malloc(sizeof *t * (size_t) (n > 0 ? n : 1));
    long warm = n / 10 + 10;
    int rc = 0;

    if (!m || !r || !t)
        return -ENOMEM;
    for (long i = -warm; i < n && rc == 0; i++) {
        uint32_t seq = (uint32_t) (i + warm);
        msg_make(m, size, OP_PING, seq);
        int64_t t0 = bench_now_ns();
        if ((rc = ep->ops->send(ep, m, size)) < 0)
            break;
        long got = ep->ops->recv(ep, r, size);
        int64_t t1 = bench_now_ns();
        if (got < 0) {
            rc = (int) got;
            break;
        }
        if (msg_check(r, got, seq) < 0)
            (*errors)++;
        if (i >= 0)
            t[i] = t1 - t0;
    }
    if (rc == 0)
        *out = percentiles(t, n);
    free(m);
    free(r);
    free(t);
    return rc;
}

/* One-way: n messages as fast as they go, then the child's tally. Returns seconds. */
static double flood(struct bench_ep *ep, size_t size, long n, long *errors, int *rc)
{
    uint8_t *m = malloc(size), tally[TALLY_BYTES];
    int64_t t0 = bench_now_ns();

    *rc = m ? 0 : -ENOMEM;
    for (long i = 0; i < n && *rc == 0; i++) {
        msg_make(m, size, i == n - 1 ? OP_END : OP_FLOOD, (uint32_t) i);
        *rc = ep->ops->send(ep, m, size);
    }
    if (*rc == 0) {
        long got = ep->ops->recv(ep, tally, sizeof tally);
        if (got < HDR_BYTES || msg_check(tally, got, get32(tally + 4)) < 0)
            *rc = got < 0 ? (int) got : -EBADMSG;
        else
            *errors += get32(tally + 4);
    }
    free(m);
    return (double) (bench_now_ns() - t0) / 1e9;
}

static void run_one(const struct bench_cand *c0, const struct params *p, struct result *res)
{
    struct bench_cand c = *c0;
    struct bench_ep ep = { 0 };
    void *state = NULL;
    int ctl[2], r = 0, status = 0;
    size_t cap = p->large > p->medium ? p->large : p->medium, cur = HDR_BYTES;
    pid_t pid;

    memset(res, 0, sizeof *res);
    res->c = c0;
    res->rtt[0].p50 = res->rtt[1].p50 = res->mps = res->gbps = -1;
    if (c.maxsize && cap > c.maxsize)
        cap = c.maxsize;
    if (pipe(ctl) < 0 || (c.prepare && (r = c.prepare(&c, &state)) < 0)) {
        res->failed = 1;
        snprintf(res->why, sizeof res->why, "setup: %s (%s)", ipcx_strerror(r), ipcx_errdetail());
        if (state && c.fini)
            c.fini(&c, state);
        return;
    }
    pid = fork();
    if (pid == 0) {
        close(ctl[0]);
        (void) bench_pin(1);
        r = c.child(&c, state, ctl[1], &ep);
        if (r < 0) {
            fprintf(stderr, "ipcx bench: %s: child setup: %s (%s)\n", c.name, ipcx_strerror(r),
                    ipcx_errdetail());
            _exit(4);
        }
        close(ctl[1]);
        r = serve(&ep, cap + HDR_BYTES);
        ep.ops->close(&ep);
        _exit(r);
    }
    close(ctl[1]);
    (void) bench_pin(0);
    r = pid < 0 ? -errno : c.parent(&c, state, ctl[0], &ep);
    close(ctl[0]);
    if (r == 0) {
        size_t sizes[2] = { p->small, p->medium };
        for (int k = 0; k < 2 && r == 0; k++) {
            if (c.maxsize && sizes[k] > c.maxsize)
                continue;
            progress(p, k ? "round trip (medium)" : "round trip (small)", c.name);
            if ((r = set_size(&ep, &cur, sizes[k])) == 0)
                r = pingpong(&ep, sizes[k], p->rtts, &res->rtt[k], &res->errors);
        }
        if (r == 0 && (r = set_size(&ep, &cur, p->small)) == 0) {
            progress(p, "throughput (small)", c.name);
            double s = flood(&ep, p->small, p->flood_small, &res->errors, &r);
            res->mps = r == 0 ? (double) p->flood_small / s : -1;
        }
        if (r == 0 && (!c.maxsize || p->large <= c.maxsize) &&
            (r = set_size(&ep, &cur, p->large)) == 0) {
            progress(p, "throughput (large)", c.name);
            double s = flood(&ep, p->large, p->flood_large, &res->errors, &r);
            res->gbps = r == 0 ? (double) p->flood_large * (double) p->large / s / 1e9 : -1;
        }
        if (r == 0) {
            uint8_t *q = calloc(1, cur);
            if (q)
                msg_make(q, cur, OP_QUIT, 0);
            r = q ? ep.ops->send(&ep, q, cur) : -ENOMEM;
            if (r == 0) {
                long got = ep.ops->recv(&ep, q, cur);
                r = got < 0 ? (int) got : get32(q) == OP_QUIT ? 0 : -EBADMSG;
            }
            free(q);
        }
    }
    if (r < 0) {
        res->failed = 1;
        snprintf(res->why, sizeof res->why, "%s (%s)", ipcx_strerror(r), ipcx_errdetail());
        if (pid > 0) /* never kill(-1): a failed fork leaves pid -1 */
            kill(pid, SIGKILL);
    }
    if (ep.ops)
        ep.ops->close(&ep);
    if (pid > 0) {
        /* A bench never hangs: an echo process that does not end is killed. */
        pid_t w;
        for (int t = 0; (w = waitpid(pid, &status, WNOHANG)) == 0 || (w < 0 && errno == EINTR); t++) {
            if (t == 100)
                kill(pid, SIGKILL);
            usleep(100 * 1000);
        }
        if (!res->failed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            res->failed = 1;
            snprintf(res->why, sizeof res->why, "the echo process failed (status %d)", status);
        }
    }
    if (c.fini)
        c.fini(&c, state);
}

/*
 * Each candidate runs in a process of its own, forked from a command that
 * has touched no peer library: nng, for one, refuses to run in a child of a
 * process that used it.  The result comes back through shared memory.
 */
static void run_isolated(const struct bench_cand *c, const struct params *p, struct result *res)
{
    struct result *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int status = 0;
    pid_t pid;

    memset(res, 0, sizeof *res);
    res->c = c;
    res->failed = 1;
    if (shared == MAP_FAILED) {
        snprintf(res->why, sizeof res->why, "mmap: %s", strerror(errno));
        return;
    }
    pid = fork();
    if (pid == 0) {
        run_one(c, p, shared);
        _exit(0);
    }
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        *res = *shared;
    else
        snprintf(res->why, sizeof res->why, "the measuring process died (status %d)", status);
    munmap(shared, sizeof *shared);
}

/* ---- the hardware floor ------------------------------------------------- */

/* Two pinned processes bounce one cache line: the least a round trip can cost. */
static struct lat floor_pingpong(long n)
{
    struct lat l = { -1, -1, -1 };
    _Atomic uint64_t *line = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int64_t *t = malloc(sizeof *t * (size_t) n);
    long warm = n / 10 + 100;
    pid_t pid;

    if (line == MAP_FAILED || !t)
        return l;
    atomic_store(line, 0);
    pid = fork();
    if (pid < 0) {
        free(t);
        munmap((void *) line, 4096);
        return l; /* no partner: no floor (the parent would wait for it for ever) */
    }
    if (pid == 0) {
        (void) bench_pin(1);
        for (uint64_t v = 1; v < (uint64_t) (n + warm) * 2; v += 2) {
            while (atomic_load_explicit(line, memory_order_acquire) != v)
                ;
            atomic_store_explicit(line, v + 1, memory_order_release);
        }
        _exit(0);
    }
    (void) bench_pin(0);
    for (long i = -warm; i < n; i++) {
        uint64_t v = (uint64_t) (i + warm) * 2 + 1;
        int64_t t0 = bench_now_ns();
        atomic_store_explicit(line, v, memory_order_release);
        while (atomic_load_explicit(line, memory_order_acquire) != v + 1)
            ;
        if (i >= 0)
            t[i] = bench_now_ns() - t0;
    }
    waitpid(pid, NULL, 0);
    l = percentiles(t, n);
    free(t);
    munmap((void *) line, 4096);
    return l;
}

/* Single-core memcpy bandwidth for blocks of size bytes, GB/s. */
static double floor_memcpy(size_t size, long n)
{
    uint8_t *a = malloc(size), *b = malloc(size);
    if (!a || !b)
        return -1;
    memset(a, 1, size);
    memset(b, 2, size);
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        memcpy(b, a, size);
        __asm__ __volatile__("" : : "r"(b) : "memory");
    }
    double s = (double) (bench_now_ns() - t0) / 1e9;
    free(a);
    free(b);
    return (double) n * (double) size / s / 1e9;
}

/* ---- output --------------------------------------------------------------- */

static void fmt_ns(char *b, size_t cap, double ns)
{
    if (ns < 0)
        snprintf(b, cap, "-");
    else if (ns < 10000)
        snprintf(b, cap, "%.0f ns", ns);
    else
        snprintf(b, cap, "%.1f us", ns / 1000);
}

static void fmt_ratio(char *b, size_t cap, double x, double y)
{
    if (x <= 0 || y <= 0)
        snprintf(b, cap, "-");
    else
        snprintf(b, cap, "%.2fx", x / y);
}

static const struct result *find_ref(const struct result *rs, int n, const char *kind,
                                     const char *group, int best_peer)
{
    const struct result *best = NULL;
    for (int i = 0; i < n; i++) {
        if (rs[i].failed || strcmp(rs[i].c->kind, kind) != 0 || strcmp(rs[i].c->group, group) != 0)
            continue;
        if (!best || (best_peer && rs[i].rtt[0].p50 > 0 && rs[i].rtt[0].p50 < best->rtt[0].p50))
            best = &rs[i];
    }
    return best;
}

static void print_table(FILE *f, const struct result *rs, int n, const struct params *p,
                        struct lat fl, double mcpy)
{
    char a[32], b[32], c[32], d[32], e[32], g[32], h[32];
    fprintf(f, "| transport | RTT %zu B p50 | p99 | p99.9 | RTT %zu B p50 | p99 | "
               "%zu B msgs/s | %zu B GB/s | vs raw (RTT / msgs/s) | vs floor (RTT) | vs best peer (RTT / msgs/s) |\n",
            p->small, p->medium, p->small, p->large);
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const struct result *r = &rs[i];
        if (r->failed) {
            fprintf(f, "| %s | failed: %s |||||||||\n", r->c->name, r->why);
            continue;
        }
        const struct result *raw = strcmp(r->c->kind, "ipcx") == 0
                                       ? find_ref(rs, n, "raw", r->c->group, 0) : NULL;
        const struct result *peer = strcmp(r->c->kind, "ipcx") == 0
                                        ? find_ref(rs, n, "peer", r->c->group, 1) : NULL;
        char vraw[80] = "-", vpeer[80] = "-", vfloor[16];
        if (raw) {
            fmt_ratio(a, sizeof a, r->rtt[0].p50, raw->rtt[0].p50);
            fmt_ratio(b, sizeof b, raw->mps, r->mps);
            snprintf(vraw, sizeof vraw, "%s / %s", a, b);
        }
        if (peer) {
            fmt_ratio(a, sizeof a, r->rtt[0].p50, peer->rtt[0].p50);
            fmt_ratio(b, sizeof b, peer->mps, r->mps);
            snprintf(vpeer, sizeof vpeer, "%s / %s", a, b);
        }
        fmt_ratio(vfloor, sizeof vfloor, r->rtt[0].p50, fl.p50);
        fmt_ns(a, sizeof a, r->rtt[0].p50);
        fmt_ns(b, sizeof b, r->rtt[0].p99);
        fmt_ns(c, sizeof c, r->rtt[0].p999);
        fmt_ns(d, sizeof d, r->rtt[1].p50);
        fmt_ns(e, sizeof e, r->rtt[1].p99);
        snprintf(g, sizeof g, r->mps > 0 ? "%.0f" : "-", r->mps);
        snprintf(h, sizeof h, r->gbps > 0 ? "%.2f" : "-", r->gbps);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                r->c->name, a, b, c, d, e, g, h, vraw, vfloor, vpeer);
    }
    fmt_ns(a, sizeof a, fl.p50);
    fmt_ns(b, sizeof b, fl.p99);
    fmt_ns(c, sizeof c, fl.p999);
    fprintf(f, "| floor: cache-line ping-pong | %s | %s | %s | | | | %.2f (memcpy %zu B, 1 core) | | | |\n",
            a, b, c, mcpy, p->large);
    fprintf(f, "\nRatios: \"vs raw\" and \"vs best peer\" are ipcx's round-trip p50 over theirs "
               "(lower is better) and their msgs/s over ipcx's (lower is better); "
               "\"vs floor\" is ipcx's round-trip p50 over the cache-line ping-pong.\n");
}

static void json_lat(FILE *f, const char *k, struct lat l)
{
    fprintf(f, "\"%s\": {\"p50_ns\": %.0f, \"p99_ns\": %.0f, \"p999_ns\": %.0f}", k, l.p50, l.p99, l.p999);
}

static int write_json(const char *path, const struct result *rs, int n, const struct params *p,
                      struct lat fl, double mcpy)
{
    FILE *f = fopen(path, "w");
    struct utsname u;
    if (!f)
        return -errno;
    uname(&u);
    fprintf(f, "{\n  \"machine\": {\"kernel\": \"%s\", \"cpus\": %ld},\n", u.release,
            sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "  \"sizes\": {\"small\": %zu, \"medium\": %zu, \"large\": %zu},\n", p->small,
            p->medium, p->large);
    fprintf(f, "  \"counts\": {\"round_trips\": %ld, \"flood_small\": %ld, \"flood_large\": %ld},\n",
            p->rtts, p->flood_small, p->flood_large);
    fprintf(f, "  \"floor\": {");
    json_lat(f, "cacheline_rtt", fl);
    fprintf(f, ", \"memcpy_gbps\": %.3f},\n  \"results\": [\n", mcpy);
    for (int i = 0; i < n; i++) {
        const struct result *r = &rs[i];
        fprintf(f, "    {\"name\": \"%s\", \"kind\": \"%s\", \"group\": \"%s\", \"failed\": %s, "
                   "\"errors\": %ld, ",
                r->c->name, r->c->kind, r->c->group, r->failed ? "true" : "false", r->errors);
        json_lat(f, "rtt_small", r->rtt[0]);
        fprintf(f, ", ");
        json_lat(f, "rtt_medium", r->rtt[1]);
        fprintf(f, ", \"msgs_per_s_small\": %.0f, \"gbps_large\": %.3f}%s\n", r->mps, r->gbps,
                i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return fclose(f) == 0 ? 0 : -errno;
}

static int write_csv(const char *path, const struct result *rs, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "name,kind,group,failed,errors,rtt_small_p50_ns,rtt_small_p99_ns,rtt_small_p999_ns,"
               "rtt_medium_p50_ns,rtt_medium_p99_ns,msgs_per_s_small,gbps_large\n");
    for (int i = 0; i < n; i++) {
        const struct result *r = &rs[i];
        fprintf(f, "%s,%s,%s,%d,%ld,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.3f\n", r->c->name, r->c->kind,
                r->c->group, r->failed, r->errors, r->rtt[0].p50, r->rtt[0].p99, r->rtt[0].p999,
                r->rtt[1].p50, r->rtt[1].p99, r->mps, r->gbps);
    }
    return fclose(f) == 0 ? 0 : -errno;
}

/* An SVG bar chart of the small-message round trip, log scale, through gnuplot. */
static int write_plot(const char *path, const struct result *rs, int n, struct lat fl,
                      const struct params *p)
{
    char dat[] = "/tmp/ipcx-bench-plot-XXXXXX";
    int fd = mkstemp(dat);
    if (fd < 0)
        return -errno;
    FILE *d = fdopen(fd, "w");
    fprintf(d, "\"floor\" %.0f %.0f\n", fl.p50, fl.p99);
    for (int i = 0; i < n; i++)
        if (!rs[i].failed && rs[i].rtt[0].p50 > 0)
            fprintf(d, "\"%s\" %.0f %.0f\n", rs[i].c->name, rs[i].rtt[0].p50, rs[i].rtt[0].p99);
    fclose(d);
    FILE *g = popen("gnuplot 2>&1", "w");
    if (!g) {
        unlink(dat);
        return -ENOENT;
    }
    fprintf(g, "set terminal svg size 1000,520 dynamic\nset output '%s'\n"
               "set title 'ipcx bench: round trip of %zu B messages (p50 and p99, log scale)'\n"
               "set logscale y\nset ylabel 'ns'\nset style data histogram\n"
               "set style histogram cluster gap 1\nset style fill solid 0.8 border -1\n"
               "set xtics rotate by -35\nset bmargin 9\nset rmargin 8\nset key top left\nset grid ytics\n"
               "plot '%s' using 2:xtic(1) title 'p50', '' using 3 title 'p99'\n",
            path, p->small, dat);
    int st = pclose(g);
    unlink(dat);
    return st == 0 ? 0 : -EIO;
}

/* ---- the command -------------------------------------------------------- */

static const char bench_help[] =
    "Usage: ipcx bench [OPTION...] [URL|SCHEME...]\n"
    "Measure round-trip latency (p50, p99, p99.9) and one-way throughput of each\n"
    "transport between two processes pinned to CPUs 0 and 1, beside the raw\n"
    "mechanism, the hardware floor (a cache-line ping-pong, memcpy bandwidth) and\n"
    "the peer libraries built in (ZeroMQ, nng).  Every message carries a sequence\n"
    "number and a checksum that the other side verifies; a wrong one fails the run.\n"
    "With no URL or SCHEME: every built-in scheme.  A SCHEME picks the built-in\n"
    "rows of that scheme (e.g. unix); a URL (with %p for the pid) benches it.\n"
    "\n"
    "  -s, --size N     small message size (default 64; medium 4096, large 65536)\n"
    "  -n, --count N    round trips per size (default 10000; floods are scaled)\n"
    "      --json FILE  write the results as JSON\n"
    "      --csv FILE   write the results as CSV\n"
    "      --plot FILE  draw an SVG chart with gnuplot\n"
    "      --no-refs    only the ipcx rows (no raw, floor or peers)\n"
    "  -q, --quiet      no progress line on stderr\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 all measured and verified, 1 a failure or a verification\n"
    "error, 2 bad usage.\n";

static int cand_selected(const struct bench_cand *c, char **sel, int nsel)
{
    if (nsel == 0)
        return 1;
    for (int i = 0; i < nsel; i++) {
        size_t l = strlen(sel[i]);
        if (strncmp(c->url, sel[i], l) == 0 && (c->url[l] == ':' || c->url[l] == '\0'))
            return 1;
        if (strcmp(c->group, sel[i]) == 0)
            return 1;
    }
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_CSV, OPT_PLOT, OPT_NOREFS };
    static const struct option opts[] = {
        { "size", required_argument, NULL, 's' },
        { "count", required_argument, NULL, 'n' },
        { "json", required_argument, NULL, OPT_JSON },
        { "csv", required_argument, NULL, OPT_CSV },
        { "plot", required_argument, NULL, OPT_PLOT },
        { "no-refs", no_argument, NULL, OPT_NOREFS },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct params p = { 64, 4096, 65536, 10000, 0, 0, 0 };
    const char *json = NULL, *csv = NULL, *plot = NULL;
    static struct bench_cand cands[MAX_CANDS];
    static struct result rs[MAX_CANDS];
    static char urls[MAX_CANDS][512];
    int c, norefs = 0, ncand = 0, rc = 0;
    long v;

    while ((c = getopt_long(argc, argv, "+s:n:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if ((v = cmd_parse_num(optarg, HDR_BYTES, 16 << 20)) == LONG_MIN)
                return cmd_usage_error("bench", "bad size '%s' (16 bytes to 16 MiB)", optarg);
            p.small = (size_t) v;
            break;
        case 'n':
            if ((v = cmd_parse_num(optarg, 10, 100000000)) == LONG_MIN)
                return cmd_usage_error("bench", "bad count '%s' (at least 10)", optarg);
            p.rtts = v;
            break;
        case OPT_JSON: json = optarg; break;
        case OPT_CSV: csv = optarg; break;
        case OPT_PLOT: plot = optarg; break;
        case OPT_NOREFS: norefs = 1; break;
        case 'q': p.quiet = 1; break;
        case 'h':
            fputs(bench_help, stdout);
            return 0;
        default:
            return cmd_usage_error("bench", "%s", "bad option");
        }
    }
    if (p.medium < p.small)
        p.medium = p.small;
    if (p.large < p.small)
        p.large = p.small;
    p.flood_small = p.rtts * 10;
    p.flood_large = p.rtts / 10 > 20 ? p.rtts / 10 : 20;

    /* The candidates: built-in rows selected by scheme, URLs given, then references. */
    char **sel = argv + optind;
    int nsel = argc - optind;
    for (int i = 0; i < nsel && ncand < MAX_CANDS; i++) {
        if (!strchr(sel[i], ':'))
            continue;
        snprintf(urls[ncand], sizeof urls[0], "%s", sel[i]);
        cands[ncand] = (struct bench_cand) IPCX_CAND(urls[ncand], "url", urls[ncand]);
        ncand++;
    }
    int only_urls = ncand == nsel && nsel > 0;
    for (size_t i = 0; i < sizeof std_cands / sizeof std_cands[0] && ncand < MAX_CANDS; i++) {
        const struct bench_cand *s = &std_cands[i];
        int is_ref = strcmp(s->kind, "ipcx") != 0;
        if ((is_ref && norefs) || (!is_ref && only_urls))
            continue;
        /* A reference joins when an ipcx row of its group is selected. */
        if (!is_ref && !cand_selected(s, sel, nsel))
            continue;
        if (is_ref) {
            int want = only_urls;
            for (int k = 0; k < ncand; k++)
                want |= strcmp(cands[k].group, s->group) == 0;
            if (!want)
                continue;
        }
        cands[ncand++] = *s;
    }
    if (!norefs) {
        struct bench_cand peers[8];
        int np = bench_peer_cands(peers, 8);
        for (int i = 0; i < np && ncand < MAX_CANDS; i++) {
            int want = only_urls;
            for (int k = 0; k < ncand; k++)
                want |= strcmp(cands[k].group, peers[i].group) == 0 && strcmp(cands[k].kind, "ipcx") == 0;
            if (want)
                cands[ncand++] = peers[i];
        }
    }
    if (ncand == 0)
        return cmd_usage_error("bench", "nothing to measure: no scheme matches '%s'",
                               nsel ? sel[0] : "");

    signal(SIGPIPE, SIG_IGN); /* the raw references write to pipes without ipcx's care */
    struct lat fl = { -1, -1, -1 };
    double mcpy = -1;
    if (!norefs) {
        progress(&p, "cache-line ping-pong", "floor");
        fl = floor_pingpong(p.rtts * 10);
        mcpy = floor_memcpy(p.large, (long) ((1L << 31) / (long) p.large));
    }
    for (int i = 0; i < ncand; i++) {
        run_isolated(&cands[i], &p, &rs[i]);
        if (rs[i].failed || rs[i].errors) {
            fprintf(stderr, "\r\033[Kipcx bench: %s: %s\n", cands[i].name,
                    rs[i].failed ? rs[i].why : "messages failed verification");
            rc = EXIT_RUNTIME;
        }
    }
    if (!norefs) {
        /* The floor of a VM jumps now and then: measure it again at the end
         * and keep the lower, so a jump during the first turn does not make
         * every ratio look better than it is. */
        progress(&p, "cache-line ping-pong, again", "floor");
        struct lat again = floor_pingpong(p.rtts * 10);
        if (again.p50 > 0 && (fl.p50 <= 0 || again.p50 < fl.p50))
            fl = again;
    }
    if (!p.quiet)
        fprintf(stderr, "\r\033[K");
    print_table(stdout, rs, ncand, &p, fl, mcpy);
    if (json && (c = write_json(json, rs, ncand, &p, fl, mcpy)) < 0)
        rc = cmd_fail(json, c);
    if (csv && (c = write_csv(csv, rs, ncand)) < 0)
        rc = cmd_fail(csv, c);
    if (plot && (c = write_plot(plot, rs, ncand, fl, &p)) < 0)
        rc = cmd_fail(plot, c);
    return rc;
}
