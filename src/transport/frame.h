/*
 * frame.h - how a message crosses a byte stream, and how the chunks of one
 * sent through a shared pipe are put back together.
 *
 * Every message is sent as one or more chunks, each a 20-byte header and
 * payload (all numbers big-endian):
 *
 *   0  u16 magic   0x4958 ("IX")
 *   2  u8  version 1
 *   3  u8  flags   FIRST (0x01) | LAST (0x02); a whole message is FIRST|LAST
 *   4  u16 prio    the message's priority
 *   6  u16 check   a hash of the other 18 header bytes
 *   8  u32 writer  who sends the chunks of a split message (a thread id); 0 if whole
 *  12  u32 total   the whole message's length
 *  16  u32 len     this chunk's payload length
 *
 * Sockets send every message whole.  A pipe or FIFO may have many writers,
 * and only writes of up to PIPE_BUF bytes are atomic, so a longer message is
 * split into chunks of at most PIPE_BUF bytes: chunks of different writers
 * may interleave, but never tear, and the receiver reassembles by writer.
 */
#ifndef IPCX_FRAME_H
#define IPCX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define IPCX_FRAME_HDR     20
#define IPCX_FRAME_MAGIC   0x4958u
#define IPCX_FRAME_VERSION 1u
#define IPCX_FRAME_FIRST   0x01u
#define IPCX_FRAME_LAST    0x02u
#define IPCX_FRAME_WHOLE   (IPCX_FRAME_FIRST | IPCX_FRAME_LAST)
#define IPCX_FRAME_PRIO_MAX 0xffffu
#define IPCX_FRAME_TOTAL_MAX 0x7fffffffu /* a frame never announces more */

struct ipcx__frame {
    unsigned flags;
    unsigned prio;
    uint32_t writer;
    uint32_t total;
    uint32_t len;
};

void ipcx__frame_encode(uint8_t hdr[IPCX_FRAME_HDR], const struct ipcx__frame *f);

/*
 * Decode and check a header from n bytes at p.  0 on success, -EAGAIN when
 * n < IPCX_FRAME_HDR, -EBADMSG when the header is not one ipcx would send
 * or announces more than maxmsg bytes.
 */
int ipcx__frame_decode(const uint8_t *p, size_t n, size_t maxmsg,
                       struct ipcx__frame *f);

/*
 * 1 if the n bytes at p (any n, fewer than a header too) could begin a
 * header ipcx sends: its magic, version and flag bits; 0 if they cannot,
 * so a plain writer (echo, nc) is told apart early.
 */
int ipcx__frame_prefix(const uint8_t *p, size_t n);

/* Messages being reassembled from chunks, per writer. */
#define IPCX_REASM_SLOTS 16

struct ipcx__reasm {
    struct {
        uint32_t writer; /* 0: slot free */
        uint32_t total, got;
        unsigned prio;
        uint64_t age;
        uint8_t *buf;
        uint32_t cap;    /* bytes allocated at buf: grows with what arrived, never
                            with what a header merely announces */
    } part[IPCX_REASM_SLOTS];
    uint64_t tick;
    size_t   bytes;      /* the sum of every slot's cap, for the receiver's budget */
    int      done;       /* slot of the completed message handed out, or -1 */
    unsigned long lost;  /* partial messages dropped (writer died, evicted) */
};

void ipcx__reasm_init(struct ipcx__reasm *r);

/*
 * Take one chunk that is not FIRST|LAST.  Returns 1 with msg, len and prio
 * set when the chunk completes a message (valid until ipcx__reasm_consume),
 * 0 when more chunks are needed, -EBADMSG when the chunk does not continue
 * its writer's message, -ENOMEM.
 */
int ipcx__reasm_feed(struct ipcx__reasm *r, const struct ipcx__frame *f,
                     const uint8_t *payload, const uint8_t **msg, size_t *len,
                     unsigned *prio);

/*
 * Drop the partial message that least recently received a chunk (counted
 * in lost), to bring bytes under a budget.  Returns 1, or 0 when there is
 * no partial message left to drop (a completed one is never dropped).
 */
int ipcx__reasm_evict(struct ipcx__reasm *r);

/* Free the message that feed completed. */
void ipcx__reasm_consume(struct ipcx__reasm *r);

/* Drop every partial message (all writers gone). */
void ipcx__reasm_reset(struct ipcx__reasm *r);

/* Free everything; the struct may be reused after ipcx__reasm_init(). */
void ipcx__reasm_fini(struct ipcx__reasm *r);

#endif
