/*
 * frame_decode.c - libFuzzer target: frame headers (ipcx__frame_decode)
 * and the reassembly table (ipcx__reasm_*), without descriptors.
 *
 * Input: byte 0 picks maxmsg (low 3 bits) and the mode (bit 3).
 *   raw mode: the rest is a byte stream as a pipe would deliver it.  Each
 *     header is decoded and compared with a reference decoder written out
 *     here from frame.h; a good one's chunk goes to a reassembly table, a
 *     bad one is skipped a byte at a time (as stream.c resyncs a pipe).
 *   structured mode: the rest is a list of 12-byte records
 *       op flags (1) | prio (2) | writer (1) | total (3) | len (3) | pad (2)
 *     op 0xfe resets the table, 0xfd consumes; any other op is the flags
 *     byte of a header that is encoded (with a correct check), decoded and,
 *     if good and not whole, fed to the table.  Payload bytes are a pattern
 *     of (writer, message, offset), and a model of the table (a list in
 *     order of last activity) predicts every result, the lost count, and
 *     the bytes of every completed message.
 */
#include "transport/frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

static const size_t fz_maxmsgs[8] = { 0, 1, 2, 20, 100, 4096, 65536, 1u << 20 };

/* ---- the reference decoder, from frame.h ---------------------------------- */

static uint32_t be(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int ref_valid(unsigned flags, uint32_t writer, uint32_t total, uint32_t len,
                     size_t maxmsg)
{
    if (flags & ~IPCX_FRAME_WHOLE)
        return 0;
    if (total > maxmsg || total > IPCX_FRAME_TOTAL_MAX || len > total)
        return 0;
    if (flags == IPCX_FRAME_WHOLE)
        return len == total;
    if (writer == 0 || len == 0)
        return 0;
    return flags != IPCX_FRAME_FIRST || len < total;
}

static int ref_decode(const uint8_t *h, size_t maxmsg, struct ipcx__frame *f)
{
    uint32_t x = 2166136261u;
    for (int i = 0; i < IPCX_FRAME_HDR; i++)
        if (i != 6 && i != 7)
            x = (x ^ h[i]) * 16777619u;
    if (be(h, 2) != 0x4958 || h[2] != 1 || be(h + 6, 2) != ((x ^ (x >> 16)) & 0xffff))
        return -EBADMSG;
    f->flags = h[3];
    f->prio = be(h + 4, 2);
    f->writer = be(h + 8, 4);
    f->total = be(h + 12, 4);
    f->len = be(h + 16, 4);
    return ref_valid(f->flags, f->writer, f->total, f->len, maxmsg) ? 0 : -EBADMSG;
}

/* Decode with the library and the reference; they must agree. */
static int fz_decode(const uint8_t *p, size_t n, size_t maxmsg, struct ipcx__frame *f)
{
    struct ipcx__frame want = { 0 }, got = { 7, 7, 7, 7, 7 };
    int r = ipcx__frame_decode(p, n, maxmsg, &got);
    if (n < IPCX_FRAME_HDR) {
        FZ_CHECK(r == -EAGAIN);
        return r;
    }
    int w = ref_decode(p, maxmsg, &want);
    FZ_CHECK(r == w);
    if (r == 0) {
        FZ_CHECK(got.flags == want.flags && got.prio == want.prio &&
                 got.writer == want.writer && got.total == want.total &&
                 got.len == want.len);
        /* and it encodes back to the same bytes */
        uint8_t h[IPCX_FRAME_HDR];
        ipcx__frame_encode(h, &got);
        FZ_CHECK(memcmp(h, p, IPCX_FRAME_HDR) == 0);
        *f = got;
    } else {
        FZ_CHECK(got.flags == 7 && got.prio == 7 && got.writer == 7 && got.total == 7 &&
                 got.len == 7); /* untouched on failure */
    }
    return r;
}

/*
 * Memory follows the bytes that came: every partial message's buffer is at
 * most twice what arrived (at least frame.c's 4 KiB start), never more than
 * its total, and the table's byte count is the sum of them.
 */
static void fz_bounded(const struct ipcx__reasm *r)
{
    size_t sum = 0;
    for (int i = 0; i < IPCX_REASM_SLOTS; i++) {
        uint32_t cap = r->part[i].cap, got = r->part[i].got;
        sum += cap;
        if (r->part[i].writer == 0)
            continue;
        FZ_CHECK(cap <= r->part[i].total);
        FZ_CHECK(cap <= 4096 || cap / 2 < got);
    }
    FZ_CHECK(sum == r->bytes);
}

/* ---- raw mode ----------------------------------------------------------------- */

static void fz_raw(const uint8_t *p, size_t n, size_t maxmsg)
{
    struct ipcx__reasm r;
    size_t pos = 0;
    unsigned long lost = 0;

    ipcx__reasm_init(&r);
    (void) fz_decode(p, n < IPCX_FRAME_HDR ? n : IPCX_FRAME_HDR - 1, maxmsg, NULL);
    while (pos + IPCX_FRAME_HDR <= n) {
        struct ipcx__frame f;
        if (fz_decode(p + pos, n - pos, maxmsg, &f) < 0) {
            pos++;
            continue;
        }
        if (n - pos - IPCX_FRAME_HDR < f.len)
            break; /* a torn tail */
        const uint8_t *payload = p + pos + IPCX_FRAME_HDR;
        pos += IPCX_FRAME_HDR + f.len;
        if (f.flags == IPCX_FRAME_WHOLE)
            continue;
        const uint8_t *msg = NULL;
        size_t len = 0;
        unsigned prio = 0;
        int k = ipcx__reasm_feed(&r, &f, payload, &msg, &len, &prio);
        FZ_CHECK(k == 0 || k == 1 || k == -EBADMSG);
        fz_bounded(&r);
        FZ_CHECK(r.lost >= lost);
        lost = r.lost;
        if (k == 1) {
            FZ_CHECK(len == f.total && prio == f.prio && msg != NULL);
            FZ_CHECK(f.flags & IPCX_FRAME_LAST);
            /* the message ends with this chunk */
            FZ_CHECK(memcmp(msg + len - f.len, payload, f.len) == 0);
            if (pos % 3 == 0)
                ipcx__reasm_consume(&r);
        }
    }
    if (r.bytes > 0 && (pos & 1)) {
        /* evicting every partial message (as a budget would) empties the table */
        while (ipcx__reasm_evict(&r))
            fz_bounded(&r);
        FZ_CHECK(r.lost >= lost);
        ipcx__reasm_consume(&r);
        FZ_CHECK(r.bytes == 0);
    }
    ipcx__reasm_reset(&r);
    FZ_CHECK(r.lost >= lost);
    for (int i = 0; i < IPCX_REASM_SLOTS; i++)
        FZ_CHECK(i == r.done || (r.part[i].writer == 0 && r.part[i].buf == NULL));
    ipcx__reasm_fini(&r);
}

/* ---- structured mode, with a model -------------------------------------------- */

struct fz_part {
    uint32_t writer, total, got, seq;
    unsigned prio;
};

/* The partial messages, most recently active first. */
static struct fz_part model[IPCX_REASM_SLOTS];
static int nmodel;
static unsigned long model_lost;
static uint32_t model_seq;

static int model_find(uint32_t w)
{
    for (int i = 0; i < nmodel; i++)
        if (model[i].writer == w)
            return i;
    return -1;
}

static void model_remove(int i)
{
    memmove(model + i, model + i + 1, (size_t) (nmodel - i - 1) * sizeof *model);
    nmodel--;
}

static void model_front(struct fz_part p)
{
    memmove(model + 1, model, (size_t) nmodel * sizeof *model);
    model[0] = p;
    nmodel++;
}

static uint8_t pat(uint32_t w, uint32_t seq, size_t off)
{
    return (uint8_t) (w * 131u + seq * 29u + off * 7u + (off >> 8));
}

static uint8_t fz_payload[1u << 20];

static void fz_structured(const uint8_t *p, size_t n, size_t maxmsg)
{
    struct ipcx__reasm r;

    ipcx__reasm_init(&r);
    nmodel = 0;
    model_lost = 0;
    model_seq = 0;
    for (size_t pos = 0; pos + 12 <= n; pos += 12) {
        const uint8_t *rec = p + pos;
        if (rec[0] == 0xfe) {
            ipcx__reasm_reset(&r);
            model_lost += (unsigned long) nmodel;
            nmodel = 0;
            FZ_CHECK(r.lost == model_lost);
            continue;
        }
        if (rec[0] == 0xfd) {
            ipcx__reasm_consume(&r);
            FZ_CHECK(r.done == -1);
            continue;
        }
        uint32_t w = rec[3] >= 0xf0 ? 0xffffff00u | rec[3] : rec[3];
        struct ipcx__frame in = { rec[0], be(rec + 1, 2), w, be(rec + 4, 3), be(rec + 7, 3) }, f;
        uint8_t h[IPCX_FRAME_HDR];
        ipcx__frame_encode(h, &in);
        int ok = ref_valid(in.flags, in.writer, in.total, in.len, maxmsg);
        int d = fz_decode(h, sizeof h, maxmsg, &f);
        FZ_CHECK(d == (ok ? 0 : -EBADMSG));
        if (d < 0 || f.flags == IPCX_FRAME_WHOLE)
            continue;

        /* What the table should do with this chunk. */
        int i = model_find(w), want;
        struct fz_part cur = { 0 };
        if (f.flags & IPCX_FRAME_FIRST) {
            if (i >= 0) {
                model_remove(i);
                model_lost++;
            }
            if (nmodel == IPCX_REASM_SLOTS) {
                model_remove(nmodel - 1); /* the one idle the longest */
                model_lost++;
            }
            cur = (struct fz_part) { w, f.total, 0, ++model_seq, f.prio };
            want = 0;
        } else if (i < 0) {
            want = -EBADMSG;
        } else {
            cur = model[i];
            model_remove(i);
            if (cur.total != f.total || cur.prio != f.prio || f.len > cur.total - cur.got ||
                ((f.flags & IPCX_FRAME_LAST) != 0) != (cur.got + f.len == cur.total)) {
                model_lost++;
                want = -EBADMSG;
            } else {
                want = (f.flags & IPCX_FRAME_LAST) ? 1 : 0;
            }
        }
        for (uint32_t k = 0; k < f.len; k++)
            fz_payload[k] = pat(w, cur.seq, cur.got + k);
        if (want == 0) {
            cur.got += f.len;
            model_front(cur);
        }

        const uint8_t *msg = NULL;
        size_t len = 0;
        unsigned prio = 0;
        int got = ipcx__reasm_feed(&r, &f, fz_payload, &msg, &len, &prio);
        FZ_CHECK(got == want);
        fz_bounded(&r);
        FZ_CHECK(r.lost == model_lost);
        if (got == 1) {
            FZ_CHECK(len == cur.total && prio == cur.prio);
            for (size_t k = 0; k < len; k++)
                FZ_CHECK(msg[k] == pat(w, cur.seq, k));
        }
    }
    ipcx__reasm_fini(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t maxmsg = fz_maxmsgs[data[0] & 7];
    if (data[0] & 8)
        fz_structured(data + 1, size - 1, maxmsg);
    else
        fz_raw(data + 1, size - 1, maxmsg);
    return 0;
}
