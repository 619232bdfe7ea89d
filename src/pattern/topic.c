/*
 * topic.c - encode and check the wire form of pub/sub (topic.h).  Every
 * length and offset read here is checked against the bytes received
 * before anything is read at it; nothing here allocates.
 */
#include "topic.h"
#include "../util/err.h"
#include "ipcx/pubsub.h"

#include <errno.h>
#include <string.h>

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned) p[0] | (unsigned) p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void ipcx__topic_put(uint8_t *hdr, const char *topic, size_t tlen, uint64_t seq)
{
    hdr[0] = IPCX_TOPIC_MAGIC;
    hdr[1] = IPCX_TOPIC_VERSION;
    hdr[2] = IPCX_TOPIC_MSG;
    hdr[3] = (uint8_t) tlen;
    put32(hdr + 4, 0);
    put64(hdr + 8, seq);
    memcpy(hdr + IPCX_TOPIC_HDR, topic, tlen);
}

void ipcx__topic_refuse_put(uint8_t *b, int err)
{
    memset(b, 0, IPCX_TOPIC_HDR);
    b[0] = IPCX_TOPIC_MAGIC;
    b[1] = IPCX_TOPIC_VERSION;
    b[2] = IPCX_TOPIC_REFUSE;
    put32(b + 4, (uint32_t) -err);
}

/* The fixed part: magic and version, and the type. */
static int topic_head(const uint8_t *b, size_t n, unsigned *type)
{
    if (n < IPCX_TOPIC_HDR)
        return ipcx__fail(-EBADMSG, "pub/sub: a message of %zu bytes is shorter than its "
                                    "%d-byte header", n, IPCX_TOPIC_HDR);
    if (b[0] != IPCX_TOPIC_MAGIC || b[1] != IPCX_TOPIC_VERSION)
        return ipcx__fail(-EBADMSG, "pub/sub: not a pub/sub message (magic 0x%02x, "
                                    "version %u)", b[0], b[1]);
    *type = b[2];
    return 0;
}

int ipcx__topic_decode(const uint8_t *b, size_t n, struct ipcx__topic_msg *m, int *refused)
{
    unsigned type = 0; /* set by topic_head when it returns 0 (gcc -O2 cannot tell) */
    int rc = topic_head(b, n, &type);
    if (rc < 0)
        return rc;
    if (type == IPCX_TOPIC_REFUSE) {
        uint32_t e = get32(b + 4);
        *refused = e == 0 ? 1 : e <= 4095 ? -(int) e : -ECONNREFUSED;
        return 0;
    }
    if (type != IPCX_TOPIC_MSG || get32(b + 4) != 0)
        return ipcx__fail(-EBADMSG, "pub/sub: message type %u, flags 0x%x", type,
                          (unsigned) get32(b + 4));
    size_t tlen = b[3];
    if (tlen > n - IPCX_TOPIC_HDR)
        return ipcx__fail(-EBADMSG, "pub/sub: a topic of %zu bytes in a message of %zu",
                          tlen, n);
    const char *t = (const char *) b + IPCX_TOPIC_HDR;
    if (memchr(t, '\0', tlen))
        return ipcx__fail(-EBADMSG, "pub/sub: a topic with a NUL byte");
    *refused = 0;
    m->topic = t;
    m->tlen = tlen;
    m->seq = get64(b + 8);
    m->body = b + IPCX_TOPIC_HDR + tlen;
    m->len = n - IPCX_TOPIC_HDR - tlen;
    return 0;
}

int ipcx__topic_match(const char *topic, size_t tlen, const char *prefix, size_t plen)
{
    return plen <= tlen && memcmp(topic, prefix, plen) == 0;
}

long ipcx__topic_reg_put(uint8_t *b, size_t cap, unsigned flags, const char *url,
                         const char *const *prefixes, unsigned n)
{
    size_t ulen = strlen(url), o = IPCX_TOPIC_HDR + ulen;
    if (ulen > 0xffff || n > IPCX_SUB_PREFIXES || o > cap)
        return -EMSGSIZE;
    b[0] = IPCX_TOPIC_MAGIC;
    b[1] = IPCX_TOPIC_VERSION;
    b[2] = IPCX_TOPIC_SUB;
    b[3] = (uint8_t) flags;
    put16(b + 4, (unsigned) ulen);
    put16(b + 6, n);
    put64(b + 8, 0);
    memcpy(b + IPCX_TOPIC_HDR, url, ulen);
    for (unsigned i = 0; i < n; i++) {
        size_t pl = strlen(prefixes[i]);
        if (pl > IPCX_TOPIC_MAX || o + 1 + pl > cap)
            return -EMSGSIZE;
        b[o++] = (uint8_t) pl;
        memcpy(b + o, prefixes[i], pl);
        o += pl;
    }
    return (long) o;
}

int ipcx__topic_reg_decode(const uint8_t *b, size_t n, struct ipcx__topic_reg *r)
{
    unsigned type = 0; /* as above */
    int rc = topic_head(b, n, &type);
    if (rc < 0)
        return rc;
    if (type != IPCX_TOPIC_SUB || (b[3] & ~IPCX_TOPIC_LOSSY) || get64(b + 8) != 0)
        return ipcx__fail(-EBADMSG, "pub/sub: a registration of type %u, flags 0x%x", type,
                          b[3]);
    size_t ulen = get16(b + 4), np = get16(b + 6), o = IPCX_TOPIC_HDR;
    if (np > IPCX_SUB_PREFIXES)
        return ipcx__fail(-EBADMSG, "pub/sub: %zu prefixes, at most %d", np,
                          IPCX_SUB_PREFIXES);
    if (ulen == 0 || ulen > n - o || memchr(b + o, '\0', ulen))
        return ipcx__fail(-EBADMSG, "pub/sub: a reply address of %zu bytes in a "
                                    "registration of %zu", ulen, n);
    r->flags = b[3];
    r->url = (const char *) b + o;
    r->urllen = ulen;
    o += ulen;
    r->prefixes = b + o;
    for (size_t i = 0; i < np; i++) {
        if (o >= n || b[o] > n - o - 1 || memchr(b + o + 1, '\0', b[o]))
            return ipcx__fail(-EBADMSG, "pub/sub: prefix %zu runs past the registration", i);
        o += 1 + (size_t) b[o];
    }
    if (o != n)
        return ipcx__fail(-EBADMSG, "pub/sub: %zu bytes after the prefixes", n - o);
    r->nprefix = (unsigned) np;
    return 0;
}
