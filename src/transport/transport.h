/*
 * transport.h - the contract between the channel layer (chan.c) and one
 * IPC mechanism.  A transport is a const ops table; chan.c parses the URL,
 * checks the query keys against .keys, reads the common keys, and only then
 * calls .open.  The conformance suite picks its checks by .caps, never by
 * scheme name.
 */
#ifndef IPCX_TRANSPORT_H
#define IPCX_TRANSPORT_H

#include "ipcx.h"
#include "../util/url.h"
#include "../sys/proc.h"

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

/* The query keys every transport accepts. */
#define IPCX_COMMON_KEYS "maxmsg " IPCX_BATCH_KEYS
/* batched sends: cork= bounds the IPCX_MORE queue (batch.c) */
#define IPCX_BATCH_KEYS "cork"

struct ipcx_chan {
    const struct ipcx_transport *tp;
    int      flags;    /* IPCX_SEND or IPCX_RECV, and the others given to open */
    size_t   maxmsg;   /* the largest message, from ?maxmsg= or the default */
    mode_t   mode;     /* permissions of an object this end creates, and the
                          most an existing one may grant (owner.h) */
    struct ipcx_allow allow; /* allow=: owners besides the caller and root (owner.h) */
    void    *impl;     /* the transport's own state */
    int      created;  /* open of a named transport sets 1 when this end made the
                          object (or took over a stale one), 0 when it did not;
                          chan.c presets -1, read as 0 (the registry then never
                          names this end as the creator: gc stays cautious) */
    struct ipcx__reg *reg; /* this process's entry in the user registry (reg.c), or NULL */
    pid_t    pid;      /* the process that opened it: a forked copy never removes
                          what this end made (ipcx__chan_ours) */
    struct ipcx__pat *pat; /* request/reply state (src/pattern/pattern_int.h), or NULL */
    int      keep;     /* ipcx_keep(): close leaves the object this end made */
    /* ipcx_recvv: an error that ended a batch after its first message,
       returned by the next receive (chan.c), or 0. */
    int      rxerr;
    /* batched sends (batch.c) */
    size_t   cork_max; /* cork=: bytes the IPCX_MORE queue holds at most, 0: none */
    struct ipcx__cork *cork; /* the IPCX_MORE queue, or NULL until first used */
};

/*
 * Asked by a transport whose receiving end, opened with IPCX_CREATE, found
 * the named object url (its own address form, e.g. "mq:/name") already
 * there: may it take the object over as its own (and remove it on close)?
 * chan.c answers from the user registry: 1 when the object's ipcx creator
 * was a receiver that died without closing and no receiver lives; 0
 * otherwise, and always for a sender or an open without IPCX_CREATE.
 */
int ipcx__chan_adopt(const struct ipcx_chan *ch, const char *url);

/*
 * May close remove what this end made?  Only in the process that opened ch
 * (not a child that inherited it over fork), and not after ipcx_keep().
 */
static inline int ipcx__chan_ours(const struct ipcx_chan *ch)
{
    return ch->pid == ipcx__self_pid() && !ch->keep;
}

struct ipcx_transport {
    /* The URL scheme, without the colon: "fifo". */
    const char *scheme;
    /* IPCX_CAP_* bits: what the conformance suite may check. */
    unsigned caps;
    /* Space-separated query keys accepted besides IPCX_COMMON_KEYS. */
    const char *keys;
    /* The default and the largest maxmsg this mechanism can carry. */
    size_t maxmsg_default, maxmsg_limit;

    /*
     * Open one end.  ch->flags, ->maxmsg and ->mode are set; validate the
     * rest of the URL before creating anything, and on failure leave
     * nothing behind (chan.c calls nothing else after a failed open).
     */
    int (*open)(struct ipcx_chan *ch, const struct ipcx_url *u);

    /*
     * IPCX_CAP_PAIR transports: make a connected pair, rx receives and tx
     * sends.  NULL when the transport has only named objects.
     */
    int (*pair)(struct ipcx_chan *rx, struct ipcx_chan *tx,
                const struct ipcx_url *u);

    /* Send len <= ch->maxmsg bytes (chan.c checked), as ipcx_send. */
    int (*send)(struct ipcx_chan *ch, const void *msg, size_t len,
                unsigned prio, int timeout_ms);

    /* Receive one whole message, as ipcx_recv. */
    long (*recv)(struct ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                 int timeout_ms);

    /* A pollable descriptor (see ipcx_fd), or -ENOTSUP.  NULL: -ENOTSUP. */
    int (*fd)(struct ipcx_chan *ch);

    /* Write the channel's URL into buf (NUL-terminated); length or -ENOSPC. */
    int (*addr)(const struct ipcx_chan *ch, char *buf, size_t cap);

    /*
     * Free everything; remove what this end created.  Must accept
     * half-opened state.  Everything is freed whatever it returns: 0, or a
     * negative errno when an object this end should have removed was left
     * (it could not be removed, or not be proven to be ours).
     */
    int (*close)(struct ipcx_chan *ch);

    /* Remove the named object.  NULL: -ENOTSUP. */
    int (*unlink)(const struct ipcx_url *u);

    /* Zero copy (IPCX_CAP_ZEROCOPY); NULL: -ENOTSUP. */
    int (*loan)(struct ipcx_chan *ch, size_t len, void **buf);
    int (*commit)(struct ipcx_chan *ch, void *buf, size_t len, unsigned prio);
    int (*peek)(struct ipcx_chan *ch, const void **msg, size_t *len, int timeout_ms);
    int (*release)(struct ipcx_chan *ch);

    /* The query key of permission bits for a new object; NULL: "mode". */
    const char *perm_key;
    /* Messages this receiving end lost to an overflow policy, in total; NULL: 0. */
    long long (*lost)(const struct ipcx_chan *ch);
    /* Whole messages queued in the object now (ipcx_pending); NULL: -ENOTSUP. */
    long (*pending)(const struct ipcx_chan *ch);

    /*
     * Receive up to n whole messages, as ipcx_recvv (chan.c checked the
     * arguments, n >= 1): wait up to timeout_ms for the first, then take
     * only what needs no wait, and leave an error that comes after the
     * first message for the next receive (do not consume it).  NULL:
     * chan.c loops over .recv, which gives the same results.
     */
    long (*recvv)(struct ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms);

    /* ---- batched sends (batch.c) ---- */

    /*
     * Would send refuse this message for what it is, whatever the state of
     * the channel: a priority out of range, a newline under framing=lines?
     * 0, or the -errno send would return.  chan.c asks before it queues a
     * message (IPCX_MORE) and for each message of ipcx_sendv, so that a
     * queued message never fails later for itself.  len <= ch->maxmsg is
     * checked already.  NULL: every such message is fine.
     */
    int (*check)(const struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio);

    /*
     * Send the n messages at v in order (each one passed .check; their
     * result fields are not looked at) in as few system calls as the
     * mechanism allows, all within one deadline.  Returns how many from the
     * front were accepted, each whole and as send accepts one (0..n).  When
     * fewer than n, *why is the error the next one met, as send would have
     * returned it (-EAGAIN, -ETIMEDOUT, -EPIPE, -EINTR, ...).  A mechanism
     * with nothing to gain (one call per message anyway: queues, rings)
     * leaves it NULL and batch.c calls send once per message.
     */
    long (*sendv)(struct ipcx_chan *ch, const struct ipcx_msg *v, size_t n, int timeout_ms,
                  int *why);

    /*
     * 1: the descriptor is an epoll set (the SP schemes), which poll(2)
     * reports only as readable: a sending end is writable when it is
     * readable (the transport watches its connections for room), and
     * ipcx_poll asks for POLLIN in place of POLLOUT.
     */
    int fd_in_for_out;
};

/*
 * ipcx_recvv: a receive after the first message of a batch returned r < 0.
 * Keep the error for the next receive (chan.c returns it once), except
 * what is no error of the channel: nothing more there without a wait, or
 * a message too long for its buffer (it stays queued and comes again).
 */
static inline void ipcx__chan_keep_rxerr(struct ipcx_chan *ch, long r)
{
    if (r != -EAGAIN && r != -ETIMEDOUT && r != -EMSGSIZE && r != -EINTR)
        ch->rxerr = (int) r;
}

/*
 * batched sends (batch.c), for chan.c: ipcx_send of a message with
 * IPCX_MORE, or of any once a queue exists (what is queued goes first);
 * the queue sent within a timeout (ipcx_flush).
 */
int  ipcx__cork_send(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                     int timeout_ms);
int  ipcx__cork_flush(struct ipcx_chan *ch, int timeout_ms);
/* Flush what is queued, waiting 2 s at most, and free the queue: 0 or the flush's error. */
int  ipcx__cork_close(struct ipcx_chan *ch);
/* Are messages queued by this process (a forked copy's queue is never its own)? */
int  ipcx__corked(const struct ipcx_chan *ch);
/* ipcx_sendv after chan.c's checks of the channel: each message's, then the batch. */
long ipcx__batch_send(struct ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms);

/* The registry: NULL-terminated, in registry.c. */
extern const struct ipcx_transport *const ipcx__transports[];
const struct ipcx_transport *ipcx__transport_find(const char *scheme);

/* shm.c: the receivers registered on the ring of ch (pub/sub counts subscribers); -EINVAL if not shm. */
int ipcx__shm_receivers(const struct ipcx_chan *ch);

#endif
