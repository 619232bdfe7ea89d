/*
 * stream_rx.c - the receiver of the stream engine: its sources (a pipe, a
 * bound datagram socket, or the connections a listening socket accepted),
 * taken round-robin so no sender starves, within the budget and the stall
 * limit (shedding the oldest partial message, the idle-longest connection
 * at the connection limit or without descriptors), and the receive, peek
 * and release of the channel ops.
 */
#include "stream_int.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/proc.h"
#include "../sys/net.h"
#include "../sys/event.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- receiver --------------------------------------------------------- */

int ipcx__rx_init(struct ipcx__rx *rx, size_t maxmsg, unsigned mode,
                  const struct ipcx__rx_limits *lim)
{
    memset(rx, 0, sizeof *rx);
    rx->mode = mode;
    rx->maxmsg = maxmsg;
    rx->lim = *lim;
    rx->lfd = -1;
    rx->bell = -1;
    rx->spare = -1;
    rx->cur = -1;
    rx->lazy = (mode & IPCX_RX_PIPE) != 0; /* see stream_src.c, src_read */
    rx->epfd = ipcx__epoll_new();
    if (rx->epfd < 0) {
        int r = rx->epfd;
        rx->epfd = -1;
        return r;
    }
    return 0;
}

static int rx_watch(struct ipcx__rx *rx, int fd, void *tag)
{
    return ipcx__epoll_add(rx->epfd, fd, EPOLLIN, tag);
}

int ipcx__rx_listen(struct ipcx__rx *rx, int lfd)
{
    rx->lfd = lfd;
    /* Without a spare, EMFILE still does not spin: the listener rests. */
    rx->spare = ipcx__spare_fd();
    if (rx->spare < 0)
        rx->spare = -1;
    return rx_watch(rx, lfd, &rx->lfd);
}

int ipcx__rx_add(struct ipcx__rx *rx, int fd)
{
    struct ipcx__src *s;
    int r;

    if (rx->n == rx->cap) {
        size_t cap = rx->cap ? rx->cap * 2 : 4;
        struct ipcx__src **v = realloc(rx->v, cap * sizeof *v);
        if (!v) {
            (void) ipcx__close(fd);
            return -ENOMEM;
        }
        rx->v = v;
        rx->cap = cap;
    }
    s = ipcx__src_new(fd);
    if (!s) {
        (void) ipcx__close(fd);
        return -ENOMEM;
    }
    r = rx->lazy ? 0 : rx_watch(rx, fd, s);
    if (r < 0) {
        ipcx__src_free(s);
        return r;
    }
    rx->v[rx->n++] = s;
    return 0;
}

void ipcx__rx_writer_known(struct ipcx__rx *rx)
{
    for (size_t i = 0; i < rx->n; i++)
        rx->v[i]->seen = 1;
}

/*
 * Something must poll the pipe now (a wait with a deadline, ipcx_fd): put
 * it in the epoll set, for good.  Until then a pipe receiver waits in
 * read(2) (stream_src.c, src_read, says what polling costs the senders).
 */
static int rx_unlazy(struct ipcx__rx *rx)
{
    if (!rx->lazy)
        return 0;
    for (size_t i = 0; i < rx->n; i++) {
        int r = rx_watch(rx, rx->v[i]->fd, rx->v[i]);
        if (r < 0)
            return r;
    }
    rx->lazy = 0;
    return 0;
}

void ipcx__rx_drop(struct ipcx__rx *rx, size_t i)
{
    rx->used -= rx->v[i]->charge;
    (void) ipcx__epoll_del(rx->epfd, rx->v[i]->fd);
    ipcx__src_free(rx->v[i]);
    memmove(rx->v + i, rx->v + i + 1, (rx->n - i - 1) * sizeof *rx->v);
    rx->n--;
    if (rx->rr > i)
        rx->rr--;
}

static void rx_drop_src(struct ipcx__rx *rx, const struct ipcx__src *s)
{
    for (size_t i = 0; i < rx->n; i++)
        if (rx->v[i] == s) {
            ipcx__rx_drop(rx, i);
            return;
        }
}

void ipcx__rx_fini(struct ipcx__rx *rx)
{
    /*
     * No EPOLL_CTL_DEL here, unlike rx_drop: after fork() the epoll
     * instance is shared, and a child that closes its inherited copy of
     * the receiver would take every source out of the parent's set; the
     * parent's receives would then sleep through arriving messages.
     * Closing our descriptors is enough: the instance and its entries go
     * with the last descriptor of each.
     */
    for (size_t i = 0; i < rx->n; i++)
        ipcx__src_free(rx->v[i]);
    rx->n = 0;
    free(rx->v);
    rx->v = NULL;
    (void) ipcx__close(rx->lfd);
    (void) ipcx__close(rx->spare);
    (void) ipcx__close(rx->bell);
    (void) ipcx__close(rx->epfd);
    rx->lfd = rx->spare = rx->bell = rx->epfd = -1;
}

/*
 * Make room for one more connection: the one idle longest goes, else the
 * one whose partial message is oldest (counted in lost).  A connection
 * with a whole message waiting is kept.  1 if one went, 0 if none could.
 */
static int rx_shed(struct ipcx__rx *rx)
{
    size_t idle = rx->n, part = rx->n;

    /* Every accepted connection may be shed, record ones (seqpacket) too:
     * else 1024 idle peers would keep every new sender out for good. */
    if (rx->lfd < 0)
        return 0;
    for (size_t i = 0; i < rx->n; i++) {
        const struct ipcx__src *s = rx->v[i];
        if (s->have)
            continue;
        if (ipcx__src_idle(s) && !s->ra.bytes) {
            if (idle == rx->n || s->last < rx->v[idle]->last)
                idle = i;
        } else if (part == rx->n || s->since < rx->v[part]->since) {
            part = i;
        }
    }
    if (idle < rx->n) {
        ipcx__rx_drop(rx, idle);
        return 1;
    }
    if (part < rx->n) {
        ipcx__rx_drop(rx, part);
        rx->lost++;
        return 1;
    }
    return 0;
}

/* Take the listener out of the wait for a while (it would stay readable). */
static void rx_pause(struct ipcx__rx *rx)
{
    (void) ipcx__epoll_del(rx->epfd, rx->lfd);
    rx->lpause = ipcx__rx_clock(rx) + RX_BACKOFF_MS;
}

/*
 * Take the pending connections, at most RX_ACCEPTS at a time.  A new
 * sender always gets in while some connection is idle or only holds a
 * partial message: at the limit of RX_MAX_SOURCES, and when the process
 * has no descriptor left, such a one is shed.  Otherwise the new one is
 * accepted and closed at once, so the listener never stays readable with
 * nothing done about it (a spinning receive).
 */
static int rx_accept(struct ipcx__rx *rx)
{
    int got = 0;
    for (int k = 0; k < RX_ACCEPTS; k++) {
        int fd = ipcx__accept(rx->lfd);
        if (fd == -EAGAIN)
            return got;
        if (fd == -EMFILE || fd == -ENFILE) {
            if (rx_shed(rx))
                continue; /* its descriptor is free now */
            int r = ipcx__accept_refuse(rx->lfd, &rx->spare);
            if (r == 0)
                return got;
            if (r < 0) {
                rx_pause(rx);
                return got;
            }
            got++; /* progress: one pending connection fewer */
            continue;
        }
        if (fd == -ENOBUFS || fd == -ENOMEM) {
            rx_pause(rx);
            return got;
        }
        if (fd < 0)
            continue; /* a connection that died before we took it (ECONNABORTED, network errors) */
        if (rx->n >= RX_MAX_SOURCES && !rx_shed(rx)) {
            (void) ipcx__close(fd); /* the sender sees -EPIPE */
            got++;
            continue;
        }
        if (ipcx__rx_add(rx, fd) == 0)
            got++;
    }
    return got;
}

/* Handle a fill result for source s; returns progress (1) or 0, or an error to report. */
static int rx_filled(struct ipcx__rx *rx, struct ipcx__src *s, int r)
{
    if (r > 0)
        return 1;
    if (r == -ENOTCONN) {
        if (rx->mode & IPCX_RX_PIPE) {
            ipcx__reasm_reset(&s->ra); /* every writer is gone */
            ipcx__rx_account(rx, s);
            return 1;
        }
        (void) ipcx__epoll_del(rx->epfd, s->fd);
        return 1;
    }
    if (r == -ENOBUFS && ipcx__rx_conn(rx)) {
        rx_drop_src(rx, s); /* the oldest partial message over the budget was its own */
        rx->lost++;
        return 1;
    }
    if (r == -EBADMSG && rx->lfd >= 0) {
        rx_drop_src(rx, s); /* a connection that sent garbage goes */
        return r;
    }
    return r; /* 0, or -EBADMSG on a datagram socket (the record is gone), or a hard error */
}

/*
 * Read what is ready, waiting at most timeout_ms for something to be
 * (0: not at all).  >0 progress, 0 none, <0 error (-EINTR from the wait).
 * The events of the wait are the ones handled: one epoll_wait per wake-up.
 */
static int rx_pump(struct ipcx__rx *rx, int timeout_ms)
{
    struct epoll_event ev[64];
    int progress = 0, n;

    if (timeout_ms == 0 && rx->lfd < 0 && rx->n == 1) {
        struct ipcx__src *s = rx->v[0];
        return rx_filled(rx, s, ipcx__src_fill(rx, s, 0));
    }
    if ((n = rx_unlazy(rx)) < 0)
        return n;
    n = ipcx__epoll_wait(rx->epfd, ev, 64, timeout_ms);
    if (n < 0)
        return n;
    for (int k = 0; k < n; k++) {
        void *tag = ev[k].data.ptr;
        if (tag == &rx->lfd) {
            progress += rx_accept(rx);
            continue;
        }
        if (tag == &rx->bell)
            continue;
        /* A source shed by an earlier event of this batch is not found. */
        for (size_t i = 0; i < rx->n; i++) {
            if (rx->v[i] != tag)
                continue;
            /*
             * The source first, into a variable: filling it may drop another
             * source over the budget (rx_fit), which moves rx->v, and the
             * order in which arguments are evaluated is unspecified (gcc
             * read rx->v[i] after the fill: the wrong source was dropped).
             */
            struct ipcx__src *s = rx->v[i];
            int r = rx_filled(rx, s, ipcx__src_fill(rx, s, 0));
            if (r < 0)
                return r;
            progress += r;
            break;
        }
    }
    return progress;
}

/*
 * A pipe that nothing polled, and a receive without a deadline: sleep in
 * read(2) until bytes come (stream_src.c, src_read).  As rx_pump.
 */
static int rx_pump_wait(struct ipcx__rx *rx)
{
    struct ipcx__src *s = rx->v[0];
    for (;;) {
        int r = ipcx__src_fill(rx, s, 1);
        if (r != -EINTR)
            return rx_filled(rx, s, r);
        if (ipcx__intr_returns())
            return -EINTR;
    }
}

/* Keep the doorbell readable exactly while a whole message is buffered. */
static void rx_ring(struct ipcx__rx *rx)
{
    int pending = 0;

    if (rx->bell < 0)
        return;
    for (size_t i = 0; i < rx->n && !pending; i++) {
        int r = ipcx__src_parse(rx, rx->v[i]); /* an error stays for the next receive to report */
        pending = r != 0 || (rx->v[i]->eof && (rx->mode & IPCX_RX_PIPE) == 0);
    }
    if (pending && !rx->bell_on)
        rx->bell_on = ipcx__eventfd_set(rx->bell) == 0;
    else if (!pending && rx->bell_on)
        rx->bell_on = ipcx__eventfd_clear(rx->bell) != 0;
}

/* Is source s a slow-loris: a partial frame held longer than stall=? */
static int rx_stalled(const struct ipcx__rx *rx, const struct ipcx__src *s, int64_t now,
                      int64_t *next)
{
    if (!ipcx__rx_conn(rx) || rx->lim.stall_ms == 0 || s->have || !s->since)
        return 0;
    int64_t at = s->since + rx->lim.stall_ms;
    if (now >= at)
        return 1;
    if (*next == 0 || at < *next)
        *next = at;
    return 0;
}

/*
 * Find the next whole message: returns the index of a source with have
 * set, or a negative error.
 */
static long rx_next(struct ipcx__rx *rx, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    int64_t now = ipcx__rx_clock(rx);

    /* Time the application spent away from its receives is not the
     * peers' stall: they could not send while nobody read. */
    if (rx->left_at && now - rx->left_at > RX_AWAY_MS)
        for (size_t i = 0; i < rx->n; i++)
            if (rx->v[i]->since)
                rx->v[i]->since += now - rx->left_at;
    for (;;) {
        size_t k;
        int64_t next = 0; /* the earliest stall deadline */
        now = ipcx__rx_clock(rx);
        if (rx->lpause && now >= rx->lpause) {
            rx->lpause = 0;
            (void) rx_watch(rx, rx->lfd, &rx->lfd);
        }
        for (k = 0; k < rx->n; k++) {
            size_t i = (rx->rr + k) % rx->n;
            struct ipcx__src *s = rx->v[i];
            int r = ipcx__src_parse(rx, s);
            if (r == 1)
                return (long) i;
            if (r < 0 && !(rx->mode & IPCX_RX_PIPE) && rx->lfd >= 0) {
                ipcx__rx_drop(rx, i); /* a sender that sent garbage is dropped, the others go on */
                return r;
            }
            if (r == -EBADMSG && (rx->mode & IPCX_RX_PIPE))
                ipcx__src_skip_bad(rx, s); /* every writer's chunks pass here: go on after it */
            if (r < 0)
                return r;
            if ((s->eof && rx->lfd >= 0) || rx_stalled(rx, s, now, &next)) {
                if (!s->eof)
                    rx->lost++; /* a slow-loris: its partial message goes with it */
                ipcx__rx_drop(rx, i); /* its partial frame, if any, was a dead sender's */
                k = (size_t) -1;
                continue;
            }
        }
        int p = rx->lazy && timeout_ms < 0 && rx->n == 1 ? rx_pump_wait(rx) : rx_pump(rx, 0);
        if (p < 0)
            return p;
        if (p > 0)
            continue;
        if ((rx->mode & IPCX_RX_PIPE) && rx->n == 1 && rx->v[0]->eof) {
            rx->v[0]->beg = rx->v[0]->end = 0; /* a torn tail no writer will finish */
            return ipcx__fail(-EPIPE, "every sender has closed");
        }
        int left = ipcx__remaining(&d);
        if (left == 0)
            return ipcx__expired(&d);
        /* Wake up in time to drop a stalled peer or to listen again. */
        if (rx->lpause && (next == 0 || rx->lpause < next))
            next = rx->lpause;
        if (next) {
            int64_t until = next - now + 1;
            if (left < 0 || until < left)
                left = until < 1 ? 1 : (int) until;
        }
        p = rx_pump(rx, left);
        if (p == -EINTR && ipcx__intr_returns())
            return -EINTR;
        if (p < 0 && p != -EINTR)
            return p;
    }
}

/*
 * Copy the message source i holds into buf and take it.  -EMSGSIZE when it
 * does not fit: it stays, and the next receive starts with it.
 */
static long rx_take(struct ipcx__rx *rx, long i, void *buf, size_t cap, unsigned *prio)
{
    struct ipcx__src *s = rx->v[i];

    rx->cur = -1;
    if (s->len > cap) {
        rx->rr = (size_t) i;
        return ipcx__fail(-EMSGSIZE, "the message has %zu bytes, the buffer %zu", s->len, cap);
    }
    if (s->len)
        memcpy(buf, s->msg, s->len);
    if (prio)
        *prio = s->prio;
    long len = (long) s->len;
    rx->last_src = s->serial;
    rx->last_pid = s->rec_pid;
    ipcx__src_consume(rx, s);
    rx->rr = (size_t) i + 1;
    return len;
}

long ipcx__schan_recv(struct ipcx_chan *ch, void *buf, size_t cap,
                      unsigned *prio, int timeout_ms)
{
    struct ipcx__rx *rx = &ipcx__schan_of(ch)->rx;
    long i = rx->cur >= 0 ? rx->cur : rx_next(rx, timeout_ms);

    rx->left_at = ipcx__rx_clock(rx);
    if (i >= 0)
        i = rx_take(rx, i, buf, cap, prio);
    rx_ring(rx);
    return i;
}

/*
 * A whole message that is already in the buffers, found without a system
 * call, round-robin as rx_next: the index of its source, or -EAGAIN.  A
 * malformed frame stays where it is: the next receive reports it.
 */
static long rx_buffered(struct ipcx__rx *rx)
{
    for (size_t k = 0; k < rx->n; k++) {
        size_t i = (rx->rr + k) % rx->n;
        if (ipcx__src_parse(rx, rx->v[i]) == 1)
            return (long) i;
    }
    return -EAGAIN;
}

/*
 * ipcx_recvv: the first message as a receive does (it reads as much as
 * the buffer takes, many frames at once), the rest from what that read
 * brought, without another system call.  What is left stays buffered for
 * the next receive of either kind.  Records (seqpacket, dgram) are read
 * one per call, so there the rest are receives that do not wait; an
 * error of theirs is kept for the next receive (transport.h).
 */
long ipcx__schan_recvv(struct ipcx_chan *ch, struct ipcx_msg *m, size_t n, int timeout_ms)
{
    struct ipcx__rx *rx = &ipcx__schan_of(ch)->rx;
    long i = rx->cur >= 0 ? rx->cur : rx_next(rx, timeout_ms);
    size_t k = 0;

    rx->left_at = ipcx__rx_clock(rx);
    while (i >= 0 && k < n) {
        i = rx_take(rx, i, m[k].buf, m[k].cap, &m[k].prio);
        if (i < 0)
            break;
        m[k].result = 0;
        m[k++].len = (size_t) i;
        if (k == n)
            break;
        i = rx_buffered(rx);
        if (i == -EAGAIN && (rx->mode & IPCX_RX_RECORD)) {
            i = rx_next(rx, 0);
            if (i < 0)
                ipcx__chan_keep_rxerr(ch, i);
        }
    }
    rx_ring(rx);
    return k > 0 ? (long) k : i;
}

int ipcx__schan_peek(struct ipcx_chan *ch, const void **msg, size_t *len,
                     int timeout_ms)
{
    struct ipcx__rx *rx = &ipcx__schan_of(ch)->rx;
    long i = rx->cur >= 0 ? rx->cur : rx_next(rx, timeout_ms);
    rx->left_at = ipcx__rx_clock(rx);
    if (i < 0)
        return (int) i;
    rx->cur = i;
    *msg = rx->v[i]->msg;
    *len = rx->v[i]->len;
    return 0;
}

int ipcx__schan_release(struct ipcx_chan *ch)
{
    struct ipcx__rx *rx = &ipcx__schan_of(ch)->rx;
    if (rx->cur < 0)
        return ipcx__fail(-EINVAL, "nothing was peeked");
    rx->last_src = rx->v[rx->cur]->serial;
    rx->last_pid = rx->v[rx->cur]->rec_pid;
    ipcx__src_consume(rx, rx->v[rx->cur]);
    rx->rr = (size_t) rx->cur + 1;
    rx->cur = -1;
    rx_ring(rx);
    return 0;
}

/* The descriptor of a receiving end: its epoll set, with the doorbell. */
int ipcx__schan_fd(struct ipcx_chan *ch)
{
    struct ipcx__schan *s = ipcx__schan_of(ch);
    if (ch->flags & IPCX_SEND)
        return s->tx.fd;
    if (s->rx.bell < 0) {
        /* Asked for the first time: from now on the doorbell also tells
         * about messages already read into our buffers, and the set holds
         * the pipe of a pipe receiver too. */
        int r = rx_unlazy(&s->rx);
        if (r < 0)
            return r;
        r = ipcx__eventfd();
        if (r < 0)
            return r;
        s->rx.bell = r;
        r = rx_watch(&s->rx, s->rx.bell, &s->rx.bell);
        if (r < 0) {
            (void) ipcx__close(s->rx.bell);
            s->rx.bell = -1;
            return r;
        }
        rx_ring(&s->rx);
    }
    return s->rx.epfd;
}
