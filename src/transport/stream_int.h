/*
 * stream_int.h - what the rooms of the stream engine share (stream.c the
 * channel ops, stream_src.c a source's buffer and framing, stream_rx.c the
 * receiver, stream_tx.c the sender).  Not for transports: they use stream.h.
 */
#ifndef IPCX_STREAM_INT_H
#define IPCX_STREAM_INT_H

#include "stream.h"
#include "../sys/sys.h"

#include <stdint.h>

#define SRC_BUF_MIN   (64 * 1024) /* read buffer of a stream source: not charged to the budget */
#define RX_MAX_SOURCES 1024       /* senders one receiver takes at once */
#define RX_ACCEPTS    64          /* connections taken per wake-up, so messages are not starved */
#define RX_BACKOFF_MS 100         /* a listener that failed for want of memory rests this long */
#define RX_AWAY_MS    1000        /* a longer gap between receives is the application's: no stall */
#define RX_BUDGET_DEFAULT ((size_t) 64 << 20)
#define RX_STALL_DEFAULT_MS 10000
#define TX_LINGER_MS  2000        /* close waits this long to flush an accepted message */

/* One source of a receiver: a pipe, a datagram socket or one connection. */
struct ipcx__src {
    int      fd;
    uint64_t serial;       /* unique in this process: names the connection across fd reuse */
    int      peer_known;   /* stream_back.c: peer_pid/peer_uid read (once per connection) */
    long     peer_pid, peer_uid;
    pid_t    rec_pid;      /* IPCX_RX_CRED: the sender of the record in buf (the kernel's) */
    int      eof;          /* the last read saw end of file */
    uint8_t *buf;
    size_t   cap, beg, end; /* unread bytes are buf[beg, end) */
    size_t   want;         /* bytes from beg the frame there needs, once known */
    size_t   charge;       /* what this source counts against the budget */
    int64_t  since;        /* when its partial frame began (ms), 0 when none */
    int64_t  last;         /* when it last sent a byte or was accepted (ms) */
    struct ipcx__reasm ra;
    /* The whole message found by src_parse, until consumed. */
    int      have;
    int      from_ra;      /* it lives in ra, not in buf */
    const uint8_t *msg;
    size_t   len;
    size_t   used;         /* bytes of buf it takes (header or newline included) */
    unsigned prio;
    int      skipping;     /* framing=lines: the rest of a too-long line is dropped */
    /* The pipe receiver's wait without polling (stream_src.c). */
    int      blocking;     /* fd is in blocking mode now (we cleared O_NONBLOCK) */
    int      seen;         /* a writer was there since the open: a read of 0 is the end */
};

/*
 * The clock of the stall, shed and listener-pause rules, which only a
 * receiver of connections (a listener) applies: 0 elsewhere, without reading
 * the clock (a vDSO clock_gettime was a tenth of a small pipe message's
 * cost).  The coarse clock: these rules count seconds, and the precise one
 * was ~40% of a batched flood's receiver (read several times a message).
 * Every time these rules compare comes from here.
 */
static inline int64_t ipcx__rx_clock(const struct ipcx__rx *rx)
{
    return rx->lfd >= 0 ? ipcx__coarse_ms() : 0;
}

static inline struct ipcx__schan *ipcx__schan_of(const struct ipcx_chan *ch)
{
    return ch->impl;
}

/* stream_src.c: a source's buffer, its budget charge and the frames in it. */
struct ipcx__src *ipcx__src_new(int fd);
void ipcx__src_free(struct ipcx__src *s);
int  ipcx__src_idle(const struct ipcx__src *s);
/* Read what the source has: 1 more bytes, 0 nothing now, -errno (see there).
 * wait: a pipe source may sleep in read(2) until bytes come (-EINTR then). */
int  ipcx__src_fill(struct ipcx__rx *rx, struct ipcx__src *s, int wait);
/* Find the next whole message in the source: 1 found, 0 not yet, -EBADMSG. */
int  ipcx__src_parse(struct ipcx__rx *rx, struct ipcx__src *s);
void ipcx__src_skip_bad(struct ipcx__rx *rx, struct ipcx__src *s);
/* The message src_parse found is taken: drop it from the buffer. */
void ipcx__src_consume(struct ipcx__rx *rx, struct ipcx__src *s);

/* stream_src.c: how many sources are connections, and a source's charge
 * against the budget brought up to date. */
int  ipcx__rx_conn(const struct ipcx__rx *rx);
void ipcx__rx_account(struct ipcx__rx *rx, struct ipcx__src *s);

/* stream_rx.c: drop source i (close it, free it, count what it held). */
void ipcx__rx_drop(struct ipcx__rx *rx, size_t i);

#endif
