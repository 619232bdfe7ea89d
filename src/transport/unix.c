/*
 * unix.c - Unix domain sockets: unix:/path (a socket file) and unix:@name
 * (the abstract namespace), ?type=stream (default), seqpacket or dgram.
 * The receiver binds and accepts any number of senders; a sender connects.
 * A receiver removes the socket file it made when it closes.
 */
#include "sock.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/fs.h"
#include "../sys/net.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

/* Records must fit a socket buffer whole: a smaller default than streams. */
#define UNIX_RECORD_MAXMSG (64 * 1024)
/*
 * The kernel builds a record in one allocation of at most 4 MiB plus a few
 * pages (KMALLOC_MAX_SIZE with 4 KiB pages); a larger record fails every
 * send with ENOBUFS, however large the socket buffers are.
 */
#define UNIX_RECORD_LIMIT (4u * 1024 * 1024)

static const char *const unix_types[] = { "stream", "seqpacket", "dgram" };
static const int unix_socktype[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };

int ipcx__unix_parse(const struct ipcx_url *u, struct unix_addr *a)
{
    const char *p = u->path;
    size_t n = strlen(p);
    int t = ipcx__url_word(u, "type", "stream seqpacket dgram", 0);

    if (t < 0)
        return t;
    memset(a, 0, sizeof *a);
    a->typeidx = t;
    a->type = unix_socktype[t];
    a->sa.sun_family = AF_UNIX;
    if (u->authority || n == 0)
        return ipcx__fail(-EINVAL, "unix: needs a path or @name: unix:/tmp/x, unix:@x");
    if (p[0] == '@') {
        if (n < 2 || n - 1 > sizeof a->sa.sun_path - 1)
            return ipcx__fail(-EINVAL, "an abstract name has 1 to %zu bytes",
                              sizeof a->sa.sun_path - 1);
        if (ipcx__url_get(u, "mode"))
            return ipcx__fail(-EINVAL, "abstract sockets have no permissions: drop mode=");
        a->abstract = 1;
        memcpy(a->sa.sun_path + 1, p + 1, n - 1);
        a->len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
        return 0;
    }
    if (n > sizeof a->sa.sun_path - 1)
        return ipcx__fail(-EINVAL, "a socket path has at most %zu bytes, this one %zu",
                          sizeof a->sa.sun_path - 1, n);
    memcpy(a->sa.sun_path, p, n);
    a->len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

/* Is anyone bound at this address?  Probing a stale socket file is refused. */
static int unix_live(const struct unix_addr *a)
{
    int fd = ipcx__socket(AF_UNIX, a->type), r;
    if (fd < 0)
        return 1;
    r = ipcx__connect(fd, (const struct sockaddr *) &a->sa, a->len);
    r = r != -ECONNREFUSED;
    (void) ipcx__close(fd);
    return r;
}

/* Make room to bind at a filesystem path: take over only our own stale socket. */
int ipcx__unix_clear(const struct ipcx_chan *ch, const struct unix_addr *a)
{
    const char *path = a->sa.sun_path;
    int r = ipcx__fs_reusable(path, S_IFSOCK);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    if (ch->flags & IPCX_EXCL)
        return ipcx__fail(-EEXIST, "%s already exists", path);
    if (unix_live(a))
        return ipcx__fail(-EADDRINUSE, "a receiver is already bound at %s", path);
    return ipcx__unlinkat(AT_FDCWD, path, 0);
}

static int unix_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    struct unix_addr a;
    struct ipcx__schan *s;
    int r, fd;
    char what[IPCX_URL_PATH + 8];

    if ((r = ipcx__unix_parse(u, &a)) < 0)
        return r;
    if (a.type != SOCK_STREAM && !ipcx__url_get(u, "maxmsg"))
        ch->maxmsg = UNIX_RECORD_MAXMSG;
    if (a.type != SOCK_STREAM && ch->maxmsg + IPCX_FRAME_HDR > UNIX_RECORD_LIMIT)
        return ipcx__fail(-EINVAL, "maxmsg=%zu: a %s record carries at most %u bytes",
                          ch->maxmsg, unix_types[a.typeidx], UNIX_RECORD_LIMIT - IPCX_FRAME_HDR);
    if ((r = ipcx__schan_new(ch, u)) < 0)
        return r;
    s = ch->impl;
    if (a.type != SOCK_STREAM && s->lim.framing != IPCX_FRAMING_IPCX)
        return ipcx__fail(-EINVAL, "framing= is for type=stream: a %s socket keeps its records",
                          unix_types[a.typeidx]);
    snprintf(s->addr, sizeof s->addr, "unix:%s%s%s", u->path,
             a.typeidx ? "?type=" : "", a.typeidx ? unix_types[a.typeidx] : "");
    snprintf(what, sizeof what, "unix:%s", u->path);
    if (ch->flags & IPCX_SEND)
        return ipcx__sock_tx(ch, AF_UNIX, a.type, (const struct sockaddr *) &a.sa, a.len, what);

    fd = ipcx__socket(AF_UNIX, a.type | SOCK_NONBLOCK);
    if (fd < 0)
        return fd;
    /* Senders size their buffers alike: refuse a maxmsg they could never
     * send before anything is bound or cleared away. */
    if ((a.type != SOCK_STREAM && (r = ipcx__sock_record_buf(fd, ch->maxmsg)) < 0) ||
        (!a.abstract && (r = ipcx__unix_clear(ch, &a)) < 0)) {
        (void) ipcx__close(fd);
        return r;
    }
    if ((r = ipcx__bind(fd, (const struct sockaddr *) &a.sa, a.len)) < 0) {
        r = r == -EADDRINUSE ? ipcx__fail(-EADDRINUSE, "%s is in use", what)
                             : ipcx__fail(r, "cannot bind %s", what);
        (void) ipcx__close(fd);
        return r;
    }
    if (!a.abstract) {
        /* Before listen() nobody can connect, so the umask's bits never matter. */
        if ((r = ipcx__chmod(a.sa.sun_path, ch->mode)) < 0 ||
            (r = ipcx__schan_own_path(s, a.sa.sun_path)) < 0) {
            (void) ipcx__close(fd);
            (void) ipcx__unlinkat(AT_FDCWD, a.sa.sun_path, 0);
            return r;
        }
    }
    ch->created = 1; /* a receiver always binds: the name is its own, flags or not */
    return ipcx__sock_rx(ch, fd, a.type);
}

int ipcx__unix_unlink(const struct ipcx_url *u)
{
    struct unix_addr a;
    int r = ipcx__unix_parse(u, &a);
    if (r < 0)
        return r;
    if (a.abstract)
        return ipcx__fail(-ENOTSUP, "an abstract socket goes away with its receiver");
    return ipcx__fs_unlink(a.sa.sun_path, S_IFSOCK);
}

const struct ipcx_transport ipcx__transport_unix = {
    .scheme  = "unix",
    .caps    = IPCX_CAP_FD | IPCX_CAP_LOCAL | IPCX_CAP_MANY | IPCX_CAP_NAMED | IPCX_CAP_RXGONE,
    .keys    = "mode type " IPCX_STREAM_KEYS,
    .maxmsg_default = IPCX_MAXMSG_DEFAULT,
    .maxmsg_limit   = IPCX_FRAME_TOTAL_MAX,
    .open    = unix_open,
    .unlink  = ipcx__unix_unlink,
    IPCX_STREAM_OPS,
};
