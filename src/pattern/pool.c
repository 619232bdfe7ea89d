/*
 * pool.c - the worker pool (anycast): submitters and workers share one
 * queue, each job goes to exactly one worker (include/ipcx/pubsub.h,
 * docs/patterns.md).
 *
 * Built on the shm mpmc slot ring (src/shm/ring_slots.c): a worker takes a
 * job with ipcx_peek, which marks its slot READING and names the worker in
 * the slot word; ipcx_pool_done releases it.  A worker killed in between
 * is reaped by any survivor: the slot becomes REDELIVER and the next take
 * of any worker gets it first (at least once for that job; exactly once
 * for every job whose worker called done).  A worker that closes holding
 * a job gives it back the same way.
 *
 * Not here: mq: and sysvmq: (the kernel removes a message at receive, so
 * a killed worker's job would vanish without a trace) and sockets (a
 * dispatcher that keeps each job until its worker acknowledges it): both
 * -ENOTSUP, said in the detail.
 */
#include "ipcx/pubsub.h"
#include "../util/err.h"
#include "../util/url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ipcx_pool {
    ipcx_chan *ch;
    int        held;  /* a worker holds a taken job (peeked, not released) */
};

IPCX_API int ipcx_pool_open(ipcx_pool **pool, const char *url, int flags)
{
    struct ipcx_url u;
    char ring[IPCX_URL_MAX];
    ipcx__clear_detail();
    int dir = flags & (IPCX_SEND | IPCX_RECV);
    if (!pool || !url || (dir != IPCX_SEND && dir != IPCX_RECV))
        return ipcx__fail(-EINVAL, "ipcx_pool_open: IPCX_SEND (submitter) or IPCX_RECV "
                                   "(worker)");
    int rc = ipcx__url_parse(url, &u);
    if (rc < 0)
        return rc;
    if (strcmp(u.scheme, "shm") != 0 && strcmp(u.scheme, "sysvshm") != 0)
        return ipcx__fail(-ENOTSUP, "a pool over %s: is not built: a queue forgets a job at "
                          "receive (a killed worker's job would vanish) and sockets need "
                          "a dispatcher; use shm:", u.scheme);
    if (strlen(url) >= sizeof ring)
        return ipcx__fail(-ENAMETOOLONG, "the URL is too long");
    strcpy(ring, url);
    /* Slots, each to exactly one receiver; whoever leaves last removes it. */
    static const char *const keys[][2] = { { "mode", "mpmc" }, { "unlink", "last" } };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (ipcx__url_get(&u, keys[i][0]))
            continue;
        size_t n = strlen(ring);
        int w = snprintf(ring + n, sizeof ring - n, "%s%s=%s", strchr(ring, '?') ? "&" : "?",
                         keys[i][0], keys[i][1]);
        if (w < 0 || (size_t) w >= sizeof ring - n)
            return ipcx__fail(-ENAMETOOLONG, "the URL is too long for the pool's keys");
    }
    ipcx_pool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    if ((rc = ipcx_open(&p->ch, ring, flags)) < 0) {
        free(p);
        return rc;
    }
    *pool = p;
    return 0;
}

IPCX_API int ipcx_pool_submit(ipcx_pool *p, const void *job, size_t len, int timeout_ms)
{
    if (!p)
        return -EINVAL;
    return ipcx_send(p->ch, job, len, 0, timeout_ms);
}

IPCX_API long ipcx_pool_take(ipcx_pool *p, void *buf, size_t cap, int timeout_ms)
{
    const void *msg;
    size_t n;
    if (!p || (!buf && cap))
        return -EINVAL;
    if (p->held)
        return ipcx__fail(-EBUSY, "the job taken before is not done (ipcx_pool_done)");
    int rc = ipcx_peek(p->ch, &msg, &n, timeout_ms);
    if (rc < 0)
        return rc;
    if (n > cap) /* it stays this worker's: a take with a larger buffer gets it */
        return ipcx__fail(-EMSGSIZE, "a job of %zu bytes does not fit in %zu", n, cap);
    if (n)
        memcpy(buf, msg, n);
    p->held = 1;
    return (long) n;
}

IPCX_API int ipcx_pool_done(ipcx_pool *p)
{
    if (!p || !p->held)
        return ipcx__fail(-EINVAL, "no job taken");
    p->held = 0;
    return ipcx_release(p->ch);
}

IPCX_API int ipcx_pool_close(ipcx_pool *p)
{
    if (!p)
        return 0;
    int rc = ipcx_close(p->ch);
    free(p);
    return rc;
}
