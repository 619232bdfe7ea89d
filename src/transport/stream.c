/*
 * stream.c - the message engine of every descriptor-based transport: the
 * channel ops (open, addr, lost, close).  The receiver (and its ipcx_fd)
 * is stream_rx.c, a source's buffer stream_src.c, the sender stream_tx.c.
 *
 * Receiving: a set of sources (a pipe, a bound datagram socket, or the
 * connections a listening socket accepted), each with a read buffer and a
 * reassembly table.  A receive hands out the next whole message, taking the
 * sources round-robin so no sender starves.  Sending: one frame per message,
 * or atomic chunks on a pipe, with the deadline rules of the public API.
 *
 * It does not open anything: pipe.c, fifo.c, unix.c and tcp.c do that and
 * hand the descriptors over.
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

/* ---- channel ops -------------------------------------------------------- */

/* The engine's URL keys; the default budget always holds one whole message. */
static int schan_limits(const struct ipcx_url *u, size_t maxmsg, struct ipcx__rx_limits *lim)
{
    size_t one = maxmsg + IPCX_FRAME_HDR, stall;
    int r = ipcx__url_size(u, "budget", one > RX_BUDGET_DEFAULT ? one : RX_BUDGET_DEFAULT,
                           one, SIZE_MAX / 4, &lim->budget);
    if (r == 0)
        r = ipcx__url_size(u, "stall", RX_STALL_DEFAULT_MS, 0, INT_MAX, &stall);
    if (r < 0)
        return r;
    lim->stall_ms = (int) stall;
    r = ipcx__url_word(u, "framing", IPCX_FRAMING_WORDS, IPCX_FRAMING_IPCX);
    if (r < 0)
        return r;
    lim->framing = (enum ipcx__framing) r;
    return 0;
}

int ipcx__schan_new(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    struct ipcx__rx_limits lim;
    int r = schan_limits(u, ch->maxmsg, &lim);
    if (r < 0)
        return r;
    struct ipcx__schan *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->lim = lim;
    s->rx.epfd = s->rx.lfd = s->rx.bell = s->rx.spare = -1;
    s->rx.cur = -1;
    s->tx.fd = -1;
    ch->impl = s;
    return 0;
}

int ipcx__schan_own_path(struct ipcx__schan *s, const char *path)
{
    struct stat st;
    int r = ipcx__fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW); /* lstat */
    if (r < 0)
        return r;
    snprintf(s->path, sizeof s->path, "%s", path);
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return 0;
}

long long ipcx__schan_lost(const struct ipcx_chan *ch)
{
    const struct ipcx__rx *rx = &ipcx__schan_of(ch)->rx;
    long long n = rx->lost;
    for (size_t i = 0; i < rx->n; i++)
        n += (long long) rx->v[i]->ra.lost;
    return n;
}

/* The transport's address, and the framing a sender must use too (codec.h). */
int ipcx__schan_addr(const struct ipcx_chan *ch, char *buf, size_t cap)
{
    const struct ipcx__schan *s = ipcx__schan_of(ch);
    int n = s->lim.framing == IPCX_FRAMING_IPCX
                ? snprintf(buf, cap, "%s", s->addr)
                : snprintf(buf, cap, "%s%sframing=%s", s->addr, strchr(s->addr, '?') ? "&" : "?",
                           ipcx__framing_name(s->lim.framing));
    return n < 0 || (size_t) n >= cap ? -ENOSPC : n;
}

int ipcx__schan_close(struct ipcx_chan *ch)
{
    struct ipcx__schan *s = ipcx__schan_of(ch);
    int r = 0;
    if (!s)
        return 0;
    if (s->rx.epfd >= 0)
        ipcx__rx_fini(&s->rx);
    if (s->back) {
        s->back->fd = -1; /* the sending end's own descriptor: tx_fini closes it */
        ipcx__src_free(s->back);
    }
    ipcx__tx_fini(&s->tx);
    /* Remove what we created, unless someone replaced it meanwhile, and
     * only in the process that created it, not in a child that inherited
     * the channel over fork and closes its copy. */
    if (s->path[0] && ipcx__chan_ours(ch))
        r = ipcx__fs_unlink_same(s->path, s->dev, s->ino);
    free(s);
    ch->impl = NULL;
    return r;
}

