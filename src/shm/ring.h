/*
 * ring.h - the shared-memory ring: the layout of a segment (shared by
 * every process that maps it, so every field has a fixed width and place),
 * the per-handle state, and the internal API that src/transport/shm.c
 * calls (the ring's own files share ring_int.h besides).  One
 * implementation serves POSIX, System V and anonymous segments; seg.c
 * makes the memory, this code only sees base and size.
 *
 * Modes:  spsc   one sender, one receiver, variable-length byte ring
 *         mpsc   many senders, one receiver   } fixed slots, each message
 *         mpmc   many senders, many receivers } to exactly one receiver
 *         bcast  one sender, many receivers, byte ring, every receiver
 *                gets every message (overflow=block or drop)
 * docs/shm.md describes the layout, the wake-up protocol, the recovery
 * rules and what a hostile process can and cannot do.
 */
#ifndef IPCX_RING_H
#define IPCX_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../sys/sigbus.h"

#define IPCX_SHM_MAGIC   UINT64_C(0x31676e6972786370) /* "pcxring1" */
/* 3: senders ring doorbells too (a receiver that frees room must drain them) */
#define IPCX_SHM_VERSION 3u
/* Hot words are this far apart: a cache line and its prefetch buddy. */
#define IPCX_SHM_LINE    128
#define IPCX_SHM_PARTS   64u   /* participants (open handles) per segment */

enum ipcx__shm_mode { IPCX_SHM_SPSC, IPCX_SHM_MPSC, IPCX_SHM_MPMC, IPCX_SHM_BCAST,
                      IPCX_SHM_NMODES };

/* ipcx__shm_fixed.flags */
#define IPCX_SHM_F_DROP 0x1u  /* bcast: overflow=drop (else block) */
#define IPCX_SHM_F_KNOWN 0x1u

/* Written once by the creator before it publishes magic; read once on attach. */
struct ipcx__shm_fixed {
    uint64_t magic;       /* stored last, with release: the segment is ready */
    uint32_t version;
    uint32_t mode;        /* enum ipcx__shm_mode */
    uint32_t flags;       /* IPCX_SHM_F_* */
    uint32_t hdr_size;    /* sizeof (struct ipcx__shm_hdr) */
    uint32_t part_size;   /* sizeof (struct ipcx__shm_part) */
    uint32_t nparts;      /* IPCX_SHM_PARTS */
    uint32_t slot_size;   /* slot modes: bytes per slot, header included; else 0 */
    uint32_t nslots;      /* slot modes: a power of two; else 0 */
    uint64_t seg_size;    /* the whole segment */
    uint64_t data_off;    /* where the ring data starts (= hdr_size) */
    uint64_t data_size;   /* byte ring: a power of two; slots: nslots * slot_size */
    uint64_t maxmsg;      /* the largest message */
    uint64_t id;          /* random: names the doorbells of this segment */
    uint64_t sum;         /* checksum of every field above but magic */
};

/* A place to sleep: sleepers announce themselves in waiters, wakers bump seq. */
struct ipcx__shm_wake {
    _Atomic uint32_t seq;      /* the futex word */
    _Atomic uint32_t waiters;  /* how many may sleep on seq: nonzero = wake needed */
};

/* owner word of a participant: pid in the low 32 bits, then these. */
#define IPCX_PART_TX      (UINT64_C(1) << 32)
#define IPCX_PART_RX      (UINT64_C(2) << 32)
#define IPCX_PART_REAPING (UINT64_C(1) << 40) /* a survivor is cleaning up after it */
#define IPCX_PART_PID(o)  ((pid_t) ((o) & 0x7fffffff))

struct ipcx__shm_part {
    _Atomic uint64_t owner;   /* 0: free */
    _Atomic uint64_t start;   /* start time of the pid; 0 while registering */
    _Atomic uint64_t cursor;  /* bcast receiver: the next byte it reads */
    /*
     * 1: the doorbell is armed, ring it.  A receiver's (the ring was empty
     * for it) is rung by writing a byte to its FIFO, a sender's (the ring
     * was full for it) by reading its byte back: whoever takes the 1 rings.
     */
    _Atomic uint32_t bell;
    _Atomic uint32_t want;    /* sender: record bytes its last failed send needed (byte rings) */
    _Atomic uint32_t fifo;    /* 1: this participant may have a doorbell FIFO */
    /*
     * bcast overflow=drop receiver: 1 if it asked to lose nothing
     * (lossless=yes): the producer waits for its cursor instead of moving
     * the tail past it.  Written by the receiver at join, before it reads
     * the head; a forged 1 can only make the producer wait (stopped
     * progress, as any forged cursor).
     */
    _Atomic uint32_t hold;
    uint64_t pad[3];
};

struct ipcx__shm_hdr {
    struct ipcx__shm_fixed fx;
    /* Producer line: byte ring head (next byte written) or slot enqueue position. */
    alignas(IPCX_SHM_LINE) _Atomic uint64_t head;
    _Atomic uint64_t seq;     /* byte ring: sequence number of the next message */
    _Atomic uint64_t pubver;  /* bcast: odd while head and seq change together (seqlock) */
    /*
     * Sender line: byte ring: participant index + 1 of the sender between
     * loan and commit, 0 when free.  Apart from head, which receivers poll:
     * a CAS on a line the receiver holds would wait for the line every message.
     */
    alignas(IPCX_SHM_LINE) _Atomic uint32_t txlock;
    /* Consumer line: spsc receiver between peek and release (index + 1), 0 free. */
    alignas(IPCX_SHM_LINE) _Atomic uint32_t rxlock;
    /* Consumer line: byte ring tail (spsc), slot dequeue position, bcast drop tail. */
    alignas(IPCX_SHM_LINE) _Atomic uint64_t tail;
    alignas(IPCX_SHM_LINE) struct ipcx__shm_wake data;  /* receivers wait for messages */
    alignas(IPCX_SHM_LINE) struct ipcx__shm_wake space; /* senders wait for room */
    /* Membership: changes on open, close and reaping only. */
    alignas(IPCX_SHM_LINE) _Atomic uint32_t ntx; /* registered senders */
    _Atomic uint32_t nrx;              /* registered receivers (an alignas on "ntx, nrx"
                                          would align both: a line each) */
    _Atomic uint32_t txseen, rxseen;   /* 1 once any sender / receiver registered */
    _Atomic uint32_t users;            /* registered participants (unlink=last) */
    _Atomic uint32_t bells;            /* receivers with a doorbell */
    _Atomic uint32_t orphans;          /* slots: messages of dead receivers to redeliver */
    _Atomic uint32_t fenced;           /* 1: a participant cannot use membarrier(2), so
                                          wakers fence (docs/shm.md, wake-ups) */
    _Atomic uint32_t sbells;           /* senders whose doorbell is armed (full for them) */
    _Atomic uint32_t fifos;            /* 1 once anybody made a doorbell FIFO here */
    alignas(IPCX_SHM_LINE) struct ipcx__shm_part part[IPCX_SHM_PARTS];
};

/*
 * Byte ring record header; records start 16-byte aligned.  tag is the
 * message number XOR the segment's random id, stored last with release: a
 * receiver that finds the tag it expects at its cursor takes the record
 * without reading head (one cache line less per message).  Stale bytes
 * cannot pass for it by accident: an old record has an older number, and
 * payload bytes would have to hold the id.
 */
struct ipcx__shm_rec {
    uint32_t len;   /* payload bytes, or IPCX_REC_PAD: skip to the start of the ring */
    uint32_t prio;
    uint64_t tag;   /* seq ^ fx.id; seq checks order and counts bcast losses */
};
#define IPCX_REC_PAD 0xffffffffu
#define IPCX_REC_HDR 16u
/*
 * A payload of IPCX_REC_ALIGN bytes or more starts on the next 64-byte
 * boundary after its header (16 to 64 bytes after the record's start), so
 * that vector copies and zero-copy users meet whole cache lines; shorter
 * ones follow the header.  Both sides derive it from the record's index
 * and length.
 */
#define IPCX_REC_ALIGN 1024u

/* Offset of the payload in a record at index at (16-byte aligned). */
static inline uint64_t ipcx__rec_off(uint64_t at, uint64_t len)
{
    if (len < IPCX_REC_ALIGN)
        return IPCX_REC_HDR;
    return ((at + IPCX_REC_HDR + 63) & ~(uint64_t) 63) - at;
}

/* Bytes a record at index at takes: header, payload, padding to 16. */
static inline uint64_t ipcx__rec_span(uint64_t at, uint64_t len)
{
    return (ipcx__rec_off(at, len) + len + IPCX_REC_HDR - 1) & ~(uint64_t) (IPCX_REC_HDR - 1);
}

/* The most a record of len bytes can take (at a 64-byte boundary). */
static inline uint64_t ipcx__rec_max(uint64_t len)
{
    return ipcx__rec_span(0, len);
}

/* Slot header: 64 bytes, then the payload. */
struct ipcx__shm_slot {
    _Atomic uint64_t word;   /* position << 9 | state << 6 | owner part index */
    uint32_t len;            /* payload bytes, or IPCX_SLOT_SKIP */
    uint32_t prio;
    uint64_t pad[6];
};
#define IPCX_SLOT_HDR  64u
#define IPCX_SLOT_SKIP 0xffffffffu   /* a dead sender's unfinished slot: skip it */
enum { IPCX_SLOT_EMPTY, IPCX_SLOT_WRITING, IPCX_SLOT_FULL, IPCX_SLOT_READING,
       IPCX_SLOT_REDELIVER };

/* ---- per-handle state (private memory) ---------------------------------- */

struct ipcx__ring {
    struct ipcx__shm_hdr   *h;
    uint8_t                *data;
    struct ipcx__shm_fixed  fx;    /* the validated copy: the only source of sizes */
    uint64_t mask;                 /* byte ring: data_size - 1; slots: nslots - 1 */
    int      tx;                   /* 1: this handle sends, 0: receives */
    int      hold;                 /* bcast drop receiver: lossless=yes (shm_part.hold) */
    int      me;                   /* participant index, or -1 */
    uint64_t mine;                 /* the owner word we registered */
    uint64_t start;                /* the start time of pid */
    pid_t    pid;                  /* the process that registered */
    int      fork_me;              /* the entry claimed for a child during fork */
    /*
     * The mapping's SIGBUS zone (src/sys/sigbus.h), NULL if the segment
     * cannot shrink (a sealed memfd) or is not a registered mapping.
     * Once it is dead the segment shrank under us: every call is -EIO.
     * (pid and fork_me share a word so that the byte ring's hot fields
     * below kept their offsets when zone came.)
     */
    struct ipcx__sigbus_zone *zone;

    /* byte ring */
    uint64_t head;                 /* producer: shared head, kept locally */
    uint64_t limit;                /* producer: head may grow up to here without a look */
    uint64_t cursor;               /* consumer: next byte to read */
    uint64_t avail;                /* consumer: head seen last */
    uint64_t seq;                  /* producer: next number; consumer: next expected */
    int      seq_known;
    int      broken;               /* the indices found at join were impossible */
    int      locked;               /* byte ring: we hold txlock (sender) or rxlock (spsc receiver) */
    long long lost;                /* bcast drop: messages lost so far, not yet reported */
    long long lost_total;

    /* zero copy in progress */
    int      loaned, peeked;
    uint64_t at;                   /* loan: record position (after padding); peek: slot position */
    uint64_t pad;                  /* loan: padding bytes before it */
    uint64_t next;                 /* peek: cursor after the record */
    size_t   loan_len;
    size_t   peek_len;
    unsigned peek_prio;
    const uint8_t *peek_ptr;

    /* waiting */
    unsigned spin, spin_max;       /* adaptive busy-wait budget, tries */
    int      spin_fixed;           /* spin= given: always the whole budget (ring_wait.c) */
    unsigned long_waits;           /* waits in a row that outlasted the budget */
    int      spinning;             /* 1 while ipcx__ring_wait busy-waits: tries may look less */
    int      tag_miss;             /* the last such try found nothing for want of the tag alone */
    int64_t  try_ns;               /* one try of the spin takes about this long */
    struct ipcx__ring_waits {      /* why waits slept (IPCX_SHM_WAITS, ring_wait.c) */
        unsigned long long slow;   /* waits whose first look found nothing */
        unsigned long long nospin; /* ... that slept with no spin budget (spin=0) */
        unsigned long long low;    /* ... after spinning less than spin_max (adaptive) */
        unsigned long long spent;  /* ... after the whole spin_max */
        unsigned long long futex;  /* futex waits entered (a look after the barrier failed) */
        unsigned long long slices; /* of those, slices that timed out */
    } waits;
    int64_t  checked_ms;           /* last look at the peers */

    /* doorbells (ipcx_fd) */
    int      bellfd;               /* the read end of our own FIFO, or -1 (no descriptor yet) */
    int      bell_left;            /* leave could not remove our doorbell FIFO: -errno, else 0 */
    char     bellpath[128];
    /*
     * The other participants' FIFOs as we ring them: a receiver's write
     * end, a sender's read end, opened for the owner word and start time
     * in bellowner and bellstart; -1 if not open.  bellw[me] is the write
     * end of our own FIFO: a sender hands it out, a receiver rings itself.
     */
    int      bellw[IPCX_SHM_PARTS];
    uint64_t bellowner[IPCX_SHM_PARTS];
    uint64_t bellstart[IPCX_SHM_PARTS];

    struct ipcx__ring *prev_open, *next_open; /* every open handle, for fork */
    /* The mapping's pages (ring.c; docs/shm.md, Tail latency). */
    int      prefault;             /* fill this process's page tables for the segment */
    int      unfilled;             /* a forked child's copy: fill them at its first message call */
};

/* Options of a new segment. */
struct ipcx__ring_opts {
    unsigned mode;        /* enum ipcx__shm_mode */
    unsigned flags;       /* IPCX_SHM_F_* */
    size_t   size;        /* byte ring capacity, or total slot bytes */
    size_t   maxmsg;
};

/* The segment size for opts (0 if impossible: -EINVAL with a detail). */
size_t ipcx__ring_seg_size(const struct ipcx__ring_opts *o, uint32_t *nslots,
                           uint32_t *slot_size);
/* Lay out a new, zeroed segment of seg_size bytes and publish it (magic last). */
void ipcx__ring_format(void *base, size_t seg_size, const struct ipcx__ring_opts *o);

/*
 * Validate the segment at base (size bytes) and fill r->fx, r->h, r->data.
 * -EAGAIN while the creator of a System V segment has not laid it out yet
 * (a POSIX one is published only once laid out), -EPROTO for anything
 * wrong.  Touches nothing in the segment.
 */
int ipcx__ring_check(struct ipcx__ring *r, void *base, size_t size);

/*
 * Register r as a sender (tx = 1) or receiver.  limit_tx / limit_rx: at
 * most that many live ones (0: any); -EBUSY beyond.  spin_max: busy-wait
 * budget in tries, or -1 for the default.
 */
int ipcx__ring_join(struct ipcx__ring *r, int tx, unsigned limit, int spin_max);
/* Unregister (gives back a loan or a peeked message).  1 if r was the last participant. */
int ipcx__ring_leave(struct ipcx__ring *r);

/* Message API.  timeout_ms as poll(2); every error is a negative errno. */
int  ipcx__ring_loan(struct ipcx__ring *r, size_t len, void **buf, int timeout_ms);
int  ipcx__ring_commit(struct ipcx__ring *r, void *buf, size_t len, unsigned prio);
int  ipcx__ring_peek(struct ipcx__ring *r, const void **msg, size_t *len,
                     unsigned *prio, int timeout_ms);
int  ipcx__ring_release(struct ipcx__ring *r);
int  ipcx__ring_fd(struct ipcx__ring *r);

/* Copy a message into or out of a ring: memcpy, or a vector loop for large ones (copy.c). */
void ipcx__ring_copy(void *dst, const void *src, size_t n);

/*
 * -EIO (with a detail) if the segment shrank under this handle, else 0.
 * One load of private memory: the ends of the message calls check it.
 */
int  ipcx__ring_gone(const struct ipcx__ring *r);
static inline int ipcx__ring_dead(const struct ipcx__ring *r)
{
    return ipcx__sigbus_dead(r->zone);
}

/*
 * After join: with want 1 (prefault=yes), or -1 (the default) and a
 * segment of at most RING_PREFAULT_AUTO bytes, fault every page of the
 * segment into this process now, and again in a forked child before its
 * first message call, so that no message call takes a page fault.  Best
 * effort: on a kernel before 5.14, or where the pages cannot be had, they
 * fault on first touch as before.  want 0: they always do.
 */
void ipcx__ring_prefault(struct ipcx__ring *r, int want);

/* Look for dead peers and recover what they held.  Returns how many were reaped. */
int  ipcx__ring_check_peers(struct ipcx__ring *r);

/*
 * A whole send or receive: the one-piece path of the ring's kind when it
 * can be taken (the byte rings without a descriptor: ipcx__bytes_send,
 * ipcx__bytes_recv), else loan, copy, commit / peek, copy, release.
 * Receive: the length, -EMSGSIZE if cap is too small (the message stays),
 * -ENOBUFS if it was overwritten while it was copied (overflow=drop).
 */
int  ipcx__ring_send(struct ipcx__ring *r, const void *msg, size_t len, unsigned prio,
                     int timeout_ms);
long ipcx__ring_recv(struct ipcx__ring *r, void *buf, size_t cap, unsigned *prio,
                     int timeout_ms);
/* The last one out, or whoever removes the segment: remove dead owners' doorbell FIFOs. */
void ipcx__ring_bells_sweep(const struct ipcx__ring *r);

#endif
