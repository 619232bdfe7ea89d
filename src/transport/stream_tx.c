/*
 * stream_tx.c - the sender of the stream engine: one frame per message, or
 * atomic chunks on a pipe, with the deadline rules of the public API and
 * a pending remainder when a send was interrupted after its first byte.
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

/* ---- sender ----------------------------------------------------------- */

void ipcx__tx_init(struct ipcx__tx *tx, int fd, enum ipcx__tx_kind kind)
{
    memset(tx, 0, sizeof *tx);
    tx->fd = fd;
    tx->kind = kind;
}

static ssize_t tx_write(struct ipcx__tx *tx, const struct iovec *iov, int n)
{
    ssize_t r = tx->kind != IPCX_TX_PIPE ? ipcx__sendv(tx->fd, iov, n)
              : tx->sigign               ? ipcx__writev_sigign(tx->fd, iov, n)
                                         : ipcx__writev_nosigpipe(tx->fd, iov, n);
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

int ipcx__schan_send(struct ipcx_chan *ch, const void *msg, size_t len,
                     unsigned prio, int timeout_ms)
{
    struct ipcx__schan *s = ipcx__schan_of(ch);
    struct ipcx__tx *tx = &s->tx;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);

    if (prio > IPCX_FRAME_PRIO_MAX)
        return ipcx__fail(-EINVAL, "priority %u is above %u", prio, IPCX_FRAME_PRIO_MAX);
    if (s->lim.framing == IPCX_FRAMING_LINES && len && memchr(msg, '\n', len))
        return ipcx__fail(-EINVAL, "a message with a newline cannot be sent with framing=lines"
                                   " (it would arrive as two)");
    if (tx->npend) {
        int r = tx_flush(tx, &d);
        if (r < 0)
            return r;
    }
    tx->framing = s->lim.framing; /* what pend, if this send leaves one, holds */
    if (tx->framing != IPCX_FRAMING_IPCX)
        return tx_plain(tx, msg, len, &d);
    if (tx->kind == IPCX_TX_PIPE && IPCX_FRAME_HDR + len > PIPE_BUF)
        return tx_chunks(tx, msg, len, prio, &d);
    return tx_whole(tx, msg, len, prio, &d);
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
