/*
 * ipcx.h - the public API of libipcx: one message API over every Linux IPC
 * mechanism.  This is the only installed header.
 *
 * A channel is a named mailbox for whole messages.  The mechanism is picked
 * by the URL given to ipcx_open(); the rest of the program does not change.
 * Every function returns 0 (or a length) on success and a negative errno
 * value on failure; ipcx_strerror() explains it and ipcx_errdetail() says
 * what exactly was wrong with the last failing call of this thread.
 *
 * A channel handle may be used by one thread at a time.  Different channels
 * are independent, also in different threads.
 */
#ifndef IPCX_H
#define IPCX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(IPCX_BUILDING)
#define IPCX_API __attribute__((visibility("default")))
#else
#define IPCX_API
#endif

#define IPCX_VERSION_MAJOR 0
#define IPCX_VERSION_MINOR 1
#define IPCX_VERSION_PATCH 0
#define IPCX_VERSION_STRING "0.1.0"

typedef struct ipcx_chan ipcx_chan;

/* Flags of ipcx_open(). */
#define IPCX_SEND     0x01 /* this end sends */
#define IPCX_RECV     0x02 /* this end receives */
#define IPCX_CREATE   0x04 /* create the named object if it does not exist */
#define IPCX_EXCL     0x08 /* with IPCX_CREATE: fail with -EEXIST if it exists */
#define IPCX_NONBLOCK 0x10 /* every send and receive behaves as timeout 0 */

/* Capabilities of a transport, see ipcx_caps(). */
#define IPCX_CAP_FD       0x001 /* ipcx_fd() gives a pollable descriptor, on either end */
#define IPCX_CAP_PRIO     0x002 /* receives order by priority */
#define IPCX_CAP_ZEROCOPY 0x004 /* loan/commit without a copy */
#define IPCX_CAP_REMOTE   0x008 /* can cross machines */
#define IPCX_CAP_LOCAL    0x010 /* a local (same machine) mechanism */
#define IPCX_CAP_EOF      0x020 /* a receive reports -EPIPE when all senders are gone */
#define IPCX_CAP_PAIR     0x040 /* anonymous: made in pairs by ipcx_pair() */
#define IPCX_CAP_MANY     0x080 /* one receiver takes many senders at once */
#define IPCX_CAP_NAMED    0x100 /* a named object that ipcx_unlink() removes */
#define IPCX_CAP_RXGONE   0x200 /* a send reports -EPIPE once the receiver is gone */
#define IPCX_CAP_KNAME    0x400 /* named in a kernel namespace: the URL's path is no file
                                   (mq:/name, sysvmq:KEY); ipcx_unlink removes it */
#define IPCX_CAP_NOPRIO   0x800 /* the priority is not carried: ipcx_recv reports 0 (the SP
                                   schemes: nng's wire has no field for it) */
#define IPCX_CAP_HANDSHAKE 0x1000 /* a new sender's first send waits for the receiving end's
                                    handshake, which it sends only inside its own calls
                                    (the SP schemes): a receiver that calls nothing holds
                                    new senders back */
#define IPCX_CAP_DUPLEX   0x4000 /* one end may both send and receive (IPCX_SEND|IPCX_RECV:
                                    the SP schemes' req0, rep0, pair0, bus0, ...) */

/* Timeouts (milliseconds), as poll(2). */
#define IPCX_FOREVER (-1)
#define IPCX_NOWAIT  0

/* The largest message by default, unless ?maxmsg= says otherwise. */
#define IPCX_MAXMSG_DEFAULT (1024u * 1024u)

/*
 * Open a channel.  flags: IPCX_SEND or IPCX_RECV (not both), optionally
 * IPCX_CREATE, IPCX_EXCL, IPCX_NONBLOCK.  *ch is written only on success.
 * Returns 0 or a negative errno (-EINVAL for a bad URL; nothing is then
 * created).
 */
IPCX_API int ipcx_open(ipcx_chan **ch, const char *url, int flags);

/*
 * Send one message of len bytes (0 is allowed).  prio is carried to the
 * receiver; transports with IPCX_CAP_PRIO also deliver by it.
 * timeout_ms: -1 waits forever, 0 never waits (-EAGAIN), >0 waits at most
 * that long (-ETIMEDOUT).  Returns 0 once the whole message is accepted;
 * it is then delivered unless the receiver goes away.  prio | IPCX_MORE
 * queues it instead (batched sends, below).
 */
IPCX_API int ipcx_send(ipcx_chan *ch, const void *msg, size_t len,
                       unsigned prio, int timeout_ms);

/*
 * Receive the next whole message into buf.  Returns its length, or
 * -EMSGSIZE if it does not fit in cap (the message stays queued: a later
 * receive with a larger buffer gets it), -EAGAIN / -ETIMEDOUT, -EPIPE when
 * every sender is gone (transports with IPCX_CAP_EOF), -EBADMSG when a
 * peer sent a malformed frame (that peer is dropped), -EINTR.  *prio, when
 * not NULL, is set to the message's priority.
 */
IPCX_API long ipcx_recv(ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                        int timeout_ms);

/* ---- batches: ipcx_recvv (and ipcx_sendv) ---------------------------- */

/*
 * One message of a batch, for both directions, as struct iovec serves
 * readv and writev.  Sending (ipcx_sendv): the caller sets data, len and
 * prio; the call sets result.  Receiving (ipcx_recvv): the caller sets buf
 * and cap; the call sets len, prio and result (0) of each message it
 * received.  data and buf are the same pointer: the bytes of a received
 * message can be sent on as they are.
 */
struct ipcx_msg {
    union {
        const void *data; /* send: the message (never written) */
        void       *buf;  /* receive: where the message goes */
    };
    size_t   len;    /* the message's length: read by a send, set by a receive */
    unsigned prio;   /* its priority: read by a send (without IPCX_MORE), set by a receive */
    int      result; /* ipcx_sendv sets it: 0 sent, or why this message was not (-errno) */
    size_t   cap;    /* receive: the bytes buf holds (a send does not read it) */
};

/*
 * Receive up to n whole messages, in order, with as few system calls as
 * the transport allows (the stream schemes parse many frames out of one
 * read and keep the rest for the next receive).  Waits as ipcx_recv for
 * the first message only, then takes what is there without waiting.
 * Returns how many it received (1..n), or a negative errno as ipcx_recv
 * when none: -EMSGSIZE when the first does not fit msgs[0].cap (it stays
 * queued); a later one that does not fit its cap ends the batch before
 * it, and stays queued too.  An error after the first message ends the
 * batch and is returned by the next receive.
 */
IPCX_API long ipcx_recvv(ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms);

/*
 * A descriptor for poll/epoll: readable when a receive may succeed (on a
 * receiving end), writable when a send may (on a sending end): not
 * writable while a send would have to wait (a full pipe, socket, queue or
 * shm ring).  "May": a send or receive with timeout 0 can still return
 * -EAGAIN; poll again then.  The channel keeps it; do not read from, write
 * to or close it.  -ENOTSUP if the transport has none (no IPCX_CAP_FD).
 */
IPCX_API int ipcx_fd(ipcx_chan *ch);

/* Close the channel; a receiver that created its object removes it. NULL is fine. */
IPCX_API int ipcx_close(ipcx_chan *ch);

/* Remove the named object of a URL (FIFO, socket file, queue, segment). */
IPCX_API int ipcx_unlink(const char *url);

/*
 * Make an anonymous pair to inherit over fork: ends[0] receives, ends[1]
 * sends.  url names the scheme and options ("pipe:", "pipe:?maxmsg=65536").
 * In each process close the end it does not use.
 */
IPCX_API int ipcx_pair(const char *url, ipcx_chan *ends[2]);

/* ipcx_pair("pipe:", ends). */
IPCX_API int ipcx_pipe(ipcx_chan *ends[2]);

/* The largest message this channel carries, in bytes. */
IPCX_API long ipcx_maxmsg(const ipcx_chan *ch);

/* The IPCX_CAP_* bits of the channel's transport. */
IPCX_API unsigned ipcx_caps(const ipcx_chan *ch);

/*
 * The channel's address as a URL that a sender can open, e.g. the port a
 * "tcp://127.0.0.1:0" receiver was given.  Returns the length written (a
 * NUL is added) or -ENOSPC.
 */
IPCX_API int ipcx_addr(const ipcx_chan *ch, char *buf, size_t cap);

/*
 * Who made the named object (ipcx_created.3): 1 if this end created it, or
 * took over one that a receiver which died left, so that ipcx_close() of
 * this end removes it; 0 if it was there and stays; -ENOTSUP for a channel
 * without a named object (pipe:, tcp:, anonymous pairs).  A forked child's
 * copy of the channel says 0: it never removes anything.
 */
IPCX_API int ipcx_created(const ipcx_chan *ch);

/* Let ipcx_close() leave the object this end created where it is.  0. */
IPCX_API int ipcx_keep(ipcx_chan *ch);

/*
 * How many whole messages wait in the object now, for any receiver: the
 * kernel queues (mq:, sysvmq:) say; -ENOTSUP on the schemes that cannot.
 */
IPCX_API long ipcx_pending(const ipcx_chan *ch);

/* Zero copy, where the transport has IPCX_CAP_ZEROCOPY; otherwise -ENOTSUP. */
IPCX_API int ipcx_loan(ipcx_chan *ch, size_t len, void **buf);
IPCX_API int ipcx_commit(ipcx_chan *ch, void *buf, size_t len, unsigned prio);
IPCX_API int ipcx_peek(ipcx_chan *ch, const void **msg, size_t *len,
                       int timeout_ms);
IPCX_API int ipcx_release(ipcx_chan *ch);

/*
 * How many messages this receiving end lost to an overflow policy
 * (shm bcast with overflow=drop), in total.  A receive reports a loss once
 * with -ENOBUFS; this says how many.  0 on transports that never drop.
 */
IPCX_API long long ipcx_lost(const ipcx_chan *ch);

/* ---- batched sends (ipcx_sendv.3, ipcx_flush.3, IPCX_MORE in ipcx_send.3) ---- */

/*
 * Or'd into ipcx_send()'s prio: more messages follow, so the message may
 * wait in this end's cork queue (user space, copied) until a send without
 * it, ipcx_flush(), a full queue or ipcx_close() sends the queue in one
 * batch.  Not a ZMQ_SNDMORE multipart: each message stays a message of
 * its own.  Priorities are below IPCX_MORE.
 */
#define IPCX_MORE 0x80000000u

/* The cork queue's bound in bytes, unless ?cork= says otherwise (0: no queue). */
#define IPCX_CORK_DEFAULT (64u * 1024u)
#define IPCX_CORK_LIMIT   (1024u * 1024u * 1024u) /* the largest cork= */

/* One message of a batch for ipcx_sendv(): struct ipcx_msg, above (data, len, prio; result set). */

/*
 * Send n messages in order, in as few system calls as the transport allows
 * (one writev(2) or sendmmsg(2) for many on the descriptor schemes).  Each
 * message is whole or absent, as with ipcx_send.  A message that cannot be
 * sent at all (-EMSGSIZE, -EINVAL) is skipped with its result set, and the
 * rest go; any other error (-EAGAIN, -ETIMEDOUT, -EPIPE, -EINTR) stops the
 * batch and is the result of that message and of every one after it.
 * Returns how many were sent, or a negative errno when none was (0 for
 * n == 0).  timeout_ms is for the whole batch.
 */
IPCX_API long ipcx_sendv(ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms);

/*
 * Send what IPCX_MORE queued on this end.  0 once the queue is empty;
 * otherwise the error that stopped it, with the messages not yet sent
 * still queued, in order (the ones sent are gone from the queue).
 */
IPCX_API int ipcx_flush(ipcx_chan *ch, int timeout_ms);

/* ---- end of batched sends ---- */

/* A static description of err (either sign); never NULL. */
IPCX_API const char *ipcx_strerror(int err);

/*
 * What exactly failed in the last failing ipcx call of this thread, e.g.
 * "unknown query key 'foo'"; "" when nothing more is known.  Thread-local.
 */
IPCX_API const char *ipcx_errdetail(void);

/* The library's version, e.g. "0.1.0". */
IPCX_API const char *ipcx_version(void);

#ifdef __cplusplus
}
#endif
#endif
