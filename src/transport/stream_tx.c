/*
 * stream_tx.c - the sender of the stream engine: one frame per message, or
 * atomic chunks on a pipe, with the deadline rules of the public API and
 * a pending remainder when a send was interrupted after its first byte.
 * Batched sends (ipcx_sendv, the IPCX_MORE queue) write many frames with
 * one writev, or many records with one sendmmsg.  The cork queue itself is
 * batch.c's; this file only writes what it is given.
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
#include <sys/socket.h>

/* ---- sender ----------------------------------------------------------- */

void ipcx__tx_init(struct ipcx__tx *tx, int fd, enum ipcx__tx_kind kind)
{
    memset(tx, 0, sizeof *tx);
    tx->fd = fd;
    tx->kind = kind;
}

/* A failed write's error as the API reports it. */
static ssize_t tx_error(ssize_t r)
{
    if (r == -ECONNRESET || r == -ECONNREFUSED || r == -ENOTCONN)
        r = -EPIPE; /* the receiver is gone, whatever the mechanism calls it */
    if (r == -EPIPE)
        (void) ipcx__fail(-EPIPE, "the receiver is gone");
    return r;
}

static ssize_t tx_write(struct ipcx__tx *tx, const struct iovec *iov, int n)
{
    ssize_t r = tx->kind != IPCX_TX_PIPE ? ipcx__sendv(tx->fd, iov, n)
              : tx->sigign               ? ipcx__writev_sigign(tx->fd, iov, n)
                                         : ipcx__writev_nosigpipe(tx->fd, iov, n);
    return r < 0 ? tx_error(r) : r;
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
        if (tx->kind == IPCX_TX_PIPE && tx->framing == IPCX_FRAMING_IPCX) {
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

/*
 * framing=lines or none (codec.h): the bytes as they are, a newline after
 * each line.  One write, so on a pipe a line of up to PIPE_BUF bytes with
 * its newline is atomic among writers; a longer one may interleave.
 */
static int tx_plain(struct ipcx__tx *tx, const void *msg, size_t len,
                    const struct ipcx__deadline *d)
{
    static const char nl[1] = { '\n' };
    struct iovec iov[2] = { { (void *) msg, len }, { (void *) nl, 1 } };
    int cnt = tx->framing == IPCX_FRAMING_LINES ? 2 : 1;

    if (cnt == 1 && len == 0)
        return 0; /* framing=none: an empty message is no bytes at all */
    int r = tx_unit(tx, iov, cnt, d, 0);
    return r < 0 ? r : 0;
}

/* One whole frame: header and message in one write where the kernel takes it. */
static int tx_whole(struct ipcx__tx *tx, const void *msg, size_t len, unsigned prio,
                    const struct ipcx__deadline *d)
{
    uint8_t hdr[IPCX_FRAME_HDR];
    struct ipcx__frame f = { IPCX_FRAME_WHOLE, prio, 0, (uint32_t) len, (uint32_t) len };

    ipcx__frame_encode(hdr, &f);
    struct iovec iov[2] = { { hdr, IPCX_FRAME_HDR }, { (void *) msg, len } };
    int r = tx_unit(tx, iov, 2, d, 0);
    return r < 0 ? r : 0;
}

int ipcx__schan_check(const struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio)
{
    const struct ipcx__schan *s = ipcx__schan_of(ch);
    if (prio > IPCX_FRAME_PRIO_MAX)
        return ipcx__fail(-EINVAL, "priority %u is above %u", prio, IPCX_FRAME_PRIO_MAX);
    if (s->lim.framing == IPCX_FRAMING_LINES && len && memchr(msg, '\n', len))
        return ipcx__fail(-EINVAL, "a message with a newline cannot be sent with framing=lines"
                                   " (it would arrive as two)");
    return 0;
}

/* Before a send: write what an earlier one left, and note the framing of this one. */
static int tx_begin(struct ipcx__schan *s, const struct ipcx__deadline *d)
{
    struct ipcx__tx *tx = &s->tx;
    if (tx->npend) {
        int r = tx_flush(tx, d);
        if (r < 0)
            return r;
    }
    tx->framing = s->lim.framing; /* what pend, if this send leaves one, holds */
    return 0;
}

/* One message, as the framing and the descriptor want it. */
static int tx_message(struct ipcx__tx *tx, const void *msg, size_t len, unsigned prio,
                      const struct ipcx__deadline *d)
{
    if (tx->framing != IPCX_FRAMING_IPCX)
        return tx_plain(tx, msg, len, d);
    if (tx->kind == IPCX_TX_PIPE && IPCX_FRAME_HDR + len > PIPE_BUF)
        return tx_chunks(tx, msg, len, prio, d);
    return tx_whole(tx, msg, len, prio, d);
}

int ipcx__tx_frame(struct ipcx__tx *tx, const void *msg, size_t len, unsigned prio,
                   const struct ipcx__deadline *d)
{
    if (tx->npend) {
        int r = tx_flush(tx, d);
        if (r < 0)
            return r;
    }
    tx->framing = IPCX_FRAMING_IPCX;
    return tx_whole(tx, msg, len, prio, d);
}

int ipcx__schan_send(struct ipcx_chan *ch, const void *msg, size_t len,
                     unsigned prio, int timeout_ms)
{
    struct ipcx__schan *s = ipcx__schan_of(ch);
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    int r = ipcx__schan_check(ch, msg, len, prio);
    if (r == 0)
        r = tx_begin(s, &d);
    return r < 0 ? r : tx_message(&s->tx, msg, len, prio, &d);
}

/* ---- batched sends: many frames in one writev, many records in one sendmmsg ---- */

/* The iovecs, headers and record headers of one system call's worth of messages. */
struct ipcx__txv {
    struct iovec   iov[2 * IPCX_TXV_MSGS];
    uint8_t        hdr[IPCX_TXV_MSGS][IPCX_FRAME_HDR];
    size_t         size[IPCX_TXV_MSGS]; /* each message's encoded bytes */
    struct mmsghdr mm[IPCX_TXV_MSGS];
};

static struct ipcx__txv *txv_get(struct ipcx__tx *tx)
{
    if (!tx->txv)
        tx->txv = malloc(sizeof *tx->txv);
    return tx->txv;
}

/* Encode m into iovecs at iov (a header from hdr under framing=ipcx); returns how many. */
static int txv_encode(const struct ipcx__tx *tx, const struct ipcx_msg *m, struct iovec *iov,
                      uint8_t hdr[IPCX_FRAME_HDR], size_t *size)
{
    static const char nl[1] = { '\n' };
    int cnt = 0;
    if (tx->framing == IPCX_FRAMING_IPCX) {
        struct ipcx__frame f = { IPCX_FRAME_WHOLE, m->prio, 0, (uint32_t) m->len,
                                 (uint32_t) m->len };
        ipcx__frame_encode(hdr, &f);
        iov[cnt++] = (struct iovec) { hdr, IPCX_FRAME_HDR };
    }
    if (m->len)
        iov[cnt++] = (struct iovec) { (void *) m->data, m->len };
    if (tx->framing == IPCX_FRAMING_LINES)
        iov[cnt++] = (struct iovec) { (void *) nl, 1 };
    *size = 0;
    for (int i = 0; i < cnt; i++)
        *size += iov[i].iov_len;
    return cnt;
}

/* The bytes m takes on the wire, without encoding it. */
static size_t txv_size(const struct ipcx__tx *tx, const struct ipcx_msg *m)
{
    return m->len + (tx->framing == IPCX_FRAMING_IPCX ? IPCX_FRAME_HDR
                   : tx->framing == IPCX_FRAMING_LINES ? 1 : 0);
}

/*
 * Write a group of msgs encoded messages (iov[0, cnt), sizes size[]) with
 * as few writes as the descriptor takes.  Returns how many were accepted
 * (*why set when fewer).  As tx_unit for one: a message whose first byte
 * is out when time runs out keeps its rest in tx->pend and counts as
 * accepted; the ones after it are not.
 */
static size_t txv_group(struct ipcx__tx *tx, struct iovec *iov, int cnt, const size_t *size,
                        size_t msgs, const struct ipcx__deadline *d, int *why)
{
    size_t done = 0, into = 0; /* messages out whole, bytes of the next one out */

    for (;;) {
        while (done < msgs && into >= size[done])
            into -= size[done++];
        if (done == msgs)
            return msgs;
        ssize_t r = tx_write(tx, iov, cnt);
        if (r > 0) {
            iov_advance(&iov, &cnt, (size_t) r);
            into += (size_t) r;
            continue;
        }
        if (r != -EAGAIN) {
            *why = r < 0 ? (int) r : -EIO;
            return done;
        }
        int w = tx_wait(tx, d);
        if (w == 0)
            continue;
        if (into > 0 && (w == -EAGAIN || w == -ETIMEDOUT || w == -EINTR)) {
            /* Started: keep the iovecs of this message's rest (they end on a message's end). */
            size_t rest = size[done] - into, k = 0;
            for (int n = 0; k < rest; n++)
                k += iov[n].iov_len, cnt = n + 1;
            int e = tx_keep(tx, iov, cnt);
            if (e < 0) {
                *why = e;
                return done;
            }
            done++;
        }
        *why = w;
        return done;
    }
}

/* Records (seqpacket, datagram): up to IPCX_TXV_MSGS in each sendmmsg. */
static size_t txv_records(struct ipcx__tx *tx, struct ipcx__txv *b, const struct ipcx_msg *v,
                          size_t n, const struct ipcx__deadline *d, int *why)
{
    size_t done = 0;
    while (done < n) {
        size_t m = n - done < IPCX_TXV_MSGS ? n - done : IPCX_TXV_MSGS, off = 0;
        for (size_t i = 0; i < m; i++) {
            int c = txv_encode(tx, &v[done + i], &b->iov[2 * i], b->hdr[i], &b->size[i]);
            b->mm[i] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &b->iov[2 * i],
                                                       .msg_iovlen = (size_t) c } };
        }
        while (off < m) {
            int r = ipcx__sendmmsg(tx->fd, b->mm + off, (unsigned) (m - off));
            if (r > 0) {
                off += (size_t) r;
                continue;
            }
            if (r == -EAGAIN && (r = tx_wait(tx, d)) == 0)
                continue;
            *why = (int) tx_error(r);
            return done + off;
        }
        done += m;
    }
    return n;
}

long ipcx__schan_sendv(struct ipcx_chan *ch, const struct ipcx_msg *v, size_t n,
                       int timeout_ms, int *why)
{
    struct ipcx__schan *s = ipcx__schan_of(ch);
    struct ipcx__tx *tx = &s->tx;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    struct ipcx__txv *b;
    size_t done = 0;
    int r = tx_begin(s, &d);

    if (r == 0 && !(b = txv_get(tx)))
        r = -ENOMEM;
    if (r < 0) {
        *why = r;
        return 0;
    }
    if (tx->kind == IPCX_TX_RECORD)
        return (long) txv_records(tx, b, v, n, &d, why);
    while (done < n) {
        /* On a pipe only a write of up to PIPE_BUF bytes is atomic among
         * writers: a group stays within it, and a longer message goes
         * alone, in chunks (tx_message). */
        if (tx->kind == IPCX_TX_PIPE && txv_size(tx, &v[done]) > PIPE_BUF) {
            if ((r = tx_message(tx, v[done].data, v[done].len, v[done].prio, &d)) < 0) {
                *why = r;
                return (long) done;
            }
            done++;
            if (tx->npend) {
                /* Accepted, but time ran out (or a signal came) inside it: its kept
                 * chunks go before anything else of this writer, so the batch ends. */
                *why = ipcx__remaining(&d) == 0 ? ipcx__expired(&d) : -EINTR;
                return (long) done;
            }
            continue;
        }
        size_t m = 0, bytes = 0;
        int cnt = 0;
        while (done + m < n && m < IPCX_TXV_MSGS) {
            if (tx->kind == IPCX_TX_PIPE && bytes + txv_size(tx, &v[done + m]) > PIPE_BUF)
                break;
            cnt += txv_encode(tx, &v[done + m], &b->iov[cnt], b->hdr[m], &b->size[m]);
            bytes += b->size[m++];
        }
        size_t k = txv_group(tx, b->iov, cnt, b->size, m, &d, why);
        done += k;
        if (k < m)
            return (long) done;
    }
    return (long) n;
}

void ipcx__tx_fini(struct ipcx__tx *tx)
{
    if (tx->npend) {
        struct ipcx__deadline d = ipcx__deadline(TX_LINGER_MS);
        (void) tx_flush(tx, &d);
    }
    tx_drop_pend(tx);
    free(tx->txv);
    tx->txv = NULL;
    (void) ipcx__close(tx->fd);
    tx->fd = -1;
}
