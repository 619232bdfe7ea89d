/*
 * stream.h - the message engine shared by every transport built on file
 * descriptors (pipe, FIFO, Unix sockets, TCP): framing, reassembly, many
 * senders per receiver, timeouts, and the channel ops that go with it.
 * A transport only opens its descriptors and hands them over.
 */
#ifndef IPCX_STREAM_H
#define IPCX_STREAM_H

#include "transport.h"
#include "frame.h"
#include "codec.h"

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>

/* How the receiving side reads its sources. */
#define IPCX_RX_RECORD 0x1 /* each read is one record holding one whole frame (seqpacket, dgram) */
#define IPCX_RX_PIPE   0x2 /* one shared byte stream: EOF means every sender is gone (-EPIPE),
                              and a bad frame is skipped instead of dropping the source */
#define IPCX_RX_CRED   0x8 /* a unix datagram socket with SO_PASSCRED: each record's
                              sender pid is kept (ipcx__back_source) */
#define IPCX_RX_BACK   0x4 /* a sending end reads its own connection (stream_back.c): a
                              record of 0 bytes is the receiver's end, as on a connection */

struct ipcx__src;

/*
 * What a receiver holds for its peers at most (URL keys of every engine
 * transport, IPCX_STREAM_KEYS).  A peer is untrusted: what a frame header
 * announces is never allocated up front, and the buffers of all senders
 * together stay within the budget; beyond it, the connection holding the
 * oldest partial message is dropped (ipcx_lost counts it).
 */
struct ipcx__rx_limits {
    size_t budget;   /* budget=: bytes of partial messages, over every sender
                        (default 64 MiB, at least maxmsg + a header) */
    int    stall_ms; /* stall=: a connection whose partial frame is older is
                        dropped (default 10000 ms; 0 never) */
    enum ipcx__framing framing; /* framing=: how messages are cut from the
                        bytes, for both ends (codec.h; byte streams only) */
};
#define IPCX_STREAM_KEYS "budget stall framing"

struct ipcx__rx {
    unsigned mode;          /* IPCX_RX_* */
    size_t   maxmsg;
    int      epfd;          /* every source, the listener and the doorbell */
    int      lfd;           /* listening socket, or -1 */
    int      bell;          /* eventfd: set while a whole message is buffered; -1 until asked */
    int      bell_on;
    struct ipcx__src **v;   /* sources: a pipe, a bound socket, accepted connections */
    size_t   n, cap;
    size_t   rr;            /* where the next round-robin scan starts */
    long     cur;           /* source of the message handed out by peek, or -1 */
    struct ipcx__rx_limits lim;
    size_t   used;          /* bytes charged against lim.budget, over every source */
    long long lost;         /* partial messages dropped with their connection */
    int      spare;         /* a reserve descriptor for accept's EMFILE, or -1 */
    int64_t  lpause;        /* the listener is out of the epoll set until then (ms), or 0 */
    int64_t  left_at;       /* when the last receive returned (ms), or 0 */
    /* A pipe receiver whose pipe nothing has polled yet: it is not in epfd,
       and a receive without a deadline sleeps in read(2) (stream_src.c). */
    int      lazy;
    uint64_t last_src;      /* serial of the source of the last message handed out, or 0 */
    pid_t    last_pid;      /* IPCX_RX_CRED: its sender's pid as the kernel told, or 0 */
};

/* How the sending side writes. */
enum ipcx__tx_kind {
    IPCX_TX_PIPE,   /* a pipe: messages over PIPE_BUF bytes go in atomic chunks */
    IPCX_TX_STREAM, /* a stream socket: one frame per message, may be written in parts */
    IPCX_TX_RECORD, /* seqpacket or datagram: one record per message, atomic */
};

struct ipcx__tx {
    int      fd;
    enum ipcx__tx_kind kind;
    enum ipcx__framing framing; /* what the last send wrote (pend is in it) */
    int      sigign;        /* pipe: sigpipe=ignored, a plain write (sys/io.c) */
    uint8_t *pend;          /* the encoded rest of an accepted message not yet written */
    size_t   npend, pos;
    struct ipcx__txv *txv;  /* batched sends: iovecs and headers of one call, from the
                               first ipcx_sendv or flush on (stream_tx.c), or NULL */
};

/* batched sends: the messages one writev (two iovecs each) or sendmmsg carries at most */
#define IPCX_TXV_MSGS (IOV_MAX / 2)

/* The state of every channel built on this engine. */
struct ipcx__schan {
    struct ipcx__rx_limits lim; /* from the URL, for the receiving end */
    struct ipcx__rx rx;     /* used by a receiving end */
    struct ipcx__tx tx;     /* used by a sending end */
    char     path[PATH_MAX];/* a filesystem object this end created, removed on close */
    dev_t    dev;
    ino_t    ino;
    char     addr[IPCX_URL_MAX + 64]; /* what ipcx_addr reports */
    struct ipcx__src *back; /* a sending end: its own connection read back (stream_back.c),
                               with rx as its reader's state; NULL until asked */
};

/*
 * Make ch->impl a fresh ipcx__schan with no descriptors, after checking
 * the engine's keys in u (budget=, stall=) against ch->maxmsg.
 */
int ipcx__schan_new(struct ipcx_chan *ch, const struct ipcx_url *u);

int  ipcx__rx_init(struct ipcx__rx *rx, size_t maxmsg, unsigned mode,
                   const struct ipcx__rx_limits *lim);
/* Hand a listening socket to the receiver (it accepts senders). */
int  ipcx__rx_listen(struct ipcx__rx *rx, int lfd);
/* Hand a source descriptor to the receiver; it is closed on failure. */
int  ipcx__rx_add(struct ipcx__rx *rx, int fd);
void ipcx__rx_fini(struct ipcx__rx *rx);
/* A pipe whose writer was there from the start (a pair): a read of 0 is
 * its end, and telling it from a FIFO's "no writer yet" needs no poll. */
void ipcx__rx_writer_known(struct ipcx__rx *rx);

void ipcx__tx_init(struct ipcx__tx *tx, int fd, enum ipcx__tx_kind kind);
void ipcx__tx_fini(struct ipcx__tx *tx);

/* Remember a created filesystem object so close removes it (if it is still ours). */
int ipcx__schan_own_path(struct ipcx__schan *s, const char *path);

/* Give ch one end of a pipe or FIFO (fd taken over; closed on failure). pipe.c */
int ipcx__pipe_adopt(struct ipcx_chan *ch, const struct ipcx_url *u, int fd,
                     const char *addr);

/*
 * The ops every engine transport shares, for its table:
 *   const struct ipcx_transport ipcx__transport_fifo = {
 *       .scheme = "fifo", .caps = ..., .open = fifo_open, IPCX_STREAM_OPS, };
 */
#define IPCX_STREAM_OPS                                                     \
    .send = ipcx__schan_send, .recv = ipcx__schan_recv,                     \
    .fd = ipcx__schan_fd, .addr = ipcx__schan_addr,                         \
    .close = ipcx__schan_close, .peek = ipcx__schan_peek,                   \
    .release = ipcx__schan_release, .lost = ipcx__schan_lost,              \
    .recvv = ipcx__schan_recvv, .check = ipcx__schan_check,                 \
    .sendv = ipcx__schan_sendv

/* The channel ops every engine transport uses. */
int  ipcx__schan_send(struct ipcx_chan *ch, const void *msg, size_t len,
                      unsigned prio, int timeout_ms);
long ipcx__schan_recv(struct ipcx_chan *ch, void *buf, size_t cap,
                      unsigned *prio, int timeout_ms);
/* ipcx_recvv: many messages out of one read (stream_rx.c). */
long ipcx__schan_recvv(struct ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms);
int  ipcx__schan_fd(struct ipcx_chan *ch);
int  ipcx__schan_addr(const struct ipcx_chan *ch, char *buf, size_t cap);
int  ipcx__schan_close(struct ipcx_chan *ch);
int  ipcx__schan_peek(struct ipcx_chan *ch, const void **msg, size_t *len,
                      int timeout_ms);
int  ipcx__schan_release(struct ipcx_chan *ch);
/* Partial messages this receiver dropped: connections shed, pipe writers' chunks evicted. */
long long ipcx__schan_lost(const struct ipcx_chan *ch);
/* batched sends (stream_tx.c): the ops .check and .sendv of transport.h */
int  ipcx__schan_check(const struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio);
long ipcx__schan_sendv(struct ipcx_chan *ch, const struct ipcx_msg *v, size_t n,
                       int timeout_ms, int *why);

/*
 * Replies over the connection a message came on (stream_back.c), for
 * request/reply over connected sockets (unix: stream and seqpacket, tcp:):
 * the answer to a request goes back on the very connection it arrived on,
 * so it reaches only the process that holds that connection, and a
 * requester needs no reply channel of its own.
 *
 * A sending end: ipcx__back_open() makes it ready to read its connection
 * (-ENOTSUP unless ch is a connected socket with framing=ipcx);
 * ipcx__back_recv() reads one framed message from it, waiting on that one
 * descriptor: the length, -ETIMEDOUT/-EAGAIN, -EPIPE when the receiver
 * closed the connection, -EMSGSIZE, -EPROTO for bytes that are no frame.
 *
 * A receiving end: ipcx__back_source() names the connection of the message
 * received last, with the peer's pid and uid from SO_PEERCRED (uid -1 and
 * pid 0 on tcp:); ipcx__back_send() writes one framed message to that
 * connection: 0, -EPIPE when it is gone (closed, or dropped meanwhile),
 * -ETIMEDOUT/-EAGAIN.  A reply cut short by its timeout drops the
 * connection (a torn frame would corrupt the stream): the requester sees
 * -EPIPE.
 */
int  ipcx__back_open(struct ipcx_chan *ch);
long ipcx__back_recv(struct ipcx_chan *ch, void *buf, size_t cap, int timeout_ms);
int  ipcx__back_source(struct ipcx_chan *ch, uint64_t *conn, long *pid, long *uid);
int  ipcx__back_send(struct ipcx_chan *ch, uint64_t conn, const void *msg, size_t len,
                     unsigned prio, int timeout_ms);
/*
 * A unix datagram receiver (no connection): the pid of the sender of the
 * message received last, from its SCM_CREDENTIALS (stream_src.c), so that
 * a request's claimed pid can be checked.  0, or -ENOTSUP elsewhere.
 */
int  ipcx__back_sender(struct ipcx_chan *ch, long *pid);

/* stream_tx.c: write one frame of msg on tx (after what an earlier send left pending). */
struct ipcx__deadline;
int  ipcx__tx_frame(struct ipcx__tx *tx, const void *msg, size_t len, unsigned prio,
                    const struct ipcx__deadline *d);

#endif
