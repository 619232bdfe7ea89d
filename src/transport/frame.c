/*
 * frame.c - encode and check frame headers, and reassemble split messages.
 * Everything here reads bytes a peer sent: nothing is trusted before the
 * header check, and no length is used before it is compared with the limit.
 * It makes no system calls (the writer-alive check is the caller's).
 */
#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A split message's buffer starts this small and doubles as chunks come. */
#define REASM_MIN 4096u

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t) (v >> 8); p[1] = (uint8_t) v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24); p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);  p[3] = (uint8_t) v;
}
static unsigned get16(const uint8_t *p) { return (unsigned) p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* FNV-1a over the header without its check field, folded to 16 bits. */
static unsigned frame_check(const uint8_t *h)
{
    uint32_t x = 2166136261u;
    for (int i = 0; i < IPCX_FRAME_HDR; i++) {
        if (i == 6 || i == 7)
            continue;
        x = (x ^ h[i]) * 16777619u;
    }
    return (x ^ (x >> 16)) & 0xffffu;
}

void ipcx__frame_encode(uint8_t h[IPCX_FRAME_HDR], const struct ipcx__frame *f)
{
    put16(h, IPCX_FRAME_MAGIC);
    h[2] = IPCX_FRAME_VERSION;
    h[3] = (uint8_t) f->flags;
    put16(h + 4, f->prio);
    put32(h + 8, f->writer);
    put32(h + 12, f->total);
    put32(h + 16, f->len);
    put16(h + 6, frame_check(h));
}

int ipcx__frame_decode(const uint8_t *p, size_t n, size_t maxmsg,
                       struct ipcx__frame *out)
{
    struct ipcx__frame f;

    if (n < IPCX_FRAME_HDR)
        return -EAGAIN;
    if (get16(p) != IPCX_FRAME_MAGIC || p[2] != IPCX_FRAME_VERSION ||
        (p[3] & ~IPCX_FRAME_WHOLE) != 0 || get16(p + 6) != frame_check(p))
        return -EBADMSG;
    f.flags = p[3];
    f.prio = get16(p + 4);
    f.writer = get32(p + 8);
    f.total = get32(p + 12);
    f.len = get32(p + 16);
    if (f.total > maxmsg || f.total > IPCX_FRAME_TOTAL_MAX || f.len > f.total)
        return -EBADMSG;
    if (f.flags == IPCX_FRAME_WHOLE && f.len != f.total)
        return -EBADMSG;
    if (f.flags != IPCX_FRAME_WHOLE && (f.writer == 0 || f.len == 0))
        return -EBADMSG; /* a split message names its writer and moves forward */
    if (f.flags == IPCX_FRAME_FIRST && f.len >= f.total)
        return -EBADMSG;
    *out = f; /* written only once every check passed */
    return 0;
}

int ipcx__frame_prefix(const uint8_t *p, size_t n)
{
    if (n >= 1 && p[0] != (IPCX_FRAME_MAGIC >> 8))
        return 0;
    if (n >= 2 && p[1] != (IPCX_FRAME_MAGIC & 0xffu))
        return 0;
    if (n >= 3 && p[2] != IPCX_FRAME_VERSION)
        return 0;
    return n < 4 || (p[3] & ~IPCX_FRAME_WHOLE) == 0;
}

void ipcx__reasm_init(struct ipcx__reasm *r)
{
    memset(r, 0, sizeof *r);
    r->done = -1;
}

static void reasm_drop(struct ipcx__reasm *r, int i)
{
    r->bytes -= r->part[i].cap;
    free(r->part[i].buf);
    memset(&r->part[i], 0, sizeof r->part[i]);
}

static int reasm_find(const struct ipcx__reasm *r, uint32_t writer)
{
    for (int i = 0; i < IPCX_REASM_SLOTS; i++)
        if (r->part[i].writer == writer)
            return i;
    return -1;
}

/* A free slot, or the oldest partial message evicted (counted as lost). */
static int reasm_slot(struct ipcx__reasm *r)
{
    int oldest = -1;
    for (int i = 0; i < IPCX_REASM_SLOTS; i++) {
        if (r->part[i].writer == 0 && i != r->done)
            return i;
        if (i != r->done && (oldest < 0 || r->part[i].age < r->part[oldest].age))
            oldest = i;
    }
    reasm_drop(r, oldest);
    r->lost++;
    return oldest;
}

int ipcx__reasm_evict(struct ipcx__reasm *r)
{
    int oldest = -1;
    for (int i = 0; i < IPCX_REASM_SLOTS; i++)
        if (r->part[i].writer != 0 && i != r->done &&
            (oldest < 0 || r->part[i].age < r->part[oldest].age))
            oldest = i;
    if (oldest < 0)
        return 0;
    reasm_drop(r, oldest);
    r->lost++;
    return 1;
}

/*
 * Room in slot i for n more bytes.  The buffer doubles, up to the total
 * the first chunk announced, so a writer that announces a large message
 * and sends little of it holds little: memory follows the bytes that came.
 */
static int reasm_room(struct ipcx__reasm *r, int i, uint32_t n)
{
    uint32_t need = r->part[i].got + n, cap = r->part[i].cap;
    if (need <= cap)
        return 0;
    if (cap < REASM_MIN)
        cap = REASM_MIN;
    while (cap < need)
        cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
    if (cap > r->part[i].total)
        cap = r->part[i].total; /* need <= total: feed checked */
    uint8_t *b = realloc(r->part[i].buf, cap);
    if (!b)
        return -ENOMEM;
    r->bytes += cap - r->part[i].cap;
    r->part[i].buf = b;
    r->part[i].cap = cap;
    return 0;
}

int ipcx__reasm_feed(struct ipcx__reasm *r, const struct ipcx__frame *f,
                     const uint8_t *payload, const uint8_t **msg, size_t *len,
                     unsigned *prio)
{
    int i;

    if (r->done >= 0)
        ipcx__reasm_consume(r);
    i = reasm_find(r, f->writer);
    if (f->flags & IPCX_FRAME_FIRST) {
        if (i >= 0) {
            /* The writer started anew: its last message was abandoned
             * (the writer was killed and its thread id reused). */
            reasm_drop(r, i);
            r->lost++;
        }
        i = reasm_slot(r);
        r->part[i].writer = f->writer;
        r->part[i].total = f->total;
        r->part[i].prio = f->prio;
        r->part[i].got = 0;
    } else if (i < 0) {
        return -EBADMSG; /* a continuation of nothing we know */
    } else if (r->part[i].total != f->total || r->part[i].prio != f->prio ||
               f->len > r->part[i].total - r->part[i].got ||
               ((f->flags & IPCX_FRAME_LAST) != 0) !=
                   (r->part[i].got + f->len == r->part[i].total)) {
        reasm_drop(r, i);
        r->lost++;
        return -EBADMSG;
    }
    if (reasm_room(r, i, f->len) < 0) {
        reasm_drop(r, i);
        r->lost++;
        return -ENOMEM;
    }
    memcpy(r->part[i].buf + r->part[i].got, payload, f->len);
    r->part[i].got += f->len;
    r->part[i].age = ++r->tick;
    if (!(f->flags & IPCX_FRAME_LAST))
        return 0;
    r->done = i;
    *msg = r->part[i].buf;
    *len = r->part[i].total;
    *prio = r->part[i].prio;
    return 1;
}

void ipcx__reasm_consume(struct ipcx__reasm *r)
{
    if (r->done >= 0)
        reasm_drop(r, r->done);
    r->done = -1;
}

void ipcx__reasm_reset(struct ipcx__reasm *r)
{
    for (int i = 0; i < IPCX_REASM_SLOTS; i++) {
        if (r->part[i].writer != 0 && i != r->done)
            r->lost++;
        if (i != r->done)
            reasm_drop(r, i);
    }
}

void ipcx__reasm_fini(struct ipcx__reasm *r)
{
    for (int i = 0; i < IPCX_REASM_SLOTS; i++)
        reasm_drop(r, i);
    r->done = -1;
}
