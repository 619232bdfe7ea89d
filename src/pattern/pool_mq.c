/*
 * pool_mq.c - the worker pool over a POSIX message queue, mq:/name
 * (pool_int.h).  The kernel forgets a message when it is received, so a
 * worker killed holding a job would take it along.  Beside the queue lies
 * a table of who holds what, the POSIX shm file /name.pool: one slot per
 * worker, with its pid and start time (src/sys/proc.h names a process by
 * both, so a reused pid is never taken for a dead worker), a state, and
 * room for one job.
 *
 * A worker receives straight into its own slot (ipcx_recv on mq: writes
 * into the caller's buffer when it holds mq_msgsize), after clearing the
 * slot's frame header and marking it RECV.  SIGKILL acts only when the
 * receive has returned to user space, so a dead worker's slot in RECV
 * either holds a whole job (its header is set) or none.  Anyone who looks
 * (a worker before and between its receive slices, the submitter in
 * ipcx_pool_submit and ipcx_pool_dispatch) turns the slots of dead
 * holders into ORPHAN; a worker's next take adopts an orphan before it
 * receives, and the submitter puts orphans back into the queue.  Jobs are
 * framed in the queue (magic, length) so that a bad message from another
 * writer of the queue is dropped, not taken for a job.
 *
 * The table is shared by the users of one queue and locked by a robust
 * ipcx_mutex: a worker killed while it holds the lock leaves every slot in
 * a state the next locker can use (each step is one word written last).
 *
 * Not here: sysvmq: (not built), the socket pool (pool_sock.c).
 */
#include "pool_int.h"
#include "ipcx/pubsub.h"
#include "ipcx/sync.h"
#include "../util/err.h"
#include "../util/url.h"
#include "../util/owner.h"
#include "../sys/sys.h"
#include "../sys/fs.h"
#include "../sys/proc.h"
#include "../sys/shmfile.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PMQ_MAGIC     0x49585054u /* "IXPT": the table */
#define PMQ_VERSION   1u
#define PMQ_JOB_MAGIC 0x49585043u /* "IXPC": a job in the queue */
#define PMQ_JOB_HDR   8u          /* magic u32, length u32 (native: one host) */
#define PMQ_SLOTS     64u         /* workers at once on one queue */
#define PMQ_SLICE_MS  50          /* a receive looks for orphans this often */
#define PMQ_REAP_MS   5           /* an end reads /proc at most this often */
#define PMQ_SUFFIX    ".pool"

enum pmq_state {
    PMQ_FREE   = 0,  /* nobody's */
    PMQ_OWNED  = 1,  /* a worker's, no job */
    PMQ_RECV   = 2,  /* its worker is receiving into it */
    PMQ_HELD   = 3,  /* its worker holds the job in it */
    PMQ_ORPHAN = 4,  /* a job whose holder is gone: for the next taker */
};

struct pmq_slot {
    _Atomic uint32_t state;
    uint32_t pid;
    uint64_t start;
    uint8_t  job[];  /* slotsize bytes: a queue message (PMQ_JOB_HDR + job) */
};

struct pmq_table {
    uint32_t   magic, version;
    uint32_t   nslots, slotsize;
    ipcx_mutex lock;
    uint8_t    pad[32];
    /* the slots follow */
};

struct pmq {
    ipcx_chan *ch;
    int        worker;
    struct pmq_table *t;
    size_t     size;         /* of the mapping */
    size_t     stride;
    size_t     msgsize;      /* the queue's mq_msgsize: the slots' room */
    struct pmq_slot *mine;   /* a worker's own slot */
    uint32_t   pid;
    uint64_t   start;
    int64_t    last_reap;
    long long  redelivered;
    uint8_t   *buf;          /* submitter: one framed job */
};

static struct pmq_slot *pmq_slot(const struct pmq *m, unsigned i)
{
    return (struct pmq_slot *) ((uint8_t *) m->t + sizeof *m->t + i * m->stride);
}

/* A whole job in the n bytes at p: its length, or -1. */
static long pmq_job_len(const uint8_t *p, size_t n)
{
    uint32_t magic, len;
    if (n < PMQ_JOB_HDR)
        return -1;
    memcpy(&magic, p, 4);
    memcpy(&len, p + 4, 4);
    return magic == PMQ_JOB_MAGIC && len <= n - PMQ_JOB_HDR ? (long) len : -1;
}

/* ---- the table ---------------------------------------------------------------- */

static int pmq_table_name(const struct ipcx_url *u, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s" PMQ_SUFFIX, u->path);
    if (n < 0 || (size_t) n >= cap || n > NAME_MAX)
        return ipcx__fail(-ENAMETOOLONG, "mq:%s: the name is too long for its pool table",
                          u->path);
    return 0;
}

static int pmq_map(struct pmq *m, int fd, size_t size)
{
    void *p;
    int r = ipcx__shmfile_map(fd, size, &p);
    if (r < 0)
        return r;
    m->t = p;
    m->size = size;
    return 0;
}

/*
 * Open the table of queue u, or make it: slots sized for the queue's
 * messages.  A table made by someone else is used only under the rule of
 * every named object (src/util/owner.c): its owner is this user, root or
 * in allow=, and its mode grants no more than mode= (a table another user
 * put under the name first could hand out and collect root's jobs).
 */
static int pmq_table_open(struct pmq *m, const struct ipcx_url *u, mode_t mode,
                          const struct ipcx_allow *allow)
{
    char name[NAME_MAX + 2], what[NAME_MAX + 16];
    size_t size = sizeof *m->t + PMQ_SLOTS * m->stride, got;
    int r = pmq_table_name(u, name, sizeof name), fd;
    if (r < 0)
        return r;
    for (int tries = 0; tries < 2; tries++) {
        if ((fd = ipcx__shmfile_open(name, &got)) >= 0) {
            snprintf(what, sizeof what, "pool table %s", name);
            if ((r = ipcx__owner_check_fd(fd, what, mode, allow)) < 0 ||
                got < sizeof *m->t || (r = pmq_map(m, fd, got)) < 0) {
                (void) ipcx__close(fd);
                return r < 0 ? r : ipcx__fail(-EPROTO, "mq:%s: its pool table %s is cut short",
                                              u->path, name);
            }
            (void) ipcx__close(fd);
            if (m->t->magic != PMQ_MAGIC || m->t->version != PMQ_VERSION ||
                m->t->nslots != PMQ_SLOTS || m->t->slotsize != m->msgsize || got < size)
                return ipcx__fail(-EPROTO, "mq:%s: the pool table %s does not fit this queue "
                                  "(made for other message sizes?)", u->path, name);
            return 0;
        }
        if (fd != -ENOENT)
            return fd;
        /* Made whole under no name, then named: nobody sees it half made. */
        if ((fd = ipcx__shmfile_anon(mode, size)) < 0)
            return fd;
        if ((r = pmq_map(m, fd, size)) < 0) {
            (void) ipcx__close(fd);
            return r;
        }
        m->t->nslots = PMQ_SLOTS;
        m->t->slotsize = (uint32_t) m->msgsize;
        (void) ipcx_mutex_init(&m->t->lock);
        m->t->version = PMQ_VERSION;
        m->t->magic = PMQ_MAGIC;
        r = ipcx__shmfile_publish(fd, name);
        (void) ipcx__close(fd);
        if (r == 0)
            return 0;
        (void) ipcx__shmfile_unmap(m->t, m->size);
        m->t = NULL;
        if (r != -EEXIST) /* another end made it first: open that one */
            return r;
    }
    return ipcx__fail(-EAGAIN, "mq:%s: its pool table comes and goes", u->path);
}

static void pmq_lock(struct pmq *m)
{
    /* -EOWNERDEAD: each slot step is one state word written last, so any
     * slot a dead locker left is in a state the rules below handle. */
    if (ipcx_mutex_lock(&m->t->lock, -1) == -EOWNERDEAD)
        (void) ipcx_mutex_consistent(&m->t->lock);
}

static void pmq_unlock(struct pmq *m)
{
    (void) ipcx_mutex_unlock(&m->t->lock);
}

/* Locked: the slots of dead workers become ORPHAN (a job in them) or FREE. */
static void pmq_reap(struct pmq *m, int force)
{
    int64_t now = ipcx__now_ms();
    if (!force && now - m->last_reap < PMQ_REAP_MS)
        return;
    m->last_reap = now;
    for (unsigned i = 0; i < PMQ_SLOTS; i++) {
        struct pmq_slot *s = pmq_slot(m, i);
        uint32_t st = atomic_load(&s->state);
        if (st != PMQ_OWNED && st != PMQ_RECV && st != PMQ_HELD)
            continue;
        if (s == m->mine || ipcx__proc_alive((pid_t) s->pid, s->start))
            continue;
        int job = st == PMQ_HELD || (st == PMQ_RECV && pmq_job_len(s->job, m->msgsize) >= 0);
        s->pid = 0;
        atomic_store(&s->state, job ? PMQ_ORPHAN : PMQ_FREE);
    }
}

/* ---- open and close ------------------------------------------------------------- */

static int pmq_open(void **impl, const char *url, const struct ipcx_url *u, int flags)
{
    struct pmq *m = calloc(1, sizeof *m);
    struct ipcx_allow allow;
    mode_t mode;
    int r;
    if (!m)
        return -ENOMEM;
    m->worker = (flags & IPCX_RECV) != 0;
    m->pid = (uint32_t) ipcx__self_pid();
    if ((r = ipcx__url_mode(u, "mode", 0600, &mode)) < 0 ||
        (r = ipcx__url_allow(u, "allow", &allow)) < 0 ||
        (r = ipcx__proc_start((pid_t) m->pid, &m->start)) < 0 ||
        (r = ipcx_open(&m->ch, url, flags)) < 0)
        goto fail;
    m->msgsize = (size_t) ipcx_maxmsg(m->ch);
    if (m->msgsize <= PMQ_JOB_HDR || m->msgsize > UINT32_MAX) {
        r = ipcx__fail(-EINVAL, "mq:%s: messages of %zu bytes leave no room for a job",
                       u->path, m->msgsize);
        goto fail;
    }
    m->stride = (sizeof(struct pmq_slot) + m->msgsize + 7) & ~(size_t) 7;
    if ((r = pmq_table_open(m, u, mode, &allow)) < 0)
        goto fail;
    if (!m->worker) {
        if (!(m->buf = malloc(m->msgsize))) {
            r = -ENOMEM;
            goto fail;
        }
    } else {
        pmq_lock(m);
        for (int pass = 0; pass < 2 && !m->mine; pass++) {
            if (pass)
                pmq_reap(m, 1);
            for (unsigned i = 0; i < PMQ_SLOTS && !m->mine; i++) {
                struct pmq_slot *s = pmq_slot(m, i);
                if (atomic_load(&s->state) != PMQ_FREE)
                    continue;
                s->pid = m->pid;
                s->start = m->start;
                atomic_store(&s->state, PMQ_OWNED);
                m->mine = s;
            }
        }
        pmq_unlock(m);
        if (!m->mine) {
            r = ipcx__fail(-EUSERS, "mq:%s: %u workers already", u->path, PMQ_SLOTS);
            goto fail;
        }
    }
    *impl = m;
    return 0;
fail:
    if (m->t)
        (void) ipcx__shmfile_unmap(m->t, m->size);
    (void) ipcx_close(m->ch);
    free(m->buf);
    free(m);
    return r;
}

static int pmq_close(void *impl)
{
    struct pmq *m = impl;
    if (m->mine) {
        pmq_lock(m);
        /* A job taken and not done goes to the next taker. */
        int job = atomic_load(&m->mine->state) == PMQ_HELD;
        m->mine->pid = 0;
        atomic_store(&m->mine->state, job ? PMQ_ORPHAN : PMQ_FREE);
        pmq_unlock(m);
    }
    (void) ipcx__shmfile_unmap(m->t, m->size);
    int r = ipcx_close(m->ch);
    free(m->buf);
    free(m);
    return r;
}

static int pmq_unlink(const char *url, const struct ipcx_url *u)
{
    char name[NAME_MAX + 2];
    int r = pmq_table_name(u, name, sizeof name);
    if (r < 0)
        return r;
    int q = ipcx_unlink(url), t = ipcx__shmfile_unlink(name);
    if (q < 0 && q != -ENOENT)
        return q;
    return t == -ENOENT ? (q == -ENOENT ? -ENOENT : 0) : t;
}

/* ---- the worker ------------------------------------------------------------------ */

/* The job in the worker's own slot, held: copied out, or -EMSGSIZE (it stays held). */
static long pmq_deliver(struct pmq *m, void *buf, size_t cap)
{
    long n = pmq_job_len(m->mine->job, m->msgsize);
    if (n < 0) { /* the table was written by someone else than ipcx */
        atomic_store(&m->mine->state, PMQ_OWNED);
        return ipcx__fail(-EBADMSG, "mq: the pool table holds a damaged job (dropped)");
    }
    if ((size_t) n > cap)
        return ipcx__fail(-EMSGSIZE, "a job of %ld bytes does not fit in %zu", n, cap);
    if (n)
        memcpy(buf, m->mine->job + PMQ_JOB_HDR, (size_t) n);
    return n;
}

/*
 * Locked: adopt an orphan.  1 if there was one.  The worker moves into the
 * orphan's slot rather than copying the job into its own: the one word
 * that makes it ours (state HELD, written last, after pid and start) is
 * the whole step.  Killed before it, the slot is still an orphan; killed
 * after it, the slot is a dead worker's HELD slot, an orphan again at the
 * next reap, and the old slot a dead worker's OWNED one, freed.  A copy
 * instead left, for a worker killed between marking its copy HELD and
 * freeing the orphan, the job in two slots: done twice.
 */
static int pmq_adopt(struct pmq *m)
{
    for (unsigned i = 0; i < PMQ_SLOTS; i++) {
        struct pmq_slot *s = pmq_slot(m, i), *old = m->mine;
        if (atomic_load(&s->state) != PMQ_ORPHAN)
            continue;
        if (pmq_job_len(s->job, m->msgsize) < 0) {
            atomic_store(&s->state, PMQ_FREE); /* an orphan without a job: nothing to give */
            continue;
        }
        s->pid = m->pid;
        s->start = m->start;
        atomic_store(&s->state, PMQ_HELD);
        m->mine = s;
        atomic_store(&old->state, PMQ_FREE);
        m->redelivered++;
        return 1;
    }
    return 0;
}

static long pmq_take(void *impl, void *buf, size_t cap, int timeout_ms)
{
    struct pmq *m = impl;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    if (!m->worker)
        return ipcx__fail(-EBADF, "a submitter does not take jobs");
    if (atomic_load(&m->mine->state) == PMQ_HELD) /* kept by an -EMSGSIZE */
        return pmq_deliver(m, buf, cap);
    for (;;) {
        pmq_lock(m);
        pmq_reap(m, m->last_reap == 0); /* this end's first look is never skipped */
        if (pmq_adopt(m)) {
            pmq_unlock(m);
            return pmq_deliver(m, buf, cap);
        }
        memset(m->mine->job, 0, PMQ_JOB_HDR);
        atomic_store(&m->mine->state, PMQ_RECV);
        pmq_unlock(m);
        /* In slices: an orphan that appears meanwhile is not left waiting. */
        int left = ipcx__remaining(&d);
        int slice = left < 0 || left > PMQ_SLICE_MS ? PMQ_SLICE_MS : left;
        long n = ipcx_recv(m->ch, m->mine->job, m->msgsize, NULL, slice);
        if (n >= (long) PMQ_JOB_HDR &&
            pmq_job_len(m->mine->job, (size_t) n) == n - (long) PMQ_JOB_HDR) {
            atomic_store(&m->mine->state, PMQ_HELD);
            return pmq_deliver(m, buf, cap);
        }
        atomic_store(&m->mine->state, PMQ_OWNED);
        if (n >= 0)
            return ipcx__fail(-EBADMSG, "mq: a message of %ld bytes in the pool's queue is "
                              "not a job (dropped)", n);
        if (n != -EAGAIN && n != -ETIMEDOUT)
            return n;
        if (ipcx__remaining(&d) == 0)
            return ipcx__expired(&d);
    }
}

static int pmq_done(void *impl)
{
    struct pmq *m = impl;
    atomic_store(&m->mine->state, PMQ_OWNED);
    return 0;
}

/* ---- the submitter ------------------------------------------------------------ */

/* Locked: put orphans back into the queue while it has room; how many are left. */
static unsigned pmq_requeue(struct pmq *m, unsigned *held)
{
    unsigned left = 0;
    *held = 0;
    for (unsigned i = 0; i < PMQ_SLOTS; i++) {
        struct pmq_slot *s = pmq_slot(m, i);
        uint32_t st = atomic_load(&s->state);
        /* RECV with a job header: received, not yet marked HELD. */
        *held += st == PMQ_HELD || (st == PMQ_RECV && pmq_job_len(s->job, m->msgsize) >= 0);
        if (st != PMQ_ORPHAN)
            continue;
        long n = pmq_job_len(s->job, m->msgsize);
        if (n >= 0 && ipcx_send(m->ch, s->job, PMQ_JOB_HDR + (size_t) n, 0, 0) < 0) {
            left++;
            continue;
        }
        m->redelivered += n >= 0;
        atomic_store(&s->state, PMQ_FREE);
    }
    return left;
}

static int pmq_submit(void *impl, const void *job, size_t len, int timeout_ms)
{
    struct pmq *m = impl;
    unsigned held;
    uint32_t magic = PMQ_JOB_MAGIC, l = (uint32_t) len;
    if (m->worker)
        return ipcx__fail(-EBADF, "a worker does not submit");
    if (len > m->msgsize - PMQ_JOB_HDR)
        return ipcx__fail(-EMSGSIZE, "a job of %zu bytes, the queue's messages hold %zu",
                          len, m->msgsize - PMQ_JOB_HDR);
    pmq_lock(m);
    pmq_reap(m, 0);
    (void) pmq_requeue(m, &held);
    pmq_unlock(m);
    memcpy(m->buf, &magic, 4);
    memcpy(m->buf + 4, &l, 4);
    if (len)
        memcpy(m->buf + PMQ_JOB_HDR, job, len);
    return ipcx_send(m->ch, m->buf, PMQ_JOB_HDR + len, 0, timeout_ms);
}

static int pmq_dispatch(void *impl, int timeout_ms)
{
    struct pmq *m = impl;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    if (m->worker)
        return ipcx__fail(-EBADF, "a worker does not dispatch");
    for (;;) {
        unsigned held, left;
        pmq_lock(m);
        pmq_reap(m, 1);
        left = pmq_requeue(m, &held);
        pmq_unlock(m);
        long queued = ipcx_pending(m->ch);
        if (queued < 0)
            return (int) queued;
        if (!left && !held && !queued)
            return 0;
        int rest = ipcx__remaining(&d);
        if (rest == 0)
            return ipcx__expired(&d);
        int r = ipcx__sleep_ms(rest < 0 || rest > PMQ_REAP_MS ? PMQ_REAP_MS : rest);
        if (r == -EINTR && ipcx__intr_returns())
            return r;
    }
}

static int pmq_addr(void *impl, char *buf, size_t cap)
{
    return ipcx_addr(((struct pmq *) impl)->ch, buf, cap);
}

/* The slots of live workers. */
static int pmq_workers(void *impl)
{
    struct pmq *m = impl;
    int n = 0;
    pmq_lock(m);
    pmq_reap(m, 1);
    for (unsigned i = 0; i < PMQ_SLOTS; i++) {
        uint32_t st = atomic_load(&pmq_slot(m, i)->state);
        n += st == PMQ_OWNED || st == PMQ_RECV || st == PMQ_HELD;
    }
    pmq_unlock(m);
    return n;
}

static long long pmq_redelivered(void *impl)
{
    return ((struct pmq *) impl)->redelivered;
}

const struct ipcx__pool_ops ipcx__pool_mq = {
    .open        = pmq_open,
    .submit      = pmq_submit,
    .take        = pmq_take,
    .done        = pmq_done,
    .dispatch    = pmq_dispatch,
    .addr        = pmq_addr,
    .redelivered = pmq_redelivered,
    .workers     = pmq_workers,
    .close       = pmq_close,
    .unlink      = pmq_unlink,
};
