/*
 * frame_test.c - unit tests of the wire frame (src/frame.c): the header
 * layout byte by byte, every check of ipcx__frame_decode, and the
 * reassembly of chunked messages (ipcx__reasm_*).  Leaks show under ASan.
 * The engine that reads frames from descriptors is tested elsewhere.
 */
#include "t.h"
#include "transport/frame.h"

#include <stdint.h>

/* ---- the header, built by hand ------------------------------------------ */

/*
 * The check field as frame.h describes the wire format: FNV-1a over the 18
 * other header bytes, folded to 16 bits.  Written out here so that a change
 * of the wire format cannot pass unnoticed.
 */
static unsigned t_check(const uint8_t *h)
{
    uint32_t x = 2166136261u;
    for (int i = 0; i < IPCX_FRAME_HDR; i++)
        if (i != 6 && i != 7)
            x = (x ^ h[i]) * 16777619u;
    return (x ^ (x >> 16)) & 0xffffu;
}

static void t_put(uint8_t *p, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t) v;
}

/* Any header at all, with a correct check field. */
static void mk(uint8_t h[IPCX_FRAME_HDR], unsigned magic, unsigned version,
               unsigned flags, unsigned prio, uint32_t writer, uint32_t total,
               uint32_t len)
{
    t_put(h, magic, 2);
    h[2] = (uint8_t) version;
    h[3] = (uint8_t) flags;
    t_put(h + 4, prio, 2);
    t_put(h + 8, writer, 4);
    t_put(h + 12, total, 4);
    t_put(h + 16, len, 4);
    t_put(h + 6, t_check(h), 2);
}

/* A header ipcx could send, through mk: decodes with these fields. */
static void mk_ok(unsigned flags, unsigned prio, uint32_t writer, uint32_t total,
                  uint32_t len, size_t maxmsg)
{
    uint8_t h[IPCX_FRAME_HDR];
    struct ipcx__frame f;
    mk(h, IPCX_FRAME_MAGIC, IPCX_FRAME_VERSION, flags, prio, writer, total, len);
    T_ERR(ipcx__frame_decode(h, sizeof h, maxmsg, &f), 0);
    T_EQ(f.flags, flags);
    T_EQ(f.prio, prio);
    T_EQ(f.writer, writer);
    T_EQ(f.total, total);
    T_EQ(f.len, len);
}

/* A header that must be refused; the frame passed in stays untouched. */
static void dec_bad(const uint8_t *h, size_t maxmsg, int line)
{
    struct ipcx__frame f = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
    int r = ipcx__frame_decode(h, IPCX_FRAME_HDR, maxmsg, &f);
    if (r != -EBADMSG)
        T_FAIL("line %d: decode == %d (%s), want -EBADMSG", line, r, ipcx_strerror(r));
    if (f.flags != 0xaa || f.prio != 0xbb || f.writer != 0xcc || f.total != 0xdd ||
        f.len != 0xee)
        T_FAIL("line %d: decode wrote its frame on failure", line);
}

static void mk_bad_(unsigned magic, unsigned version, unsigned flags, unsigned prio,
                    uint32_t writer, uint32_t total, uint32_t len, size_t maxmsg,
                    int line)
{
    uint8_t h[IPCX_FRAME_HDR];
    mk(h, magic, version, flags, prio, writer, total, len);
    dec_bad(h, maxmsg, line);
}
#define mk_bad(...) mk_bad_(__VA_ARGS__, __LINE__)

#define MAGIC IPCX_FRAME_MAGIC
#define VER   IPCX_FRAME_VERSION
#define WHOLE IPCX_FRAME_WHOLE
#define FIRST IPCX_FRAME_FIRST
#define LAST  IPCX_FRAME_LAST
#define MID   0u

static void test_encode(void)
{
    static const struct ipcx__frame fs[] = {
        { WHOLE, 0, 0, 0, 0 },
        { WHOLE, 0xffff, 0, 100, 100 },
        { WHOLE, 7, 0, 0x7fffffff, 0x7fffffff },
        { FIRST, 1, 0x12345678, 5000, 4076 },
        { MID, 1, 0xffffffff, 9000, 4076 },
        { LAST, 0x8001, 42, 5000, 924 },
    };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        uint8_t h[IPCX_FRAME_HDR], want[IPCX_FRAME_HDR];
        struct ipcx__frame f;
        memset(h, 0x5a, sizeof h);
        ipcx__frame_encode(h, &fs[i]);
        /* The layout of frame.h, big-endian, byte for byte. */
        mk(want, MAGIC, VER, fs[i].flags, fs[i].prio, fs[i].writer, fs[i].total, fs[i].len);
        T_OK(memcmp(h, want, sizeof h) == 0);
        T_EQ(h[0], 0x49);
        T_EQ(h[1], 0x58);
        T_EQ(h[2], 1);
        /* and back */
        T_ERR(ipcx__frame_decode(h, sizeof h, IPCX_FRAME_TOTAL_MAX, &f), 0);
        T_EQ(f.flags, fs[i].flags);
        T_EQ(f.prio, fs[i].prio);
        T_EQ(f.writer, fs[i].writer);
        T_EQ(f.total, fs[i].total);
        T_EQ(f.len, fs[i].len);
        /* More bytes than a header are fine: the payload follows. */
        uint8_t more[IPCX_FRAME_HDR + 8] = { 0 };
        memcpy(more, h, sizeof h);
        T_ERR(ipcx__frame_decode(more, sizeof more, IPCX_FRAME_TOTAL_MAX, &f), 0);
    }
    uint8_t h[IPCX_FRAME_HDR];
    struct ipcx__frame f = { WHOLE, 0x0102, 0, 0x03040506, 0x03040506 };
    ipcx__frame_encode(h, &f);
    T_EQ(h[3], WHOLE);
    T_EQ(h[4], 0x01);
    T_EQ(h[5], 0x02);
    T_EQ(h[12], 0x03);
    T_EQ(h[15], 0x06);
    T_EQ(h[19], 0x06);
}

static void test_decode_accepts(void)
{
    mk_ok(WHOLE, 0, 0, 0, 0, 0);            /* an empty message, maxmsg 0 */
    mk_ok(WHOLE, 9, 0, 10, 10, 10);         /* total == maxmsg */
    mk_ok(WHOLE, 9, 77, 10, 10, 10);        /* a whole message may name a writer */
    mk_ok(FIRST, 0, 1, 10, 9, 10);          /* FIRST: len < total */
    mk_ok(FIRST, 0, 1, 10, 1, 10);
    mk_ok(MID, 0, 1, 10, 10, 10);           /* decode does not know what came before */
    mk_ok(MID, 0, 1, 10, 1, 10);
    mk_ok(LAST, 0, 1, 10, 10, 10);
    mk_ok(LAST, 0xffff, 0xffffffff, 10, 1, 10);
    mk_ok(WHOLE, 0, 0, IPCX_FRAME_TOTAL_MAX, IPCX_FRAME_TOTAL_MAX, SIZE_MAX);
}

static void test_decode_rejects(void)
{
    /* magic, version */
    mk_bad(0, VER, WHOLE, 0, 0, 1, 1, 100);
    mk_bad(0x5849, VER, WHOLE, 0, 0, 1, 1, 100);
    mk_bad(MAGIC ^ 1, VER, WHOLE, 0, 0, 1, 1, 100);
    mk_bad(MAGIC, 0, WHOLE, 0, 0, 1, 1, 100);
    mk_bad(MAGIC, 2, WHOLE, 0, 0, 1, 1, 100);
    mk_bad(MAGIC, 0xff, WHOLE, 0, 0, 1, 1, 100);
    /* every unknown flag bit, alone and with known ones */
    for (unsigned bit = 0x04; bit <= 0x80; bit <<= 1) {
        mk_bad(MAGIC, VER, bit, 0, 1, 10, 5, 100);
        mk_bad(MAGIC, VER, bit | WHOLE, 0, 0, 10, 10, 100);
        mk_bad(MAGIC, VER, bit | FIRST, 0, 1, 10, 5, 100);
        mk_bad(MAGIC, VER, bit | LAST, 0, 1, 10, 5, 100);
    }
    /* total > maxmsg, and never more than IPCX_FRAME_TOTAL_MAX */
    mk_bad(MAGIC, VER, WHOLE, 0, 0, 101, 101, 100);
    mk_bad(MAGIC, VER, WHOLE, 0, 0, 1, 1, 0);
    mk_bad(MAGIC, VER, FIRST, 0, 1, 101, 1, 100);
    mk_bad(MAGIC, VER, MID, 0, 1, 101, 1, 100);
    mk_bad(MAGIC, VER, WHOLE, 0, 0, 0x80000000u, 0x80000000u, SIZE_MAX);
    mk_bad(MAGIC, VER, WHOLE, 0, 0, 0xffffffffu, 0xffffffffu, SIZE_MAX);
    /* len > total */
    mk_bad(MAGIC, VER, MID, 0, 1, 10, 11, 100);
    mk_bad(MAGIC, VER, LAST, 0, 1, 10, 11, 100);
    mk_bad(MAGIC, VER, MID, 0, 1, 0, 1, 100);
    mk_bad(MAGIC, VER, LAST, 0, 1, 10, 0xffffffffu, 100);
    /* WHOLE: len == total */
    mk_bad(MAGIC, VER, WHOLE, 0, 0, 10, 9, 100);
    mk_bad(MAGIC, VER, WHOLE, 0, 0, 10, 0, 100);
    mk_bad(MAGIC, VER, WHOLE, 0, 0, 10, 11, 100);
    /* a split chunk names its writer and carries bytes */
    mk_bad(MAGIC, VER, FIRST, 0, 0, 10, 5, 100);
    mk_bad(MAGIC, VER, MID, 0, 0, 10, 5, 100);
    mk_bad(MAGIC, VER, LAST, 0, 0, 10, 5, 100);
    mk_bad(MAGIC, VER, FIRST, 0, 1, 10, 0, 100);
    mk_bad(MAGIC, VER, MID, 0, 1, 10, 0, 100);
    mk_bad(MAGIC, VER, LAST, 0, 1, 10, 0, 100);
    mk_bad(MAGIC, VER, MID, 0, 1, 0, 0, 100);
    /* FIRST leaves something for later chunks */
    mk_bad(MAGIC, VER, FIRST, 0, 1, 10, 10, 100);
    mk_bad(MAGIC, VER, FIRST, 0, 1, 1, 1, 100);

    /* the check field: a valid header with any other check value */
    uint8_t h[IPCX_FRAME_HDR];
    mk(h, MAGIC, VER, WHOLE, 3, 0, 50, 50);
    unsigned good = (unsigned) h[6] << 8 | h[7];
    for (unsigned c = 0; c <= 0xffff; c++) {
        if (c == good)
            continue;
        t_put(h + 6, c, 2);
        dec_bad(h, 100, __LINE__);
    }

    /* Any one flipped bit of a valid header is caught. */
    const struct ipcx__frame fs[] = {
        { WHOLE, 0, 0, 0, 0 }, { WHOLE, 5, 0, 64, 64 }, { FIRST, 1, 1234, 9000, 4076 },
        { MID, 0, 99, 9000, 4076 }, { LAST, 0xffff, 0x7fffffff, 9000, 848 },
    };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        uint8_t v[IPCX_FRAME_HDR];
        ipcx__frame_encode(v, &fs[i]);
        for (int bit = 0; bit < 8 * IPCX_FRAME_HDR; bit++) {
            memcpy(h, v, sizeof h);
            h[bit / 8] ^= (uint8_t) (1u << (bit % 8));
            dec_bad(h, 1 << 20, __LINE__);
        }
    }
}

static void test_decode_short(void)
{
    uint8_t h[IPCX_FRAME_HDR], junk[IPCX_FRAME_HDR];
    struct ipcx__frame f = { 1, 2, 3, 4, 5 };
    ipcx__frame_encode(h, &(struct ipcx__frame) { WHOLE, 1, 0, 3, 3 });
    memset(junk, 0xff, sizeof junk);
    for (size_t n = 0; n < IPCX_FRAME_HDR; n++) {
        T_ERR(ipcx__frame_decode(h, n, 100, &f), -EAGAIN);
        T_ERR(ipcx__frame_decode(junk, n, 100, &f), -EAGAIN);
    }
    T_ERR(ipcx__frame_decode(NULL, 0, 100, &f), -EAGAIN);
    T_EQ(f.flags, 1);
    T_EQ(f.len, 5);
}

/* ---- reassembly ----------------------------------------------------------- */

/* The byte at offset off of writer w's message number seq. */
static uint8_t pat(uint32_t w, unsigned seq, size_t off)
{
    return (uint8_t) (w * 131u + seq * 31u + off * 7u + (off >> 8));
}

static uint8_t payload[1 << 16];

/*
 * Feed one chunk of writer w's message seq: bytes [off, off+len) of total,
 * with the given flags, through encode and decode as the engine does.
 */
static int feed(struct ipcx__reasm *r, unsigned flags, uint32_t w, unsigned seq,
                unsigned prio, uint32_t total, uint32_t off, uint32_t len,
                const uint8_t **msg, size_t *mlen, unsigned *mprio)
{
    struct ipcx__frame f = { flags, prio, w, total, len }, g;
    uint8_t h[IPCX_FRAME_HDR];
    T_OK(len <= sizeof payload);
    ipcx__frame_encode(h, &f);
    T_ERR(ipcx__frame_decode(h, sizeof h, 1 << 20, &g), 0);
    for (uint32_t i = 0; i < len; i++)
        payload[i] = pat(w, seq, off + i);
    return ipcx__reasm_feed(r, &g, payload, msg, mlen, mprio);
}

/* msg must be writer w's whole message seq of total bytes. */
static void check_msg(const uint8_t *msg, size_t mlen, uint32_t w, unsigned seq,
                      uint32_t total)
{
    T_EQ(mlen, total);
    for (size_t i = 0; i < total; i++)
        if (msg[i] != pat(w, seq, i))
            T_FAIL("writer %u message %u: byte %zu is %u, want %u", w, seq, i, msg[i],
                   pat(w, seq, i));
}

static void test_reasm_in_order(void)
{
    struct ipcx__reasm r;
    const uint8_t *msg = NULL;
    size_t len = 0;
    unsigned prio = 0;

    ipcx__reasm_init(&r);
    T_EQ(r.done, -1);
    T_EQ(r.lost, 0);
    T_ERR(feed(&r, FIRST, 7, 0, 3, 10, 0, 4, &msg, &len, &prio), 0);
    T_ERR(feed(&r, MID, 7, 0, 3, 10, 4, 3, &msg, &len, &prio), 0);
    T_OK(msg == NULL);
    T_ERR(feed(&r, LAST, 7, 0, 3, 10, 7, 3, &msg, &len, &prio), 1);
    check_msg(msg, len, 7, 0, 10);
    T_EQ(prio, 3);
    ipcx__reasm_consume(&r);
    T_EQ(r.done, -1);
    ipcx__reasm_consume(&r); /* nothing handed out: a no-op */

    /* FIRST and LAST only; a long message in 4076-byte chunks */
    T_ERR(feed(&r, FIRST, 7, 1, 0, 2, 0, 1, &msg, &len, &prio), 0);
    T_ERR(feed(&r, LAST, 7, 1, 0, 2, 1, 1, &msg, &len, &prio), 1);
    check_msg(msg, len, 7, 1, 2);
    const uint32_t total = 50000, room = 4076;
    for (uint32_t off = 0; off < total; off += room) {
        uint32_t n = total - off < room ? total - off : room;
        unsigned fl = (off == 0 ? FIRST : 0) | (off + n == total ? LAST : 0);
        int want = off + n == total;
        T_ERR(feed(&r, fl, 0xffffffffu, 2, 0xffff, total, off, n, &msg, &len, &prio), want);
    }
    check_msg(msg, len, 0xffffffffu, 2, total);
    T_EQ(prio, 0xffff);
    /* The next feed frees the message handed out without a consume. */
    T_ERR(feed(&r, FIRST, 1, 0, 0, 5, 0, 2, &msg, &len, &prio), 0);
    T_EQ(r.done, -1);
    T_EQ(r.lost, 0);
    ipcx__reasm_fini(&r); /* frees the partial message: ASan would see a leak */
}

static void test_reasm_interleaved(void)
{
    struct ipcx__reasm r;
    const uint8_t *msg;
    size_t len;
    unsigned prio;
    const uint32_t total = 9000, room = 1000;
    int done[4] = { 0 };

    ipcx__reasm_init(&r);
    /* four writers, one chunk each in turn, a different total each */
    for (uint32_t off = 0; off < total; off += room) {
        for (uint32_t w = 1; w <= 4; w++) {
            uint32_t t = total - w * 10;
            if (off >= t)
                continue;
            uint32_t n = t - off < room ? t - off : room;
            unsigned fl = (off == 0 ? FIRST : 0) | (off + n == t ? LAST : 0);
            int got = feed(&r, fl, w, 0, w, t, off, n, &msg, &len, &prio);
            T_ERR(got, off + n == t);
            if (got == 1) {
                check_msg(msg, len, w, 0, t);
                T_EQ(prio, w);
                done[w - 1] = 1;
                ipcx__reasm_consume(&r);
            }
        }
    }
    T_OK(done[0] && done[1] && done[2] && done[3]);
    T_EQ(r.lost, 0);
    ipcx__reasm_fini(&r);
}

static void test_reasm_bad_continuations(void)
{
    struct ipcx__reasm r;
    const uint8_t *msg;
    size_t len;
    unsigned prio;

    ipcx__reasm_init(&r);
    /* continuations of a writer we never saw start */
    T_ERR(feed(&r, MID, 5, 0, 0, 10, 0, 5, &msg, &len, &prio), -EBADMSG);
    T_ERR(feed(&r, LAST, 5, 0, 0, 10, 5, 5, &msg, &len, &prio), -EBADMSG);
    T_EQ(r.lost, 0);

    /* Each mismatch drops the writer's partial message (counted lost) ... */
    struct { unsigned flags, prio; uint32_t total, len; } bad[] = {
        { MID, 0, 11, 2 },   /* another total */
        { MID, 1, 10, 2 },   /* another priority */
        { MID, 0, 10, 7 },   /* more than the rest */
        { LAST, 0, 10, 7 },
        { LAST, 0, 10, 2 },  /* LAST before the end */
        { MID, 0, 10, 6 },   /* reaches the end without LAST */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        T_ERR(feed(&r, FIRST, 5, 0, 0, 10, 0, 4, &msg, &len, &prio), 0);
        T_ERR(feed(&r, bad[i].flags, 5, 0, bad[i].prio, bad[i].total, 4, bad[i].len,
                   &msg, &len, &prio), -EBADMSG);
        T_EQ(r.lost, i + 1);
        /* ... so what follows continues nothing. */
        T_ERR(feed(&r, LAST, 5, 0, 0, 10, 4, 6, &msg, &len, &prio), -EBADMSG);
        T_EQ(r.lost, i + 1);
    }
    /* Another writer's message is not touched by those. */
    T_ERR(feed(&r, FIRST, 6, 0, 0, 10, 0, 4, &msg, &len, &prio), 0);
    T_ERR(feed(&r, MID, 5, 0, 0, 10, 4, 2, &msg, &len, &prio), -EBADMSG);
    T_ERR(feed(&r, LAST, 6, 0, 0, 10, 4, 6, &msg, &len, &prio), 1);
    check_msg(msg, len, 6, 0, 10);
    ipcx__reasm_fini(&r);
}

static void test_reasm_restart(void)
{
    struct ipcx__reasm r;
    const uint8_t *msg;
    size_t len;
    unsigned prio;

    ipcx__reasm_init(&r);
    /* A new FIRST from the same writer abandons the old message. */
    T_ERR(feed(&r, FIRST, 9, 0, 1, 100, 0, 40, &msg, &len, &prio), 0);
    T_ERR(feed(&r, MID, 9, 0, 1, 100, 40, 40, &msg, &len, &prio), 0);
    T_ERR(feed(&r, FIRST, 9, 1, 2, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 1);
    /* The old message's continuation no longer fits the new one. */
    T_ERR(feed(&r, LAST, 9, 0, 1, 100, 80, 20, &msg, &len, &prio), -EBADMSG);
    T_EQ(r.lost, 2);
    T_ERR(feed(&r, FIRST, 9, 2, 2, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 2);
    T_ERR(feed(&r, LAST, 9, 2, 2, 30, 10, 20, &msg, &len, &prio), 1);
    check_msg(msg, len, 9, 2, 30);
    T_EQ(prio, 2);
    /* A completed message handed out is not "lost" by the writer's next FIRST. */
    T_ERR(feed(&r, FIRST, 9, 3, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 2);
    ipcx__reasm_fini(&r);
}

static void test_reasm_evict(void)
{
    struct ipcx__reasm r;
    const uint8_t *msg;
    size_t len;
    unsigned prio;
    const uint32_t n = IPCX_REASM_SLOTS;

    ipcx__reasm_init(&r);
    for (uint32_t w = 1; w <= n; w++)
        T_ERR(feed(&r, FIRST, w, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 0);
    /* Writer 1 moves on, so writer 2 is now the one idle the longest. */
    T_ERR(feed(&r, MID, 1, 0, 0, 30, 10, 10, &msg, &len, &prio), 0);
    T_ERR(feed(&r, FIRST, 100, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 1);
    T_ERR(feed(&r, LAST, 2, 0, 0, 30, 10, 20, &msg, &len, &prio), -EBADMSG);
    T_EQ(r.lost, 1);
    /* Then writer 3, and so on. */
    T_ERR(feed(&r, FIRST, 101, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 2);
    T_ERR(feed(&r, MID, 3, 0, 0, 30, 10, 10, &msg, &len, &prio), -EBADMSG);
    /* Every other writer still completes. */
    T_ERR(feed(&r, LAST, 1, 0, 0, 30, 20, 10, &msg, &len, &prio), 1);
    check_msg(msg, len, 1, 0, 30);
    for (uint32_t w = 4; w <= n; w++) {
        T_ERR(feed(&r, LAST, w, 0, 0, 30, 10, 20, &msg, &len, &prio), 1);
        check_msg(msg, len, w, 0, 30);
    }
    for (uint32_t w = 100; w <= 101; w++) {
        T_ERR(feed(&r, LAST, w, 0, 0, 30, 10, 20, &msg, &len, &prio), 1);
        check_msg(msg, len, w, 0, 30);
    }
    T_EQ(r.lost, 2);

    /* A message completed and not yet consumed is never evicted by a FIRST. */
    ipcx__reasm_fini(&r);
    ipcx__reasm_init(&r);
    for (uint32_t w = 1; w <= n; w++)
        T_ERR(feed(&r, FIRST, w, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_ERR(feed(&r, LAST, 1, 0, 0, 30, 10, 20, &msg, &len, &prio), 1);
    T_ERR(feed(&r, FIRST, 200, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 0); /* writer 1's slot was free again */
    T_ERR(feed(&r, FIRST, 201, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_EQ(r.lost, 1); /* now writer 2 goes */
    ipcx__reasm_fini(&r);
}

static void test_reasm_reset(void)
{
    struct ipcx__reasm r;
    const uint8_t *msg;
    size_t len;
    unsigned prio;

    ipcx__reasm_init(&r);
    ipcx__reasm_reset(&r);
    T_EQ(r.lost, 0);
    for (uint32_t w = 1; w <= 3; w++)
        T_ERR(feed(&r, FIRST, w, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    ipcx__reasm_reset(&r);
    T_EQ(r.lost, 3);
    for (uint32_t w = 1; w <= 3; w++)
        T_ERR(feed(&r, LAST, w, 0, 0, 30, 10, 20, &msg, &len, &prio), -EBADMSG);
    T_EQ(r.lost, 3);

    /* A message handed out survives a reset; the partial ones do not. */
    T_ERR(feed(&r, FIRST, 1, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_ERR(feed(&r, FIRST, 2, 0, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_ERR(feed(&r, LAST, 1, 0, 0, 30, 10, 20, &msg, &len, &prio), 1);
    ipcx__reasm_reset(&r);
    T_EQ(r.lost, 4);
    check_msg(msg, len, 1, 0, 30);
    ipcx__reasm_consume(&r);
    T_ERR(feed(&r, LAST, 2, 0, 0, 30, 10, 20, &msg, &len, &prio), -EBADMSG);

    /* The table is usable after a reset, and after fini and init. */
    T_ERR(feed(&r, FIRST, 3, 1, 0, 30, 0, 10, &msg, &len, &prio), 0);
    T_ERR(feed(&r, LAST, 3, 1, 0, 30, 10, 20, &msg, &len, &prio), 1);
    check_msg(msg, len, 3, 1, 30);
    ipcx__reasm_fini(&r);
    ipcx__reasm_fini(&r); /* twice is fine */
    ipcx__reasm_init(&r);
    T_ERR(feed(&r, FIRST, 3, 2, 0, 30, 0, 10, &msg, &len, &prio), 0);
    ipcx__reasm_fini(&r);
}

int main(void)
{
    test_encode();
    test_decode_accepts();
    test_decode_rejects();
    test_decode_short();
    test_reasm_in_order();
    test_reasm_interleaved();
    test_reasm_bad_continuations();
    test_reasm_restart();
    test_reasm_evict();
    test_reasm_reset();
    printf("frame_test: ok\n");
    return 0;
}
