/*
 * cand_peer.c - the libraries a user would pick instead of ipcx, as rows
 * of `ipcx bench`: ZeroMQ PAIR and nng pair0, each over ipc:// and tcp://,
 * for request/reply (group "reqrep") ZeroMQ REQ/REP and nng req0/rep0
 * over ipc://, and nng push0/pull0 and req0/rep0 over tcp:// (group "sp",
 * against ipcx's sp+tcp rows).
 * Compiled in when their -dev packages were found at configure time
 * (IPCX_HAVE_ZMQ, IPCX_HAVE_NNG), but never linked: the command opens them
 * with dlopen() by their soname (IPCX_ZMQ_SONAME, IPCX_NNG_SONAME, read
 * from the libraries at configure time) only when bench lists its rows, so
 * `ipcx send`, `recv` and the rest run on a machine without them.  A
 * library that cannot be opened now leaves its rows out and says why.
 * The loading is peer_dl.h's.  iceoryx, the shared-memory peer, is
 * cand_iox.c (it needs a daemon of its own); its rows join at the end.
 *
 * The child binds, the parent connects; the child tells the parent the
 * endpoint over the control pipe (tcp ports are picked by the kernel).
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(IPCX_HAVE_ZMQ) || defined(IPCX_HAVE_NNG)
#include "peer_dl.h"

#include <stdlib.h>
#endif

#ifdef IPCX_HAVE_ZMQ
#include "peer_zmq.h"

struct bench_zmq_lib zmq_lib;

/* The library stays open for good. */
int bench_zmq_load(char *why, size_t cap)
{
    __typeof__(zmq_lib) *lib = &zmq_lib;
    void *h = peer_open(IPCX_ZMQ_SONAME, why, cap);
    if (!h)
        return -ENOENT;
    ZMQ_FUNCS(PEER_SYM)
    return 0;
}

struct zmq_link {
    void *ctx, *sock;
    int type;             /* ZMQ_PAIR, ZMQ_REQ or ZMQ_REP */
    char endpoint[256];
};

static int zmqb_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct zmq_link *l = ep->a;
    while (zmq_lib.zmq_send(l->sock, b, n, 0) < 0)
        if (zmq_lib.zmq_errno() != EINTR)
            return -zmq_lib.zmq_errno();
    return 0;
}

static long zmqb_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct zmq_link *l = ep->a;
    int r;
    while ((r = zmq_lib.zmq_recv(l->sock, b, cap, 0)) < 0)
        if (zmq_lib.zmq_errno() != EINTR)
            return -zmq_lib.zmq_errno();
    return (size_t) r > cap ? -EMSGSIZE : r;
}

static void zmqb_ep_close(struct bench_ep *ep)
{
    struct zmq_link *l = ep->a;
    int linger = 1000; /* deliver what is queued, but never block close for long */
    zmq_lib.zmq_setsockopt(l->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_lib.zmq_close(l->sock);
    zmq_lib.zmq_ctx_term(l->ctx);
    if (strncmp(l->endpoint, "ipc://", 6) == 0)
        unlink(l->endpoint + 6);
    free(l);
}

static const struct bench_ep_ops zmq_ops = { zmqb_ep_send, zmqb_ep_recv, zmqb_ep_close };

/* REQ/REP: a message the runner does not answer is acknowledged empty (bench_msg_answered). */
static int zmqrr_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct zmq_link *l = ep->a;
    char ack[8];
    int r = zmqb_ep_send(ep, b, n);
    if (r == 0 && l->type == ZMQ_REQ && !bench_msg_answered(b, n)) {
        long k = zmqb_ep_recv(ep, ack, sizeof ack);
        r = k < 0 ? (int) k : 0;
    }
    return r;
}

static long zmqrr_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct zmq_link *l = ep->a;
    long n = zmqb_ep_recv(ep, b, cap);
    if (n >= 0 && l->type == ZMQ_REP && !bench_msg_answered(b, (size_t) n)) {
        int r = zmqb_ep_send(ep, "", 0);
        if (r < 0)
            return r;
    }
    return n;
}

static const struct bench_ep_ops zmqrr_ops = { zmqrr_ep_send, zmqrr_ep_recv, zmqb_ep_close };

static int zmqb_side(struct bench_cand *c, int ctl, struct bench_ep *ep, int bind, int type)
{
    struct zmq_link *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->ctx = zmq_lib.zmq_ctx_new();
    l->sock = zmq_lib.zmq_socket(l->ctx, type);
    l->type = type;
    ep->ops = type == ZMQ_PAIR ? &zmq_ops : &zmqrr_ops;
    ep->a = l;
    if (bind) {
        size_t len = sizeof l->endpoint;
        bench_expand(l->endpoint, sizeof l->endpoint, c->url, "zmq");
        if (zmq_lib.zmq_bind(l->sock, l->endpoint) < 0 ||
            zmq_lib.zmq_getsockopt(l->sock, ZMQ_LAST_ENDPOINT, l->endpoint, &len) < 0)
            return -zmq_lib.zmq_errno();
        return bench_ctl_put(ctl, l->endpoint);
    }
    char addr[256];
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    return zmq_lib.zmq_connect(l->sock, addr) < 0 ? -zmq_lib.zmq_errno() : 0;
}

static int zmqb_child(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return zmqb_side(c, ctl, ep, 1, ZMQ_PAIR);
}

static int zmqb_parent(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return zmqb_side(c, ctl, ep, 0, ZMQ_PAIR);
}

static int zmqrr_child(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return zmqb_side(c, ctl, ep, 1, ZMQ_REP);
}

static int zmqrr_parent(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return zmqb_side(c, ctl, ep, 0, ZMQ_REQ);
}

#endif

#ifdef IPCX_HAVE_NNG
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#define NNG_FUNCS(X) X(nng_pair0_open) X(nng_close) X(nng_listen) X(nng_listener_get_int) \
    X(nng_dial) X(nng_send) X(nng_recv) X(nng_req0_open) X(nng_rep0_open) \
    X(nng_push0_open) X(nng_pull0_open)
static struct { NNG_FUNCS(PEER_FN) } nng_lib;

/* As bench_zmq_load. */
static int nng_load(char *why, size_t cap)
{
    __typeof__(nng_lib) *lib = &nng_lib;
    void *h = peer_open(IPCX_NNG_SONAME, why, cap);
    if (!h)
        return -ENOENT;
    NNG_FUNCS(PEER_SYM)
    return 0;
}

struct nng_link {
    nng_socket sock;      /* sends (and receives, but for push/pull) */
    nng_socket pull;      /* push/pull: receives */
    int two;              /* push/pull: two sockets */
    int rr;               /* the reqrep rows' acknowledgements: 0 none, 1 req0, 2 rep0 */
    char endpoint[256];
};

static int nngb_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct nng_link *l = ep->a;
    int r = nng_lib.nng_send(l->sock, (void *) b, n, 0);
    return r ? -EIO : 0;
}

static long nngb_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct nng_link *l = ep->a;
    size_t n = cap;
    int r = nng_lib.nng_recv(l->two ? l->pull : l->sock, b, &n, 0);
    return r ? -EIO : (long) n;
}

static void nngb_ep_close(struct bench_ep *ep)
{
    struct nng_link *l = ep->a;
    nng_lib.nng_close(l->sock);
    if (l->two)
        nng_lib.nng_close(l->pull);
    if (strncmp(l->endpoint, "ipc://", 6) == 0)
        unlink(l->endpoint + 6);
    free(l);
}

static const struct bench_ep_ops nng_ops = { nngb_ep_send, nngb_ep_recv, nngb_ep_close };

/* req0/rep0 of the reqrep rows: as zmqrr_ep_send and zmqrr_ep_recv. */
static int nngrr_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct nng_link *l = ep->a;
    char ack[8];
    int r = nngb_ep_send(ep, b, n);
    if (r == 0 && l->rr == 1 && !bench_msg_answered(b, n)) {
        long k = nngb_ep_recv(ep, ack, sizeof ack);
        r = k < 0 ? (int) k : 0;
    }
    return r;
}

static long nngrr_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct nng_link *l = ep->a;
    long n = nngb_ep_recv(ep, b, cap);
    if (n >= 0 && l->rr == 2 && !bench_msg_answered(b, (size_t) n)) {
        int r = nngb_ep_send(ep, "", 0);
        if (r < 0)
            return r;
    }
    return n;
}

static const struct bench_ep_ops nngrr_ops = { nngrr_ep_send, nngrr_ep_recv, nngb_ep_close };

/* Listen on the candidate's endpoint; where gets the address to dial (tcp: the port picked). */
static int nngb_listen(struct bench_cand *c, nng_socket sock, char *where, size_t cap,
                       const char *tag)
{
    nng_listener lst;
    bench_expand(where, cap, c->url, tag);
    if (nng_lib.nng_listen(sock, where, &lst, 0) != 0)
        return -EADDRINUSE;
    if (strncmp(where, "tcp://", 6) == 0) {
        int port = 0;
        if (nng_lib.nng_listener_get_int(lst, NNG_OPT_TCP_BOUND_PORT, &port) != 0)
            return -EIO;
        snprintf(where, cap, "tcp://127.0.0.1:%d", port);
    }
    return 0;
}

/*
 * One side of an nng link: pair0 (one socket), req0/rep0 (the child is
 * rep0; acked: with the reqrep rows' acknowledgements, else plain send
 * and receive as the sp rows), or push0/pull0 (two sockets each way: the
 * child listens on both and tells the two addresses, one per line).
 */
enum nngb_kind { NNGB_PAIR, NNGB_REQREP, NNGB_PIPELINE };

static int nngb_side(struct bench_cand *c, int ctl, struct bench_ep *ep, int bind,
                     enum nngb_kind kind, int acked)
{
    struct nng_link *l = calloc(1, sizeof *l);
    int r;
    if (!l)
        return -ENOMEM;
    ep->ops = acked ? &nngrr_ops : &nng_ops;
    ep->a = l;
    l->rr = acked ? (bind ? 2 : 1) : 0;
    l->two = kind == NNGB_PIPELINE;
    r = kind == NNGB_PAIR     ? nng_lib.nng_pair0_open(&l->sock)
      : kind == NNGB_PIPELINE ? nng_lib.nng_push0_open(&l->sock)
      : bind                  ? nng_lib.nng_rep0_open(&l->sock)
                              : nng_lib.nng_req0_open(&l->sock);
    if (r != 0 || (l->two && nng_lib.nng_pull0_open(&l->pull) != 0))
        return -EIO;
    /* Messages up to the large size: nng's default limit is 1 MiB, fine. */
    if (bind) {
        char second[256];
        if ((r = nngb_listen(c, l->sock, l->endpoint, sizeof l->endpoint, "nng")) < 0)
            return r;
        if (!l->two)
            return bench_ctl_put(ctl, l->endpoint);
        if ((r = nngb_listen(c, l->pull, second, sizeof second, "nng2")) < 0)
            return r;
        /* The parent's push dials our pull, its pull our push. */
        if ((r = bench_ctl_put(ctl, second)) < 0)
            return r;
        return bench_ctl_put(ctl, l->endpoint);
    }
    char addr[256];
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    if (nng_lib.nng_dial(l->sock, addr, NULL, 0) != 0)
        return -ECONNREFUSED;
    if (!l->two)
        return 0;
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    return nng_lib.nng_dial(l->pull, addr, NULL, 0) != 0 ? -ECONNREFUSED : 0;
}

/* The rows' child (bind) and parent (dial) sides. */
#define NNGB_SIDES(name, kind, acked)                                                    \
    static int name##_child(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep) \
    {                                                                                    \
        (void) s;                                                                        \
        return nngb_side(c, ctl, ep, 1, kind, acked);                                    \
    }                                                                                    \
    static int name##_parent(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep) \
    {                                                                                    \
        (void) s;                                                                        \
        return nngb_side(c, ctl, ep, 0, kind, acked);                                    \
    }
NNGB_SIDES(nngb, NNGB_PAIR, 0)
NNGB_SIDES(nngrr, NNGB_REQREP, 1)
NNGB_SIDES(nngb_rr, NNGB_REQREP, 0)
NNGB_SIDES(nngb_pp, NNGB_PIPELINE, 0)

#endif

int bench_peer_cands(struct bench_cand *out, int max, char *why, size_t why_cap)
{
    int n = 0;
    (void) out;
    (void) max;
    if (why_cap)
        *why = '\0';
#ifdef IPCX_HAVE_ZMQ
    if (n + 3 <= max && bench_zmq_load(why, why_cap) == 0) {
        out[n++] = (struct bench_cand) { "zeromq pair ipc", "peer", "unix", "ipc:///tmp/ipcx-b-%p-%n",
                                         NULL, zmqb_child, zmqb_parent, NULL, 0 };
        out[n++] = (struct bench_cand) { "zeromq pair tcp", "peer", "tcp", "tcp://127.0.0.1:*",
                                         NULL, zmqb_child, zmqb_parent, NULL, 0 };
        out[n++] = (struct bench_cand) { "zeromq req/rep ipc", "peer", "reqrep",
                                         "ipc:///tmp/ipcx-b-%p-%n", NULL, zmqrr_child,
                                         zmqrr_parent, NULL, 4096 };
    }
#endif
#ifdef IPCX_HAVE_NNG
    if (n + 5 <= max && nng_load(why, why_cap) == 0) {
        out[n++] = (struct bench_cand) { "nng pair0 ipc", "peer", "unix", "ipc:///tmp/ipcx-b-%p-%n",
                                         NULL, nngb_child, nngb_parent, NULL, 0 };
        out[n++] = (struct bench_cand) { "nng pair0 tcp", "peer", "tcp", "tcp://127.0.0.1:0",
                                         NULL, nngb_child, nngb_parent, NULL, 0 };
        out[n++] = (struct bench_cand) { "nng req0/rep0 ipc", "peer", "reqrep",
                                         "ipc:///tmp/ipcx-b-%p-%n", NULL, nngrr_child,
                                         nngrr_parent, NULL, 4096 };
        /* What the sp+tcp rows of cand_ipcx.c speak, so they compare like with like. */
        out[n++] = (struct bench_cand) { "nng push0/pull0 tcp", "peer", "sp", "tcp://127.0.0.1:0",
                                         NULL, nngb_pp_child, nngb_pp_parent, NULL, 0 };
        out[n++] = (struct bench_cand) { "nng req0/rep0 tcp", "peer", "sp", "tcp://127.0.0.1:0",
                                         NULL, nngb_rr_child, nngb_rr_parent, NULL, 0 };
    }
#endif
    n += bench_iox_cands(out + n, max - n, why, why_cap);
    return n;
}
