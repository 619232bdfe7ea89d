/*
 * pattern_int.h - what the messaging patterns (src/pattern/) share inside
 * the library: the pattern header that request/reply and rendezvous put in
 * front of a message, its codec, and the per-channel pattern state that
 * ipcx_close() frees.  It is not installed; the public calls are in
 * include/ipcx/pattern.h and include/ipcx/poll.h.
 *
 * The header (all numbers big-endian), followed by the reply address and
 * then the payload:
 *
 *   0      2     3     4        6        8              16     20     24         32
 *   +------+-----+-----+--------+--------+--------------+------+------+----------+
 *   |magic |ver  |kind |addrlen |  0     |      id      | pid  |  0   |  token   |
 *   |0x5051| 1   | u8  |  u16   |  u16   |     u64      | u32  | u32  |   u64    |
 *   +------+-----+-----+--------+--------+--------------+------+------+----------+
 *   then addrlen bytes of reply URL (no NUL), then the payload
 *
 * A request or a synchronous send carries the URL of the requester's
 * reply channel, the pid that made it and the random token in its name;
 * a reply or an acknowledgement carries only the id it answers
 * (addrlen, pid and token 0).  Everything in it comes from a peer:
 * ipcx__pat_decode() checks it all before anything is used.
 */
#ifndef IPCX_PATTERN_INT_H
#define IPCX_PATTERN_INT_H

#include <stddef.h>
#include <stdint.h>

#define IPCX_PAT_MAGIC   0x5051u /* "PQ" */
#define IPCX_PAT_VERSION 1u
#define IPCX_PAT_HDR     32u     /* bytes before the reply address */
#define IPCX_PAT_ADDRMAX 512u    /* the longest reply address accepted */
/*
 * The reply address of a request sent on a connected socket (unix: stream
 * and seqpacket): "answer on the connection this came on".  Not a scheme
 * anything opens; ipcx_serve() turns it into "conn:N" in ipcx_req.reply_to,
 * N naming the connection inside that server process.
 */
#define IPCX_PAT_CONN    "conn:"

enum ipcx__pat_kind {
    IPCX_PAT_REQUEST = 1, /* wants a reply (ipcx_request) */
    IPCX_PAT_REPLY   = 2, /* answers a request (ipcx_reply) */
    IPCX_PAT_SYNC    = 3, /* a synchronous send: wants an acknowledgement */
    IPCX_PAT_ACK     = 4, /* the receiver took a synchronous send */
};

struct ipcx__pat_hdr {
    unsigned kind;          /* enum ipcx__pat_kind */
    uint64_t id;
    uint32_t pid;           /* requester's pid (requests), 0 otherwise */
    uint64_t token;         /* the random part of the reply channel's name, or 0 */
    const char *addr;       /* into the decoded buffer, addrlen bytes, no NUL */
    size_t   addrlen;
    const void *payload;    /* into the decoded buffer */
    size_t   len;
};

/*
 * Write the header of h (and h->addr) into out; returns the bytes written
 * (IPCX_PAT_HDR + addrlen), the offset of the payload.  cap must hold them.
 */
size_t ipcx__pat_encode(const struct ipcx__pat_hdr *h, void *out, size_t cap);

/*
 * Read a header from len bytes at buf into *h (payload and addr point into
 * buf).  -EBADMSG for anything a correct peer never sends: short, wrong
 * magic or version, unknown kind, reserved bits set, an address in a reply,
 * a request without one or with pid 0, an address longer than
 * IPCX_PAT_ADDRMAX or with a byte outside printable ASCII.
 */
int ipcx__pat_decode(const void *buf, size_t len, struct ipcx__pat_hdr *h);

/*
 * The URL of the reply channel that process pid with token makes for a
 * request channel whose address is chan_addr (ipcx_addr of either end):
 * the one place that knows the form, so the requester makes its channel
 * under it and a server accepts a reply address only when it is exactly
 * this.  Length written, -ENOSPC, or -ENOTSUP for a scheme without a safe
 * reply path (see docs/security.md, "Request/reply").
 */
int ipcx__pat_reply_url(const char *chan_addr, uint32_t pid, uint64_t token,
                        char *out, size_t cap);

struct ipcx_chan;

/*
 * The requester's half of request/reply and rendezvous (reqrep.c): send
 * msg as kind (IPCX_PAT_REQUEST or IPCX_PAT_SYNC) on the sending end ch
 * and wait until the answer (IPCX_PAT_REPLY or IPCX_PAT_ACK) with its id
 * comes back; the answer's payload goes into reply (cap bytes).  The
 * length of the answer, or -errno.
 */
long ipcx__pat_call(struct ipcx_chan *ch, unsigned kind, const void *msg, size_t len,
                    unsigned prio, void *reply, size_t cap, int timeout_ms);

/* Free the pattern state of ch (ipcx_close); 0 or the first close error. */
int ipcx__pat_free(struct ipcx_chan *ch);

#endif
