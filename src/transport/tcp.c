/*
 * tcp.c - TCP, tcp://host:port: IPv4, IPv6 in brackets (tcp://[::1]:7000)
 * and host names.  The receiver binds (host * means every address, port 0
 * lets the kernel pick: ipcx_addr() tells which) and accepts any number of
 * senders; a sender connects with TCP_NODELAY.  Framing is stream.c's, the
 * same as on a Unix stream socket.
 */
#include "sock.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int ipcx__tcp_resolve(const struct ipcx_url *u, int passive, struct addrinfo **res)
{
    struct addrinfo hints = { 0 };
    const char *why = "";
    int any = strcmp(u->host, "*") == 0, r;

    if (!u->authority)
        return ipcx__fail(-EINVAL, "%s needs an address: %s://host:port", u->scheme, u->scheme);
    if (u->path[0] && strcmp(u->path, "/") != 0)
        return ipcx__fail(-EINVAL, "%s://host:port takes no path", u->scheme);
    if (any && !passive)
        return ipcx__fail(-EINVAL, "a sender needs a host, not *");
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    r = ipcx__getaddrinfo(any ? NULL : u->host, u->port, &hints, res, &why);
    if (r == -EADDRNOTAVAIL)
        return ipcx__fail(-EADDRNOTAVAIL, "cannot resolve %s: %s", u->host, why);
    return r;
}

void ipcx__tcp_format(const struct sockaddr *sa, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *) sa;
        (void) inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        port = ntohs(s6->sin6_port);
        snprintf(buf, cap, "tcp://[%s]:%u", host, port);
    } else {
        const struct sockaddr_in *s4 = (const void *) sa;
        (void) inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        port = ntohs(s4->sin_port);
        snprintf(buf, cap, "tcp://%s:%u", host, port);
    }
}

static int tcp_listen(struct ipcx_chan *ch, const struct addrinfo *res)
{
    struct ipcx__schan *s = ch->impl;
    int r = -EADDRNOTAVAIL;

    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = ipcx__socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK);
        if (fd < 0) {
            r = fd;
            continue;
        }
        (void) ipcx__setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
        if ((r = ipcx__bind(fd, ai->ai_addr, ai->ai_addrlen)) < 0) {
            (void) ipcx__close(fd);
            continue;
        }
        /* The address ipcx_addr() tells (the port the kernel picked for 0):
         * a receiver that cannot learn it is of no use to its senders. */
        struct sockaddr_storage ss;
        if ((r = ipcx__getsockname(fd, &ss)) < 0) {
            (void) ipcx__close(fd);
            return r;
        }
        ipcx__tcp_format((struct sockaddr *) &ss, s->addr, sizeof s->addr);
        return ipcx__sock_rx(ch, fd, SOCK_STREAM);
    }
    return r == -EADDRINUSE ? ipcx__fail(r, "the port is in use") : r;
}

static int tcp_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    struct addrinfo *res;
    int r = ipcx__tcp_resolve(u, (ch->flags & IPCX_RECV) != 0, &res);

    if (r < 0)
        return r;
    if ((r = ipcx__schan_new(ch, u)) < 0)
        goto out;
    if (ch->flags & IPCX_RECV) {
        r = tcp_listen(ch, res);
        goto out;
    }
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char what[128];
        ipcx__tcp_format(ai->ai_addr, what, sizeof what);
        r = ipcx__sock_tx(ch, ai->ai_family, SOCK_STREAM, ai->ai_addr, ai->ai_addrlen, what);
        if (r == 0) {
            memcpy(((struct ipcx__schan *) ch->impl)->addr, what, sizeof what);
            break;
        }
    }
out:
    freeaddrinfo(res);
    return r;
}

const struct ipcx_transport ipcx__transport_tcp = {
    .scheme  = "tcp",
    .caps    = IPCX_CAP_FD | IPCX_CAP_REMOTE | IPCX_CAP_MANY | IPCX_CAP_RXGONE,
    .keys    = IPCX_STREAM_KEYS,
    .maxmsg_default = IPCX_MAXMSG_DEFAULT,
    .maxmsg_limit   = IPCX_FRAME_TOTAL_MAX,
    .open    = tcp_open,
    IPCX_STREAM_OPS,
};
