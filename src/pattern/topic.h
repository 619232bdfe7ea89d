/*
 * topic.h - the wire form of pub/sub (src/pattern/pubsub.c): the header in
 * front of every published message, and the registration a subscriber
 * sends to a fan-out publisher.  Both come from other processes (a ring
 * any permitted user may write, a socket) and are checked whole before use.
 *
 * Message:      'P' 1 TYPE_MSG tlen | flags u32 (0) | seq u64 | topic | body
 * Registration: 'P' 1 TYPE_SUB flags | urllen u16 | nprefix u16 | 0 u32 |
 *               url | nprefix times (len u8, prefix)
 * Answer:       'P' 1 TYPE_REFUSE 0 | errno u32 | 0 u64   (errno 0: welcome,
 *               the first thing a new subscriber gets; EPIPE: the feed ended)
 * Integers are little-endian (tcp crosses machines).
 */
#ifndef IPCX_PATTERN_TOPIC_H
#define IPCX_PATTERN_TOPIC_H

#include <stddef.h>
#include <stdint.h>

#define IPCX_TOPIC_HDR     16
#define IPCX_TOPIC_MAGIC   'P'
#define IPCX_TOPIC_VERSION 1
#define IPCX_TOPIC_MSG     1
#define IPCX_TOPIC_SUB     2
#define IPCX_TOPIC_REFUSE  3
#define IPCX_TOPIC_LOSSY   0x1 /* registration flag */

/* A decoded message: pointers into the bytes given. */
struct ipcx__topic_msg {
    const char    *topic;  /* not NUL-terminated */
    size_t         tlen;
    uint64_t       seq;
    const uint8_t *body;
    size_t         len;
};

/* A decoded registration. */
struct ipcx__topic_reg {
    unsigned       flags;
    const char    *url;    /* not NUL-terminated, no NUL inside */
    size_t         urllen;
    unsigned       nprefix;
    const uint8_t *prefixes; /* nprefix times (len u8, bytes), all checked */
};

/* Write a message header for topic (tlen <= IPCX_TOPIC_MAX) into hdr (IPCX_TOPIC_HDR + tlen). */
void ipcx__topic_put(uint8_t *hdr, const char *topic, size_t tlen, uint64_t seq);

/*
 * Decode the message in b[0, n).  0, or -EBADMSG with a detail (short,
 * bad magic, version, type, flags; a topic past the end or with a NUL).
 * An answer sets *refused: 1 for a welcome, else its errno (-1..-4095);
 * 0 for a message.
 */
int ipcx__topic_decode(const uint8_t *b, size_t n, struct ipcx__topic_msg *m, int *refused);

/* 1 if the topic starts with the prefix. */
int ipcx__topic_match(const char *topic, size_t tlen, const char *prefix, size_t plen);

/*
 * Encode a registration into b (cap bytes): the length, or -EMSGSIZE.
 * prefixes: n NUL-terminated strings of at most IPCX_TOPIC_MAX bytes.
 */
long ipcx__topic_reg_put(uint8_t *b, size_t cap, unsigned flags, const char *url,
                         const char *const *prefixes, unsigned n);

/* Decode a registration; 0 or -EBADMSG (also for more than IPCX_SUB_PREFIXES prefixes). */
int ipcx__topic_reg_decode(const uint8_t *b, size_t n, struct ipcx__topic_reg *r);

/* An answer carrying err (negative; 0 is a welcome) into b (IPCX_TOPIC_HDR bytes). */
void ipcx__topic_refuse_put(uint8_t *b, int err);

#endif
