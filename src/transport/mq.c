/*
 * mq.c - the POSIX message queue, mq:/name (mq_overview(7)).  The kernel
 * keeps message boundaries and priorities (higher first, FIFO within one
 * priority), so there is no framing here: one ipcx message is one queue
 * message.  Query keys: maxmsg= is the largest message in BYTES (mq_msgsize),
 * as on every scheme; depth=N is the number of messages the queue holds
 * (mq_maxmsg); mode= the permissions of a queue this end creates, and the
 * most an existing queue may grant; allow= more owners to accept than this
 * user and root (owner.h: a queue another user made is refused).  Both
 * sizes apply when the queue is created; an existing queue keeps its own.
 *
 * What it does not do: framing, end of stream (a queue outlives its users,
 * so there is no IPCX_CAP_EOF or IPCX_CAP_RXGONE), zero copy.
 */
#include "transport.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../util/owner.h"
#include "../util/addr.h"
#include "../sys/mq.h"
#include "../sys/proc.h"
#include "../sys/fs.h"
#include "../sys/net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* Kernel constants (ipc/mqueue.c, include/linux/ipc_namespace.h): what even
 * CAP_SYS_RESOURCE cannot exceed. */
#define MQ_HARD_MSGMAX     65536L
#define MQ_HARD_MSGSIZEMAX (16L * 1024 * 1024)
#define MQ_PRIO_LIMIT      32768u /* sysconf(_SC_MQ_PRIO_MAX) on Linux */
#define MQ_CAP_SYS_RESOURCE 24

/*
 * A timed wait is cut into slices of at most this long.  mq_timedsend and
 * mq_timedreceive take an absolute CLOCK_REALTIME time, which jumps when
 * someone sets the clock; our deadline is on the monotonic clock, and each
 * slice's absolute time is made from it just before the call.  A jump back
 * therefore stretches a wait by at most one slice, and a jump forward only
 * ends a slice early (we then go on waiting for the rest).
 */
#define MQ_SLICE_MS 1000

struct mq_chan {
    int      q;            /* the mqd_t (a descriptor on Linux), or -1 */
    int      created;      /* this end made the queue */
    size_t   msgsize;      /* the queue's mq_msgsize */
    char    *buf;          /* receiver: room for one message of msgsize bytes */
    long     held;         /* receiver: length of a message kept in buf after -EMSGSIZE, or -1 */
    unsigned held_prio;
    dev_t    dev;          /* identity of a queue we created, so close removes only ours */
    ino_t    ino;
    char     name[NAME_MAX + 2];
};

/* "/name": one slash, then 1..NAME_MAX bytes (mq_overview(7)). */
static int mq_name(const struct ipcx_url *u)
{
    return ipcx__addr_posix(u, NAME_MAX);
}

/*
 * Why the kernel refused to create a queue of depth messages of msgsize
 * bytes: name the limit and its value, never leave a bare EINVAL.
 */
static int mq_create_error(int err, const char *name, long depth, long msgsize)
{
    const int priv = ipcx__has_cap(MQ_CAP_SYS_RESOURCE);
    long msg_max = ipcx__proc_long("/proc/sys/fs/mqueue/msg_max", -1);
    long size_max = ipcx__proc_long("/proc/sys/fs/mqueue/msgsize_max", -1);
    long queues_max = ipcx__proc_long("/proc/sys/fs/mqueue/queues_max", -1);

    switch (err) {
    case -EINVAL:
        if (!priv && msg_max >= 0 && depth > msg_max)
            return ipcx__fail(-EINVAL, "mq:%s: depth=%ld is more than the kernel allows "
                              "(/proc/sys/fs/mqueue/msg_max=%ld)", name, depth, msg_max);
        if (!priv && size_max >= 0 && msgsize > size_max)
            return ipcx__fail(-EINVAL, "mq:%s: maxmsg=%ld bytes is more than the kernel allows "
                              "(/proc/sys/fs/mqueue/msgsize_max=%ld)", name, msgsize, size_max);
        return ipcx__fail(-EINVAL, "mq:%s: the kernel refused depth=%ld maxmsg=%ld "
                          "(msg_max=%ld, msgsize_max=%ld%s)", name, depth, msgsize,
                          msg_max, size_max, priv ? ", raised to the hard limits by CAP_SYS_RESOURCE" : "");
    case -ENOSPC:
        return ipcx__fail(-ENOSPC, "mq:%s: the system has its maximum number of queues "
                          "(/proc/sys/fs/mqueue/queues_max=%ld)", name, queues_max);
    case -EMFILE: {
        /* EMFILE is both "out of descriptors" and "over RLIMIT_MSGQUEUE": see which. */
        struct rlimit rl;
        int probe = ipcx__spare_fd();
        if (probe < 0)
            return ipcx__fail(-EMFILE, "mq:%s: this process has no descriptor left", name);
        (void) ipcx__close(probe);
        if (ipcx__getrlimit(RLIMIT_MSGQUEUE, &rl) < 0)
            rl.rlim_cur = RLIM_INFINITY;
        /* The kernel charges each message its bytes plus two bookkeeping
         * structures of about 48 bytes each (struct msg_msg, a tree node). */
        unsigned long long need = (unsigned long long) depth * ((unsigned long long) msgsize + 96);
        if (rl.rlim_cur == RLIM_INFINITY)
            return ipcx__fail(-ENOSPC, "mq:%s: over RLIMIT_MSGQUEUE (unlimited?) needing about "
                              "%llu bytes", name, need);
        return ipcx__fail(-ENOSPC, "mq:%s: depth=%ld x maxmsg=%ld needs about %llu bytes, over "
                          "RLIMIT_MSGQUEUE=%llu bytes for this user's queues (ulimit -q)",
                          name, depth, msgsize, need, (unsigned long long) rl.rlim_cur);
    }
    case -EACCES:
        return ipcx__fail(-EACCES, "mq:%s: permission denied", name);
    case -ENOSYS:
        return ipcx__fail(-ENOTSUP, "this kernel has no POSIX message queues");
    default:
        return ipcx__fail(err, "mq:%s: cannot create the queue", name);
    }
}

static int mq_open_error(int err, const char *name)
{
    switch (err) {
    case -ENOENT:
        return ipcx__fail(-ENOENT, "mq:%s does not exist (start the receiver first, or open "
                          "with IPCX_CREATE)", name);
    case -EACCES:
        return ipcx__fail(-EACCES, "mq:%s: permission denied", name);
    case -ENOSYS:
        return ipcx__fail(-ENOTSUP, "this kernel has no POSIX message queues");
    case -EMFILE:
        return ipcx__fail(-EMFILE, "mq:%s: this process has no descriptor left", name);
    default:
        return ipcx__fail(err, "mq:%s: cannot open the queue", name);
    }
}

static int mq_open_(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    const int recv = (ch->flags & IPCX_RECV) != 0;
    const char *name = u->path;
    const int want_size = ipcx__url_get(u, "maxmsg") != NULL;
    size_t depth;
    long msgsize;
    struct mq_chan *m;
    struct mq_attr attr;
    int r;

    /* Validate everything before creating anything. */
    if ((r = mq_name(u)) < 0)
        return r;
    long depth_default = ipcx__proc_long("/proc/sys/fs/mqueue/msg_default", 10);
    if ((r = ipcx__url_size(u, "depth", (size_t) depth_default, 1, SIZE_MAX, &depth)) < 0)
        return r;
    if (depth > (size_t) MQ_HARD_MSGMAX)
        return ipcx__fail(-EINVAL, "mq:%s: depth=%zu is more than the kernel's hard limit "
                          "HARD_MSGMAX=%ld", name, depth, MQ_HARD_MSGMAX);
    msgsize = want_size ? (long) ch->maxmsg
                        : ipcx__proc_long("/proc/sys/fs/mqueue/msgsize_default", 8192);
    if (msgsize < 1)
        msgsize = 1; /* the kernel needs mq_msgsize >= 1; maxmsg=0 still carries empty messages */

    m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->q = -1;
    m->held = -1;
    memcpy(m->name, name, strlen(name) + 1); /* mq_name checked the length */
    ch->impl = m;

    /*
     * Try to create first, exclusively, so we know for sure whether this end
     * made the queue (only then does a receiver remove it on close).  Without
     * IPCX_EXCL an existing queue is opened instead; if it vanishes between
     * the two calls, try again a few times.
     */
    const int oflag = recv ? O_RDONLY : O_WRONLY; /* the kernel sets close-on-exec itself */
    for (int tries = 0; tries < 4 && m->q < 0; tries++) {
        if (ch->flags & IPCX_CREATE) {
            attr = (struct mq_attr) { .mq_maxmsg = (long) depth, .mq_msgsize = msgsize };
            /* mode 0600 until fchmod below sets ?mode= exactly, unbent by the umask. */
            r = ipcx__mq_open(name, oflag | O_CREAT | O_EXCL, 0600, &attr);
            if (r >= 0) {
                m->q = r;
                m->created = 1;
                break;
            }
            if (r != -EEXIST)
                return mq_create_error(r, name, (long) depth, msgsize);
            if (ch->flags & IPCX_EXCL)
                return ipcx__fail(-EEXIST, "mq:%s already exists", name);
        }
        r = ipcx__mq_open(name, oflag, 0, NULL);
        if (r >= 0)
            m->q = r;
        else if (r != -ENOENT || !(ch->flags & IPCX_CREATE))
            return mq_open_error(r, name);
    }
    if (m->q < 0)
        return ipcx__fail(-EAGAIN, "mq:%s: created and removed by others while opening", name);
    /* A queue this end did not make: refuse a squatter's (owner.h), by the
     * descriptor we hold, so what is checked is what is used. */
    if (!m->created) {
        char what[NAME_MAX + 8];
        snprintf(what, sizeof what, "mq:%s", m->name);
        if ((r = ipcx__owner_check_fd(m->q, what, ch->mode, &ch->allow)) < 0)
            goto fail;
    }

    if ((r = ipcx__mq_getattr(m->q, &attr)) < 0) {
        r = ipcx__fail(r, "mq:%s: cannot read its attributes", name);
        goto fail;
    }
    if (want_size && (long) ch->maxmsg > attr.mq_msgsize) {
        r = ipcx__fail(-EINVAL, "mq:%s exists with messages of at most %ld bytes, less than "
                       "maxmsg=%zu", name, attr.mq_msgsize, ch->maxmsg);
        goto fail;
    }
    m->msgsize = (size_t) attr.mq_msgsize;
    ch->maxmsg = m->msgsize;
    /*
     * A receiver asked to create that found the queue of a receiver which
     * died without closing (the registry says so, by pid and start time)
     * takes it over: it receives what was left and removes it on close, as
     * a new receiver does with a stale FIFO or socket file.
     */
    int adopted = 0;
    if (!m->created) {
        char obj[IPCX_URL_PATH + 8];
        snprintf(obj, sizeof obj, "mq:%s", name);
        adopted = ipcx__chan_adopt(ch, obj);
    }
    if (m->created || adopted) {
        struct stat st;
        if ((m->created && (r = ipcx__fchmod(m->q, ch->mode)) < 0) ||
            (r = ipcx__fstat(m->q, &st)) < 0) {
            r = ipcx__fail(r, "mq:%s: cannot set its mode", name);
            goto fail;
        }
        m->dev = st.st_dev;
        m->ino = st.st_ino;
    }
    if (recv && !(m->buf = malloc(m->msgsize))) {
        r = -ENOMEM;
        goto fail;
    }
    if (adopted)
        m->created = 1;
    ch->created = m->created;
    return 0;
fail:
    /* Leave nothing behind: a queue made by this failed open goes again. */
    if (m->created) {
        (void) ipcx__mq_unlink(name);
        m->created = 0;
    }
    return r;
}

/*
 * The absolute time for the next call of a wait with deadline d, or NULL for
 * the untimed call.  A zero timeout (or a passed deadline) gives the epoch:
 * the kernel then takes a message that is there and otherwise fails at once
 * with ETIMEDOUT, as O_NONBLOCK would with EAGAIN, without an mq_setattr
 * round trip per call.
 */
static const struct timespec *mq_when(const struct ipcx__deadline *d, struct timespec *ts)
{
    int left = ipcx__remaining(d);
    if (left < 0)
        return NULL;
    if (left == 0)
        *ts = (struct timespec) { 0, 0 };
    else
        *ts = ipcx__ts_abs(CLOCK_REALTIME, left < MQ_SLICE_MS ? left : MQ_SLICE_MS);
    return ts;
}

/*
 * What to do after a wait call failed with err: 1 to call again (a slice
 * ended early, or a signal the API resumes after), or the error to return.
 */
static int mq_again(const struct ipcx__deadline *d, int err)
{
    if (err == -ETIMEDOUT)
        return d->zero || ipcx__remaining(d) == 0 ? ipcx__expired(d) : 1;
    if (err == -EINTR)
        return ipcx__intr_returns() ? ipcx__fail(-EINTR, "interrupted by a signal") : 1;
    return err;
}

/* What send refuses of a message itself (the .check of batched sends). */
static int mq_check(const struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio)
{
    (void) ch, (void) msg, (void) len;
    if (prio >= MQ_PRIO_LIMIT)
        return ipcx__fail(-EINVAL, "prio=%u: POSIX queues carry priorities 0..%u", prio,
                          MQ_PRIO_LIMIT - 1);
    return 0;
}

static int mq_send_(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                    int timeout_ms)
{
    struct mq_chan *m = ch->impl;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    struct timespec ts;
    int r;

    if ((r = mq_check(ch, msg, len, prio)) < 0)
        return r;
    for (;;) {
        r = ipcx__mq_timedsend(m->q, msg, len, prio, mq_when(&d, &ts));
        if (r == 0)
            return 0;
        if ((r = mq_again(&d, r)) != 1)
            break;
    }
    if (r == -EMSGSIZE)
        return ipcx__fail(-EMSGSIZE, "mq:%s carries messages of at most %zu bytes", m->name,
                          m->msgsize);
    if (r == -EBADF)
        return ipcx__fail(-EBADF, "mq:%s: the queue descriptor is not open for sending", m->name);
    return r;
}

static long mq_recv_(struct ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                     int timeout_ms)
{
    struct mq_chan *m = ch->impl;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    struct timespec ts;
    unsigned p = 0;
    ssize_t n;

    /* A message kept by an earlier -EMSGSIZE comes first: it was already dequeued. */
    if (m->held >= 0) {
        if ((size_t) m->held > cap)
            return ipcx__fail(-EMSGSIZE, "the next message has %ld bytes, the buffer %zu",
                              m->held, cap);
        memcpy(buf, m->buf, (size_t) m->held);
        n = m->held;
        m->held = -1;
        if (prio)
            *prio = m->held_prio;
        return n;
    }
    /*
     * mq_receive refuses a buffer shorter than mq_msgsize (EMSGSIZE, the
     * message stays queued), so a short caller buffer would make the next
     * message unreachable.  Take the message into our own buffer then, and
     * keep it for the next call if it does not fit.
     */
    const int direct = cap >= m->msgsize;
    char *dst = direct ? buf : m->buf;
    for (;;) {
        n = ipcx__mq_timedreceive(m->q, dst, m->msgsize, &p, mq_when(&d, &ts));
        if (n >= 0)
            break;
        int r = mq_again(&d, (int) n);
        if (r != 1)
            return r == -EBADF ? ipcx__fail(-EBADF, "mq:%s: not open for receiving", m->name) : r;
    }
    if (!direct) {
        if ((size_t) n > cap) {
            m->held = (long) n;
            m->held_prio = p;
            return ipcx__fail(-EMSGSIZE, "the next message has %zd bytes, the buffer %zu "
                              "(it is kept for the next receive)", n, cap);
        }
        memcpy(buf, m->buf, (size_t) n);
    }
    if (prio)
        *prio = p;
    return (long) n;
}

static int mq_fd_(struct ipcx_chan *ch)
{
    const struct mq_chan *m = ch->impl;
    return m->q;
}

static int mq_addr_(const struct ipcx_chan *ch, char *buf, size_t cap)
{
    const struct mq_chan *m = ch->impl;
    int n = snprintf(buf, cap, "mq:%s", m->name);
    return n < 0 || (size_t) n >= cap ? -ENOSPC : n;
}

/*
 * Remove the queue we created, unless someone already removed it and made
 * another one of the same name: mq_unlink works by name only, so look at
 * what the name is now first (a window remains between the two calls).
 */
static int mq_remove_own(const struct mq_chan *m)
{
    struct stat st;
    int q, r;
    while ((q = ipcx__mq_open(m->name, O_RDONLY | O_NONBLOCK, 0, NULL)) == -EINTR)
        ;
    if (q == -ENOENT)
        return 0; /* removed by someone else already */
    r = q < 0 ? q : ipcx__fstat(q, &st);
    (void) ipcx__close(q);
    if (r < 0)
        return ipcx__fail(r, "mq:%s: cannot check that the queue is still ours: left it", m->name);
    if (st.st_dev != m->dev || st.st_ino != m->ino)
        return 0; /* another queue of that name now: not ours to remove */
    r = ipcx__mq_unlink(m->name);
    return r == 0 || r == -ENOENT ? 0 : ipcx__fail(r, "mq:%s: cannot remove the queue", m->name);
}

static int mq_close_(struct ipcx_chan *ch)
{
    struct mq_chan *m = ch->impl;
    int r = 0;
    if (!m)
        return 0;
    if (m->q >= 0) {
        /* Our descriptor first: one free for the check, even in a full table. */
        (void) ipcx__close(m->q); /* mq_close is close(2) on Linux */
        if (m->created && (ch->flags & IPCX_RECV) && ipcx__chan_ours(ch))
            r = mq_remove_own(m);
    }
    free(m->buf);
    free(m);
    ch->impl = NULL;
    return r;
}

static long mq_pending_(const struct ipcx_chan *ch)
{
    const struct mq_chan *m = ch->impl;
    struct mq_attr at;
    int r = ipcx__mq_getattr(m->q, &at);
    return r < 0 ? ipcx__fail(r, "mq:%s: cannot read its attributes", m->name) : at.mq_curmsgs;
}

static int mq_unlink_(const struct ipcx_url *u)
{
    int r = mq_name(u);
    if (r < 0)
        return r;
    r = ipcx__mq_unlink(u->path);
    if (r == -ENOENT)
        return ipcx__fail(-ENOENT, "mq:%s does not exist", u->path);
    if (r == -EACCES)
        return ipcx__fail(-EACCES, "mq:%s: permission denied", u->path);
    return r < 0 ? ipcx__fail(r, "mq:%s: cannot remove it", u->path) : 0;
}

const struct ipcx_transport ipcx__transport_mq = {
    .scheme  = "mq",
    .caps    = IPCX_CAP_FD | IPCX_CAP_PRIO | IPCX_CAP_LOCAL | IPCX_CAP_MANY | IPCX_CAP_NAMED |
               IPCX_CAP_KNAME,
    .keys    = "mode depth allow",
    .maxmsg_default = 8192,              /* not used: msgsize_default of the kernel is */
    .maxmsg_limit   = MQ_HARD_MSGSIZEMAX,
    .open    = mq_open_,
    .send    = mq_send_,
    .recv    = mq_recv_,
    .fd      = mq_fd_,
    .addr    = mq_addr_,
    .close   = mq_close_,
    .unlink  = mq_unlink_,
    .pending = mq_pending_,
    .check   = mq_check,
};
