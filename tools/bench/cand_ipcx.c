/*
 * cand_ipcx.c - the ipcx rows of `ipcx bench`: each link is two ipcx
 * channels, a request channel the child receives on and a reply channel
 * the parent receives on.  Anonymous schemes ("pipe:", "shm:?...") make
 * both as pairs before fork; named ones are opened by the receiving side
 * (the parent before fork, the child after), which tells the other its
 * address.  A URL given on the command line becomes a row of the same kind.
 */
#include "ipcx.h"
#include "ipcx/pattern.h"
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int ipcx_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    return ipcx_send(ep->a, b, n, 0, -1);
}

static long ipcx_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    return ipcx_recv(ep->b, b, cap, NULL, -1);
}

static void ipcx_ep_close(struct bench_ep *ep)
{
    ipcx_close(ep->a);
    ipcx_close(ep->b);
}

static const struct bench_ep_ops ipcx_ep_ops = { ipcx_ep_send, ipcx_ep_recv, ipcx_ep_close };

/*
 * A receiving side that takes its messages with ipcx_recvv, RV_BATCH at a
 * time, and hands them to the runner one by one (a copy of a few bytes:
 * what a program that batches its receives would do with them).
 */
#define RV_BATCH 64
#define BENCH_RV_CAP (65536 + 256) /* the large flood's messages and their header */

struct rv_side {
    ipcx_chan *ch;
    struct ipcx_msg m[RV_BATCH];
    unsigned char *bufs;
    size_t cap;
    long n, next;       /* messages in m, the next to hand out */
};

static long rv_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct rv_side *s = ep->b;
    if (s->next == s->n) {
        long r = ipcx_recvv(s->ch, s->m, RV_BATCH, -1);
        if (r < 0)
            return r;
        s->n = r;
        s->next = 0;
    }
    struct ipcx_msg *m = &s->m[s->next++];
    if (m->len > cap)
        return -EMSGSIZE;
    memcpy(b, m->buf, m->len);
    return (long) m->len;
}

static void rv_close(struct bench_ep *ep)
{
    struct rv_side *s = ep->b;
    ipcx_close(ep->a);
    if (s) {
        ipcx_close(s->ch);
        free(s->bufs);
        free(s);
    }
}

static const struct bench_ep_ops ipcx_rv_ops = { ipcx_ep_send, rv_recv, rv_close };

/* Make ep's receiving side batch (ep->b becomes an rv_side around the channel). */
static int rv_wrap(struct bench_ep *ep, size_t cap)
{
    struct rv_side *s = calloc(1, sizeof *s);
    if (!s || !(s->bufs = malloc(RV_BATCH * cap))) {
        free(s);
        return -ENOMEM;
    }
    s->ch = ep->b;
    s->cap = cap;
    for (int k = 0; k < RV_BATCH; k++)
        s->m[k] = (struct ipcx_msg) { .buf = s->bufs + (size_t) k * cap, .cap = cap };
    ep->b = s;
    ep->ops = &ipcx_rv_ops;
    return 0;
}

/*
 * What a sender opens: the receiver's address, and the template's
 * sigpipe= (a promise about the sender's own process, which no receiver's
 * address can carry: without it the fifo row's senders never had the key).
 */
static void ipcx_sender_url(char *out, size_t cap, const char *addr, const char *tmpl)
{
    const char *k = strstr(tmpl, "sigpipe=");
    if (k && (k[-1] == '?' || k[-1] == '&') && !strstr(addr, "sigpipe="))
        snprintf(out, cap, "%s%c%.*s", addr, strchr(addr, '?') ? '&' : '?',
                 (int) strcspn(k, "&"), k);
    else
        snprintf(out, cap, "%s", addr);
}

/* State of an ipcx link: the two pairs (anonymous) or the parent's receiver. */
struct ipcx_link {
    ipcx_chan *req[2], *rep[2]; /* pairs: [0] receives, [1] sends */
    char rep_addr[4200];
    int paired;
};

/*
 * A receiver's address names no maxmsg: where the template sets one, the
 * sender's URL gets the receiver's, so both ends take messages that large.
 */
static int addr_maxmsg(const struct bench_cand *c, ipcx_chan *rx, char *addr, size_t cap)
{
    size_t o = strlen(addr);
    if (!strstr(c->url, "maxmsg="))
        return 0;
    int n = snprintf(addr + o, cap - o, "%cmaxmsg=%ld", strchr(addr, '?') ? '&' : '?', ipcx_maxmsg(rx));
    return n > 0 && (size_t) n < cap - o ? 0 : -ENOSPC;
}

static int ipcx_prepare(struct bench_cand *c, void **state)
{
    struct ipcx_link *l = calloc(1, sizeof *l);
    char url[4200];
    int r;

    if (!l)
        return -ENOMEM;
    *state = l;
    bench_expand(url, sizeof url, c->url, "rep");
    /* "scheme:" or "scheme:?..." is an anonymous pair; anything else is named. */
    const char *rest = strchr(url, ':') ? strchr(url, ':') + 1 : "";
    r = *rest == '\0' || *rest == '?' ? ipcx_pair(url, l->rep) : -ENOTSUP;
    if (r == 0) {
        l->paired = 1;
        bench_expand(url, sizeof url, c->url, "req");
        return ipcx_pair(url, l->req);
    }
    if (r != -ENOTSUP)
        return r;
    /* A named scheme: the parent receives replies; the child makes the request channel. */
    r = ipcx_open(&l->rep[0], url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
    if (r < 0)
        return r;
    if (ipcx_addr(l->rep[0], l->rep_addr, sizeof l->rep_addr) < 0)
        return -ENOSPC;
    return addr_maxmsg(c, l->rep[0], l->rep_addr, sizeof l->rep_addr);
}

static int ipcx_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct ipcx_link *l = state;
    char url[4200], addr[4200];
    int r;

    ep->ops = &ipcx_ep_ops;
    if (l->paired) {
        ipcx_close(l->req[1]);
        ipcx_close(l->rep[0]);
        ep->a = l->rep[1];
        ep->b = l->req[0];
        return 0;
    }
    ipcx_close(l->rep[0]); /* our inherited copy: closing it leaves the parent's object alone */
    bench_expand(url, sizeof url, c->url, "req");
    r = ipcx_open((ipcx_chan **) &ep->b, url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
    if (r < 0)
        return r;
    if (ipcx_addr(ep->b, addr, sizeof addr) < 0 || addr_maxmsg(c, ep->b, addr, sizeof addr) < 0 ||
        bench_ctl_put(ctl, addr) < 0)
        return -EIO;
    ipcx_sender_url(url, sizeof url, l->rep_addr, c->url);
    return ipcx_open((ipcx_chan **) &ep->a, url, IPCX_SEND);
}

static int ipcx_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct ipcx_link *l = state;
    char addr[4200];
    (void) c;

    ep->ops = &ipcx_ep_ops;
    if (l->paired) {
        ipcx_close(l->req[0]);
        ipcx_close(l->rep[1]);
        ep->a = l->req[1];
        ep->b = l->rep[0];
        l->req[1] = l->rep[0] = NULL;
        return 0;
    }
    ep->b = l->rep[0];
    l->rep[0] = NULL;
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    char url[4200];
    ipcx_sender_url(url, sizeof url, addr, c->url);
    return ipcx_open((ipcx_chan **) &ep->a, url, IPCX_SEND);
}

/* The rows whose receiving sides batch with ipcx_recvv: the child's is the flood's. */
static int ipcx_rv_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    int r = ipcx_child(c, state, ctl, ep);
    return r < 0 ? r : rv_wrap(ep, (size_t) ipcx_maxmsg(ep->b) < BENCH_RV_CAP
                                       ? (size_t) ipcx_maxmsg(ep->b) : BENCH_RV_CAP);
}

static int ipcx_rv_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    int r = ipcx_parent(c, state, ctl, ep);
    return r < 0 ? r : rv_wrap(ep, BENCH_RV_CAP);
}

/* ---- request/reply rows: ipcx_request in the parent, ipcx_serve/ipcx_reply in the child ---- */

#define RR_PREFIX "reqrep:" /* see IPCX_RRCAND */

/* One side of a request/reply link (ep->a). */
struct rr_side {
    ipcx_chan *ch;
    const void *stash;  /* parent: the request whose reply the next recv waits for */
    size_t stash_len;
    ipcx_req req;       /* child: the request the next send answers */
    int pending;
};

static int rr_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct rr_side *s = ep->a;
    if (s->pending) /* the child: the answer to what it received */
        return s->pending = 0, ipcx_reply(s->ch, &s->req, b, n, -1);
    if (!bench_msg_answered(b, n)) {
        char ack[8];
        long r = ipcx_request(s->ch, b, n, ack, sizeof ack, -1);
        return r < 0 ? (int) r : 0;
    }
    s->stash = b;       /* the runner keeps it until its recv */
    s->stash_len = n;
    return 0;
}

static long rr_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct rr_side *s = ep->a;
    if (s->stash) {
        const void *q = s->stash;
        s->stash = NULL;
        return ipcx_request(s->ch, q, s->stash_len, b, cap, -1);
    }
    long n = ipcx_serve(s->ch, b, cap, &s->req, -1);
    if (n >= 0 && !bench_msg_answered(b, (size_t) n)) {
        int r = ipcx_reply(s->ch, &s->req, NULL, 0, -1);
        if (r < 0)
            return r;
    } else if (n >= 0)
        s->pending = 1;
    return n;
}

static void rr_close(struct bench_ep *ep)
{
    struct rr_side *s = ep->a;
    ipcx_close(s->ch);
    free(s);
}

static const struct bench_ep_ops rr_ops = { rr_send, rr_recv, rr_close };

static int rr_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct rr_side *s = calloc(1, sizeof *s);
    char url[4200];
    int r;
    (void) state;
    if (!s)
        return -ENOMEM;
    ep->ops = &rr_ops;
    ep->a = s;
    bench_expand(url, sizeof url, c->url + strlen(RR_PREFIX), "rr");
    if ((r = ipcx_open(&s->ch, url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL)) < 0)
        return r;
    if (ipcx_addr(s->ch, url, sizeof url) < 0 || bench_ctl_put(ctl, url) < 0)
        return -EIO;
    return 0;
}

static int rr_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    struct rr_side *s = calloc(1, sizeof *s);
    char addr[4200];
    (void) c;
    (void) state;
    if (!s)
        return -ENOMEM;
    ep->ops = &rr_ops;
    ep->a = s;
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    return ipcx_open(&s->ch, addr, IPCX_SEND);
}

/*
 * Requests of at most 4 KiB: the large flood is left out.  The template
 * starts "reqrep:" so that `ipcx bench unix` (the transport rows) leaves
 * these out and `ipcx bench reqrep` picks them; rr_child drops the prefix.
 */
#define IPCX_RRCAND(label, tmpl) \
    { label, "ipcx", "reqrep", RR_PREFIX tmpl, NULL, rr_child, rr_parent, NULL, 4096 }

/*
 * req0/rep0 over sp+tcp: one duplex channel a side.  The child's rep0
 * listens (port 0) and tells its address; the parent's req0 dials it.
 */
static void ipcx_duplex_close(struct bench_ep *ep)
{
    ipcx_close(ep->a);
}

static const struct bench_ep_ops ipcx_duplex_ops = { ipcx_ep_send, ipcx_ep_recv,
                                                     ipcx_duplex_close };

static int ipcx_rr_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    char addr[4200];
    ipcx_chan *ch;
    (void) state;
    ep->ops = &ipcx_duplex_ops;
    int r = ipcx_open(&ch, c->url, IPCX_SEND | IPCX_RECV);
    if (r < 0)
        return r;
    ep->a = ep->b = ch;
    if (ipcx_addr(ch, addr, sizeof addr) < 0 || bench_ctl_put(ctl, addr) < 0)
        return -EIO;
    return 0;
}

static int ipcx_rr_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    char addr[4200], *q;
    ipcx_chan *ch;
    (void) c;
    (void) state;
    ep->ops = &ipcx_duplex_ops;
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0 || !(q = strstr(addr, "?proto=rep0")))
        return -EIO;
    memcpy(q, "?proto=req0", 11);
    int r = ipcx_open(&ch, addr, IPCX_SEND | IPCX_RECV);
    if (r < 0)
        return r;
    ep->a = ep->b = ch;
    return 0;
}

/*
 * Batched rows: the same links, but a side's sends wait in a batch of its
 * own (copied, as an application would gather them) that goes with one
 * ipcx_sendv of BATCH_MSGS messages, or before the side waits to receive
 * (so a round trip's ping is never held back).  Corked rows leave the
 * gathering to the library: IPCX_MORE on every send, ipcx_flush before a
 * receive (the cork= bound, 64 KiB by default, flushes on the way).
 */
#define BATCH_MSGS  64
#define BATCH_BYTES (256 * 1024)

struct batch_side {
    ipcx_chan *ch;
    size_t n, used;
    struct ipcx_msg v[BATCH_MSGS];
    unsigned char buf[BATCH_BYTES];
};

static int batch_flush(struct batch_side *s)
{
    long want = (long) s->n, r = s->n ? ipcx_sendv(s->ch, s->v, s->n, -1) : 0;
    s->n = s->used = 0;
    return r == want ? 0 : r < 0 ? (int) r : -EIO;
}

static int batch_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct batch_side *s = ep->a;
    int r = 0;
    if (n > BATCH_BYTES - s->used && (r = batch_flush(s)) < 0)
        return r;
    if (n > BATCH_BYTES)
        return ipcx_send(s->ch, b, n, 0, -1);
    memcpy(s->buf + s->used, b, n);
    s->v[s->n++] = (struct ipcx_msg) { .data = s->buf + s->used, .len = n };
    s->used += n;
    return s->n == BATCH_MSGS ? batch_flush(s) : 0;
}

static long batch_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    int r = batch_flush(ep->a);
    return r < 0 ? r : ipcx_recv(ep->b, b, cap, NULL, -1);
}

static void batch_ep_close(struct bench_ep *ep)
{
    struct batch_side *s = ep->a;
    (void) batch_flush(s);
    ipcx_close(s->ch);
    free(s);
    ipcx_close(ep->b);
}

static const struct bench_ep_ops batch_ep_ops = { batch_ep_send, batch_ep_recv, batch_ep_close };

/* Put a batch in front of the send channel of a link that ipcx_child/ipcx_parent made. */
static int batch_wrap(int r, struct bench_ep *ep)
{
    struct batch_side *s = r < 0 ? NULL : calloc(1, sizeof *s);
    if (r < 0)
        return r;
    if (!s)
        return -ENOMEM;
    s->ch = ep->a;
    ep->a = s;
    ep->ops = &batch_ep_ops;
    return 0;
}

static int batch_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    return batch_wrap(ipcx_child(c, state, ctl, ep), ep);
}

static int batch_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    return batch_wrap(ipcx_parent(c, state, ctl, ep), ep);
}

static int cork_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    return ipcx_send(ep->a, b, n, IPCX_MORE, -1);
}

static long cork_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    int r = ipcx_flush(ep->a, -1);
    return r < 0 ? r : ipcx_recv(ep->b, b, cap, NULL, -1);
}

static const struct bench_ep_ops cork_ep_ops = { cork_ep_send, cork_ep_recv, ipcx_ep_close };

static int cork_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    int r = ipcx_child(c, state, ctl, ep);
    ep->ops = &cork_ep_ops;
    return r;
}

static int cork_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    int r = ipcx_parent(c, state, ctl, ep);
    ep->ops = &cork_ep_ops;
    return r;
}

#define IPCX_BATCHED(label, grp, tmpl) \
    { label, "ipcx", grp, tmpl, ipcx_prepare, batch_child, batch_parent, NULL, 0 }
#define IPCX_CORKED(label, grp, tmpl) \
    { label, "ipcx", grp, tmpl, ipcx_prepare, cork_child, cork_parent, NULL, 0 }

#define IPCX_CAND(label, grp, tmpl) \
    { label, "ipcx", grp, tmpl, ipcx_prepare, ipcx_child, ipcx_parent, NULL, 0 }
/* Receives batched with ipcx_recvv (the sends stay one per message). */
#define IPCX_RVCAND(label, grp, tmpl) \
    { label, "ipcx", grp, tmpl, ipcx_prepare, ipcx_rv_child, ipcx_rv_parent, NULL, 0 }
/* The kernel queues carry at most their default message size. */
#define IPCX_QCAND(label, grp, tmpl) \
    { label, "ipcx", grp, tmpl, ipcx_prepare, ipcx_child, ipcx_parent, NULL, BENCH_QUEUE_MSGSIZE }

const struct bench_cand bench_ipcx_rows[] = {
    IPCX_CAND("ipcx pipe", "pipe", "pipe:"),
    /* bench ignores SIGPIPE, so the sender may say so (sigpipe=ignored: no mask dance). */
    IPCX_CAND("ipcx pipe, sigpipe=ignored", "pipe", "pipe:?sigpipe=ignored"),
    IPCX_CAND("ipcx fifo", "pipe", "fifo:/tmp/ipcx-b-%p-%n"),
    IPCX_CAND("ipcx fifo, sigpipe=ignored", "pipe", "fifo:/tmp/ipcx-b-%p-%n?sigpipe=ignored"),
    IPCX_RVCAND("ipcx pipe, sigpipe=ignored, recvv", "pipe", "pipe:?sigpipe=ignored"),
    IPCX_BATCHED("ipcx pipe, batched", "pipe", "pipe:"),
    IPCX_CAND("ipcx unix", "unix", "unix:/tmp/ipcx-b-%p-%n.sock"),
    IPCX_RVCAND("ipcx unix, recvv", "unix", "unix:/tmp/ipcx-b-%p-%n.sock"),
    IPCX_BATCHED("ipcx unix, batched", "unix", "unix:/tmp/ipcx-b-%p-%n.sock"),
    IPCX_CORKED("ipcx unix, corked", "unix", "unix:/tmp/ipcx-b-%p-%n.sock"),
    IPCX_CAND("ipcx unix seqpacket", "seqpacket", "unix:/tmp/ipcx-b-%p-%n.sock?type=seqpacket"),
    IPCX_CAND("ipcx unix dgram", "dgram", "unix:/tmp/ipcx-b-%p-%n.sock?type=dgram"),
    IPCX_CAND("ipcx tcp", "tcp", "tcp://127.0.0.1:0"),
    IPCX_BATCHED("ipcx tcp, batched", "tcp", "tcp://127.0.0.1:0"),
    IPCX_QCAND("ipcx mq", "mq", "mq:/ipcx-b-%p-%n"),
    IPCX_QCAND("ipcx sysvmq", "sysvmq", "sysvmq:%k"),
    IPCX_CAND("ipcx shm spsc", "shm", "shm:/ipcx-b-%p-%n?mode=spsc"),
    IPCX_CAND("ipcx shm spsc, spinning", "shm", "shm:/ipcx-b-%p-%n?mode=spsc&spin=1000000"),
    IPCX_CAND("ipcx shm mpmc", "shm", "shm:/ipcx-b-%p-%n?mode=mpmc"),
    IPCX_CAND("ipcx shm spsc (pair)", "shm", "shm:?mode=spsc"),
    IPCX_RRCAND("ipcx req/rep unix", "unix:@ipcx-b-%p-%n"),
    IPCX_RRCAND("ipcx req/rep shm", "shm:/ipcx-b-%p-%n?mode=mpsc"),
    /* nng's wire format, against libnng's own rows (cand_peer.c). */
    IPCX_CAND("ipcx sp+tcp push0/pull0", "sp", "sp+tcp://127.0.0.1:0?proto=push0"),
    { "ipcx sp+tcp req0/rep0", "ipcx", "sp", "sp+tcp://127.0.0.1:0?proto=rep0", NULL,
      ipcx_rr_child, ipcx_rr_parent, NULL, 0 },
};
const size_t bench_ipcx_nrows = sizeof bench_ipcx_rows / sizeof bench_ipcx_rows[0];

struct bench_cand bench_url_cand(const char *url)
{
    return (struct bench_cand) IPCX_CAND(url, "url", url);
}

/* ---- zero copy: the same link, messages built in ipcx_loan's buffer and read in place ---- */

static int loan_ep_loan(struct bench_ep *ep, size_t len, void **buf)
{
    return ipcx_loan(ep->a, len, buf);
}

static int loan_ep_commit(struct bench_ep *ep, void *buf, size_t len)
{
    return ipcx_commit(ep->a, buf, len, 0);
}

static long loan_ep_peek(struct bench_ep *ep, const void **msg)
{
    size_t len;
    int r = ipcx_peek(ep->b, msg, &len, -1);
    return r < 0 ? r : (long) len;
}

static void loan_ep_release(struct bench_ep *ep)
{
    (void) ipcx_release(ep->b);
}

static const struct bench_ep_ops loan_ep_ops = { ipcx_ep_send, ipcx_ep_recv, ipcx_ep_close,
                                                 loan_ep_loan, loan_ep_commit, loan_ep_peek,
                                                 loan_ep_release };

static int loan_child(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    int r = ipcx_child(c, state, ctl, ep);
    ep->ops = &loan_ep_ops;
    return r;
}

static int loan_parent(struct bench_cand *c, void *state, int ctl, struct bench_ep *ep)
{
    int r = ipcx_parent(c, state, ctl, ep);
    ep->ops = &loan_ep_ops;
    return r;
}

struct bench_cand bench_loan_cand(const char *url)
{
    return (struct bench_cand) { url, "ipcx", "url", url, ipcx_prepare, loan_child, loan_parent,
                                 NULL, 0 };
}
