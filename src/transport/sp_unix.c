/*
 * sp_unix.c - sp+unix:/path?proto=NAME (and sp+unix:@name): nng's ipc://
 * transport (SP over a Unix stream socket, a type byte 1 and a 64-bit
 * length before each message).  A listening end binds the path (taking
 * over only its own stale socket file, as unix: does), removes it on
 * close, and takes any number of peers; a dialing end connects once and
 * waits for the peer's handshake.  Paths are unix.c's; the SP socket is
 * sp.c's.
 */
#include "sp.h"
#include "sock.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/net.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static int sp_unix_listen(struct ipcx_chan *ch, const struct unix_addr *a)
{
    const char *what = a->abstract ? "the abstract name" : a->sa.sun_path;
    int fd = ipcx__socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK), r;
    if (fd < 0)
        return fd;
    if ((!a->abstract && (r = ipcx__unix_clear(ch, a)) < 0) ||
        (r = ipcx__bind(fd, (const struct sockaddr *) &a->sa, a->len)) < 0) {
        (void) ipcx__close(fd);
        return r == -EADDRINUSE ? ipcx__fail(r, "%s is in use", what) : r;
    }
    if (!a->abstract &&
        ((r = ipcx__chmod(a->sa.sun_path, ch->mode)) < 0 ||
         (r = ipcx__sp_own_path(ch, a->sa.sun_path)) < 0)) {
        (void) ipcx__close(fd);
        (void) ipcx__unlinkat(AT_FDCWD, a->sa.sun_path, 0);
        return r;
    }
    ch->created = 1;
    return ipcx__sp_listen(ch, fd);
}

static int sp_unix_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    struct unix_addr a;
    size_t cap;
    int r = ipcx__unix_parse(u, &a);
    if (r < 0)
        return r;
    if ((r = ipcx__sp_new(ch, u, 1)) < 0)
        return r;
    char *what = ipcx__sp_addrbuf(ch, &cap);
    snprintf(what, cap, "sp+unix:%s", u->path);
    if (ipcx__sp_listens(ch))
        return sp_unix_listen(ch, &a);
    ch->created = 0;
    int fd = ipcx__socket(AF_UNIX, SOCK_STREAM);
    if (fd < 0)
        return fd;
    if ((r = ipcx__connect(fd, (const struct sockaddr *) &a.sa, a.len)) < 0) {
        (void) ipcx__close(fd);
        if (r == -ECONNREFUSED || r == -ENOENT)
            return ipcx__fail(r, "nobody listens on %s", what);
        return ipcx__fail(r, "cannot connect to %s", what);
    }
    return ipcx__sp_dialed(ch, fd, (const struct sockaddr *) &a.sa, a.len);
}

const struct ipcx_transport ipcx__transport_sp_unix = {
    .scheme  = "sp+unix",
    .caps    = IPCX_CAP_FD | IPCX_CAP_LOCAL | IPCX_CAP_MANY | IPCX_CAP_NAMED |
               IPCX_CAP_DUPLEX | IPCX_CAP_NOPRIO | IPCX_CAP_HANDSHAKE,
    .keys    = "mode " IPCX_SP_KEYS,
    .maxmsg_default = IPCX_MAXMSG_DEFAULT,
    .maxmsg_limit   = (size_t) 1 << 32,
    .open    = sp_unix_open,
    .unlink  = ipcx__unix_unlink,
    IPCX_SP_OPS,
};
