/*
 * bench.h - what the parts of `ipcx bench` share: an endpoint is one
 * side of a two-way link (send to the peer, receive from it), whatever
 * carries it: an ipcx channel pair, a raw descriptor, a kernel queue, or a
 * peer library (ZeroMQ, nng).  A candidate makes the link across fork.
 */
#ifndef IPCX_BENCH_H
#define IPCX_BENCH_H

#include <stddef.h>

struct bench_ep;

struct bench_ep_ops {
    /* Send len bytes as one message; 0 or -errno. */
    int (*send)(struct bench_ep *ep, const void *buf, size_t len);
    /* Receive one message; its length or -errno. */
    long (*recv)(struct bench_ep *ep, void *buf, size_t cap);
    void (*close)(struct bench_ep *ep);
};

struct bench_ep {
    const struct bench_ep_ops *ops;
    void *a, *b;   /* the mechanism's handles (send side, receive side) */
    int fa, fb;    /* or descriptors */
    int exact;     /* a byte stream without frames: recv reads exactly cap bytes */
};

/*
 * A candidate builds the link in three steps around fork: prepare (in the
 * parent, before fork; NULL when there is nothing to prepare), then child()
 * in the child and parent() in the parent; fini (NULL: nothing) frees state.
 * ctl is a pipe on which the child may tell the parent an address
 * (write in the child, read in the parent).  Each returns 0 or -errno.
 */
struct bench_cand {
    const char *name;     /* row label, e.g. "ipcx unix" */
    const char *kind;     /* "ipcx", "raw", "peer" */
    const char *group;    /* what it is compared with: "pipe", "unix", "tcp", ... */
    const char *url;      /* ipcx: the URL template; peers: the endpoint template */
    int  (*prepare)(struct bench_cand *c, void **state);
    int  (*child)(struct bench_cand *c, void *state, int ctl_w, struct bench_ep *ep);
    int  (*parent)(struct bench_cand *c, void *state, int ctl_r, struct bench_ep *ep);
    void (*fini)(struct bench_cand *c, void *state); /* in the parent, after the child exited */
    size_t maxsize;       /* the largest message it carries (0: any) */
};

/* Expand %p (pid) and %n (tag) in a template. */
void bench_expand(char *out, size_t cap, const char *tmpl, const char *tag);

/* Peer libraries: append their candidates; return how many (0 when not built in). */
int bench_peer_cands(struct bench_cand *out, int max);

/* Line-oriented address exchange over the ctl pipe. */
int bench_ctl_put(int fd, const char *s);
int bench_ctl_get(int fd, char *buf, size_t cap);

#endif
