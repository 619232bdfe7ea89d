/*
 * chan.c - the public channel API: parse the URL, find the transport, check
 * every query key and the common ones, then dispatch to the ops table.
 * Argument checks that are the same for every transport live here once.
 */
#include "ipcx.h"
#include "util/err.h"
#include "admin/reg.h"
#include "util/url.h"
#include "transport/transport.h"
#include "sys/proc.h"
#include "pattern/pattern_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -EPROTONOSUPPORT, the detail naming the schemes there are (registry.c). */
static int chan_unknown_scheme(const char *scheme)
{
    char known[256] = "";
    size_t o = 0;
    for (size_t i = 0; ipcx__transports[i] && o < sizeof known; i++)
        o += (size_t) snprintf(known + o, sizeof known - o, " %s:", ipcx__transports[i]->scheme);
    return ipcx__fail(-EPROTONOSUPPORT, "unknown scheme '%s:'; the schemes are%s", scheme, known);
}

static int chan_prepare(struct ipcx_chan *ch, struct ipcx_url *u, const char *url,
                        int flags)
{
    char keys[256];
    int r;

    if ((r = ipcx__url_parse(url, u)) < 0)
        return r;
    ch->pid = ipcx__self_pid();
    ch->tp = ipcx__transport_find(u->scheme);
    if (!ch->tp)
        return chan_unknown_scheme(u->scheme);
    snprintf(keys, sizeof keys, "%s %s", IPCX_COMMON_KEYS, ch->tp->keys);
    if ((r = ipcx__url_check_keys(u, keys)) < 0)
        return r;
    if ((r = ipcx__url_size(u, "maxmsg", ch->tp->maxmsg_default, 0,
                            ch->tp->maxmsg_limit, &ch->maxmsg)) < 0)
        return r;
    if ((r = ipcx__url_mode(u, ch->tp->perm_key ? ch->tp->perm_key : "mode", 0600,
                            &ch->mode)) < 0)
        return r;
    /* batched sends: the bound of the IPCX_MORE queue (batch.c) */
    if ((r = ipcx__url_size(u, "cork", IPCX_CORK_DEFAULT, 0, IPCX_CORK_LIMIT,
                            &ch->cork_max)) < 0)
        return r;
    /* Only the transports of named objects list "allow" in their keys. */
    if ((r = ipcx__url_allow(u, "allow", &ch->allow)) < 0)
        return r;
    ch->flags = flags;
    return 0;
}

/*
 * Named objects: note this process as a user, for ipcx ls and gc (reg.h),
 * from what the transport reports: the address, and whether this end made
 * the object (every named transport says; see transport.h).
 */
static void chan_register(struct ipcx_chan *ch)
{
    char url[IPCX_REG_OBJ_MAX];
    if (!(ch->tp->caps & IPCX_CAP_NAMED) || !ch->tp->addr ||
        ch->tp->addr(ch, url, sizeof url) < 0)
        return;
    ch->reg = ipcx__reg_add(url, (ch->flags & IPCX_RECV) != 0, ch->created > 0);
}

int ipcx__chan_adopt(const struct ipcx_chan *ch, const char *url)
{
    char obj[IPCX_REG_OBJ_MAX];
    if (!(ch->tp->caps & IPCX_CAP_NAMED) || !(ch->flags & IPCX_RECV) ||
        !(ch->flags & IPCX_CREATE) || ipcx__reg_object(url, obj, sizeof obj) < 0)
        return 0;
    return ipcx__reg_adopt(obj);
}

IPCX_API int ipcx_open(ipcx_chan **out, const char *url, int flags)
{
    const int known = IPCX_SEND | IPCX_RECV | IPCX_CREATE | IPCX_EXCL | IPCX_NONBLOCK;
    struct ipcx_url *u;
    struct ipcx_chan *ch;
    int r;

    ipcx__clear_detail();
    if (!out)
        return ipcx__fail(-EINVAL, "no place for the channel");
    if ((flags & ~known) || !(flags & (IPCX_SEND | IPCX_RECV)) ||
        ((flags & IPCX_EXCL) && !(flags & IPCX_CREATE)))
        return ipcx__fail(-EINVAL, "flags: exactly one of IPCX_SEND and IPCX_RECV; "
                                   "IPCX_EXCL only with IPCX_CREATE");
    u = malloc(sizeof *u);
    ch = calloc(1, sizeof *ch);
    if (!u || !ch) {
        r = -ENOMEM;
        goto fail;
    }
    if ((r = chan_prepare(ch, u, url, flags)) < 0)
        goto fail;
    if ((flags & IPCX_SEND) && (flags & IPCX_RECV) && !(ch->tp->caps & IPCX_CAP_DUPLEX)) {
        r = ipcx__fail(-EINVAL, "flags: exactly one of IPCX_SEND and IPCX_RECV "
                                "(both only where %s: has IPCX_CAP_DUPLEX)", u->scheme);
        goto fail;
    }
    if (!ch->tp->open) {
        r = ipcx__fail(-ENOTSUP, "%s: cannot be opened by name", u->scheme);
        goto fail;
    }
    ch->created = -1; /* unknown unless the transport says */
    r = ch->tp->open(ch, u);
    if (r < 0) {
        (void) ch->tp->close(ch); /* the open's error is the one to report */
        goto fail;
    }
    chan_register(ch);
    free(u);
    *out = ch;
    return 0;
fail:
    free(u);
    free(ch);
    return r;
}

IPCX_API int ipcx_pair(const char *url, ipcx_chan *ends[2])
{
    struct ipcx_url *u = NULL;
    struct ipcx_chan *rx = NULL, *tx = NULL;
    int r;

    ipcx__clear_detail();
    if (!ends)
        return ipcx__fail(-EINVAL, "no place for the pair");
    u = malloc(sizeof *u);
    rx = calloc(1, sizeof *rx);
    tx = calloc(1, sizeof *tx);
    if (!u || !rx || !tx) {
        r = -ENOMEM;
        goto fail;
    }
    if ((r = chan_prepare(rx, u, url, IPCX_RECV)) < 0)
        goto fail;
    *tx = *rx;
    tx->flags = IPCX_SEND;
    if (!rx->tp->pair) {
        r = ipcx__fail(-ENOTSUP, "%s: has no anonymous pairs", u->scheme);
        goto fail;
    }
    r = rx->tp->pair(rx, tx, u);
    if (r < 0) {
        (void) rx->tp->close(rx);
        (void) rx->tp->close(tx);
        goto fail;
    }
    free(u);
    ends[0] = rx;
    ends[1] = tx;
    return 0;
fail:
    free(u);
    free(rx);
    free(tx);
    return r;
}

IPCX_API int ipcx_pipe(ipcx_chan *ends[2])
{
    return ipcx_pair("pipe:", ends);
}

/* NONBLOCK turns every wait into a poll. */
static int chan_timeout(const struct ipcx_chan *ch, int timeout_ms)
{
    if (ch->flags & IPCX_NONBLOCK)
        return 0;
    return timeout_ms < 0 ? -1 : timeout_ms;
}

IPCX_API int ipcx_send(ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                       int timeout_ms)
{
    ipcx__clear_detail();
    if (!ch || (!msg && len))
        return ipcx__fail(-EINVAL, "no channel or no message");
    if (!(ch->flags & IPCX_SEND))
        return ipcx__fail(-EBADF, "this end was opened for receiving");
    if (len > ch->maxmsg)
        return ipcx__fail(-EMSGSIZE, "%zu bytes is more than maxmsg=%zu", len, ch->maxmsg);
    if ((prio & IPCX_MORE) || ch->cork) /* batched sends: queue it, or send the queue first */
        return ipcx__cork_send(ch, msg, len, prio, chan_timeout(ch, timeout_ms));
    return ch->tp->send(ch, msg, len, prio, chan_timeout(ch, timeout_ms));
}

/* ---- batched sends (batch.c: the queue, the loop, the per-message checks) ---- */

IPCX_API long ipcx_sendv(ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms)
{
    ipcx__clear_detail();
    if (!ch || (!msgs && n))
        return ipcx__fail(-EINVAL, "no channel or no messages");
    if (!(ch->flags & IPCX_SEND))
        return ipcx__fail(-EBADF, "this end was opened for receiving");
    if (n > (size_t) LONG_MAX)
        return ipcx__fail(-EINVAL, "%zu messages in one batch", n);
    return ipcx__batch_send(ch, msgs, n, chan_timeout(ch, timeout_ms));
}

IPCX_API int ipcx_flush(ipcx_chan *ch, int timeout_ms)
{
    ipcx__clear_detail();
    if (!ch)
        return ipcx__fail(-EINVAL, "no channel");
    if (!(ch->flags & IPCX_SEND))
        return ipcx__fail(-EBADF, "this end was opened for receiving");
    return ipcx__cork_flush(ch, chan_timeout(ch, timeout_ms));
}

/* ---- end of batched sends ---- */

static int chan_rxerr(struct ipcx_chan *ch); /* ipcx_recvv, below */

IPCX_API long ipcx_recv(ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                        int timeout_ms)
{
    ipcx__clear_detail();
    if (!ch || (!buf && cap))
        return ipcx__fail(-EINVAL, "no channel or no buffer");
    if (!(ch->flags & IPCX_RECV))
        return ipcx__fail(-EBADF, "this end was opened for sending");
    if (ch->rxerr)
        return chan_rxerr(ch);
    return ch->tp->recv(ch, buf, cap, prio, chan_timeout(ch, timeout_ms));
}

/* ---- ipcx_recvv ---------------------------------------------------------- */

/* The error that ended the last batch after its first message, once. */
static int chan_rxerr(struct ipcx_chan *ch)
{
    int e = ch->rxerr;
    ch->rxerr = 0;
    return ipcx__fail(e, "the error that ended the last ipcx_recvv batch");
}

/*
 * A batch where the transport has no .recvv: one receive per message, the
 * first with the caller's timeout, the rest with none.  A transport gives
 * no later receive the error it returned, so the one that ends the batch
 * after its first message is kept for the next call (transport.h).
 */
static long chan_recv_loop(struct ipcx_chan *ch, struct ipcx_msg *m, size_t n, int timeout_ms)
{
    size_t k;
    for (k = 0; k < n; k++) {
        long r = ch->tp->recv(ch, m[k].buf, m[k].cap, &m[k].prio, k ? 0 : timeout_ms);
        if (r >= 0) {
            m[k].len = (size_t) r;
            m[k].result = 0;
            continue;
        }
        if (k == 0)
            return r;
        ipcx__chan_keep_rxerr(ch, r);
        break;
    }
    return (long) k;
}

IPCX_API long ipcx_recvv(ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms)
{
    ipcx__clear_detail();
    if (!ch || !msgs || n == 0)
        return ipcx__fail(-EINVAL, "no channel or no messages");
    if (!(ch->flags & IPCX_RECV))
        return ipcx__fail(-EBADF, "this end was opened for sending");
    for (size_t k = 0; k < n; k++)
        if (!msgs[k].buf && msgs[k].cap)
            return ipcx__fail(-EINVAL, "msgs[%zu] has no buffer", k);
    if (ch->rxerr)
        return chan_rxerr(ch);
    timeout_ms = chan_timeout(ch, timeout_ms);
    return ch->tp->recvv ? ch->tp->recvv(ch, msgs, n, timeout_ms)
                         : chan_recv_loop(ch, msgs, n, timeout_ms);
}

/* ---- end of ipcx_recvv --------------------------------------------------- */

IPCX_API int ipcx_fd(ipcx_chan *ch)
{
    ipcx__clear_detail();
    if (!ch)
        return -EINVAL;
    return ch->tp->fd ? ch->tp->fd(ch) : -ENOTSUP;
}

IPCX_API int ipcx_close(ipcx_chan *ch)
{
    if (!ch)
        return 0;
    int q = ipcx__cork_close(ch); /* batched sends: what IPCX_MORE queued, within 2 s */
    int p = ipcx__pat_free(ch); /* the reply channel of a requester goes first */
    int r = ch->tp->close(ch);
    ipcx__reg_del(ch->reg);
    if (r == 0)
        r = p;
    if (r == 0)
        r = q;
    free(ch);
    return r;
}

IPCX_API int ipcx_unlink(const char *url)
{
    struct ipcx_chan ch = { 0 };
    struct ipcx_url *u = malloc(sizeof *u);
    int r;

    ipcx__clear_detail();
    if (!u)
        return -ENOMEM;
    r = chan_prepare(&ch, u, url, IPCX_RECV);
    if (r == 0)
        r = ch.tp->unlink ? ch.tp->unlink(u)
                          : ipcx__fail(-ENOTSUP, "%s: has nothing to remove", u->scheme);
    free(u);
    return r;
}

IPCX_API long ipcx_maxmsg(const ipcx_chan *ch)
{
    return ch ? (long) ch->maxmsg : -EINVAL;
}

IPCX_API unsigned ipcx_caps(const ipcx_chan *ch)
{
    return ch ? ch->tp->caps : 0;
}

IPCX_API long long ipcx_lost(const ipcx_chan *ch)
{
    if (!ch)
        return -EINVAL;
    return ch->tp->lost ? ch->tp->lost(ch) : 0;
}

IPCX_API int ipcx_created(const ipcx_chan *ch)
{
    if (!ch)
        return -EINVAL;
    if (!(ch->tp->caps & IPCX_CAP_NAMED))
        return -ENOTSUP;
    return ch->created > 0 && ch->pid == ipcx__self_pid();
}

IPCX_API int ipcx_keep(ipcx_chan *ch)
{
    if (!ch)
        return -EINVAL;
    ch->keep = 1;
    return 0;
}

IPCX_API long ipcx_pending(const ipcx_chan *ch)
{
    ipcx__clear_detail();
    if (!ch)
        return -EINVAL;
    return ch->tp->pending ? ch->tp->pending(ch) : -ENOTSUP;
}

IPCX_API int ipcx_addr(const ipcx_chan *ch, char *buf, size_t cap)
{
    if (!ch || !buf)
        return -EINVAL;
    return ch->tp->addr ? ch->tp->addr(ch, buf, cap) : -ENOTSUP;
}

IPCX_API int ipcx_loan(ipcx_chan *ch, size_t len, void **buf)
{
    ipcx__clear_detail();
    if (!ch || !buf || !(ch->flags & IPCX_SEND))
        return -EINVAL;
    if (len > ch->maxmsg)
        return ipcx__fail(-EMSGSIZE, "%zu bytes is more than maxmsg=%zu", len, ch->maxmsg);
    if (!ch->tp->loan)
        return -ENOTSUP;
    /* batched sends: a loaned message must not overtake what IPCX_MORE queued */
    int r = ipcx__corked(ch) ? ipcx__cork_flush(ch, 0) : 0;
    return r < 0 ? r : ch->tp->loan(ch, len, buf);
}

IPCX_API int ipcx_commit(ipcx_chan *ch, void *buf, size_t len, unsigned prio)
{
    ipcx__clear_detail();
    if (!ch || !(ch->flags & IPCX_SEND))
        return -EINVAL;
    return ch->tp->commit ? ch->tp->commit(ch, buf, len, prio) : -ENOTSUP;
}

IPCX_API int ipcx_peek(ipcx_chan *ch, const void **msg, size_t *len, int timeout_ms)
{
    ipcx__clear_detail();
    if (!ch || !msg || !len || !(ch->flags & IPCX_RECV))
        return -EINVAL;
    if (ch->rxerr)
        return chan_rxerr(ch);
    return ch->tp->peek ? ch->tp->peek(ch, msg, len, chan_timeout(ch, timeout_ms)) : -ENOTSUP;
}

IPCX_API int ipcx_release(ipcx_chan *ch)
{
    ipcx__clear_detail();
    if (!ch || !(ch->flags & IPCX_RECV))
        return -EINVAL;
    return ch->tp->release ? ch->tp->release(ch) : -ENOTSUP;
}
