/*
 * pool_sock.c - the worker pool over unix: and tcp: (pool_int.h): the
 * submitter is the dispatcher, listening on the URL; each worker connects
 * to it and says in its HELLO how many jobs it will hold at once (its
 * window, ?window=N, default 1).  The dispatcher keeps every job it was
 * given until the worker that has it sends DONE: a worker whose connection
 * ends (closed, SIGKILLed, its host gone) has its jobs put back at the
 * front of the queue and handed to the next worker with room.  A worker
 * never holds more than its window, so a slow worker does not hoard jobs
 * that a fast one could do.
 *
 * The dispatcher runs inside the submitter's calls, ipcx_pool_submit()
 * and ipcx_pool_dispatch(): no thread, no hidden process.  A submitter
 * that has handed in its jobs calls ipcx_pool_dispatch() until they are
 * done.  Its workers block in their own ipcx_pool_take(); a dispatcher
 * that goes away gives them -EPIPE (end of stream).
 *
 * Everything a worker sends is checked (pool_wire.c for the header; here:
 * a HELLO first and once, a DONE only for a job this dispatcher handed to
 * that very worker and which it still holds): anything else drops that
 * worker only, its jobs go to the others.  A worker checks the same way
 * that its dispatcher sends only jobs that fit.
 *
 * Not here: the frame codec (pool_wire.c), shared queues (pool.c, pool_mq.c).
 */
#include "pool_int.h"
#include "pool_wire.h"
#include "ipcx/pubsub.h"
#include "../util/err.h"
#include "../util/url.h"
#include "../util/owner.h"
#include "../sys/sys.h"
#include "../sys/net.h"
#include "../sys/fs.h"
#include "../transport/frame.h"
#include "../transport/sock.h"
#include "../transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PSK_MAX_WORKERS 256              /* connections one dispatcher keeps */
#define PSK_BACKLOG     1024             /* jobs kept undone before submit waits */
#define PSK_KEYS        "maxmsg window backlog mode allow"

/* One job the dispatcher keeps until it is done. */
struct psk_job {
    struct psk_job *next;   /* in the queue */
    uint64_t id;
    uint32_t len;
    uint8_t  data[];
};

/* One worker's connection, as the dispatcher sees it. */
struct psk_worker {
    int       fd;
    uint64_t  seq;          /* accepted as the seq-th: the lowest is the oldest */
    unsigned  window;       /* 0 until its HELLO */
    unsigned  nheld;
    struct psk_job *held[IPCX_POOL_WINDOW_MAX];
    uint8_t   in[4 * IPCX_POOL_HDR];
    size_t    inlen;
    uint8_t  *out;          /* frames not yet written to it */
    size_t    outlen, outoff, outcap;
};

struct psk {
    int       worker;       /* 1: this end is a worker */
    int       fd;           /* the listener, or the worker's connection; -1 when gone */
    int       local;        /* unix: the peer's uid is known (SO_PEERCRED) and checked */
    struct ipcx_allow allow;  /* allow=: peers besides this user and root (owner.h) */
    size_t    maxmsg;
    char      addr[IPCX_URL_MAX];
    /* dispatcher */
    char      path[sizeof ((struct sockaddr_un *) 0)->sun_path]; /* socket file to remove */
    pid_t     owner;        /* the process that bound it: only it removes the file */
    int       spare;
    size_t    backlog;
    struct psk_job *head, *tail;
    size_t    undone;       /* queued or held */
    uint64_t  next_id;
    struct psk_worker *w[PSK_MAX_WORKERS];
    unsigned  nw, rr;
    uint64_t  accepted;     /* connections taken, for psk_worker.seq */
    long long redelivered;
    /* worker */
    unsigned  window;
    uint8_t  *rx;           /* the frame being read: header and job */
    size_t    rxlen;
    uint64_t  cur;          /* the job taken and not done, or 0 */
};

/* ---- opening ---------------------------------------------------------------- */

static int psk_keys(struct psk *s, const struct ipcx_url *u)
{
    int64_t v;
    int r = ipcx__url_check_keys(u, PSK_KEYS);
    if (r < 0)
        return r;
    if ((r = ipcx__url_size(u, "maxmsg", IPCX_MAXMSG_DEFAULT, 1, IPCX_FRAME_TOTAL_MAX,
                            &s->maxmsg)) < 0)
        return r;
    if ((r = ipcx__url_int(u, "window", 1, 1, IPCX_POOL_WINDOW_MAX, &v)) < 0)
        return r;
    s->window = (unsigned) v;
    if ((r = ipcx__url_int(u, "backlog", PSK_BACKLOG, 1, 1 << 24, &v)) < 0)
        return r;
    s->backlog = (size_t) v;
    s->local = !strcmp(u->scheme, "unix");
    return ipcx__url_allow(u, "allow", &s->allow);
}

/*
 * unix: the other end must be this user, root, or named by allow= (the
 * owner rule of src/util/owner.c, applied to the peer's credentials).  An
 * abstract name has no file mode, and a socket file's mode= may admit more
 * users than should hand out or take jobs: without this check anyone who
 * can connect takes root's jobs, or a squatter's dispatcher feeds root's
 * workers.  tcp: has no credentials: it trusts the network (pool docs).
 * 0, -EACCES with a detail, or -errno.
 */
static int psk_peer_check(const struct psk *s, int fd, const char *who)
{
    uid_t uid;
    gid_t gid;
    if (!s->local)
        return 0;
    int r = ipcx__peercred(fd, NULL, &uid, &gid);
    if (r < 0)
        return r;
    struct ipcx__owner o = { uid, uid, gid, gid, 0 };
    if (ipcx__owner_trusted(&o, &s->allow))
        return 0;
    return ipcx__fail(-EACCES, "pool: the %s is uid %u gid %u, not this user, root or allow=",
                      who, (unsigned) uid, (unsigned) gid);
}

/* The dispatcher's socket: bound and listening on u. */
static int psk_listen(struct psk *s, const struct ipcx_url *u, int flags)
{
    struct sockaddr_storage ss;
    int r, fd = -1;

    if (!strcmp(u->scheme, "tcp")) {
        struct addrinfo *res;
        if ((r = ipcx__tcp_resolve(u, 1, &res)) < 0)
            return r;
        r = -EADDRNOTAVAIL;
        for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
            if ((fd = r = ipcx__socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK)) < 0)
                continue;
            (void) ipcx__setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
            if ((r = ipcx__bind(fd, ai->ai_addr, ai->ai_addrlen)) < 0 ||
                (r = ipcx__listen(fd)) < 0 || (r = ipcx__getsockname(fd, &ss)) < 0) {
                (void) ipcx__close(fd);
                fd = -1;
            }
        }
        freeaddrinfo(res);
        if (fd < 0)
            return r == -EADDRINUSE ? ipcx__fail(r, "the port is in use") : r;
        ipcx__tcp_format((struct sockaddr *) &ss, s->addr, sizeof s->addr);
        s->fd = fd;
        return 0;
    }
    struct unix_addr a;
    mode_t mode;
    if ((r = ipcx__unix_parse(u, &a)) < 0 || (r = ipcx__url_mode(u, "mode", 0600, &mode)) < 0)
        return r;
    if (a.type != SOCK_STREAM)
        return ipcx__fail(-EINVAL, "a pool needs a stream socket (no ?type=)");
    if (!a.abstract) {
        /* unix.c's rule for a path: take over only a stale socket of ours. */
        struct ipcx_chan probe = { .flags = flags };
        if ((r = ipcx__unix_clear(&probe, &a)) < 0)
            return r;
    }
    if ((fd = ipcx__socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK)) < 0)
        return fd;
    if ((r = ipcx__bind(fd, (const struct sockaddr *) &a.sa, a.len)) < 0) {
        (void) ipcx__close(fd);
        return r == -EADDRINUSE ? ipcx__fail(r, "a pool already listens at %s", u->path) : r;
    }
    if (!a.abstract) {
        snprintf(s->path, sizeof s->path, "%s", a.sa.sun_path);
        s->owner = ipcx__self_pid();
        if ((r = ipcx__chmod(s->path, mode)) < 0) {
            (void) ipcx__close(fd);
            (void) ipcx__unlinkat(AT_FDCWD, s->path, 0);
            s->path[0] = '\0';
            return r;
        }
    }
    if ((r = ipcx__listen(fd)) < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    snprintf(s->addr, sizeof s->addr, "unix:%s%s", a.abstract ? "@" : "",
             a.abstract ? a.sa.sun_path + 1 : a.sa.sun_path);
    s->fd = fd;
    return 0;
}

/* A blocking connect of a new stream socket to sa, then non-blocking. */
static int psk_connect_one(int family, const struct sockaddr *sa, socklen_t len)
{
    int fd = ipcx__socket(family, SOCK_STREAM), r;
    if (fd < 0)
        return fd;
    if ((r = ipcx__connect(fd, sa, len)) < 0 || (r = ipcx__set_nonblock(fd)) < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    if (family != AF_UNIX) /* a DONE is 16 bytes: never wait for more to send it */
        (void) ipcx__setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    return fd;
}

static int psk_connect(struct psk *s, const struct ipcx_url *u, const char *url)
{
    int fd = -ENOENT;
    if (!strcmp(u->scheme, "tcp")) {
        struct addrinfo *res;
        int r = ipcx__tcp_resolve(u, 0, &res);
        if (r < 0)
            return r;
        for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
            if ((fd = psk_connect_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen)) >= 0)
                break;
        freeaddrinfo(res);
    } else {
        struct unix_addr a;
        int r = ipcx__unix_parse(u, &a);
        if (r < 0)
            return r;
        if (a.type != SOCK_STREAM)
            return ipcx__fail(-EINVAL, "a pool needs a stream socket (no ?type=)");
        fd = psk_connect_one(AF_UNIX, (const struct sockaddr *) &a.sa, a.len);
    }
    if (fd < 0)
        return ipcx__fail(fd, "no pool dispatcher at %s", url);
    int r = psk_peer_check(s, fd, "dispatcher");
    if (r < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    s->fd = fd;
    snprintf(s->addr, sizeof s->addr, "%s", url);
    return 0;
}

/* Write all n bytes to a worker's or the dispatcher's socket, waiting as needed. */
static int psk_write_all(int fd, const uint8_t *p, size_t n, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    while (n) {
        struct iovec v = { (void *) p, n };
        ssize_t w = ipcx__sendv(fd, &v, 1);
        if (w > 0) {
            p += w;
            n -= (size_t) w;
            continue;
        }
        if (w != -EAGAIN)
            return w == -ECONNRESET ? -EPIPE : (int) w;
        int r = ipcx__poll1(fd, POLLOUT, ipcx__remaining(&d));
        if (r == 0)
            return ipcx__expired(&d);
        if (r < 0 && (r != -EINTR || ipcx__intr_returns()))
            return r;
    }
    return 0;
}

static int psk_open(void **impl, const char *url, const struct ipcx_url *u, int flags)
{
    struct psk *s = calloc(1, sizeof *s);
    int r;
    if (!s)
        return -ENOMEM;
    s->fd = s->spare = -1;
    s->worker = (flags & IPCX_RECV) != 0;
    if ((r = psk_keys(s, u)) < 0)
        goto fail;
    if (s->worker) {
        if (!(s->rx = malloc(IPCX_POOL_HDR + s->maxmsg))) {
            r = -ENOMEM;
            goto fail;
        }
        if ((r = psk_connect(s, u, url)) < 0)
            goto fail;
        uint8_t hello[IPCX_POOL_HDR];
        ipcx__pool_frame_put(hello, &(struct ipcx__pool_frame){ IPCX_POOL_HELLO, 0, s->window });
        if ((r = psk_write_all(s->fd, hello, sizeof hello, -1)) < 0)
            goto fail;
    } else {
        s->next_id = 1;
        if ((r = psk_listen(s, u, flags)) < 0)
            goto fail;
        s->spare = ipcx__spare_fd(); /* without one, EMFILE is only slower to shed */
    }
    *impl = s;
    return 0;
fail:
    free(s->rx);
    (void) ipcx__close(s->fd);
    free(s);
    return r;
}

/* ---- the dispatcher ------------------------------------------------------- */

/* Put a job at the back of the queue (new) or the front (given back). */
static void psk_enqueue(struct psk *s, struct psk_job *j, int front)
{
    if (front) {
        j->next = s->head;
        s->head = j;
        if (!s->tail)
            s->tail = j;
    } else {
        j->next = NULL;
        if (s->tail)
            s->tail->next = j;
        else
            s->head = j;
        s->tail = j;
    }
}

/* Forget worker i: its jobs go back to the front of the queue, in order. */
static void psk_drop(struct psk *s, unsigned i)
{
    struct psk_worker *w = s->w[i];
    for (unsigned k = w->nheld; k-- > 0;)
        psk_enqueue(s, w->held[k], 1);
    s->redelivered += w->nheld;
    (void) ipcx__close(w->fd);
    free(w->out);
    free(w);
    s->w[i] = s->w[--s->nw];
    if (s->rr >= s->nw)
        s->rr = 0;
}

/* Queue bytes for worker w; -ENOMEM leaves w unchanged. */
static int psk_out(struct psk_worker *w, const void *a, size_t an, const void *b, size_t bn)
{
    if (w->outoff && w->outoff == w->outlen)
        w->outoff = w->outlen = 0;
    if (w->outlen + an + bn > w->outcap) {
        size_t cap = (w->outlen + an + bn) * 2;
        uint8_t *p = realloc(w->out, cap);
        if (!p)
            return -ENOMEM;
        w->out = p;
        w->outcap = cap;
    }
    memcpy(w->out + w->outlen, a, an);
    if (bn)
        memcpy(w->out + w->outlen + an, b, bn);
    w->outlen += an + bn;
    return 0;
}

/* Write what is queued for w as far as its socket takes it: 0, or -errno (drop it). */
static int psk_flush(struct psk_worker *w)
{
    while (w->outoff < w->outlen) {
        struct iovec v = { w->out + w->outoff, w->outlen - w->outoff };
        ssize_t n = ipcx__sendv(w->fd, &v, 1);
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int) n;
        w->outoff += (size_t) n;
    }
    w->outoff = w->outlen = 0;
    return 0;
}

/* Hand queued jobs to workers with room, taking turns. */
static void psk_assign(struct psk *s)
{
    while (s->head && s->nw) {
        unsigned i, k;
        for (k = 0; k < s->nw; k++) {
            i = (s->rr + k) % s->nw;
            if (s->w[i]->window && s->w[i]->nheld < s->w[i]->window)
                break;
        }
        if (k == s->nw)
            return; /* every worker is full */
        struct psk_worker *w = s->w[i];
        struct psk_job *j = s->head;
        uint8_t hdr[IPCX_POOL_HDR];
        ipcx__pool_frame_put(hdr, &(struct ipcx__pool_frame){ IPCX_POOL_JOB, j->len, j->id });
        if (psk_out(w, hdr, sizeof hdr, j->data, j->len) < 0)
            return; /* out of memory: the job waits in the queue */
        s->head = j->next;
        if (!s->head)
            s->tail = NULL;
        w->held[w->nheld++] = j;
        s->rr = (i + 1) % s->nw;
    }
}

/* One frame from worker w: 0, or -EBADMSG (drop it) with a detail. */
static int psk_frame(struct psk *s, struct psk_worker *w, const struct ipcx__pool_frame *f)
{
    if (f->kind == IPCX_POOL_HELLO) {
        if (w->window)
            return ipcx__fail(-EBADMSG, "pool: a second HELLO from a worker");
        w->window = (unsigned) f->id;
        return 0;
    }
    if (f->kind != IPCX_POOL_DONE || !w->window)
        return ipcx__fail(-EBADMSG, "pool: a worker sent kind %u %s", f->kind,
                          w->window ? "(workers send only DONE)" : "before its HELLO");
    for (unsigned k = 0; k < w->nheld; k++)
        if (w->held[k]->id == f->id) {
            free(w->held[k]);
            memmove(&w->held[k], &w->held[k + 1], (w->nheld - k - 1) * sizeof w->held[0]);
            w->nheld--;
            s->undone--;
            return 0;
        }
    return ipcx__fail(-EBADMSG, "pool: a worker says job %llu is done, which it does not hold",
                      (unsigned long long) f->id);
}

/* Read what worker w sent: 0, or -errno / -EPIPE at its end (drop it). */
static int psk_read(struct psk *s, struct psk_worker *w)
{
    for (;;) {
        ssize_t n = ipcx__read(w->fd, w->in + w->inlen, sizeof w->in - w->inlen);
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int) n;
        if (n == 0)
            return -EPIPE;
        w->inlen += (size_t) n;
        size_t off = 0;
        struct ipcx__pool_frame f;
        int r;
        while ((r = ipcx__pool_frame_decode(w->in + off, w->inlen - off, 0, &f)) == 0) {
            if ((r = psk_frame(s, w, &f)) < 0)
                return r;
            off += IPCX_POOL_HDR;
        }
        if (r != -EAGAIN)
            return r;
        memmove(w->in, w->in + off, w->inlen - off);
        w->inlen -= off;
    }
}

/*
 * At the connection limit: drop the oldest connection that has not said
 * HELLO (it holds no job), so that connections which never speak cannot
 * keep real workers out for ever.  1 if one was dropped, 0 if every
 * connection is a worker (then the newcomer is refused).
 */
static int psk_shed(struct psk *s)
{
    unsigned oldest = s->nw;
    for (unsigned i = 0; i < s->nw; i++)
        if (!s->w[i]->window && (oldest == s->nw || s->w[i]->seq < s->w[oldest]->seq))
            oldest = i;
    if (oldest == s->nw)
        return 0;
    psk_drop(s, oldest);
    return 1;
}

/* Take every connection waiting on the listener, up to PSK_MAX_WORKERS. */
static void psk_accept(struct psk *s)
{
    for (;;) {
        int fd = ipcx__accept(s->fd);
        if (fd == -EMFILE || fd == -ENFILE) {
            if (psk_shed(s) || ipcx__accept_refuse(s->fd, &s->spare) > 0)
                continue;
            return;
        }
        if (fd < 0)
            return;
        if (psk_peer_check(s, fd, "worker") < 0 || (s->nw == PSK_MAX_WORKERS && !psk_shed(s))) {
            (void) ipcx__close(fd);
            continue;
        }
        struct psk_worker *w = calloc(1, sizeof *w);
        if (!w) {
            (void) ipcx__close(fd);
            continue;
        }
        (void) ipcx__setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1); /* fails on unix: */
        w->fd = fd;
        w->seq = s->accepted++;
        s->w[s->nw++] = w;
    }
}

/* One round: accept, read, hand out, write; waits up to timeout_ms for something. */
static int psk_pump(struct psk *s, int timeout_ms)
{
    struct pollfd p[1 + PSK_MAX_WORKERS];
    psk_assign(s);
    for (unsigned i = s->nw; i-- > 0;)
        if (psk_flush(s->w[i]) < 0)
            psk_drop(s, i);
    p[0] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
    for (unsigned i = 0; i < s->nw; i++)
        p[1 + i] = (struct pollfd){ .fd = s->w[i]->fd,
                                    .events = POLLIN | (s->w[i]->outlen ? POLLOUT : 0) };
    unsigned n = s->nw;
    int r = ipcx__poll(p, 1 + n, timeout_ms);
    if (r < 0)
        return r == -EINTR && !ipcx__intr_returns() ? 0 : r; /* the library's EINTR rule */
    /* Backwards: a drop moves the last worker into the hole. */
    for (unsigned i = n; i-- > 0;) {
        if (!p[1 + i].revents)
            continue;
        int e = psk_read(s, s->w[i]);
        if (e == 0 && (p[1 + i].revents & POLLOUT))
            e = psk_flush(s->w[i]);
        if (e < 0)
            psk_drop(s, i);
    }
    if (p[0].revents)
        psk_accept(s);
    psk_assign(s);
    for (unsigned i = s->nw; i-- > 0;)
        if (psk_flush(s->w[i]) < 0)
            psk_drop(s, i);
    return 0;
}

static int psk_submit(void *impl, const void *job, size_t len, int timeout_ms)
{
    struct psk *s = impl;
    if (s->worker)
        return ipcx__fail(-EBADF, "a worker does not submit");
    if (len > s->maxmsg)
        return ipcx__fail(-EMSGSIZE, "a job of %zu bytes, the pool's maxmsg is %zu", len,
                          s->maxmsg);
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    while (s->undone >= s->backlog) {
        if (ipcx__remaining(&d) == 0)
            return ipcx__expired(&d);
        int r = psk_pump(s, ipcx__remaining(&d));
        if (r < 0)
            return r;
    }
    struct psk_job *j = malloc(sizeof *j + len);
    if (!j)
        return -ENOMEM;
    j->id = s->next_id++;
    j->len = (uint32_t) len;
    if (len)
        memcpy(j->data, job, len);
    psk_enqueue(s, j, 0);
    s->undone++;
    return psk_pump(s, 0);
}

static int psk_dispatch(void *impl, int timeout_ms)
{
    struct psk *s = impl;
    if (s->worker)
        return ipcx__fail(-EBADF, "a worker does not dispatch");
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    for (;;) {
        int r = psk_pump(s, s->undone ? ipcx__remaining(&d) : 0);
        if (r < 0)
            return r;
        if (!s->undone)
            return 0;
        if (ipcx__remaining(&d) == 0)
            return ipcx__expired(&d);
    }
}

/* ---- the worker --------------------------------------------------------------- */

/* The worker's connection is over (its dispatcher went away or misbehaved). */
static int psk_gone(struct psk *s, int err)
{
    (void) ipcx__close(s->fd);
    s->fd = -1;
    return err;
}

static long psk_take(void *impl, void *buf, size_t cap, int timeout_ms)
{
    struct psk *s = impl;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    struct ipcx__pool_frame f;

    if (!s->worker)
        return ipcx__fail(-EBADF, "a submitter does not take jobs");
    if (s->fd < 0)
        return ipcx__fail(-EPIPE, "the pool's dispatcher is gone");
    for (;;) {
        size_t need = IPCX_POOL_HDR;
        int r = ipcx__pool_frame_decode(s->rx, s->rxlen, s->maxmsg, &f);
        if (r == 0 && f.kind != IPCX_POOL_JOB)
            r = ipcx__fail(-EBADMSG, "pool: the dispatcher sent kind %u, not a job", f.kind);
        if (r == -EBADMSG)
            return psk_gone(s, r);
        if (r == 0) {
            need += f.len;
            if (s->rxlen == need)
                break;
        }
        /* Read only up to the end of this frame: the next jobs wait in the kernel.
         * read(2), not recv: MSG_TRUNC (ipcx__recv) discards TCP bytes. */
        ssize_t n = ipcx__read(s->fd, s->rx + s->rxlen, need - s->rxlen);
        if (n > 0) {
            s->rxlen += (size_t) n;
            continue;
        }
        if (n == 0 || n == -ECONNRESET)
            return psk_gone(s, ipcx__fail(-EPIPE, "the pool's dispatcher is gone"));
        if (n != -EAGAIN)
            return (long) n;
        int p = ipcx__poll1(s->fd, POLLIN, ipcx__remaining(&d));
        if (p == 0)
            return ipcx__expired(&d);
        if (p < 0 && (p != -EINTR || ipcx__intr_returns()))
            return p;
    }
    if (f.len > cap) /* it stays this worker's: a take with a larger buffer gets it */
        return ipcx__fail(-EMSGSIZE, "a job of %u bytes does not fit in %zu", f.len, cap);
    if (f.len)
        memcpy(buf, s->rx + IPCX_POOL_HDR, f.len);
    s->rxlen = 0;
    s->cur = f.id;
    return (long) f.len;
}

static int psk_done(void *impl)
{
    struct psk *s = impl;
    uint8_t hdr[IPCX_POOL_HDR];
    if (s->fd < 0)
        return ipcx__fail(-EPIPE, "the pool's dispatcher is gone");
    ipcx__pool_frame_put(hdr, &(struct ipcx__pool_frame){ IPCX_POOL_DONE, 0, s->cur });
    s->cur = 0;
    int r = psk_write_all(s->fd, hdr, sizeof hdr, -1);
    return r == -EPIPE ? psk_gone(s, ipcx__fail(r, "the pool's dispatcher is gone")) : r;
}

/* ---- the rest ------------------------------------------------------------------- */

static int psk_addr(void *impl, char *buf, size_t cap)
{
    struct psk *s = impl;
    int n = snprintf(buf, cap, "%s", s->addr);
    return n < 0 || (size_t) n >= cap ? -ENOSPC : n;
}

/* The workers that said HELLO, after taking what waits on the listener. */
static int psk_workers(void *impl)
{
    struct psk *s = impl;
    int n = 0, r;
    if (s->worker)
        return ipcx__fail(-EBADF, "a worker does not count workers");
    if ((r = psk_pump(s, 0)) < 0)
        return r;
    for (unsigned i = 0; i < s->nw; i++)
        n += s->w[i]->window != 0;
    return n;
}

static long long psk_redelivered(void *impl)
{
    return ((struct psk *) impl)->redelivered;
}

static int psk_close(void *impl)
{
    struct psk *s = impl;
    while (s->nw)
        psk_drop(s, s->nw - 1);
    for (struct psk_job *j = s->head, *next; j; j = next) {
        next = j->next;
        free(j);
    }
    if (s->path[0] && s->owner == ipcx__self_pid())
        (void) ipcx__unlinkat(AT_FDCWD, s->path, 0);
    int r = ipcx__close(s->fd);
    (void) ipcx__close(s->spare);
    free(s->rx);
    free(s);
    return r;
}

static int psk_unlink(const char *url, const struct ipcx_url *u)
{
    (void) url;
    return strcmp(u->scheme, "unix") ? 0 : ipcx__unix_unlink(u);
}

const struct ipcx__pool_ops ipcx__pool_sock = {
    .open        = psk_open,
    .submit      = psk_submit,
    .take        = psk_take,
    .done        = psk_done,
    .dispatch    = psk_dispatch,
    .addr        = psk_addr,
    .redelivered = psk_redelivered,
    .workers     = psk_workers,
    .close       = psk_close,
    .unlink      = psk_unlink,
};
