/*
 * stream.c - the message engine of every descriptor-based transport.
 *
 * Receiving: a set of sources (a pipe, a bound datagram socket, or the
 * connections a listening socket accepted), each with a read buffer and a
 * reassembly table.  A receive hands out the next whole message, taking the
 * sources round-robin so no sender starves.  Sending: one frame per message,
 * or atomic chunks on a pipe, with the deadline rules of the public API.
 *
 * It does not open anything: pipe.c, fifo.c, unix.c and tcp.c do that and
 * hand the descriptors over.
 */
#include "stream.h"
#include "../err.h"
#include "../sys/sys.h"
#include "../sys/proc.h"
#include "../sys/net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#define SRC_BUF_MIN   (64 * 1024) /* read buffer of a stream source: not charged to the budget */
#define RX_MAX_SOURCES 1024       /* senders one receiver takes at once */
#define RX_ACCEPTS    64          /* connections taken per wake-up, so messages are not starved */
#define RX_BACKOFF_MS 100         /* a listener that failed for want of memory rests this long */
#define RX_AWAY_MS    1000        /* a longer gap between receives is the application's: no stall */
#define RX_BUDGET_DEFAULT ((size_t) 64 << 20)
#define RX_STALL_DEFAULT_MS 10000
#define TX_LINGER_MS  2000        /* close waits this long to flush an accepted message */

struct ipcx__src {
    int      fd;
    int      eof;          /* the last read saw end of file */
    uint8_t *buf;
    size_t   cap, beg, end; /* unread bytes are buf[beg, end) */
    size_t   want;         /* bytes from beg the frame there needs, once known */
    size_t   charge;       /* what this source counts against the budget */
    int64_t  since;        /* when its partial frame began (ms), 0 when none */
    int64_t  last;         /* when it last sent a byte or was accepted (ms) */
    struct ipcx__reasm ra;
    /* The whole message found by src_parse, until consumed. */
    int      have;
    int      from_ra;      /* it lives in ra, not in buf */
    const uint8_t *msg;
    size_t   len;
    unsigned prio;
};

/* ---- sources ---------------------------------------------------------- */

static struct ipcx__src *src_new(int fd)
{
    struct ipcx__src *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    s->last = ipcx__now_ms();
    ipcx__reasm_init(&s->ra);
    return s;
}

static void src_free(struct ipcx__src *s)
{
    if (!s)
        return;
    (void) ipcx__close(s->fd);
    ipcx__reasm_fini(&s->ra);
    free(s->buf);
    free(s);
}

/* A connection, not a pipe or a datagram socket: it may be shed. */
static int rx_conn(const struct ipcx__rx *rx)
{
    return rx->lfd >= 0 && !(rx->mode & IPCX_RX_RECORD);
}

/*
 * Memory a source holds beyond its base read buffer: a grown buffer and
 * the split messages of a pipe.  Records need a buffer of maxmsg to be
 * read at all and are whole, so they are not charged.
 */
static void rx_account(struct ipcx__rx *rx, struct ipcx__src *s)
{
    size_t c = s->ra.bytes;
    if (!(rx->mode & IPCX_RX_RECORD) && s->cap > SRC_BUF_MIN)
        c += s->cap - SRC_BUF_MIN;
    rx->used = rx->used - s->charge + c;
    s->charge = c;
}

/* Bytes buffered that are not yet a handed-out message. */
static int src_idle(const struct ipcx__src *s)
{
    return !s->have && s->beg == s->end;
}

/* Give back the grown buffer of a source that holds nothing. */
static void src_shrink(struct ipcx__rx *rx, struct ipcx__src *s)
{
    free(s->buf);
    s->buf = NULL;
    s->cap = s->beg = s->end = 0;
    rx_account(rx, s);
}

/*
 * A bad header at beg on a shared pipe: every writer's chunks pass through
 * it, so it cannot be dropped.  Skip to the next place that decodes as a
 * header (the header check makes a false match unlikely) and go on.
 */
static void src_resync(struct ipcx__src *s, size_t maxmsg)
{
    struct ipcx__frame f;
    size_t p;
    for (p = s->beg + 1; p + IPCX_FRAME_HDR <= s->end; p++)
        if (ipcx__frame_decode(s->buf + p, s->end - p, maxmsg, &f) == 0)
            break;
    s->beg = p;
}

/* After -EBADMSG on a shared pipe: skip the bad header, if it is still there. */
static void src_skip_bad(struct ipcx__src *s, size_t maxmsg)
{
    struct ipcx__frame f;
    if (s->end - s->beg >= IPCX_FRAME_HDR &&
        ipcx__frame_decode(s->buf + s->beg, s->end - s->beg, maxmsg, &f) == -EBADMSG)
        src_resync(s, maxmsg);
}

static void rx_drop(struct ipcx__rx *rx, size_t i);

/*
 * Make room in the budget for delta more bytes of source s.  Grown buffers
 * that hold nothing go first (they cost a realloc, not a message); then,
 * on a pipe, the split message that waited longest for its next chunk;
 * on connections, the one holding the oldest partial message that is
 * charged anything is dropped (counted in lost).  -ENOBUFS when that one
 * is s itself: the caller drops it.
 */
static int rx_fit(struct ipcx__rx *rx, struct ipcx__src *s, size_t delta)
{
    for (size_t i = 0; i < rx->n && rx->used + delta > rx->lim.budget; i++)
        if (rx->v[i] != s && src_idle(rx->v[i]) && rx->v[i]->cap > SRC_BUF_MIN)
            src_shrink(rx, rx->v[i]);
    while (rx->used + delta > rx->lim.budget) {
        if (!rx_conn(rx)) {
            /* One shared pipe: its buffer is at most a frame of maxmsg,
             * which the budget holds; the rest is split messages. */
            if (!ipcx__reasm_evict(&s->ra))
                return 0;
            rx_account(rx, s);
            continue;
        }
        size_t victim = rx->n;
        for (size_t i = 0; i < rx->n; i++) {
            const struct ipcx__src *c = rx->v[i];
            if (c->charge > 0 && !c->have && c->since &&
                (victim == rx->n || c->since < rx->v[victim]->since))
                victim = i;
        }
        if (victim == rx->n || rx->v[victim] == s)
            return -ENOBUFS;
        rx_drop(rx, victim);
        rx->lost++;
    }
    return 0;
}

/*
 * Room to read into.  The base buffer, moved down when the unread bytes
 * lie high; it grows only when it is full of one frame that needs more,
 * and then doubles at most: memory follows the bytes that came, never
 * what a header announced.  0 with room, 1 when nothing may be read now
 * (a whole frame waits to be parsed), or an error.
 */
static int src_room(struct ipcx__rx *rx, struct ipcx__src *s)
{
    size_t want = s->want > IPCX_FRAME_HDR ? s->want : IPCX_FRAME_HDR;

    if (s->beg > 0 && (s->beg == s->end || s->cap - s->beg < want ||
                       s->cap - s->end < SRC_BUF_MIN / 4)) {
        memmove(s->buf, s->buf + s->beg, s->end - s->beg);
        s->end -= s->beg;
        s->beg = 0;
    }
    if (s->cap == 0) {
        s->buf = malloc(SRC_BUF_MIN);
        if (!s->buf)
            return -ENOMEM;
        s->cap = SRC_BUF_MIN;
        return 0;
    }
    if (s->end < s->cap)
        return 0;
    if (s->end - s->beg >= want)
        return 1;
    size_t cap = s->cap * 2 < want ? s->cap * 2 : want;
    size_t grow = cap - s->cap;
    int r = rx_fit(rx, s, grow);
    if (r < 0)
        return r;
    uint8_t *b = realloc(s->buf, cap);
    if (!b)
        return -ENOMEM;
    s->buf = b;
    s->cap = cap;
    rx_account(rx, s);
    return 0;
}

/*
 * Find the next whole message in what was read.  1: s->have is set; 0: more
 * bytes are needed; -EBADMSG: a malformed frame, left where it is (the
 * receive decides: skip it on a pipe, drop a connection); -ENOMEM.
 * It never loses an error, so the doorbell check may call it freely.
 */
static int src_parse(struct ipcx__rx *rx, struct ipcx__src *s)
{
    while (!s->have && s->end - s->beg >= IPCX_FRAME_HDR) {
        struct ipcx__frame f;
        const uint8_t *p = s->buf + s->beg;
        int r = ipcx__frame_decode(p, s->end - s->beg, rx->maxmsg, &f);
        if (r < 0)
            return ipcx__fail(-EBADMSG, "a peer sent a malformed frame header");
        if (f.flags != IPCX_FRAME_WHOLE && !(rx->mode & IPCX_RX_PIPE))
            return ipcx__fail(-EBADMSG, "a socket peer sent a split message (only pipes split)");
        if (s->end - s->beg < IPCX_FRAME_HDR + (size_t) f.len) {
            s->want = IPCX_FRAME_HDR + (size_t) f.len;
            return 0;
        }
        s->want = 0;
        if (f.flags == IPCX_FRAME_WHOLE) {
            s->have = 1;
            s->from_ra = 0;
            s->msg = p + IPCX_FRAME_HDR;
            s->len = f.len;
            s->prio = f.prio;
            return 1;
        }
        s->beg += IPCX_FRAME_HDR + (size_t) f.len;
        r = ipcx__reasm_feed(&s->ra, &f, p + IPCX_FRAME_HDR, &s->msg, &s->len, &s->prio);
        rx_account(rx, s);
        if (r < 0)
            return r == -EBADMSG ? ipcx__fail(-EBADMSG, "a peer sent a chunk that continues no message") : r;
        if (r == 1) {
            s->have = 1;
            s->from_ra = 1;
        }
        if (rx->used > rx->lim.budget)
            (void) rx_fit(rx, s, 0); /* a pipe: evicts split messages, never the one done */
    }
    if (!s->have)
        s->want = IPCX_FRAME_HDR;
    return s->have;
}

static void src_consume(struct ipcx__rx *rx, struct ipcx__src *s)
{
    if (!s->have)
        return;
    if (s->from_ra) {
        ipcx__reasm_consume(&s->ra);
        rx_account(rx, s);
    } else {
        s->beg += IPCX_FRAME_HDR + s->len; /* the whole frame in buf */
    }
    s->have = 0;
    s->want = 0;
    if (s->beg == s->end) {
        s->beg = s->end = 0;
        s->since = 0;
    } else {
        s->since = ipcx__now_ms(); /* what follows is a new partial frame */
    }
}

/*
 * Read once from a source.  >0 bytes read, 0 nothing new, -ENOTCONN when it
 * reached end of file just now, -EBADMSG for a bad record, -ENOBUFS when
 * this connection must go to keep the budget, other -errno.
 */
static int src_fill(struct ipcx__rx *rx, struct ipcx__src *s)
{
    ssize_t r;

    if (rx->mode & IPCX_RX_RECORD) {
        /* A record is read whole or lost, so read only into an empty
         * buffer that holds the largest valid record and one byte more. */
        if (!src_idle(s))
            return 0;
        s->beg = s->end = 0;
        if (s->cap < IPCX_FRAME_HDR + rx->maxmsg + 1) {
            uint8_t *b = realloc(s->buf, IPCX_FRAME_HDR + rx->maxmsg + 1);
            if (!b)
                return -ENOMEM;
            s->buf = b;
            s->cap = IPCX_FRAME_HDR + rx->maxmsg + 1;
        }
        r = ipcx__recv(s->fd, s->buf, s->cap, 0);
        if (r == -EAGAIN)
            return 0;
        if (r < 0)
            return (int) r;
        if (r == 0 && rx->lfd >= 0) {
            s->eof = 1;
            return -ENOTCONN;
        }
        struct ipcx__frame f;
        if ((size_t) r >= s->cap ||
            ipcx__frame_decode(s->buf, (size_t) r, rx->maxmsg, &f) < 0 ||
            f.flags != IPCX_FRAME_WHOLE || (size_t) r != IPCX_FRAME_HDR + f.len)
            return ipcx__fail(-EBADMSG, "a peer sent a malformed or oversized record");
        /* The record is one whole message, checked: src_parse need not decode it again. */
        s->end = (size_t) r;
        s->have = 1;
        s->from_ra = 0;
        s->msg = s->buf + IPCX_FRAME_HDR;
        s->len = f.len;
        s->prio = f.prio;
        return 1;
    }

    if (s->have)
        return 0; /* the receive hands it out before it reads again */
    int e = src_room(rx, s);
    if (e != 0)
        return e > 0 ? 0 : e;
    r = ipcx__read(s->fd, s->buf + s->end, s->cap - s->end);
    if (r > 0) {
        s->end += (size_t) r;
        s->eof = 0;
        s->last = ipcx__now_ms();
        if (!s->since)
            s->since = s->last;
        return 1;
    }
    if (r == -EAGAIN)
        return 0;
    if (r < 0 && r != -ECONNRESET)
        return (int) r;
    if (rx->mode & IPCX_RX_PIPE) {
        /* A FIFO that never had a writer also reads 0; only POLLHUP says
         * that writers came and all went. */
        if (!(ipcx__poll1(s->fd, POLLIN, 0) & POLLHUP))
            return 0;
        if (s->eof)
            return 0;
    }
    s->eof = 1;
    return -ENOTCONN;
}

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
    rx->epfd = epoll_create1(EPOLL_CLOEXEC);
    return rx->epfd < 0 ? ipcx__errno() : 0;
}

static int rx_watch(struct ipcx__rx *rx, int fd, void *tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };
    return epoll_ctl(rx->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? ipcx__errno() : 0;
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
    s = src_new(fd);
    if (!s) {
        (void) ipcx__close(fd);
        return -ENOMEM;
    }
    r = rx_watch(rx, fd, s);
    if (r < 0) {
        src_free(s);
        return r;
    }
    rx->v[rx->n++] = s;
    return 0;
}

static void rx_drop(struct ipcx__rx *rx, size_t i)
{
    rx->used -= rx->v[i]->charge;
    (void) epoll_ctl(rx->epfd, EPOLL_CTL_DEL, rx->v[i]->fd, NULL);
    src_free(rx->v[i]);
    memmove(rx->v + i, rx->v + i + 1, (rx->n - i - 1) * sizeof *rx->v);
    rx->n--;
    if (rx->rr > i)
        rx->rr--;
}

static void rx_drop_src(struct ipcx__rx *rx, const struct ipcx__src *s)
{
    for (size_t i = 0; i < rx->n; i++)
        if (rx->v[i] == s) {
            rx_drop(rx, i);
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
        src_free(rx->v[i]);
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

    if (!rx_conn(rx))
        return 0;
    for (size_t i = 0; i < rx->n; i++) {
        const struct ipcx__src *s = rx->v[i];
        if (s->have)
            continue;
        if (src_idle(s) && !s->ra.bytes) {
            if (idle == rx->n || s->last < rx->v[idle]->last)
                idle = i;
        } else if (part == rx->n || s->since < rx->v[part]->since) {
            part = i;
        }
    }
    if (idle < rx->n) {
        rx_drop(rx, idle);
        return 1;
    }
    if (part < rx->n) {
        rx_drop(rx, part);
        rx->lost++;
        return 1;
    }
    return 0;
}

/* Take the listener out of the wait for a while (it would stay readable). */
static void rx_pause(struct ipcx__rx *rx)
{
    (void) epoll_ctl(rx->epfd, EPOLL_CTL_DEL, rx->lfd, NULL);
    rx->lpause = ipcx__now_ms() + RX_BACKOFF_MS;
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
            rx_account(rx, s);
            return 1;
        }
        (void) epoll_ctl(rx->epfd, EPOLL_CTL_DEL, s->fd, NULL);
        return 1;
    }
    if (r == -ENOBUFS && rx_conn(rx)) {
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

    if (timeout_ms == 0 && rx->lfd < 0 && rx->n == 1)
        return rx_filled(rx, rx->v[0], src_fill(rx, rx->v[0]));
    n = epoll_wait(rx->epfd, ev, 64, timeout_ms);
    if (n < 0)
        return ipcx__errno();
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
            int r = rx_filled(rx, rx->v[i], src_fill(rx, rx->v[i]));
            if (r < 0)
                return r;
            progress += r;
            break;
        }
    }
    return progress;
}

/* Keep the doorbell readable exactly while a whole message is buffered. */
static void rx_ring(struct ipcx__rx *rx)
{
    int pending = 0;
    uint64_t one = 1, v;

    if (rx->bell < 0)
        return;
    for (size_t i = 0; i < rx->n && !pending; i++) {
        int r = src_parse(rx, rx->v[i]); /* an error stays for the next receive to report */
        pending = r != 0 || (rx->v[i]->eof && (rx->mode & IPCX_RX_PIPE) == 0);
    }
    if (pending && !rx->bell_on)
        rx->bell_on = write(rx->bell, &one, sizeof one) == (ssize_t) sizeof one;
    else if (!pending && rx->bell_on)
        rx->bell_on = !(read(rx->bell, &v, sizeof v) == (ssize_t) sizeof v);
}

/* Is source s a slow-loris: a partial frame held longer than stall=? */
static int rx_stalled(const struct ipcx__rx *rx, const struct ipcx__src *s, int64_t now,
                      int64_t *next)
{
    if (!rx_conn(rx) || rx->lim.stall_ms == 0 || s->have || !s->since)
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
    int64_t now = ipcx__now_ms();

    /* Time the application spent away from its receives is not the
     * peers' stall: they could not send while nobody read. */
    if (rx->left_at && now - rx->left_at > RX_AWAY_MS)
        for (size_t i = 0; i < rx->n; i++)
            if (rx->v[i]->since)
                rx->v[i]->since += now - rx->left_at;
    for (;;) {
        size_t k;
        int64_t next = 0; /* the earliest stall deadline */
        now = ipcx__now_ms();
        if (rx->lpause && now >= rx->lpause) {
            rx->lpause = 0;
            (void) rx_watch(rx, rx->lfd, &rx->lfd);
        }
        for (k = 0; k < rx->n; k++) {
            size_t i = (rx->rr + k) % rx->n;
            struct ipcx__src *s = rx->v[i];
            int r = src_parse(rx, s);
            if (r == 1)
                return (long) i;
            if (r < 0 && !(rx->mode & IPCX_RX_PIPE) && rx->lfd >= 0) {
                rx_drop(rx, i); /* a sender that sent garbage is dropped, the others go on */
                return r;
            }
            if (r == -EBADMSG && (rx->mode & IPCX_RX_PIPE))
                src_skip_bad(s, rx->maxmsg); /* every writer's chunks pass here: go on after it */
            if (r < 0)
                return r;
            if ((s->eof && rx->lfd >= 0) || rx_stalled(rx, s, now, &next)) {
                if (!s->eof)
                    rx->lost++; /* a slow-loris: its partial message goes with it */
                rx_drop(rx, i); /* its partial frame, if any, was a dead sender's */
                k = (size_t) -1;
                continue;
            }
        }
        int p = rx_pump(rx, 0);
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

static struct ipcx__schan *schan(const struct ipcx_chan *ch)
{
    return ch->impl;
}

long ipcx__schan_recv(struct ipcx_chan *ch, void *buf, size_t cap,
                      unsigned *prio, int timeout_ms)
{
    struct ipcx__rx *rx = &schan(ch)->rx;
    long i = rx->cur >= 0 ? rx->cur : rx_next(rx, timeout_ms);
    struct ipcx__src *s;

    rx->left_at = ipcx__now_ms();
    if (i < 0) {
        rx_ring(rx);
        return i;
    }
    s = rx->v[i];
    if (s->len > cap) {
        rx->cur = -1;
        rx->rr = (size_t) i; /* the next receive starts with this message */
        return ipcx__fail(-EMSGSIZE, "the message has %zu bytes, the buffer %zu", s->len, cap);
    }
    if (s->len)
        memcpy(buf, s->msg, s->len);
    if (prio)
        *prio = s->prio;
    long len = (long) s->len;
    src_consume(rx, s);
    rx->cur = -1;
    rx->rr = (size_t) i + 1;
    rx_ring(rx);
    return len;
}

int ipcx__schan_peek(struct ipcx_chan *ch, const void **msg, size_t *len,
                     int timeout_ms)
{
    struct ipcx__rx *rx = &schan(ch)->rx;
    long i = rx->cur >= 0 ? rx->cur : rx_next(rx, timeout_ms);
    rx->left_at = ipcx__now_ms();
    if (i < 0)
        return (int) i;
    rx->cur = i;
    *msg = rx->v[i]->msg;
    *len = rx->v[i]->len;
    return 0;
}

int ipcx__schan_release(struct ipcx_chan *ch)
{
    struct ipcx__rx *rx = &schan(ch)->rx;
    if (rx->cur < 0)
        return ipcx__fail(-EINVAL, "nothing was peeked");
    src_consume(rx, rx->v[rx->cur]);
    rx->rr = (size_t) rx->cur + 1;
    rx->cur = -1;
    rx_ring(rx);
    return 0;
}

/* ---- sender ----------------------------------------------------------- */

void ipcx__tx_init(struct ipcx__tx *tx, int fd, enum ipcx__tx_kind kind)
{
    memset(tx, 0, sizeof *tx);
    tx->fd = fd;
    tx->kind = kind;
}

static ssize_t tx_write(struct ipcx__tx *tx, const struct iovec *iov, int n)
{
    ssize_t r = tx->kind == IPCX_TX_PIPE ? ipcx__writev_nosigpipe(tx->fd, iov, n)
                                         : ipcx__sendv(tx->fd, iov, n);
    if (r == -ECONNRESET || r == -ECONNREFUSED || r == -ENOTCONN)
        r = -EPIPE; /* the receiver is gone, whatever the mechanism calls it */
    if (r == -EPIPE)
        (void) ipcx__fail(-EPIPE, "the receiver is gone");
    return r;
}

/* Wait until the descriptor may take more.  0 to retry, or an error. */
static int tx_wait(struct ipcx__tx *tx, const struct ipcx__deadline *d)
{
    int left = ipcx__remaining(d);
    if (left == 0)
        return ipcx__expired(d);
    int r = ipcx__poll1(tx->fd, POLLOUT, left);
    if (r == 0)
        return ipcx__expired(d);
    if (r == -EINTR)
        return ipcx__intr_returns() ? -EINTR : 0;
    return r < 0 ? r : 0;
}

/* Keep the unwritten rest of an accepted message for the next call. */
static int tx_keep(struct ipcx__tx *tx, const struct iovec *iov, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    uint8_t *p = malloc(total ? total : 1);
    if (!p)
        return -ENOMEM;
    tx->pend = p;
    tx->npend = total;
    tx->pos = 0;
    for (int i = 0; i < n; i++) {
        memcpy(p, iov[i].iov_base, iov[i].iov_len);
        p += iov[i].iov_len;
    }
    return 0;
}

static void tx_drop_pend(struct ipcx__tx *tx)
{
    free(tx->pend);
    tx->pend = NULL;
    tx->npend = tx->pos = 0;
}

/* Write what an earlier call accepted; chunk by chunk on a pipe. */
static int tx_flush(struct ipcx__tx *tx, const struct ipcx__deadline *d)
{
    while (tx->pos < tx->npend) {
        size_t unit = tx->npend - tx->pos;
        if (tx->kind == IPCX_TX_PIPE) {
            struct ipcx__frame f;
            if (ipcx__frame_decode(tx->pend + tx->pos, unit, IPCX_FRAME_TOTAL_MAX, &f) == 0)
                unit = IPCX_FRAME_HDR + (size_t) f.len;
        }
        struct iovec iov = { tx->pend + tx->pos, unit };
        ssize_t r = tx_write(tx, &iov, 1);
        if (r > 0) {
            tx->pos += (size_t) r;
            continue;
        }
        if (r == -EAGAIN) {
            int w = tx_wait(tx, d);
            if (w < 0)
                return w;
            continue;
        }
        tx_drop_pend(tx);
        return (int) r;
    }
    tx_drop_pend(tx);
    return 0;
}

/* Advance an iovec array past n written bytes. */
static void iov_advance(struct iovec **iov, int *cnt, size_t n)
{
    while (*cnt > 0 && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*cnt)--;
    }
    if (*cnt > 0) {
        (*iov)->iov_base = (uint8_t *) (*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

/*
 * Write one encoded unit (a frame, a record, or one atomic pipe chunk).
 * Returns 1 written, or an error with nothing of the message written.  Once
 * a byte of the message is out (started), running out of time or a signal
 * keeps the unwritten rest of this unit in tx->pend and returns 0: the
 * message is accepted, and the next call or close writes the rest.
 */
static int tx_unit(struct ipcx__tx *tx, struct iovec *iov, int cnt,
                   const struct ipcx__deadline *d, int started)
{
    for (;;) {
        ssize_t r = tx_write(tx, iov, cnt);
        if (r > 0) {
            iov_advance(&iov, &cnt, (size_t) r);
            if (cnt == 0)
                return 1;
            started = 1;
            continue;
        }
        if (r != -EAGAIN)
            return (int) r;
        int w = tx_wait(tx, d);
        if (w == 0)
            continue;
        if (!started || (w != -EAGAIN && w != -ETIMEDOUT && w != -EINTR))
            return w;
        int k = tx_keep(tx, iov, cnt);
        return k < 0 ? k : 0;
    }
}

/* The header of the chunk of msg that starts at off, and its length. */
static size_t chunk_next(struct ipcx__frame *f, size_t off, size_t len)
{
    const size_t room = PIPE_BUF - IPCX_FRAME_HDR;
    f->len = (uint32_t) (len - off < room ? len - off : room);
    f->flags = (off == 0 ? IPCX_FRAME_FIRST : 0) | (off + f->len == len ? IPCX_FRAME_LAST : 0);
    return f->len;
}

/* Out of time mid-message: append the chunks from off on, encoded, to what tx_unit kept. */
static int tx_keep_chunks(struct ipcx__tx *tx, struct ipcx__frame *f, const uint8_t *msg,
                          size_t off, size_t len)
{
    const size_t room = PIPE_BUF - IPCX_FRAME_HDR;
    size_t rest = len - off, nchunks = (rest + room - 1) / room;
    uint8_t *p = realloc(tx->pend, tx->npend + rest + nchunks * IPCX_FRAME_HDR);

    if (!p) {
        tx_drop_pend(tx);
        return -ENOMEM;
    }
    tx->pend = p;
    for (size_t n; off < len; off += n) {
        n = chunk_next(f, off, len);
        ipcx__frame_encode(p + tx->npend, f);
        memcpy(p + tx->npend + IPCX_FRAME_HDR, msg + off, n);
        tx->npend += IPCX_FRAME_HDR + n;
    }
    return 0;
}

/* A message longer than one atomic pipe write: chunks of PIPE_BUF bytes at most. */
static int tx_chunks(struct ipcx__tx *tx, const uint8_t *msg, size_t len,
                     unsigned prio, const struct ipcx__deadline *d)
{
    struct ipcx__frame f = { 0, prio, ipcx__self_tid(), (uint32_t) len, 0 };

    for (size_t off = 0, n; off < len; off += n) {
        uint8_t hdr[IPCX_FRAME_HDR];
        n = chunk_next(&f, off, len);
        ipcx__frame_encode(hdr, &f);
        struct iovec iov[2] = { { hdr, IPCX_FRAME_HDR }, { (void *) (msg + off), n } };
        int r = tx_unit(tx, iov, 2, d, off > 0);
        if (r < 0)
            return r;
        if (r == 0) /* this chunk (or its rest) was kept: keep the ones after it too */
            return off + n < len ? tx_keep_chunks(tx, &f, msg, off + n, len) : 0;
    }
    return 0;
}

int ipcx__schan_send(struct ipcx_chan *ch, const void *msg, size_t len,
                     unsigned prio, int timeout_ms)
{
    struct ipcx__tx *tx = &schan(ch)->tx;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    uint8_t hdr[IPCX_FRAME_HDR];
    struct ipcx__frame f = { IPCX_FRAME_WHOLE, prio, 0, (uint32_t) len, (uint32_t) len };

    if (prio > IPCX_FRAME_PRIO_MAX)
        return ipcx__fail(-EINVAL, "priority %u is above %u", prio, IPCX_FRAME_PRIO_MAX);
    if (tx->npend) {
        int r = tx_flush(tx, &d);
        if (r < 0)
            return r;
    }
    if (tx->kind == IPCX_TX_PIPE && IPCX_FRAME_HDR + len > PIPE_BUF)
        return tx_chunks(tx, msg, len, prio, &d);
    ipcx__frame_encode(hdr, &f);
    struct iovec iov[2] = { { hdr, IPCX_FRAME_HDR }, { (void *) msg, len } };
    int r = tx_unit(tx, iov, 2, &d, 0);
    return r < 0 ? r : 0;
}

void ipcx__tx_fini(struct ipcx__tx *tx)
{
    if (tx->npend) {
        struct ipcx__deadline d = ipcx__deadline(TX_LINGER_MS);
        (void) tx_flush(tx, &d);
    }
    tx_drop_pend(tx);
    (void) ipcx__close(tx->fd);
    tx->fd = -1;
}

/* ---- channel ops -------------------------------------------------------- */

/* The engine's URL keys; the default budget always holds one whole message. */
static int schan_limits(const struct ipcx_url *u, size_t maxmsg, struct ipcx__rx_limits *lim)
{
    size_t one = maxmsg + IPCX_FRAME_HDR, stall;
    int r = ipcx__url_size(u, "budget", one > RX_BUDGET_DEFAULT ? one : RX_BUDGET_DEFAULT,
                           one, SIZE_MAX / 4, &lim->budget);
    if (r == 0)
        r = ipcx__url_size(u, "stall", RX_STALL_DEFAULT_MS, 0, INT_MAX, &stall);
    if (r < 0)
        return r;
    lim->stall_ms = (int) stall;
    return 0;
}

int ipcx__schan_new(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    struct ipcx__rx_limits lim;
    int r = schan_limits(u, ch->maxmsg, &lim);
    if (r < 0)
        return r;
    struct ipcx__schan *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->lim = lim;
    s->rx.epfd = s->rx.lfd = s->rx.bell = s->rx.spare = -1;
    s->rx.cur = -1;
    s->tx.fd = -1;
    ch->impl = s;
    return 0;
}

int ipcx__schan_own_path(struct ipcx__schan *s, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return ipcx__errno();
    snprintf(s->path, sizeof s->path, "%s", path);
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return 0;
}

int ipcx__schan_fd(struct ipcx_chan *ch)
{
    struct ipcx__schan *s = schan(ch);
    if (ch->flags & IPCX_SEND)
        return s->tx.fd;
    if (s->rx.bell < 0) {
        /* Asked for the first time: from now on the doorbell also tells
         * about messages already read into our buffers. */
        s->rx.bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (s->rx.bell < 0)
            return ipcx__errno();
        int r = rx_watch(&s->rx, s->rx.bell, &s->rx.bell);
        if (r < 0) {
            (void) ipcx__close(s->rx.bell);
            s->rx.bell = -1;
            return r;
        }
        rx_ring(&s->rx);
    }
    return s->rx.epfd;
}

long long ipcx__schan_lost(const struct ipcx_chan *ch)
{
    const struct ipcx__rx *rx = &schan(ch)->rx;
    long long n = rx->lost;
    for (size_t i = 0; i < rx->n; i++)
        n += (long long) rx->v[i]->ra.lost;
    return n;
}

int ipcx__schan_addr(const struct ipcx_chan *ch, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s", schan(ch)->addr);
    return n < 0 || (size_t) n >= cap ? -ENOSPC : n;
}

int ipcx__schan_close(struct ipcx_chan *ch)
{
    struct ipcx__schan *s = schan(ch);
    struct stat st;
    int r = 0;
    if (!s)
        return 0;
    if (s->rx.epfd >= 0)
        ipcx__rx_fini(&s->rx);
    ipcx__tx_fini(&s->tx);
    /* Remove what we created, unless someone replaced it meanwhile, and
     * only in the process that created it, not in a child that inherited
     * the channel over fork and closes its copy. */
    if (s->path[0] && ipcx__chan_ours(ch) && lstat(s->path, &st) == 0 &&
        st.st_dev == s->dev && st.st_ino == s->ino && unlink(s->path) < 0 && errno != ENOENT)
        r = ipcx__fail(-errno, "cannot remove %s: left it", s->path);
    free(s);
    ch->impl = NULL;
    return r;
}
