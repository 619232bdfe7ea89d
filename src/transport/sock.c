/*
 * sock.c - the socket side that unix.c and tcp.c share: listen or take
 * datagrams on a bound socket, connect a sender, and size send buffers so
 * that a record of maxmsg bytes fits.  Addresses are the transports' job.
 */
#include "sock.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/net.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* A socket buffer for records of maxmsg bytes: room for two, so a sender
 * need not wait for every one (clamped: the kernel doubles what it is given). */
static int sock_record_room(size_t maxmsg)
{
    size_t want = 2 * (maxmsg + IPCX_FRAME_HDR) + 4096;
    return want > INT_MAX / 2 ? INT_MAX / 2 : (int) want;
}

int ipcx__sock_rx(struct ipcx_chan *ch, int fd, int type)
{
    struct ipcx__schan *s = ch->impl;
    int r;

    if (type != SOCK_DGRAM && (r = ipcx__listen(fd)) < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    r = ipcx__rx_init(&s->rx, ch->maxmsg, type == SOCK_STREAM ? 0 : IPCX_RX_RECORD,
                      &s->lim);
    if (r < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    if (type == SOCK_DGRAM) {
        int sz = sock_record_room(ch->maxmsg), dom = 0;
        (void) ipcx__setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, sz);
        /* A unix datagram has no connection to ask who sent it: the
         * kernel's credentials ride with each record instead. */
        if (ipcx__getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &dom) == 0 && dom == AF_UNIX &&
            ipcx__setsockopt_int(fd, SOL_SOCKET, SO_PASSCRED, 1) == 0)
            s->rx.mode |= IPCX_RX_CRED;
        return ipcx__rx_add(&s->rx, fd);
    }
    r = ipcx__rx_listen(&s->rx, fd);
    if (r < 0)
        (void) ipcx__close(fd);
    return r;
}

int ipcx__sock_record_buf(int fd, size_t maxmsg)
{
    int sz = sock_record_room(maxmsg), got = 0, r;

    /* SO_SNDBUFFORCE passes net.core.wmem_max, for a privileged caller only. */
    if (ipcx__setsockopt_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, sz) < 0)
        (void) ipcx__setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, sz);
    if ((r = ipcx__getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, &got)) < 0)
        return r;
    /* Linux refuses a record of more than the send buffer less 32 bytes
     * (EMSGSIZE at every send): refuse such a maxmsg now, with the reason. */
    if (got < 0 || (size_t) got < maxmsg + IPCX_FRAME_HDR + 32)
        return ipcx__fail(-EINVAL, "maxmsg=%zu does not fit a socket send buffer here "
                                   "(%d bytes; raise net.core.wmem_max)", maxmsg, got);
    return 0;
}

int ipcx__sock_tx(struct ipcx_chan *ch, int family, int type,
                  const struct sockaddr *sa, socklen_t len, const char *what)
{
    struct ipcx__schan *s = ch->impl;
    int fd = ipcx__socket(family, type), r;

    if (fd < 0)
        return fd;
    if (type != SOCK_STREAM && (r = ipcx__sock_record_buf(fd, ch->maxmsg)) < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    if ((r = ipcx__connect(fd, sa, len)) < 0) {
        int e = -r;
        (void) ipcx__close(fd);
        if (e == ECONNREFUSED)
            return ipcx__fail(-ECONNREFUSED, "nobody is receiving on %s", what);
        if (e == ENOENT)
            return ipcx__fail(-ENOENT, "no socket %s", what);
        if (e == EPROTOTYPE)
            return ipcx__fail(-EPROTOTYPE, "%s has another socket type (?type=)", what);
        return ipcx__fail(-e, "cannot connect to %s", what);
    }
    if (family != AF_UNIX) {
        (void) ipcx__setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    }
    r = ipcx__set_nonblock(fd);
    if (r < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    ipcx__tx_init(&s->tx, fd, type == SOCK_STREAM ? IPCX_TX_STREAM : IPCX_TX_RECORD);
    return 0;
}
