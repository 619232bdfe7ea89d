/*
 * sp_tcp.c - sp+tcp://host:port?proto=NAME: nng's tcp:// transport (SP
 * over TCP, a 64-bit length before each message).  A listening end binds
 * (host * for every address, port 0 lets the kernel pick) and takes any
 * number of peers; a dialing end connects once, with TCP_NODELAY, and
 * waits for the peer's handshake.  Resolving and spelling addresses is
 * tcp.c's; the SP socket is sp.c's.
 */
#include "sp.h"
#include "sock.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

/* Spell sa as sp+tcp://host:port into ch's address. */
static void sp_tcp_name(struct ipcx_chan *ch, const struct sockaddr *sa)
{
    char tcp[IPCX_URL_HOST + 32];
    size_t cap;
    char *buf = ipcx__sp_addrbuf(ch, &cap);
    ipcx__tcp_format(sa, tcp, sizeof tcp);
    snprintf(buf, cap, "sp+%s", tcp);
}

static int sp_tcp_listen(struct ipcx_chan *ch, const struct addrinfo *res)
{
    int r = -EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        struct sockaddr_storage ss;
        int fd = ipcx__socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK);
        if (fd < 0) {
            r = fd;
            continue;
        }
        (void) ipcx__setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
        if ((r = ipcx__bind(fd, ai->ai_addr, ai->ai_addrlen)) < 0 ||
            (r = ipcx__getsockname(fd, &ss)) < 0) {
            (void) ipcx__close(fd);
            continue;
        }
        sp_tcp_name(ch, (const struct sockaddr *) &ss);
        return ipcx__sp_listen(ch, fd);
    }
    return r == -EADDRINUSE ? ipcx__fail(r, "the port is in use") : r;
}

static int sp_tcp_dial(struct ipcx_chan *ch, const struct addrinfo *res)
{
    int r = -EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = ipcx__socket(ai->ai_family, SOCK_STREAM);
        if (fd < 0) {
            r = fd;
            continue;
        }
        sp_tcp_name(ch, ai->ai_addr);
        if ((r = ipcx__connect(fd, ai->ai_addr, ai->ai_addrlen)) < 0) {
            (void) ipcx__close(fd);
            continue;
        }
        (void) ipcx__setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        return ipcx__sp_dialed(ch, fd, ai->ai_addr, ai->ai_addrlen);
    }
    size_t cap;
    const char *what = ipcx__sp_addrbuf(ch, &cap);
    if (r == -ECONNREFUSED)
        return ipcx__fail(r, "nobody listens on %s", what);
    return ipcx__fail(r, "cannot connect to %s", what);
}

static int sp_tcp_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    struct addrinfo *res = NULL;
    int r = ipcx__sp_new(ch, u, 0);
    if (r < 0)
        return r;
    int listens = ipcx__sp_listens(ch);
    if ((r = ipcx__tcp_resolve(u, listens, &res)) < 0)
        return r;
    r = listens ? sp_tcp_listen(ch, res) : sp_tcp_dial(ch, res);
    freeaddrinfo(res);
    return r;
}

const struct ipcx_transport ipcx__transport_sp_tcp = {
    .scheme  = "sp+tcp",
    .caps    = IPCX_CAP_FD | IPCX_CAP_REMOTE | IPCX_CAP_MANY | IPCX_CAP_DUPLEX | IPCX_CAP_NOPRIO |
               IPCX_CAP_HANDSHAKE,
    .keys    = IPCX_SP_KEYS,
    .maxmsg_default = IPCX_MAXMSG_DEFAULT,
    .maxmsg_limit   = (size_t) 1 << 32,
    .open    = sp_tcp_open,
    IPCX_SP_OPS,
};
