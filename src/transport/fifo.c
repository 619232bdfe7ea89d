/*
 * fifo.c - the named pipe, fifo:/path.  The receiver creates it (mkfifo,
 * mode 0600 unless ?mode= says otherwise) and removes it on close (one it
 * found, e.g. a user's mkfifo, it leaves); senders
 * open it for writing.  One receiver at a time holds a lock on it, so a
 * FIFO left by a dead receiver is told from a live one and taken over.
 * Everything after opening is the pipe's (pipe.c,
 * stream.c): the same chunking keeps long messages of many writers whole.
 */
#include "stream.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

static int fifo_path(const struct ipcx_url *u)
{
    if (u->authority || !u->path[0])
        return ipcx__fail(-EINVAL, "fifo: needs a path: fifo:/tmp/name");
    return 0;
}

/* Create the FIFO, or check that an existing one may be taken over. 1 if created. */
static int fifo_make(const struct ipcx_chan *ch, const char *path)
{
    int r = ipcx__mkfifo(path, 0600);
    if (r == 0)
        return 1;
    if (r != -EEXIST)
        return ipcx__fail(r, "cannot create the FIFO %s", path);
    if (ch->flags & IPCX_EXCL)
        return ipcx__fail(-EEXIST, "%s already exists", path);
    r = ipcx__fs_reusable(path, S_IFIFO);
    return r < 0 ? r : 0;
}

static int fifo_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    const char *path = u->path;
    int recv = (ch->flags & IPCX_RECV) != 0, created = 0, fd, r;
    struct stat st;

    if ((r = fifo_path(u)) < 0)
        return r;
    if (recv && (ch->flags & IPCX_CREATE) && (created = fifo_make(ch, path)) < 0)
        return created;
    fd = ipcx__openat(AT_FDCWD, path, (recv ? O_RDONLY : O_WRONLY) | O_NONBLOCK | O_NOFOLLOW, 0);
    if (fd < 0) {
        r = fd == -ENXIO ? ipcx__fail(-ECONNREFUSED, "nobody has %s open for reading", path)
          : fd == -ELOOP ? ipcx__fail(-ELOOP, "%s is a symbolic link", path)
          : ipcx__fail(fd, "cannot open %s", path);
        goto fail;
    }
    if (ipcx__fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
        (void) ipcx__close(fd);
        r = ipcx__fail(-EINVAL, "%s is not a FIFO", path);
        goto fail;
    }
    /*
     * One receiver per FIFO: two readers would split the chunks of one
     * message between them.  The lock belongs to the open file, so it
     * goes away with a receiver that dies, and a forked child that
     * inherits the receiver shares it.
     */
    if (recv && (r = ipcx__flock(fd, LOCK_EX | LOCK_NB)) < 0) {
        r = r == -EWOULDBLOCK ? ipcx__fail(-EADDRINUSE, "a receiver already has %s open", path)
                              : ipcx__fail(r, "cannot lock %s", path);
        (void) ipcx__close(fd);
        goto fail;
    }
    if (created && (r = ipcx__fchmod(fd, ch->mode)) < 0) {
        (void) ipcx__close(fd);
        goto fail;
    }
    char addr[IPCX_URL_MAX + 8];
    snprintf(addr, sizeof addr, "fifo:%s", path);
    r = ipcx__pipe_adopt(ch, u, fd, addr);
    if (r < 0)
        goto fail;
    /* A receiver that made the FIFO, or took over a stale one that an ipcx
     * receiver which died left (the registry says so; we hold the lock, so
     * nobody else receives on it), removes it on close.  A FIFO that was
     * there otherwise (a user's mkfifo) is not ours and stays.  If it
     * cannot note which file it made, the open fails: a receiver that
     * would leave its FIFO behind is worse. */
    int own = created || (recv && (ch->flags & IPCX_CREATE) && ipcx__chan_adopt(ch, addr));
    if (own && (r = ipcx__schan_own_path(ch->impl, path)) < 0)
        goto fail;
    ch->created = own;
    return 0;
fail:
    if (created)
        (void) ipcx__unlinkat(AT_FDCWD, path, 0);
    return r;
}

static int fifo_unlink(const struct ipcx_url *u)
{
    int r = fifo_path(u);
    return r < 0 ? r : ipcx__fs_unlink(u->path, S_IFIFO);
}

const struct ipcx_transport ipcx__transport_fifo = {
    .scheme  = "fifo",
    .caps    = IPCX_CAP_FD | IPCX_CAP_LOCAL | IPCX_CAP_EOF | IPCX_CAP_NAMED | IPCX_CAP_RXGONE |
               IPCX_CAP_MANY, /* many writers at once: stream.c reassembles per writer */
    .keys    = "mode sigpipe " IPCX_STREAM_KEYS,
    .maxmsg_default = IPCX_MAXMSG_DEFAULT,
    .maxmsg_limit   = IPCX_FRAME_TOTAL_MAX,
    .open    = fifo_open,
    .unlink  = fifo_unlink,
    IPCX_STREAM_OPS,
};
