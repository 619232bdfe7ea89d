/*
 * pool.c - the worker pool (anycast): submitters and workers share one
 * queue, each job goes to exactly one worker (include/ipcx/pubsub.h,
 * docs/patterns.md).  The public calls check their arguments and the
 * one-job-held rule here, then go to the backend of the URL's scheme
 * (pool_int.h): pool_sock.c for unix: and tcp:, pool_mq.c for mq:, and the
 * ring below for shm: and sysvshm:.
 *
 * The ring is the shm mpmc slot ring (src/shm/ring_slots.c): a worker
 * takes a job with ipcx_peek, which marks its slot READING and names the
 * worker in the slot word; ipcx_pool_done releases it.  A worker killed in
 * between is reaped by any survivor: the slot becomes REDELIVER and the
 * next take of any worker gets it first (at least once for that job;
 * exactly once for every job whose worker called done).  A worker that
 * closes holding a job gives it back the same way.
 *
 * Not here: sysvmq: (-ENOTSUP: a queue without a table of held jobs would
 * lose a killed worker's job without a trace).
 */
#include "pool_int.h"
#include "ipcx/pubsub.h"
#include "../util/err.h"
#include "../util/url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ipcx_pool {
    const struct ipcx__pool_ops *ops;
    void *impl;
    int   held;  /* a worker holds a taken job (not done) */
};

/* ---- the ring backend ------------------------------------------------------- */

static int ring_open(void **impl, const char *url, const struct ipcx_url *u, int flags)
{
    char ring[IPCX_URL_MAX];
    if (strlen(url) >= sizeof ring)
        return ipcx__fail(-ENAMETOOLONG, "the URL is too long");
    strcpy(ring, url);
    /* Slots, each to exactly one receiver; whoever leaves last removes it. */
    static const char *const keys[][2] = { { "mode", "mpmc" }, { "unlink", "last" } };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (ipcx__url_get(u, keys[i][0]))
            continue;
        size_t n = strlen(ring);
        int w = snprintf(ring + n, sizeof ring - n, "%s%s=%s", strchr(ring, '?') ? "&" : "?",
                         keys[i][0], keys[i][1]);
        if (w < 0 || (size_t) w >= sizeof ring - n)
            return ipcx__fail(-ENAMETOOLONG, "the URL is too long for the pool's keys");
    }
    return ipcx_open((ipcx_chan **) impl, ring, flags);
}

static int ring_submit(void *impl, const void *job, size_t len, int timeout_ms)
{
    return ipcx_send(impl, job, len, 0, timeout_ms);
}

static long ring_take(void *impl, void *buf, size_t cap, int timeout_ms)
{
    const void *msg;
    size_t n;
    int rc = ipcx_peek(impl, &msg, &n, timeout_ms);
    if (rc < 0)
        return rc;
    if (n > cap) /* it stays this worker's: a take with a larger buffer gets it */
        return ipcx__fail(-EMSGSIZE, "a job of %zu bytes does not fit in %zu", n, cap);
    if (n)
        memcpy(buf, msg, n);
    return (long) n;
}

static int ring_done(void *impl)
{
    return ipcx_release(impl);
}

/* The jobs are in the shared ring: there is nothing to move. */
static int ring_dispatch(void *impl, int timeout_ms)
{
    (void) impl;
    (void) timeout_ms;
    return 0;
}

static int ring_addr(void *impl, char *buf, size_t cap)
{
    return ipcx_addr(impl, buf, cap);
}

static int ring_close(void *impl)
{
    return ipcx_close(impl);
}

static int ring_unlink(const char *url, const struct ipcx_url *u)
{
    (void) u;
    return ipcx_unlink(url);
}

const struct ipcx__pool_ops ipcx__pool_ring = {
    .open     = ring_open,
    .submit   = ring_submit,
    .take     = ring_take,
    .done     = ring_done,
    .dispatch = ring_dispatch,
    .addr     = ring_addr,
    .close    = ring_close,
    .unlink   = ring_unlink,
};

/* ---- the public calls --------------------------------------------------------- */

static const struct ipcx__pool_ops *pool_ops(const struct ipcx_url *u)
{
    if (!strcmp(u->scheme, "shm") || !strcmp(u->scheme, "sysvshm"))
        return &ipcx__pool_ring;
    if (!strcmp(u->scheme, "unix") || !strcmp(u->scheme, "tcp"))
        return &ipcx__pool_sock;
    if (!strcmp(u->scheme, "mq"))
        return &ipcx__pool_mq;
    return NULL;
}

static int pool_refuse(const struct ipcx_url *u)
{
    return ipcx__fail(-ENOTSUP, "a pool over %s: is not built: this queue forgets a job at "
                      "receive (a killed worker's job would vanish); use shm:, mq:, unix: "
                      "or tcp:", u->scheme);
}

IPCX_API int ipcx_pool_open(ipcx_pool **pool, const char *url, int flags)
{
    struct ipcx_url u;
    ipcx__clear_detail();
    int dir = flags & (IPCX_SEND | IPCX_RECV);
    if (!pool || !url || (dir != IPCX_SEND && dir != IPCX_RECV))
        return ipcx__fail(-EINVAL, "ipcx_pool_open: IPCX_SEND (submitter) or IPCX_RECV "
                                   "(worker)");
    int rc = ipcx__url_parse(url, &u);
    if (rc < 0)
        return rc;
    const struct ipcx__pool_ops *ops = pool_ops(&u);
    if (!ops)
        return pool_refuse(&u);
    ipcx_pool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->ops = ops;
    if ((rc = ops->open(&p->impl, url, &u, flags)) < 0) {
        free(p);
        return rc;
    }
    *pool = p;
    return 0;
}

IPCX_API int ipcx_pool_submit(ipcx_pool *p, const void *job, size_t len, int timeout_ms)
{
    if (!p || (!job && len))
        return -EINVAL;
    return p->ops->submit(p->impl, job, len, timeout_ms);
}

IPCX_API long ipcx_pool_take(ipcx_pool *p, void *buf, size_t cap, int timeout_ms)
{
    if (!p || (!buf && cap))
        return -EINVAL;
    if (p->held)
        return ipcx__fail(-EBUSY, "the job taken before is not done (ipcx_pool_done)");
    long n = p->ops->take(p->impl, buf, cap, timeout_ms);
    if (n >= 0)
        p->held = 1;
    return n;
}

IPCX_API int ipcx_pool_done(ipcx_pool *p)
{
    if (!p || !p->held)
        return ipcx__fail(-EINVAL, "no job taken");
    p->held = 0;
    return p->ops->done(p->impl);
}

IPCX_API int ipcx_pool_dispatch(ipcx_pool *p, int timeout_ms)
{
    if (!p)
        return -EINVAL;
    return p->ops->dispatch(p->impl, timeout_ms);
}

IPCX_API int ipcx_pool_addr(const ipcx_pool *p, char *buf, size_t cap)
{
    if (!p || !buf || !cap)
        return -EINVAL;
    return p->ops->addr(p->impl, buf, cap);
}

IPCX_API long long ipcx_pool_redelivered(const ipcx_pool *p)
{
    if (!p)
        return -EINVAL;
    if (!p->ops->redelivered)
        return ipcx__fail(-ENOTSUP, "a ring does not count redeliveries per end");
    return p->ops->redelivered(p->impl);
}

IPCX_API int ipcx_pool_workers(ipcx_pool *p)
{
    if (!p)
        return -EINVAL;
    if (!p->ops->workers)
        return ipcx__fail(-ENOTSUP, "a ring does not count its workers for the pool");
    return p->ops->workers(p->impl);
}

IPCX_API int ipcx_pool_close(ipcx_pool *p)
{
    if (!p)
        return 0;
    int rc = p->ops->close(p->impl);
    free(p);
    return rc;
}

IPCX_API int ipcx_pool_unlink(const char *url)
{
    struct ipcx_url u;
    ipcx__clear_detail();
    if (!url)
        return -EINVAL;
    int rc = ipcx__url_parse(url, &u);
    if (rc < 0)
        return rc;
    const struct ipcx__pool_ops *ops = pool_ops(&u);
    return ops ? ops->unlink(url, &u) : pool_refuse(&u);
}
