/*
 * reqrep_sp.c - ipcx_request / ipcx_serve / ipcx_reply (include/ipcx/
 * pattern.h) on the SP schemes (sp+tcp:, sp+unix:, proto=req0 and rep0):
 * nng's wire has no reply address, the backtrace is the route, so no reply
 * channel is made.  A served request's route (the connection it came on and
 * its backtrace, sp.h's struct ipcx__sp_route) travels in the caller's
 * ipcx_req as text in reply_to, "sp:PIPE/WORDS" (PIPE decimal, WORDS the
 * backtrace's 32-bit words in hex, the request id last), and its request id
 * in id; ipcx_reply reads it back and checks it as strictly as bytes from a
 * peer.  The engine is sp.c's; reqrep.c dispatches here.
 */
#include "reqrep_sp.h"
#include "../transport/sp.h"
#include "../transport/transport.h"
#include "../util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ipcx__pat_is_sp(const struct ipcx_chan *ch)
{
    return ipcx__sp_chan(ch);
}

/* The checks of the other schemes' calls: the right end, IPCX_NONBLOCK is timeout 0. */
static int sp_end(const struct ipcx_chan *ch, int flag, int *timeout_ms)
{
    if (!(ch->flags & flag))
        return ipcx__fail(-EBADF, flag == IPCX_SEND ? "requests are sent on a sending end"
                                                    : "requests are served on a receiving end");
    if (ch->flags & IPCX_NONBLOCK)
        *timeout_ms = 0;
    else if (*timeout_ms < 0)
        *timeout_ms = -1;
    return 0;
}

long ipcx__pat_sp_request(struct ipcx_chan *ch, const void *req, size_t len, void *reply,
                          size_t cap, int timeout_ms)
{
    int r;
    if ((!req && len) || (!reply && cap))
        return ipcx__fail(-EINVAL, "no message or reply buffer");
    if ((r = sp_end(ch, IPCX_SEND, &timeout_ms)) < 0)
        return r;
    return ipcx__sp_request(ch, req, len, reply, cap, timeout_ms);
}

/* The route as reply_to's text; the route is at most IPCX_SP_BT_MAX bytes, so it fits. */
static void sp_route_put(const struct ipcx__sp_route *rt, char *out, size_t cap)
{
    int at = snprintf(out, cap, "sp:%u/", (unsigned) rt->pipe);
    for (size_t i = 0; i < rt->len && at > 0 && (size_t) at < cap; i++)
        at += snprintf(out + at, cap - (size_t) at, "%02x", rt->bt[i]);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* reply_to's text back into a route: 0, or -EINVAL for anything sp_route_put never writes. */
static int sp_route_get(const char *in, struct ipcx__sp_route *rt)
{
    unsigned long pipe = 0;
    size_t i = 3, n = 0;
    if (strncmp(in, "sp:", 3) != 0)
        return -EINVAL;
    for (; in[i] >= '0' && in[i] <= '9'; i++) {
        pipe = pipe * 10 + (unsigned long) (in[i] - '0');
        if (pipe > UINT32_MAX)
            return -EINVAL;
    }
    if (i == 3 || in[i++] != '/')
        return -EINVAL;
    for (; in[i] && in[i + 1]; i += 2) {
        int hi = hexval(in[i]), lo = hexval(in[i + 1]);
        if (hi < 0 || lo < 0 || n == sizeof rt->bt)
            return -EINVAL;
        rt->bt[n++] = (uint8_t) (hi << 4 | lo);
    }
    if (in[i] || n == 0)
        return -EINVAL;
    rt->pipe = (uint32_t) pipe;
    rt->len = n;
    return 0; /* the words themselves are checked by ipcx__sp_reply */
}

long ipcx__pat_sp_serve(struct ipcx_chan *ch, void *buf, size_t cap, ipcx_req *req,
                        int timeout_ms)
{
    struct ipcx__sp_route rt;
    int r;
    if ((r = sp_end(ch, IPCX_RECV, &timeout_ms)) < 0)
        return r;
    long n = ipcx__sp_serve(ch, buf, cap, &rt, timeout_ms);
    if (n < 0)
        return n;
    memset(req, 0, sizeof *req);
    req->id = ipcx__sp_get32(rt.bt + rt.len - 4) & ~IPCX_SP_ID_BIT;
    sp_route_put(&rt, req->reply_to, sizeof req->reply_to);
    return n;
}

int ipcx__pat_sp_reply(struct ipcx_chan *ch, const ipcx_req *req, const void *reply,
                       size_t len, int timeout_ms)
{
    struct ipcx__sp_route rt;
    int r;
    if ((r = sp_end(ch, IPCX_RECV, &timeout_ms)) < 0)
        return r;
    if (req->sync || !memchr(req->reply_to, '\0', sizeof req->reply_to) ||
        sp_route_get(req->reply_to, &rt) < 0)
        return ipcx__fail(-EINVAL, "reply_to '%.40s' is not the route ipcx_serve gave "
                                   "(sp:PIPE/BACKTRACE)", req->reply_to);
    return ipcx__sp_reply(ch, &rt, reply, len, timeout_ms);
}
