/*
 * stream_src.c - one source of a stream receiver: its read buffer, which
 * grows with the bytes that arrived (never with what a header announces),
 * what it is charged against the receiver's budget, and the frames in it
 * (whole ones, or chunks reassembled by frame.c).  Which source to read
 * and which to drop is stream_rx.c's.
 */
#include "stream_int.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/proc.h"
#include "../sys/net.h"
#include "../sys/event.h"
#include "../sys/fs.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- sources ---------------------------------------------------------- */

/* The next source's serial (from 1): a reply over a connection names its
 * source by it (stream_back.c), so a descriptor number reused by a later
 * connection is never taken for the old one. */
static _Atomic uint64_t src_serials = 1;

struct ipcx__src *ipcx__src_new(int fd)
{
    struct ipcx__src *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    s->serial = atomic_fetch_add_explicit(&src_serials, 1, memory_order_relaxed);
    s->last = ipcx__coarse_ms(); /* the clock of ipcx__rx_clock */
    ipcx__reasm_init(&s->ra);
    return s;
}

void ipcx__src_free(struct ipcx__src *s)
{
    if (!s)
        return;
    /* Leave the open file as we found it: other copies (a parent's, after
     * fork) may share it, and a waiting one copes (src_read). */
    if (s->blocking)
        (void) ipcx__fd_nonblock(s->fd, 1);
    (void) ipcx__close(s->fd);
    ipcx__reasm_fini(&s->ra);
    free(s->buf);
    free(s);
}

/* A connection, not a pipe or a datagram socket: it may be shed. */
int ipcx__rx_conn(const struct ipcx__rx *rx)
{
    return rx->lfd >= 0 && !(rx->mode & IPCX_RX_RECORD);
}

/*
 * Memory a source holds beyond its base read buffer: a grown buffer and
 * the split messages of a pipe.  Records need a buffer of maxmsg to be
 * read at all and are whole, so they are not charged.
 */
void ipcx__rx_account(struct ipcx__rx *rx, struct ipcx__src *s)
{
    size_t c = s->ra.bytes;
    if (!(rx->mode & IPCX_RX_RECORD) && s->cap > SRC_BUF_MIN)
        c += s->cap - SRC_BUF_MIN;
    rx->used = rx->used - s->charge + c;
    s->charge = c;
}

/* Bytes buffered that are not yet a handed-out message. */
int ipcx__src_idle(const struct ipcx__src *s)
{
    return !s->have && s->beg == s->end;
}

/* Give back the grown buffer of a source that holds nothing. */
static void src_shrink(struct ipcx__rx *rx, struct ipcx__src *s)
{
    free(s->buf);
    s->buf = NULL;
    s->cap = s->beg = s->end = 0;
    ipcx__rx_account(rx, s);
}

/*
 * A bad header at beg on a shared pipe: every writer's chunks pass through
 * it, so it cannot be dropped.  Skip to the next place that decodes as a
 * header, or, near the end, could still begin one (the header check makes
 * a false match unlikely), and go on.
 */
static void src_resync(struct ipcx__src *s, size_t maxmsg)
{
    struct ipcx__frame f;
    size_t p;
    for (p = s->beg + 1; p < s->end; p++)
        if (p + IPCX_FRAME_HDR <= s->end
                ? ipcx__frame_decode(s->buf + p, s->end - p, maxmsg, &f) == 0
                : ipcx__frame_prefix(s->buf + p, s->end - p))
            break;
    s->beg = p;
}

/* Drop what is left of a line longer than maxmsg, up to its newline. */
static void src_skip_line(struct ipcx__src *s)
{
    size_t n;
    s->skipping = !ipcx__line_skip(s->buf + s->beg, s->end - s->beg, &n);
    s->beg += n;
}

/* After -EBADMSG on a shared pipe: skip the bad header or line, if it is still there. */
void ipcx__src_skip_bad(struct ipcx__rx *rx, struct ipcx__src *s)
{
    struct ipcx__frame f;
    size_t n = s->end - s->beg, len, used;
    if (rx->lim.framing == IPCX_FRAMING_LINES) {
        if (n > 0 && ipcx__line_find(s->buf + s->beg, n, rx->maxmsg, s->eof, &len, &used) < 0)
            src_skip_line(s);
        return;
    }
    if (n > 0 && (n >= IPCX_FRAME_HDR
                      ? ipcx__frame_decode(s->buf + s->beg, n, rx->maxmsg, &f) == -EBADMSG
                      : !ipcx__frame_prefix(s->buf + s->beg, n)))
        src_resync(s, rx->maxmsg);
}

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
        if (rx->v[i] != s && ipcx__src_idle(rx->v[i]) && rx->v[i]->cap > SRC_BUF_MIN)
            src_shrink(rx, rx->v[i]);
    while (rx->used + delta > rx->lim.budget) {
        if (!ipcx__rx_conn(rx)) {
            /* One shared pipe: its buffer is at most a frame of maxmsg,
             * which the budget holds; the rest is split messages. */
            if (!ipcx__reasm_evict(&s->ra))
                return 0;
            ipcx__rx_account(rx, s);
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
        ipcx__rx_drop(rx, victim);
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
    ipcx__rx_account(rx, s);
    return 0;
}

static int src_have(struct ipcx__src *s, const uint8_t *msg, size_t len, size_t used,
                    unsigned prio)
{
    s->have = 1;
    s->from_ra = 0;
    s->msg = msg;
    s->len = len;
    s->used = used;
    s->prio = prio;
    return 1;
}

/* framing=lines and framing=none (codec.h): the bytes as they came, prio 0. */
static int src_parse_plain(struct ipcx__rx *rx, struct ipcx__src *s)
{
    size_t len, used, n;

    if (s->skipping && s->beg < s->end)
        src_skip_line(s);
    n = s->end - s->beg;
    if (rx->lim.framing == IPCX_FRAMING_NONE) {
        len = n < rx->maxmsg ? n : rx->maxmsg;
        return n ? src_have(s, s->buf + s->beg, len, len, 0) : 0;
    }
    if (s->skipping || n == 0) {
        s->want = 0;
        return 0; /* (an empty buffer may have none at all: buf is NULL) */
    }
    int r = ipcx__line_find(s->buf + s->beg, n, rx->maxmsg, s->eof, &len, &used);
    if (r == -EMSGSIZE)
        return ipcx__fail(-EBADMSG, "a line longer than maxmsg=%zu bytes (framing=lines): dropped",
                          rx->maxmsg);
    if (r == 1)
        return src_have(s, s->buf + s->beg, len, used, 0);
    s->want = rx->maxmsg + 1; /* room for the longest line and its newline */
    return 0;
}

/*
 * Find the next whole message in what was read.  1: s->have is set; 0: more
 * bytes are needed; -EBADMSG: a malformed frame, left where it is (the
 * receive decides: skip it on a pipe, drop a connection); -ENOMEM.
 * It never loses an error, so the doorbell check may call it freely.
 */
int ipcx__src_parse(struct ipcx__rx *rx, struct ipcx__src *s)
{
    if (rx->lim.framing != IPCX_FRAMING_IPCX)
        return s->have ? 1 : src_parse_plain(rx, s);
    while (!s->have && s->end > s->beg) {
        struct ipcx__frame f;
        const uint8_t *p = s->buf + s->beg;
        /* Told apart at its first byte: else "hi\n" would wait for a header's 20. */
        if (!ipcx__frame_prefix(p, s->end - s->beg))
            return ipcx__fail(-EBADMSG, "not an ipcx frame: a plain writer? see framing=lines");
        if (s->end - s->beg < IPCX_FRAME_HDR)
            break;
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
        if (f.flags == IPCX_FRAME_WHOLE)
            return src_have(s, p + IPCX_FRAME_HDR, f.len, IPCX_FRAME_HDR + (size_t) f.len, f.prio);
        s->beg += IPCX_FRAME_HDR + (size_t) f.len;
        r = ipcx__reasm_feed(&s->ra, &f, p + IPCX_FRAME_HDR, &s->msg, &s->len, &s->prio);
        ipcx__rx_account(rx, s);
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

void ipcx__src_consume(struct ipcx__rx *rx, struct ipcx__src *s)
{
    if (!s->have)
        return;
    if (s->from_ra) {
        ipcx__reasm_consume(&s->ra);
        ipcx__rx_account(rx, s);
    } else {
        s->beg += s->used; /* the whole frame, line or read in buf */
    }
    s->have = 0;
    s->want = 0;
    if (s->beg == s->end) {
        s->beg = s->end = 0;
        s->since = 0;
    } else {
        s->since = ipcx__rx_clock(rx); /* what follows is a new partial frame */
    }
}

/*
 * Read into the free end of the buffer, sleeping until bytes come when
 * wait is set (the descriptor in blocking mode), else never waiting.
 *
 * Why a pipe receiver without a deadline sleeps in read(2) rather than in
 * epoll_wait: once a pipe has been polled (poll, select or epoll), the
 * kernel wakes its poll waiters at every write, not only at a write into
 * an empty pipe (fs/pipe.c, poll_usage), so every send of every sender
 * costs more from then on: on the raw pipe flood of 64-byte records, +40%
 * CPU per message after one poll(2), +80% while the pipe sits in an epoll
 * set.  So the pipe joins the epoll set only when something must poll it
 * (a receive with a deadline, ipcx_fd: stream_rx.c, rx_unlazy).
 *
 * The blocking mode belongs to the open file, which a forked copy of the
 * receiver shares: its close turns O_NONBLOCK back on (src_free), and a
 * read that should have slept and says -EAGAIN sets blocking mode again.
 */
static ssize_t src_read(struct ipcx__src *s, int wait)
{
    for (;;) {
        if (s->blocking != wait) {
            int e = ipcx__fd_nonblock(s->fd, !wait);
            if (e < 0)
                return e;
            s->blocking = wait;
        }
        ssize_t r = wait ? ipcx__read_wait(s->fd, s->buf + s->end, s->cap - s->end)
                         : ipcx__read(s->fd, s->buf + s->end, s->cap - s->end);
        if (r != -EAGAIN || !wait)
            return r;
        s->blocking = 0; /* someone made it non-blocking meanwhile */
    }
}

/*
 * Read once from a source.  >0 bytes read, 0 nothing new, -ENOTCONN when it
 * reached end of file just now, -EBADMSG for a bad record, -ENOBUFS when
 * this connection must go to keep the budget, other -errno.
 */
int ipcx__src_fill(struct ipcx__rx *rx, struct ipcx__src *s, int wait)
{
    ssize_t r;

    if (rx->mode & IPCX_RX_RECORD) {
        /* A record is read whole or lost, so read only into an empty
         * buffer that holds the largest valid record and one byte more. */
        if (!ipcx__src_idle(s))
            return 0;
        s->beg = s->end = 0;
        if (s->cap < IPCX_FRAME_HDR + rx->maxmsg + 1) {
            uint8_t *b = realloc(s->buf, IPCX_FRAME_HDR + rx->maxmsg + 1);
            if (!b)
                return -ENOMEM;
            s->buf = b;
            s->cap = IPCX_FRAME_HDR + rx->maxmsg + 1;
        }
        r = (rx->mode & IPCX_RX_CRED) ? ipcx__recv_cred(s->fd, s->buf, s->cap, &s->rec_pid)
                                      : ipcx__recv(s->fd, s->buf, s->cap, 0);
        if (r == -EAGAIN)
            return 0;
        if (r < 0)
            return (int) r;
        if (r == 0 && (rx->lfd >= 0 || (rx->mode & IPCX_RX_BACK))) {
            s->eof = 1;
            return -ENOTCONN;
        }
        struct ipcx__frame f;
        if ((size_t) r >= s->cap ||
            ipcx__frame_decode(s->buf, (size_t) r, rx->maxmsg, &f) < 0 ||
            f.flags != IPCX_FRAME_WHOLE || (size_t) r != IPCX_FRAME_HDR + f.len)
            return ipcx__fail(-EBADMSG, "%s", ipcx__frame_prefix(s->buf, (size_t) r)
                                  ? "a peer sent a malformed or oversized record"
                                  : "not an ipcx frame: a plain writer? (framing=lines needs type=stream)");
        /* The record is one whole message, checked: src_parse need not decode it again. */
        s->end = (size_t) r;
        return src_have(s, s->buf + IPCX_FRAME_HDR, f.len, (size_t) r, f.prio);
    }

    if (s->have)
        return 0; /* the receive hands it out before it reads again */
    int e = src_room(rx, s);
    if (e != 0)
        return e > 0 ? 0 : e;
    r = src_read(s, wait && (rx->mode & IPCX_RX_PIPE));
    if (r > 0) {
        s->end += (size_t) r;
        s->eof = 0;
        s->seen = 1;
        s->last = ipcx__rx_clock(rx);
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
         * that writers came and all went.  Once bytes came, a writer was
         * there, and the poll that would tax every later write (src_read)
         * is not needed: 0 is the end. */
        if (!s->seen && !(ipcx__poll1(s->fd, POLLIN, 0) & POLLHUP))
            return 0;
        if (s->eof)
            return 0;
    }
    s->eof = 1;
    return -ENOTCONN;
}

