/*
 * stream_back.c - replies over the connection a message came on (stream.h,
 * "Replies over the connection"): a sending end that reads its own
 * connected socket back, and a receiving end that writes one framed message
 * to the accepted connection a message arrived on.  Request/reply
 * (src/pattern/reqrep.c) uses it on unix: stream and seqpacket sockets.
 * The framing, the reading and the writing are the engine's (stream_src.c,
 * stream_tx.c); this file only picks the descriptor.  Not for pipes, FIFOs
 * or datagram sockets: they have no connection per sender.
 */
#include "stream_int.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/net.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

static int back_engine(const struct ipcx_chan *ch)
{
    return ch && ch->tp && ch->tp->recv == ipcx__schan_recv;
}

int ipcx__back_open(struct ipcx_chan *ch)
{
    struct ipcx__schan *s;
    int type = 0, r;

    if (!back_engine(ch) || !(ch->flags & IPCX_SEND))
        return ipcx__fail(-ENOTSUP, "no connection to read replies from");
    s = ipcx__schan_of(ch);
    if (s->back)
        return 0;
    if (s->tx.kind == IPCX_TX_PIPE || s->lim.framing != IPCX_FRAMING_IPCX)
        return ipcx__fail(-ENOTSUP, "replies come back only over a connected socket "
                                    "with framing=ipcx");
    if ((r = ipcx__getsockopt_int(s->tx.fd, SOL_SOCKET, SO_TYPE, &type)) < 0)
        return r;
    if (type != SOCK_STREAM && type != SOCK_SEQPACKET)
        return ipcx__fail(-ENOTSUP, "a datagram socket has no connection to reply on");
    /* The sending end's rx is unused otherwise: it holds the reader's
     * state (its budget, maxmsg), with no epoll set and no sources. */
    memset(&s->rx, 0, sizeof s->rx);
    s->rx.mode = IPCX_RX_BACK | (type == SOCK_SEQPACKET ? IPCX_RX_RECORD : 0);
    s->rx.maxmsg = ch->maxmsg;
    s->rx.lim = s->lim;
    s->rx.epfd = s->rx.lfd = s->rx.bell = s->rx.spare = -1;
    s->rx.cur = -1;
    if (!(s->back = ipcx__src_new(s->tx.fd)))
        return -ENOMEM;
    return 0;
}

/* Wait until fd is readable or d passes (an expired d still looks once). */
static int back_wait(int fd, const struct ipcx__deadline *d)
{
    int r = ipcx__poll1(fd, POLLIN, ipcx__remaining(d));
    if (r == 0)
        return ipcx__expired(d);
    if (r == -EINTR)
        return ipcx__intr_returns() ? -EINTR : 0;
    return r < 0 ? r : 0;
}

long ipcx__back_recv(struct ipcx_chan *ch, void *buf, size_t cap, int timeout_ms)
{
    struct ipcx__schan *s = ipcx__schan_of(ch);
    struct ipcx__src *src = s->back;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);

    if (!src)
        return -EINVAL;
    /* Nothing buffered: a reply to a request just sent is rarely there
     * yet, so wait first and then read (two system calls, not three). */
    int fresh = src->beg == src->end;
    for (;;) {
        int r = ipcx__src_parse(&s->rx, src);
        if (r == 1) {
            long len = (long) src->len;
            if (src->len > cap) {
                ipcx__src_consume(&s->rx, src);
                return ipcx__fail(-EMSGSIZE, "a reply of %zu bytes, more than %zu", src->len, cap);
            }
            if (len)
                memcpy(buf, src->msg, src->len);
            ipcx__src_consume(&s->rx, src);
            return len;
        }
        if (r < 0)
            return r == -ENOMEM ? r : ipcx__fail(-EPROTO, "the receiver sent back bytes that "
                                                          "are no frame");
        if (!fresh) {
            r = ipcx__src_fill(&s->rx, src, 0);
            if (r > 0)
                continue;
            if (r == -ENOTCONN)
                return ipcx__fail(-EPIPE, "the receiver closed the connection");
            if (r == -EBADMSG)
                return ipcx__fail(-EPROTO, "the receiver sent back a malformed record");
            if (r < 0)
                return r;
        }
        if ((r = back_wait(src->fd, &d)) < 0)
            return r;
        fresh = 0;
    }
}

/* The source with serial conn among a receiver's connections, or NULL. */
static struct ipcx__src *back_find(struct ipcx__rx *rx, uint64_t conn, size_t *at)
{
    for (size_t i = 0; i < rx->n; i++)
        if (rx->v[i]->serial == conn) {
            *at = i;
            return rx->v[i];
        }
    return NULL;
}

int ipcx__back_source(struct ipcx_chan *ch, uint64_t *conn, long *pid, long *uid)
{
    struct ipcx__rx *rx;
    struct ipcx__src *src;
    size_t at;
    int dom = 0, r;

    if (!back_engine(ch) || !(ch->flags & IPCX_RECV))
        return ipcx__fail(-ENOTSUP, "not a receiver of connections");
    rx = &ipcx__schan_of(ch)->rx;
    if (rx->lfd < 0 || ipcx__schan_of(ch)->lim.framing != IPCX_FRAMING_IPCX)
        return ipcx__fail(-ENOTSUP, "this receiver has no connection per sender");
    if (!rx->last_src || !(src = back_find(rx, rx->last_src, &at)))
        return ipcx__fail(-EPIPE, "the sender's connection is gone");
    if (!src->peer_known) {
        /* Once per connection: the kernel recorded it at connect(2). */
        src->peer_pid = 0;
        src->peer_uid = -1;
        if ((r = ipcx__getsockopt_int(src->fd, SOL_SOCKET, SO_DOMAIN, &dom)) < 0)
            return r;
        if (dom == AF_UNIX) {
            pid_t p;
            uid_t u;
            if ((r = ipcx__peercred(src->fd, &p, &u, NULL)) < 0)
                return r;
            src->peer_pid = (long) p;
            src->peer_uid = (long) u;
        }
        src->peer_known = 1;
    }
    *conn = src->serial;
    *pid = src->peer_pid;
    *uid = src->peer_uid;
    return 0;
}

int ipcx__back_sender(struct ipcx_chan *ch, long *pid)
{
    struct ipcx__rx *rx;

    if (!back_engine(ch) || !(ch->flags & IPCX_RECV))
        return -ENOTSUP;
    rx = &ipcx__schan_of(ch)->rx;
    if (!(rx->mode & IPCX_RX_CRED))
        return -ENOTSUP;
    *pid = (long) rx->last_pid;
    return 0;
}

/* Drop connection at (it broke); a message handed out by peek stays where it is. */
static void back_drop(struct ipcx__rx *rx, size_t at)
{
    if (rx->cur == (long) at)
        return; /* the peeked message is the caller's until release: shed later */
    ipcx__rx_drop(rx, at);
    if (rx->cur > (long) at)
        rx->cur--;
}

int ipcx__back_send(struct ipcx_chan *ch, uint64_t conn, const void *msg, size_t len,
                    unsigned prio, int timeout_ms)
{
    struct ipcx__rx *rx;
    struct ipcx__src *src;
    struct ipcx__tx tx;
    size_t at;

    if (!back_engine(ch) || !(ch->flags & IPCX_RECV))
        return ipcx__fail(-ENOTSUP, "not a receiver of connections");
    rx = &ipcx__schan_of(ch)->rx;
    if (len > ch->maxmsg)
        return ipcx__fail(-EMSGSIZE, "%zu bytes are more than maxmsg=%zu", len, ch->maxmsg);
    if (prio > IPCX_FRAME_PRIO_MAX)
        return ipcx__fail(-EINVAL, "priority %u is above %u", prio, IPCX_FRAME_PRIO_MAX);
    if (!(src = back_find(rx, conn, &at)))
        return ipcx__fail(-EPIPE, "the requester's connection is gone");
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    ipcx__tx_init(&tx, src->fd, (rx->mode & IPCX_RX_RECORD) ? IPCX_TX_RECORD : IPCX_TX_STREAM);
    int r = ipcx__tx_frame(&tx, msg, len, prio, &d);
    if (tx.npend) {
        /* Out of time after the first byte: the rest cannot wait in a
         * descriptor we do not own, and a torn frame would corrupt every
         * later reply on this connection.  It goes; the requester sees
         * -EPIPE. */
        free(tx.pend);
        back_drop(rx, at);
        return ipcx__fail(ipcx__expired(&d), "the requester did not take its reply in time: "
                                             "its connection was closed");
    }
    if (r == -EPIPE)
        back_drop(rx, at);
    return r;
}
