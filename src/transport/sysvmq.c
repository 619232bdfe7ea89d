/*
 * sysvmq.c - the System V message queue: sysvmq:KEY (decimal or 0x hex),
 * sysvmq:/path?proj=N (the key from ftok(3), proj 1..255, default 1), and
 * sysvmq:?id=MSQID for a queue known only by its id (a private one).
 * Query keys: mode= for a queue this end creates (and the most an existing
 * one may grant), allow= (owner.h: a queue another user made is refused
 * unless allowed), type= on a receiver
 * (msgrcv's msgtyp), maxmsg= (bytes, at most the kernel's msgmax).
 *
 * Priorities.  msgrcv with a negative type -N takes the first message of
 * the LOWEST mtype not above N.  So a message of priority p (0..32767) is
 * sent with mtype = 32768 - p, and a receiver asks for type -32768 by
 * default: the highest priority comes first, FIFO within one priority,
 * exactly as on mq:.  ?type= replaces that default and selects as msgrcv
 * does (0 any in arrival order, >0 exactly that mtype, <0 the lowest mtype
 * not above |N|); e.g. type=32768 takes only priority 0.  Messages that
 * other programs sent with an mtype above 32768 need type=0 (or their type);
 * their priority reads as 0.
 *
 * Timeouts.  System V has neither timed calls nor a descriptor.  A wait
 * without timeout is the plain blocking msgrcv/msgsnd: exact wake-ups,
 * EIDRM at once when the queue is removed, EINTR on signals.  A timed wait
 * first tries with IPC_NOWAIT and then sleeps in semtimedop(2) on a
 * companion "doorbell": a System V semaphore set with the queue's key (the
 * key spaces of queues and semaphore sets are separate), three semaphores:
 *   [0] posted by every sender after each message (a count of messages),
 *   [1] posted by a receiver after a receive when it is 0 (room to send),
 *   [2] the tag 0x6970, so we never use a set that is not ours.
 * The doorbell is only a hint: a waiter always retries the queue itself,
 * and sleeps at most SV_SLICE_MS per semtimedop, so messages from programs
 * that do not ring (other software, a sender killed between msgsnd and the
 * post, a token taken by a receiver selecting another type) are seen at
 * most one slice late.  No tight loop: a waiter wakes at most 1000/SV_SLICE_MS
 * times a second when nothing happens.  The receiver that created the queue
 * removes the set with it (and so does ipcx_unlink); removing it wakes the
 * waiters, who then find the queue gone (-EIDRM).  A queue opened by ?id=,
 * or one whose key has a foreign semaphore set, has no doorbell: its timed
 * waits sleep in nanosleep steps growing from 1 to SV_POLL_MAX_MS.
 *
 * What it does not do: a pollable descriptor (ipcx_fd gives -ENOTSUP), end
 * of stream (a queue outlives its users).
 */
#include "transport.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../util/owner.h"
#include "../util/addr.h"
#include "../sys/proc.h"
#include "../sys/sysv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SV_PRIO_BASE   32768L  /* mtype = SV_PRIO_BASE - prio */
#define SV_PRIO_LIMIT  32768u
#define SV_SLICE_MS    100
#define SV_POLL_MAX_MS 20
#define SV_BUF_MAX     (64u * 1024 * 1024) /* never allocate more for one message */

/* The doorbell semaphore set. */
#define SV_NSEMS      3
#define SV_SEM_MSGS   0
#define SV_SEM_SPACE  1
#define SV_SEM_TAG    2
#define SV_TAG        0x6970   /* "ip"; a semaphore value is at most 32767 */

struct sv_msg {
    long mtype;
    char mtext[];
};

struct sv_chan {
    int      id;           /* msqid, or -1 */
    key_t    key;          /* IPC_PRIVATE when opened by ?id= */
    int      sem;          /* the doorbell set, or -1 */
    int      created;      /* this end made the queue (and its doorbell) */
    long     type;         /* receiver: msgtyp */
    size_t   textcap;      /* room in buf for one message's bytes */
    struct sv_msg *buf;
    char     name[IPCX_SYSV_NAME]; /* sysvmq:0xKEY or sysvmq:?id=N, for messages (addr.h) */
    char     addr[80];     /* what ipcx_addr reports: the name and a maxmsg= asked for */
};

static int sv_gone(const struct sv_chan *s)
{
    return ipcx__fail(-EIDRM, "%s was removed", s->name);
}

/* Is sem a doorbell set of ours?  1 yes, 0 no. */
static int sv_bell_ours(int sem)
{
    struct semid_ds ds;
    int r = ipcx__semctl_stat(sem, &ds);
    if (r == -EINVAL || r == -EIDRM)
        return 0; /* gone */
    if (r < 0)
        return r;
    if (ds.sem_nsems != SV_NSEMS)
        return 0;
    r = ipcx__semctl_int(sem, SV_SEM_TAG, GETVAL, 0);
    return r < 0 && r != -EINVAL && r != -EIDRM ? r : r == SV_TAG;
}

/*
 * Find (or, with the queue we just created, make) the doorbell of key.  A
 * set that another user made (owner.h) is not used: the doorbell is only a
 * hint, so the waits then poll the queue instead.
 */
static void sv_bell_open(struct sv_chan *s, int create, mode_t mode,
                         const struct ipcx_allow *allow)
{
    unsigned short init[SV_NSEMS] = { 0, 0, SV_TAG };
    int r;

    s->sem = -1;
    if (create) {
        r = ipcx__semget(s->key, SV_NSEMS, IPC_CREAT | IPC_EXCL | (int) mode);
        if (r >= 0) {
            if (ipcx__semctl_setall(r, init) == 0)
                s->sem = r;
            else
                (void) ipcx__semctl_int(r, 0, IPC_RMID, 0);
            return;
        }
        if (r != -EEXIST)
            return;
    }
    /* An existing set: ours only if tagged.  Its creator sets the tag right
     * after semget, so an untagged set of the right size gets a moment. */
    for (int tries = 0; tries < 5; tries++) {
        r = ipcx__semget(s->key, 0, 0);
        if (r < 0)
            return;
        if (sv_bell_ours(r) > 0) {
            struct semid_ds bds;
            if (ipcx__semctl_stat(r, &bds) < 0)
                return;
            struct ipcx__owner o = ipcx__owner_of_ipc(&bds.sem_perm);
            if (!ipcx__owner_trusted(&o, allow))
                return;
            s->sem = r;
            if (create) /* a leftover of an earlier queue of this key: a new queue is empty */
                (void) ipcx__semctl_setall(r, init);
            return;
        }
        struct semid_ds ds;
        if (ipcx__semctl_stat(r, &ds) < 0 || ds.sem_nsems != SV_NSEMS)
            return;
        (void) ipcx__sleep_ms(1);
    }
}

/*
 * Remove the doorbell of key (the set sem if known, else the one the key
 * names now), if it is one of ours.  1 if removed, 0 if there was none of
 * ours, or -errno when it may be ours but could not be checked or removed.
 */
static int sv_bell_remove(key_t key, int sem)
{
    if (sem < 0 && key == IPC_PRIVATE)
        return 0; /* opened by ?id=: no doorbell */
    if (sem < 0 && (sem = ipcx__semget(key, 0, 0)) < 0)
        return sem == -ENOENT ? 0 : sem;
    int r = sv_bell_ours(sem);
    if (r > 0 && (r = ipcx__semctl_int(sem, 0, IPC_RMID, 0)) == 0)
        r = 1;
    return r == -EINVAL || r == -EIDRM ? 0 : r;
}

static int sv_get_error(int err, const char *what)
{
    switch (err) {
    case -ENOENT:
        return ipcx__fail(-ENOENT, "%s does not exist (start the receiver first, or open "
                          "with IPCX_CREATE)", what);
    case -EACCES:
        return ipcx__fail(-EACCES, "%s: permission denied", what);
    case -ENOSPC:
        return ipcx__fail(-ENOSPC, "%s: the system has its maximum number of queues "
                          "(/proc/sys/kernel/msgmni=%ld)", what,
                          ipcx__proc_long("/proc/sys/kernel/msgmni", -1));
    case -ENOSYS:
        return ipcx__fail(-ENOTSUP, "this kernel has no System V message queues");
    default:
        return ipcx__fail(err, "%s: cannot open the queue", what);
    }
}

static int sv_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    const int recv = (ch->flags & IPCX_RECV) != 0;
    const int want_size = ipcx__url_get(u, "maxmsg") != NULL;
    long msgmax = ipcx__proc_long("/proc/sys/kernel/msgmax", 8192);
    int64_t type;
    struct ipcx__sysv_addr a;
    struct sv_chan *s;
    struct msqid_ds ds;
    key_t key;
    int id, r;

    /* Validate everything before creating anything. */
    if ((r = ipcx__addr_sysv(u, IPCX_SYSV_PROJ_DEFAULT, &a)) < 0)
        return r;
    key = a.key;
    id = a.id;
    if (ipcx__url_get(u, "type") && !recv)
        return ipcx__fail(-EINVAL, "type= selects on a receiver; a sender's priority "
                          "sets the mtype");
    if ((r = ipcx__url_int(u, "type", -SV_PRIO_BASE, LONG_MIN, LONG_MAX, &type)) < 0)
        return r;
    if (want_size && ch->maxmsg > (size_t) msgmax)
        return ipcx__fail(-EINVAL, "maxmsg=%zu is more than the kernel's largest System V "
                          "message (/proc/sys/kernel/msgmax=%ld)", ch->maxmsg, msgmax);
    if (id >= 0 && (ch->flags & IPCX_CREATE) && (ch->flags & IPCX_EXCL))
        return ipcx__fail(-EINVAL, "sysvmq:?id= names an existing queue: no IPCX_EXCL");

    s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->id = -1;
    s->sem = -1;
    s->key = key;
    s->type = (long) type;
    ch->impl = s;
    memcpy(s->name, a.name, sizeof s->name);

    if (id >= 0) {
        r = ipcx__msgctl(id, IPC_STAT, &ds);
        if (r == -EINVAL || r == -EIDRM)
            return ipcx__fail(-ENOENT, "%s does not exist", s->name);
        s->id = id;
    } else {
        /* As for mq: create exclusively first, so we know whether we made it. */
        for (int tries = 0; tries < 4 && s->id < 0; tries++) {
            if (ch->flags & IPCX_CREATE) {
                r = ipcx__msgget(key, IPC_CREAT | IPC_EXCL | (int) ch->mode);
                if (r >= 0) {
                    s->id = r;
                    s->created = 1;
                    break;
                }
                if (r != -EEXIST)
                    return sv_get_error(r, s->name);
                if (ch->flags & IPCX_EXCL)
                    return ipcx__fail(-EEXIST, "%s already exists", s->name);
            }
            r = ipcx__msgget(key, 0);
            if (r >= 0)
                s->id = r;
            else if (r != -ENOENT || !(ch->flags & IPCX_CREATE))
                return sv_get_error(r, s->name);
        }
        if (s->id < 0)
            return ipcx__fail(-EAGAIN, "%s: created and removed by others while opening", s->name);
        r = ipcx__msgctl(s->id, IPC_STAT, &ds);
    }

    /*
     * A queue this end did not make: refuse a squatter's (owner.h).  There is
     * no O_EXCL by key, so look at the id we got: its owner, its creator
     * (who can give it to anyone with IPC_SET) and its mode.
     */
    if (!s->created) {
        if (r < 0) {
            r = ipcx__fail(r, "%s: cannot read its owner (IPC_STAT)", s->name);
            goto fail;
        }
        struct ipcx__owner o = ipcx__owner_of_ipc(&ds.msg_perm);
        if ((r = ipcx__owner_check(s->name, &o, ch->mode, &ch->allow)) < 0)
            goto fail;
    }
    /* The largest message: the kernel's msgmax, and no more than the queue holds. */
    size_t maxmsg = want_size ? ch->maxmsg : (size_t) msgmax;
    size_t textcap = (size_t) msgmax;
    if (r == 0) {
        if (want_size && maxmsg > ds.msg_qbytes) {
            r = ipcx__fail(-EINVAL, "maxmsg=%zu is more than %s holds (msg_qbytes=%lu)",
                           maxmsg, s->name, (unsigned long) ds.msg_qbytes);
            goto fail;
        }
        if (maxmsg > ds.msg_qbytes)
            maxmsg = ds.msg_qbytes;
        if (textcap > ds.msg_qbytes)
            textcap = ds.msg_qbytes;
    }
    ch->maxmsg = maxmsg;
    /* The queue has no message size of its own: a maxmsg= asked for travels
     * in the address, so senders opening it agree with this end. */
    if (want_size)
        snprintf(s->addr, sizeof s->addr, "%s%smaxmsg=%zu", s->name, id >= 0 ? "&" : "?", maxmsg);
    else
        snprintf(s->addr, sizeof s->addr, "%s", s->name);
    /* A receiver can take any message the queue may hold, also one longer
     * than our maxmsg from another sender; a sender needs only maxmsg. */
    if (!recv || textcap < maxmsg)
        textcap = maxmsg;
    if (textcap > SV_BUF_MAX)
        textcap = maxmsg > SV_BUF_MAX ? maxmsg : SV_BUF_MAX;
    s->textcap = textcap;
    s->buf = malloc(sizeof *s->buf + textcap);
    if (!s->buf) {
        r = -ENOMEM;
        goto fail;
    }
    if (key != IPC_PRIVATE)
        sv_bell_open(s, s->created, ch->mode, &ch->allow);
    /* Take over the queue of a receiver that died without closing (see mq.c). */
    if (!s->created && key != IPC_PRIVATE && ipcx__chan_adopt(ch, s->name))
        s->created = 1;
    ch->created = s->created;
    return 0;
fail:
    if (s->created) {
        (void) ipcx__msgctl(s->id, IPC_RMID, NULL);
        s->created = 0;
    }
    return r;
}

/*
 * Sleep until doorbell semaphore which may have news, at most left ms (> 0)
 * and one slice.  0 when it is time to look at the queue again (rung, or the
 * slice is over), -EINTR.  *rang says whether we took a doorbell token.
 */
static int sv_wait(struct sv_chan *s, int which, int left, int *backoff, int *rang)
{
    int ms = left < SV_SLICE_MS ? left : SV_SLICE_MS;
    *rang = 0;
    if (s->sem >= 0) {
        struct sembuf op = { .sem_num = (unsigned short) which, .sem_op = -1, .sem_flg = 0 };
        struct timespec rel = ipcx__ts_rel(ms);
        int r = ipcx__semtimedop(s->sem, &op, 1, &rel);
        if (r == 0)
            *rang = 1;
        if (r == 0 || r == -EAGAIN)
            return 0;
        if (r == -EINTR)
            return r;
        /* The doorbell was removed (with the queue, or by someone else) or
         * became unusable: look at the queue, and poll from now on. */
        s->sem = -1;
        return 0;
    }
    if (ms > *backoff)
        ms = *backoff;
    if (*backoff < SV_POLL_MAX_MS)
        *backoff *= 2;
    return ipcx__sleep_ms(ms);
}

/* After an EINTR: 1 to go on, or -EINTR for the caller (the library's rule). */
static int sv_intr(void)
{
    return ipcx__intr_returns() ? ipcx__fail(-EINTR, "interrupted by a signal") : 1;
}

/* What send refuses of a message itself (the .check of batched sends). */
static int sv_check(const struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio)
{
    (void) ch, (void) msg, (void) len;
    if (prio >= SV_PRIO_LIMIT)
        return ipcx__fail(-EINVAL, "prio=%u: sysvmq carries priorities 0..%u", prio,
                          SV_PRIO_LIMIT - 1);
    return 0;
}

static int sv_send(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                   int timeout_ms)
{
    struct sv_chan *s = ch->impl;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    const int flags = timeout_ms < 0 ? 0 : IPC_NOWAIT;
    int backoff = 1, rang, r;

    if ((r = sv_check(ch, msg, len, prio)) < 0)
        return r;
    s->buf->mtype = SV_PRIO_BASE - (long) prio;
    if (len)
        memcpy(s->buf->mtext, msg, len);
    for (;;) {
        r = ipcx__msgsnd(s->id, s->buf, len, flags);
        if (r == 0)
            break;
        if (r == -EAGAIN) {
            int left = ipcx__remaining(&d);
            if (d.zero || left == 0)
                return ipcx__fail(ipcx__expired(&d), "%s is full", s->name);
            r = sv_wait(s, SV_SEM_SPACE, left, &backoff, &rang);
        }
        if (r == -EINTR && (r = sv_intr()) != 1)
            return r;
        if (r == 0 || r == 1)
            continue;
        if (r == -EIDRM)
            return sv_gone(s);
        if (r == -EINVAL) {
            /* Either the queue is gone or the kernel's limits shrank under us. */
            struct msqid_ds ds;
            int st = ipcx__msgctl(s->id, IPC_STAT, &ds);
            if (st == -EINVAL || st == -EIDRM)
                return sv_gone(s);
            return ipcx__fail(-EMSGSIZE, "%s: the kernel refused %zu bytes (msgmax=%ld, "
                              "msg_qbytes=%lu)", s->name, len,
                              ipcx__proc_long("/proc/sys/kernel/msgmax", -1),
                              st == 0 ? (unsigned long) ds.msg_qbytes : 0ul);
        }
        if (r == -EACCES)
            return ipcx__fail(-EACCES, "%s: no permission to send", s->name);
        return ipcx__fail(r, "%s: msgsnd failed", s->name);
    }
    if (s->sem >= 0) {
        /* Ring for a timed receiver; at the semaphore's maximum (ERANGE) a
         * receiver cannot be asleep on it anyway. */
        struct sembuf op = { .sem_num = SV_SEM_MSGS, .sem_op = 1, .sem_flg = IPC_NOWAIT };
        (void) ipcx__semtimedop(s->sem, &op, 1, NULL);
    }
    return 0;
}

static long sv_recv(struct ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                    int timeout_ms)
{
    struct sv_chan *s = ch->impl;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    const int flags = timeout_ms < 0 ? 0 : IPC_NOWAIT;
    const size_t want = cap < s->textcap ? cap : s->textcap;
    int backoff = 1, rang = 0, r;
    ssize_t n;

    for (;;) {
        /* msgrcv leaves a message longer than want queued (E2BIG): nothing is lost. */
        n = ipcx__msgrcv(s->id, s->buf, want, s->type, flags);
        if (n >= 0)
            break;
        r = (int) n;
        if (r == -ENOMSG) {
            int left = ipcx__remaining(&d);
            if (d.zero || left == 0)
                return ipcx__fail(ipcx__expired(&d), "nothing to receive on %s", s->name);
            r = sv_wait(s, SV_SEM_MSGS, left, &backoff, &rang);
        }
        if (r == -EINTR && (r = sv_intr()) != 1)
            return r;
        if (r == 0 || r == 1)
            continue;
        if (r == -E2BIG)
            return ipcx__fail(-EMSGSIZE, "the next message on %s is longer than %zu bytes "
                              "(it stays queued)", s->name, want);
        if (r == -EIDRM || r == -EINVAL)
            return sv_gone(s);
        if (r == -EACCES)
            return ipcx__fail(-EACCES, "%s: no permission to receive", s->name);
        return ipcx__fail(r, "%s: msgrcv failed", s->name);
    }
    if (s->sem >= 0) {
        /* Take this message's doorbell token, unless the wait already did,
         * so the count stays near the number of messages; then say there is
         * room, for a timed sender waiting on a full queue. */
        struct sembuf op = { .sem_num = SV_SEM_MSGS, .sem_op = -1, .sem_flg = IPC_NOWAIT };
        if (!rang)
            (void) ipcx__semtimedop(s->sem, &op, 1, NULL);
        if (ipcx__semctl_int(s->sem, SV_SEM_SPACE, GETVAL, 0) == 0) {
            op = (struct sembuf) { .sem_num = SV_SEM_SPACE, .sem_op = 1, .sem_flg = IPC_NOWAIT };
            (void) ipcx__semtimedop(s->sem, &op, 1, NULL);
        }
    }
    if (prio) {
        long t = s->buf->mtype;
        *prio = t >= 1 && t <= SV_PRIO_BASE ? (unsigned) (SV_PRIO_BASE - t) : 0;
    }
    if (n)
        memcpy(buf, s->buf->mtext, (size_t) n);
    return (long) n;
}

static int sv_fd(struct ipcx_chan *ch)
{
    (void) ch;
    return ipcx__fail(-ENOTSUP, "System V queues have no descriptor to poll");
}

static int sv_addr(const struct ipcx_chan *ch, char *buf, size_t cap)
{
    const struct sv_chan *s = ch->impl;
    int n = snprintf(buf, cap, "%s", s->addr);
    return n < 0 || (size_t) n >= cap ? -ENOSPC : n;
}

static int sv_close(struct ipcx_chan *ch)
{
    struct sv_chan *s = ch->impl;
    int r = 0;
    if (!s)
        return 0;
    if (s->created && (ch->flags & IPCX_RECV) && ipcx__chan_ours(ch)) {
        /* The queue first: a waiter woken by the doorbell's removal must find it gone. */
        r = ipcx__msgctl(s->id, IPC_RMID, NULL);
        if (r == -EINVAL || r == -EIDRM)
            r = 0; /* removed by someone else already */
        else if (r < 0)
            r = ipcx__fail(r, "cannot remove the queue (id %d): left it", s->id);
        /* By key when a failed wait made this end forget the set's id. */
        int bell = sv_bell_remove(s->key, s->sem);
        if (bell < 0 && r == 0)
            r = ipcx__fail(bell, "cannot remove the doorbell of %s: left it", s->name);
    }
    free(s->buf);
    free(s);
    ch->impl = NULL;
    return r;
}

static long sv_pending(const struct ipcx_chan *ch)
{
    const struct sv_chan *s = ch->impl;
    struct msqid_ds ds;
    int r = ipcx__msgctl(s->id, IPC_STAT, &ds);
    return r < 0 ? ipcx__fail(r, "%s: cannot read its state", s->name) : (long) ds.msg_qnum;
}

static int sv_unlink(const struct ipcx_url *u)
{
    struct ipcx__sysv_addr a;
    int r;

    if ((r = ipcx__addr_sysv(u, IPCX_SYSV_PROJ_DEFAULT, &a)) < 0)
        return r;
    const char *what = a.name;
    key_t key = a.key;
    int id = a.id;
    if (id < 0)
        id = ipcx__msgget(key, 0);
    r = id < 0 ? id : ipcx__msgctl(id, IPC_RMID, NULL);
    if (id >= 0 && (r == -EINVAL || r == -EIDRM))
        r = -ENOENT;
    /* The doorbell too, also when the queue was already gone (removed by ipcrm -q). */
    int bell = sv_bell_remove(key, -1);
    if (r == -ENOENT)
        return bell > 0 ? 0 : ipcx__fail(bell < 0 ? bell : -ENOENT, "%s does not exist", what);
    if (r == -EPERM || r == -EACCES)
        return ipcx__fail(r, "%s: not the owner: cannot remove it", what);
    return r < 0 ? ipcx__fail(r, "%s: cannot remove it", what) : 0;
}

const struct ipcx_transport ipcx__transport_sysvmq = {
    .scheme  = "sysvmq",
    .caps    = IPCX_CAP_PRIO | IPCX_CAP_LOCAL | IPCX_CAP_MANY | IPCX_CAP_NAMED | IPCX_CAP_KNAME,
    .keys    = "mode type proj id allow",
    .maxmsg_default = 8192,         /* not used: the kernel's msgmax is */
    .maxmsg_limit   = INT_MAX,      /* checked against msgmax in sv_open */
    .open    = sv_open,
    .send    = sv_send,
    .recv    = sv_recv,
    .fd      = sv_fd,
    .addr    = sv_addr,
    .close   = sv_close,
    .unlink  = sv_unlink,
    .pending = sv_pending,
    .check   = sv_check,
};
