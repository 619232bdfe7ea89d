/*
 * bench_peers.c - the libraries a user would pick instead of ipcx, as rows
 * of `ipcx bench`: ZeroMQ PAIR and nng pair0, each over ipc:// and tcp://.
 * Built into the ipcx command only when their -dev packages were found at
 * configure time (IPCX_HAVE_ZMQ, IPCX_HAVE_NNG); libipcx never links them.
 *
 * The child binds, the parent connects; the child tells the parent the
 * endpoint over the control pipe (tcp ports are picked by the kernel).
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef IPCX_HAVE_ZMQ
#include <zmq.h>

struct zmq_link {
    void *ctx, *sock;
    char endpoint[256];
};

static int zmqb_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct zmq_link *l = ep->a;
    while (zmq_send(l->sock, b, n, 0) < 0)
        if (zmq_errno() != EINTR)
            return -zmq_errno();
    return 0;
}

static long zmqb_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct zmq_link *l = ep->a;
    int r;
    while ((r = zmq_recv(l->sock, b, cap, 0)) < 0)
        if (zmq_errno() != EINTR)
            return -zmq_errno();
    return (size_t) r > cap ? -EMSGSIZE : r;
}

static void zmqb_ep_close(struct bench_ep *ep)
{
    struct zmq_link *l = ep->a;
    int linger = 1000; /* deliver what is queued, but never block close for long */
    zmq_setsockopt(l->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(l->sock);
    zmq_ctx_term(l->ctx);
    if (strncmp(l->endpoint, "ipc://", 6) == 0)
        unlink(l->endpoint + 6);
    free(l);
}

static const struct bench_ep_ops zmq_ops = { zmqb_ep_send, zmqb_ep_recv, zmqb_ep_close };

static int zmqb_side(struct bench_cand *c, int ctl, struct bench_ep *ep, int bind)
{
    struct zmq_link *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->ctx = zmq_ctx_new();
    l->sock = zmq_socket(l->ctx, ZMQ_PAIR);
    ep->ops = &zmq_ops;
    ep->a = l;
    if (bind) {
        size_t len = sizeof l->endpoint;
        bench_expand(l->endpoint, sizeof l->endpoint, c->url, "zmq");
        if (zmq_bind(l->sock, l->endpoint) < 0 ||
            zmq_getsockopt(l->sock, ZMQ_LAST_ENDPOINT, l->endpoint, &len) < 0)
            return -zmq_errno();
        return bench_ctl_put(ctl, l->endpoint);
    }
    char addr[256];
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    return zmq_connect(l->sock, addr) < 0 ? -zmq_errno() : 0;
}

static int zmqb_child(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return zmqb_side(c, ctl, ep, 1);
}

static int zmqb_parent(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return zmqb_side(c, ctl, ep, 0);
}

#endif

#ifdef IPCX_HAVE_NNG
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>

struct nng_link {
    nng_socket sock;
    char endpoint[256];
};

static int nngb_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct nng_link *l = ep->a;
    int r = nng_send(l->sock, (void *) b, n, 0);
    return r ? -EIO : 0;
}

static long nngb_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct nng_link *l = ep->a;
    size_t n = cap;
    int r = nng_recv(l->sock, b, &n, 0);
    return r ? -EIO : (long) n;
}

static void nngb_ep_close(struct bench_ep *ep)
{
    struct nng_link *l = ep->a;
    nng_close(l->sock);
    if (strncmp(l->endpoint, "ipc://", 6) == 0)
        unlink(l->endpoint + 6);
    free(l);
}

static const struct bench_ep_ops nng_ops = { nngb_ep_send, nngb_ep_recv, nngb_ep_close };

static int nngb_side(struct bench_cand *c, int ctl, struct bench_ep *ep, int bind)
{
    struct nng_link *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    ep->ops = &nng_ops;
    ep->a = l;
    if (nng_pair0_open(&l->sock) != 0)
        return -EIO;
    /* Messages up to the large size: nng's default limit is 1 MiB, fine. */
    if (bind) {
        nng_listener lst;
        bench_expand(l->endpoint, sizeof l->endpoint, c->url, "nng");
        if (nng_listen(l->sock, l->endpoint, &lst, 0) != 0)
            return -EADDRINUSE;
        if (strncmp(l->endpoint, "tcp://", 6) == 0) {
            int port = 0;
            if (nng_listener_get_int(lst, NNG_OPT_TCP_BOUND_PORT, &port) != 0)
                return -EIO;
            snprintf(l->endpoint, sizeof l->endpoint, "tcp://127.0.0.1:%d", port);
        }
        return bench_ctl_put(ctl, l->endpoint);
    }
    char addr[256];
    if (bench_ctl_get(ctl, addr, sizeof addr) < 0)
        return -EIO;
    return nng_dial(l->sock, addr, NULL, 0) != 0 ? -ECONNREFUSED : 0;
}

static int nngb_child(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return nngb_side(c, ctl, ep, 1);
}

static int nngb_parent(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return nngb_side(c, ctl, ep, 0);
}

#endif

int bench_peer_cands(struct bench_cand *out, int max)
{
    int n = 0;
    (void) out;
    (void) max;
#ifdef IPCX_HAVE_ZMQ
    if (n + 2 <= max) {
        out[n++] = (struct bench_cand) { "zeromq pair ipc", "peer", "unix", "ipc:///tmp/ipcx-b-%p-%n",
                                         NULL, zmqb_child, zmqb_parent, NULL, 0 };
        out[n++] = (struct bench_cand) { "zeromq pair tcp", "peer", "tcp", "tcp://127.0.0.1:*",
                                         NULL, zmqb_child, zmqb_parent, NULL, 0 };
    }
#endif
#ifdef IPCX_HAVE_NNG
    if (n + 2 <= max) {
        out[n++] = (struct bench_cand) { "nng pair0 ipc", "peer", "unix", "ipc:///tmp/ipcx-b-%p-%n",
                                         NULL, nngb_child, nngb_parent, NULL, 0 };
        out[n++] = (struct bench_cand) { "nng pair0 tcp", "peer", "tcp", "tcp://127.0.0.1:0",
                                         NULL, nngb_child, nngb_parent, NULL, 0 };
    }
#endif
    return n;
}
