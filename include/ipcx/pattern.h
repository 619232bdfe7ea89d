/*
 * ipcx/pattern.h - request/reply and rendezvous (synchronous send) over
 * the named channels of ipcx: unix:, fifo:, mq: and shm:.
 *
 * A requester sends on an ordinary sending end.  Its first request makes a
 * private reply channel of the same scheme (its name carries the pid and a
 * random token; it is removed when the sending end is closed) and every
 * request carries that channel's address and a request id.  A server
 * receives on an ordinary receiving end with ipcx_serve(), which checks the
 * header and the reply address, and answers with ipcx_reply().  A reply
 * that arrives after its request gave up is discarded and counted
 * (ipcx_pattern_stats), never handed to a later request.
 *
 * Delivery: at most once.  A request that times out may or may not have
 * been served; sending it again (the caller's choice) makes it at least
 * once, so only requests the server may repeat safely should be retried.
 * See docs/patterns.md.
 */
#ifndef IPCX_PATTERN_H
#define IPCX_PATTERN_H

#include <stddef.h>

#include <ipcx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest reply address a request carries (bytes, without the NUL).
 * On unix: stream and seqpacket sockets there is no reply channel: the reply
 * comes back on the requester's own connection (reply_to "conn:N"). */
#define IPCX_REPLY_ADDR_MAX 512

/* A request as ipcx_serve() received it: what ipcx_reply() needs. */
typedef struct ipcx_req {
    unsigned long long id;   /* the requester's id for this request */
    int      sync;           /* 1: a synchronous send, already acknowledged */
    unsigned prio;           /* the message's priority */
    long     pid;            /* the requester's pid: the kernel's on unix: (SO_PEERCRED,
                                SCM_CREDENTIALS), else the one it names (not proven) */
    char     reply_to[IPCX_REPLY_ADDR_MAX + 1]; /* the checked reply address; "conn:N" on a connection */
} ipcx_req;

/* Counters of one channel's pattern traffic (ipcx_pattern_stats). */
struct ipcx_pattern_stats {
    long long late;      /* requester: replies for a request that had given up, discarded */
    long long malformed; /* either end: messages without a valid pattern header, discarded */
    long long refused;   /* server: requests whose reply address was not the requester's */
};

/*
 * Send req (len bytes) on the sending end ch and wait for its reply, which
 * is copied into reply (at most cap bytes).  Returns the reply's length,
 * -EMSGSIZE (the reply was longer than cap: it is dropped), -ETIMEDOUT /
 * -EAGAIN, -EPIPE when the transport sees the server go, -ENOTSUP on a
 * scheme without a reply path, or a send error.
 */
IPCX_API long ipcx_request(ipcx_chan *ch, const void *req, size_t len,
                           void *reply, size_t cap, int timeout_ms);

/*
 * Receive the next request (or synchronous send) on the receiving end ch:
 * its payload into buf, what ipcx_reply needs into *req.  Returns the
 * payload's length; -EMSGSIZE when it does not fit (it stays: call again
 * with a larger buffer); -EBADMSG for a message without a valid pattern
 * header and -EACCES for a reply address that is not the one its requester
 * would have made (both dropped and counted); otherwise as ipcx_recv.
 */
IPCX_API long ipcx_serve(ipcx_chan *ch, void *buf, size_t cap, ipcx_req *req,
                         int timeout_ms);

/*
 * Answer req, received on the receiving end ch, with len bytes.  0, or
 * -EPIPE / -ECONNREFUSED / -ENOENT when the requester is gone, -EINVAL for
 * a synchronous send (it needs no reply), or a send error.
 */
IPCX_API int ipcx_reply(ipcx_chan *ch, const ipcx_req *req, const void *reply,
                        size_t len, int timeout_ms);

/*
 * Rendezvous: send msg on the sending end ch and return only when a
 * receiver has taken it with ipcx_serve().  0, -ETIMEDOUT / -EAGAIN (it
 * may still be taken later), -EPIPE when the transport sees the receiver
 * go, -ENOTSUP on a scheme without a reply path, or a send error.
 */
IPCX_API int ipcx_send_sync(ipcx_chan *ch, const void *msg, size_t len,
                            unsigned prio, int timeout_ms);

/* Read the pattern counters of ch into *st.  0 or -EINVAL. */
IPCX_API int ipcx_pattern_stats(const ipcx_chan *ch, struct ipcx_pattern_stats *st);

#ifdef __cplusplus
}
#endif
#endif
