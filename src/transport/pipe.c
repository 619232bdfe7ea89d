/*
 * pipe.c - the anonymous pipe: ipcx_pair("pipe:") makes a connected pair to
 * inherit over fork, and "pipe:?fd=N" takes over a pipe descriptor that was
 * inherited over exec.  Framing, chunking and timeouts are stream.c's.
 */
#include "stream.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/*
 * sigpipe=ignored: the application says SIGPIPE is ignored in its process
 * for as long as it sends, so a write needs no signal-mask dance (sys/io.c,
 * docs/decisions.md).  Checked here at open, on either end (a pair's two
 * ends share the URL); only a sender uses it.  1 if the promise holds,
 * 0 if not given.
 */
static int pipe_sigpipe_key(const struct ipcx_url *u)
{
    const char *v = ipcx__url_get(u, "sigpipe");
    if (!v)
        return 0;
    if (strcmp(v, "ignored") != 0)
        return ipcx__fail(-EINVAL, "sigpipe=%s: the one value is sigpipe=ignored", v);
    int r = ipcx__sigpipe_ignored();
    if (r < 0)
        return ipcx__fail(r, "cannot read SIGPIPE's disposition");
    return r ? 1 : ipcx__fail(-EINVAL, "sigpipe=ignored, but SIGPIPE is not ignored in this "
                                       "process: signal(SIGPIPE, SIG_IGN) first");
}

/* Give ch a pipe end fd (taken over, closed on failure). */
int ipcx__pipe_adopt(struct ipcx_chan *ch, const struct ipcx_url *u, int fd,
                     const char *addr)
{
    struct ipcx__schan *s;
    int ign = pipe_sigpipe_key(u);
    int r = ign < 0 ? ign : ipcx__schan_new(ch, u);
    if (r < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    s = ch->impl;
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    if (ch->flags & IPCX_SEND) {
        ipcx__tx_init(&s->tx, fd, IPCX_TX_PIPE);
        s->tx.sigign = ign;
        return 0;
    }
    r = ipcx__rx_init(&s->rx, ch->maxmsg, IPCX_RX_PIPE, &s->lim);
    if (r < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    return ipcx__rx_add(&s->rx, fd);
}

static int pipe_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    const char *v = ipcx__url_get(u, "fd");
    struct stat st;
    int64_t fd;

    if (u->path[0] || u->authority)
        return ipcx__fail(-EINVAL, "pipe: takes no path");
    if (!v)
        return ipcx__fail(-EINVAL, "pipe: is anonymous: make it with ipcx_pair() or "
                                   "name an inherited descriptor with pipe:?fd=N");
    if (ipcx__url_parse_int(v, 0, INT32_MAX, &fd) < 0)
        return ipcx__fail(-EINVAL, "fd=%s is not a descriptor number", v);
    if (ipcx__fstat((int) fd, &st) < 0)
        return ipcx__fail(-EBADF, "fd=%d is not open", (int) fd);
    if (!S_ISFIFO(st.st_mode))
        return ipcx__fail(-EINVAL, "fd=%d is not a pipe", (int) fd);
    int r = ipcx__fd_flags((int) fd);
    if (r < 0)
        return r;
    int acc = r & O_ACCMODE;
    if ((ch->flags & IPCX_SEND) ? acc == O_RDONLY : acc == O_WRONLY)
        return ipcx__fail(-EINVAL, "fd=%d is open in the other direction", (int) fd);
    r = ipcx__set_nonblock((int) fd);
    if (r < 0)
        return r;
    char addr[64];
    snprintf(addr, sizeof addr, "pipe:?fd=%d", (int) fd);
    return ipcx__pipe_adopt(ch, u, (int) fd, addr);
}

static int pipe_pair(struct ipcx_chan *rx, struct ipcx_chan *tx,
                     const struct ipcx_url *u)
{
    int fds[2], r;

    if (u->path[0] || u->authority || ipcx__url_get(u, "fd"))
        return ipcx__fail(-EINVAL, "a new pipe pair takes no path and no fd=");
    if ((r = ipcx__pipe(fds)) < 0)
        return r;
    r = ipcx__pipe_adopt(rx, u, fds[0], "pipe:");
    if (r < 0) {
        (void) ipcx__close(fds[1]);
        return r;
    }
    /* Its writer is there from the start: a read of 0 is the end, no poll
     * needed to tell it from a FIFO's "no writer yet" (stream_src.c). */
    ipcx__rx_writer_known(&((struct ipcx__schan *) rx->impl)->rx);
    return ipcx__pipe_adopt(tx, u, fds[1], "pipe:");
}

const struct ipcx_transport ipcx__transport_pipe = {
    .scheme  = "pipe",
    .caps    = IPCX_CAP_FD | IPCX_CAP_LOCAL | IPCX_CAP_EOF | IPCX_CAP_PAIR | IPCX_CAP_RXGONE |
               IPCX_CAP_MANY, /* many writers at once: stream.c reassembles per writer */
    .keys    = "fd sigpipe " IPCX_STREAM_KEYS,
    .maxmsg_default = IPCX_MAXMSG_DEFAULT,
    .maxmsg_limit   = IPCX_FRAME_TOTAL_MAX,
    .open    = pipe_open,
    .pair    = pipe_pair,
    IPCX_STREAM_OPS,
};
