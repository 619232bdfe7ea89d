/*
 * wire.c - the pattern header (pattern_int.h): its encoder, its checked
 * decoder, and the one rule that names a requester's reply channel.  No
 * system calls and no channels here; reqrep.c and rendezvous.c use them.
 */
#include "pattern_int.h"
#include "../util/err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char) (v >> 8);
    p[1] = (unsigned char) v;
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffffu);
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t) (v >> 32));
    put32(p + 4, (uint32_t) v);
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned) p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t) get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t) get32(p) << 32 | get32(p + 4);
}

size_t ipcx__pat_encode(const struct ipcx__pat_hdr *h, void *out, size_t cap)
{
    unsigned char *p = out;
    size_t n = IPCX_PAT_HDR + h->addrlen;

    if (cap < n || h->addrlen > IPCX_PAT_ADDRMAX)
        return 0; /* the callers size the buffer first: our own bug */
    memset(p, 0, IPCX_PAT_HDR);
    put16(p, IPCX_PAT_MAGIC);
    p[2] = IPCX_PAT_VERSION;
    p[3] = (unsigned char) h->kind;
    put16(p + 4, (unsigned) h->addrlen);
    put64(p + 8, h->id);
    put32(p + 16, h->pid);
    put64(p + 24, h->token);
    if (h->addrlen)
        memcpy(p + IPCX_PAT_HDR, h->addr, h->addrlen);
    return n;
}

static int wants_addr(unsigned kind)
{
    return kind == IPCX_PAT_REQUEST || kind == IPCX_PAT_SYNC;
}

int ipcx__pat_decode(const void *buf, size_t len, struct ipcx__pat_hdr *h)
{
    const unsigned char *p = buf;
    size_t alen;

    if (len < IPCX_PAT_HDR)
        return ipcx__fail(-EBADMSG, "pattern header: %zu bytes, fewer than %u", len,
                          IPCX_PAT_HDR);
    if (get16(p) != IPCX_PAT_MAGIC || p[2] != IPCX_PAT_VERSION)
        return ipcx__fail(-EBADMSG, "pattern header: not a request or reply of ipcx "
                                    "(magic 0x%04x, version %u)", get16(p), p[2]);
    if (p[3] < IPCX_PAT_REQUEST || p[3] > IPCX_PAT_ACK)
        return ipcx__fail(-EBADMSG, "pattern header: unknown kind %u", p[3]);
    if (get16(p + 6) != 0 || get32(p + 20) != 0)
        return ipcx__fail(-EBADMSG, "pattern header: reserved bits set");
    alen = get16(p + 4);
    if (alen > IPCX_PAT_ADDRMAX || alen > len - IPCX_PAT_HDR)
        return ipcx__fail(-EBADMSG, "pattern header: reply address of %zu bytes in a "
                                    "message of %zu", alen, len);
    if (wants_addr(p[3]) != (alen > 0) ||
        wants_addr(p[3]) != (get32(p + 16) != 0) ||
        (!wants_addr(p[3]) && get64(p + 24) != 0))
        return ipcx__fail(-EBADMSG, "pattern header: a %s %s a reply address",
                          wants_addr(p[3]) ? "request" : "reply",
                          wants_addr(p[3]) ? "without" : "with");
    for (size_t i = 0; i < alen; i++)
        if (p[IPCX_PAT_HDR + i] < 0x21 || p[IPCX_PAT_HDR + i] > 0x7e)
            return ipcx__fail(-EBADMSG, "pattern header: reply address byte %zu is 0x%02x",
                              i, p[IPCX_PAT_HDR + i]);
    h->kind = p[3];
    h->id = get64(p + 8);
    h->pid = get32(p + 16);
    h->token = get64(p + 24);
    h->addr = alen ? (const char *) p + IPCX_PAT_HDR : NULL;
    h->addrlen = alen;
    h->payload = p + IPCX_PAT_HDR + alen;
    h->len = len - IPCX_PAT_HDR - alen;
    return 0;
}

/*
 * The reply channel of a requester, by the scheme of the request channel:
 *
 *   unix:ANY[?type=stream|seqpacket]
 *                      conn:   the reply comes back on the requester's own
 *                      connection: no channel to make, find, forge or leave
 *   unix:ANY?type=dgram
 *                      unix:@ipcx-r-PID-TOKEN?type=dgram  abstract: no file
 *                      to replace by a symbolic link, nothing left on a crash
 *   fifo:/path         fifo:/path.rPID-TOKEN            beside the server's FIFO
 *   mq:/name           mq:/name.rPID-TOKEN
 *   shm:/name          shm:/name.rPID-TOKEN?mode=mpsc   several servers may answer
 *
 * Any other scheme has no reply path that a server could check (pipe: and
 * anonymous rings have no names; tcp: would let a request send the server
 * to any host and port; System V keys are one flat space where any key may
 * name another user's object): -ENOTSUP.
 */
int ipcx__pat_reply_url(const char *chan_addr, uint32_t pid, uint64_t token,
                        char *out, size_t cap)
{
    const char *q = strchr(chan_addr, '?');
    size_t blen = q ? (size_t) (q - chan_addr) : strlen(chan_addr);
    char tail[64];
    int n;

    snprintf(tail, sizeof tail, "%" PRIu32 "-%016" PRIx64, pid, token);
    if (strncmp(chan_addr, "unix:", 5) == 0) {
        const char *type = "";
        if (q && (strcmp(q, "?type=seqpacket") == 0 || strcmp(q, "?type=dgram") == 0 ||
                  strcmp(q, "?type=stream") == 0))
            type = q;
        else if (q)
            return ipcx__fail(-ENOTSUP, "%s: no reply path for this address", chan_addr);
        n = strcmp(type, "?type=dgram") == 0
                ? snprintf(out, cap, "unix:@ipcx-r-%s%s", tail, type)
                : snprintf(out, cap, "%s", IPCX_PAT_CONN);
    } else if (q) {
        return ipcx__fail(-ENOTSUP, "%s: no reply path for this address", chan_addr);
    } else if ((strncmp(chan_addr, "fifo:/", 6) == 0 || strncmp(chan_addr, "mq:/", 4) == 0)) {
        n = snprintf(out, cap, "%.*s.r%s", (int) blen, chan_addr, tail);
    } else if (strncmp(chan_addr, "shm:/", 5) == 0) {
        n = snprintf(out, cap, "%.*s.r%s?mode=mpsc", (int) blen, chan_addr, tail);
    } else {
        return ipcx__fail(-ENOTSUP, "%s: request/reply needs a named unix:, fifo:, mq: "
                                    "or shm: channel", chan_addr);
    }
    if (n < 0 || (size_t) n >= cap || (size_t) n > IPCX_PAT_ADDRMAX)
        return ipcx__fail(-ENOSPC, "%s: the reply address would be too long", chan_addr);
    return n;
}
