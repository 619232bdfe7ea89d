/*
 * gen_corpus.c - writes the seed corpora of the fuzz targets:
 *   fuzz_gen_corpus DIR      (DIR is fuzz/corpus; it has one folder per target)
 * Frames are made with the library's own encoder, so the seeds stay valid
 * if the header changes: rerun it and commit the result.  Not a test.
 */
#include "transport/frame.h"
#include "pattern/pattern_int.h"
#include "transport/sp_wire.h"
#include "pattern/pool_wire.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *root;

struct gbuf {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct gbuf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            perror("realloc");
            exit(1);
        }
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void write_seed(const char *target, const char *name, const struct gbuf *b)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, target);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static uint8_t pat(uint32_t w, size_t off)
{
    return (uint8_t) ('a' + (w + off) % 26);
}

/* One frame: a header and len pattern bytes from offset off of writer w's message. */
static void frame(struct gbuf *b, unsigned flags, unsigned prio, uint32_t w,
                  uint32_t total, uint32_t off, uint32_t len)
{
    struct ipcx__frame f = { flags, prio, w, total, len };
    uint8_t h[IPCX_FRAME_HDR];
    ipcx__frame_encode(h, &f);
    put(b, h, sizeof h);
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = pat(w, off + i);
        put(b, &c, 1);
    }
}

/* A whole message of len bytes as a pipe sender writes it: chunked past PIPE_BUF. */
static void message(struct gbuf *b, unsigned prio, uint32_t w, uint32_t len)
{
    const uint32_t room = PIPE_BUF - IPCX_FRAME_HDR;
    if (IPCX_FRAME_HDR + len <= PIPE_BUF) {
        frame(b, IPCX_FRAME_WHOLE, prio, 0, len, 0, len);
        return;
    }
    for (uint32_t off = 0; off < len; off += room) {
        uint32_t n = len - off < room ? len - off : room;
        unsigned fl = (off == 0 ? IPCX_FRAME_FIRST : 0) | (off + n == len ? IPCX_FRAME_LAST : 0);
        frame(b, fl, prio, w, len, off, n);
    }
}

static void text(const char *target, const char *name, const char *s)
{
    struct gbuf b = { 0 };
    put(&b, s, strlen(s));
    write_seed(target, name, &b);
    free(b.p);
}

static void urls(void)
{
    static const char *const u[] = {
        "fifo:/tmp/x", "fifo:/tmp/a%20b?mode=0600&maxmsg=1g", "unix:@name",
        "unix:/tmp/s?type=dgram&mode=0660", "unix:@x?type=seqpacket&maxmsg=4096",
        "unix:/tmp/s?type=stream&maxmsg=64k", "tcp://[::1]:7000", "tcp://*:7000",
        "tcp://host:7000/?maxmsg=1M", "tcp://127.0.0.1:0", "tcp://[fe80::1%25eth0]:80",
        "pipe:", "pipe:?maxmsg=65536", "pipe:?fd=3", "mq:/q?maxmsg=8k",
        "tcp://::1:7000", "fifo:/p?a=1&a=2", "fifo:/p?", "fifo:/bad%zz",
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "url-%02zu", i);
        text("url_parse", name, u[i]);
    }
}

/* struct record of the frame_decode structured mode */
static void rec(struct gbuf *b, unsigned op, unsigned prio, unsigned w, uint32_t total,
                uint32_t len)
{
    uint8_t r[12] = { (uint8_t) op, (uint8_t) (prio >> 8), (uint8_t) prio, (uint8_t) w,
                      (uint8_t) (total >> 16), (uint8_t) (total >> 8), (uint8_t) total,
                      (uint8_t) (len >> 16), (uint8_t) (len >> 8), (uint8_t) len, 0, 0 };
    put(b, r, sizeof r);
}

static void frames(void)
{
    struct gbuf b = { 0 };
    const unsigned F = IPCX_FRAME_FIRST, L = IPCX_FRAME_LAST, W = IPCX_FRAME_WHOLE;
    uint8_t mode;

    /* raw, maxmsg 65536 (index 6): whole messages and one chunked */
    mode = 6;
    put(&b, &mode, 1);
    frame(&b, W, 0, 0, 5, 0, 5);
    frame(&b, W, 9, 0, 0, 0, 0);
    frame(&b, F, 1, 7, 30, 0, 10);
    frame(&b, 0, 1, 7, 30, 10, 10);
    frame(&b, L, 1, 7, 30, 20, 10);
    write_seed("frame_decode", "raw-chunks", &b);

    /* raw: two writers interleaved, garbage between frames, a torn tail */
    b.n = 0;
    put(&b, &mode, 1);
    frame(&b, F, 2, 7, 20, 0, 10);
    frame(&b, F, 3, 8, 20, 0, 10);
    put(&b, "junk", 4);
    frame(&b, L, 2, 7, 20, 10, 10);
    frame(&b, 0, 3, 9, 20, 10, 5);
    frame(&b, L, 3, 8, 20, 10, 10);
    frame(&b, W, 0, 0, 100, 0, 10);
    write_seed("frame_decode", "raw-interleaved", &b);

    /* raw, maxmsg 100 (index 4): a header past maxmsg, then a good one */
    b.n = 0;
    mode = 4;
    put(&b, &mode, 1);
    frame(&b, W, 0, 0, 101, 0, 0);
    frame(&b, W, 0, 0, 3, 0, 3);
    write_seed("frame_decode", "raw-maxmsg", &b);

    /* structured, maxmsg 4096 (index 5): in order, restart, bad continuation */
    b.n = 0;
    mode = 8 | 5;
    put(&b, &mode, 1);
    rec(&b, F, 1, 1, 30, 10);
    rec(&b, 0, 1, 1, 30, 10);
    rec(&b, L, 1, 1, 30, 10);
    rec(&b, F, 0, 2, 300, 100);
    rec(&b, F, 0, 2, 300, 100);
    rec(&b, L, 0, 3, 300, 200);
    rec(&b, L, 0, 2, 300, 200);
    rec(&b, W, 0, 0, 10, 10);
    rec(&b, 0xfd, 0, 0, 0, 0);
    write_seed("frame_decode", "struct-basic", &b);

    /* structured: 17 writers (one evicted), then a reset */
    b.n = 0;
    put(&b, &mode, 1);
    for (unsigned w = 1; w <= IPCX_REASM_SLOTS + 1; w++)
        rec(&b, F, 0, w, 40, 20);
    for (unsigned w = 1; w <= IPCX_REASM_SLOTS + 1; w += 2)
        rec(&b, L, 0, w, 40, 20);
    rec(&b, F, 0, 0xf5, 40, 20);
    rec(&b, 0xfe, 0, 0, 0, 0);
    rec(&b, L, 0, 2, 40, 20);
    write_seed("frame_decode", "struct-evict", &b);
    free(b.p);
}

static void streams(void)
{
    struct gbuf b = { 0 };
    const unsigned F = IPCX_FRAME_FIRST, L = IPCX_FRAME_LAST, W = IPCX_FRAME_WHOLE;

    message(&b, 0, 0, 5);
    write_seed("stream_recv", "one", &b);

    b.n = 0;
    message(&b, 0, 0, 0);
    message(&b, 1, 0, 1);
    message(&b, 0xffff, 0, 99);
    message(&b, 7, 0, 101); /* does not fit the fuzzer's small buffer */
    message(&b, 2, 0, PIPE_BUF - IPCX_FRAME_HDR);
    write_seed("stream_recv", "several", &b);

    b.n = 0;
    message(&b, 3, 1234, 10000);
    write_seed("stream_recv", "chunked", &b);

    b.n = 0;
    message(&b, 3, 1234, 50000);
    write_seed("stream_recv", "chunked-large", &b);

    /* two writers' chunks interleaved, as two threads sharing a FIFO */
    b.n = 0;
    frame(&b, F, 1, 11, 8000, 0, 4076);
    frame(&b, F, 2, 22, 6000, 0, 4076);
    frame(&b, W, 0, 0, 3, 0, 3);
    frame(&b, L, 2, 22, 6000, 4076, 1924);
    frame(&b, L, 1, 11, 8000, 4076, 3924);
    write_seed("stream_recv", "interleaved", &b);

    /* garbage, a good frame, a header past maxmsg, a good frame, a torn tail */
    b.n = 0;
    put(&b, "IX\001\003garbage-garbage", 20);
    frame(&b, W, 0, 0, 4, 0, 4);
    {
        /* only the header: decode refuses it before its length matters */
        struct ipcx__frame f = { W, 0, 0, 70000, 70000 };
        uint8_t h[IPCX_FRAME_HDR];
        ipcx__frame_encode(h, &f);
        put(&b, h, sizeof h);
    }
    frame(&b, W, 0, 0, 6, 0, 6);
    frame(&b, L, 0, 5, 100, 0, 50); /* continues nothing */
    {
        struct gbuf t = { 0 };
        frame(&t, W, 0, 0, 1000, 0, 1000);
        put(&b, t.p, 500);
        free(t.p);
    }
    write_seed("stream_recv", "bad", &b);
    free(b.p);
}

/* Pattern headers (pattern_decode): a request, a reply, a sync, bad ones. */
static void pat_seed(const char *name, unsigned kind, const char *addr, uint32_t pid,
                     uint64_t token, const char *payload, size_t cut)
{
    struct gbuf b = { 0 };
    uint8_t h[IPCX_PAT_HDR + IPCX_PAT_ADDRMAX];
    struct ipcx__pat_hdr ph = { .kind = kind, .id = 0x0102030405060708ull, .pid = pid,
                                .token = token, .addr = addr,
                                .addrlen = addr ? strlen(addr) : 0 };
    size_t n = ipcx__pat_encode(&ph, h, sizeof h);
    put(&b, h, n);
    put(&b, payload, strlen(payload));
    b.n -= cut;
    write_seed("pattern_decode", name, &b);
    free(b.p);
}

static void patterns(void)
{
    char url[IPCX_PAT_ADDRMAX + 1];
    (void) ipcx__pat_reply_url("mq:/s", 42, 0xabcdefull, url, sizeof url);
    pat_seed("request-mq", IPCX_PAT_REQUEST, url, 42, 0xabcdefull, "hello", 0);
    (void) ipcx__pat_reply_url("unix:@s?type=dgram", 7, 1, url, sizeof url);
    pat_seed("sync-unix", IPCX_PAT_SYNC, url, 7, 1, "x", 0);
    pat_seed("reply", IPCX_PAT_REPLY, NULL, 0, 0, "answer", 0);
    pat_seed("ack", IPCX_PAT_ACK, NULL, 0, 0, "", 0);
    pat_seed("request-no-pid", IPCX_PAT_REQUEST, "fifo:/tmp/s.r1-1", 0, 1, "", 0);
    pat_seed("request-torn", IPCX_PAT_REQUEST, "fifo:/tmp/s.r1-1", 1, 1, "", 8);
    pat_seed("reply-with-addr", IPCX_PAT_REPLY, "fifo:/etc/passwd", 1, 0, "", 0);
}

/* SP: byte 0 (framing, maxmsg), a handshake, messages (sp_wire.h). */
static void sp_seed(const char *name, int ipc, int maxidx, uint16_t proto,
                    const char *const *msgs, size_t n)
{
    struct gbuf b = { 0 };
    uint8_t first = (uint8_t) (ipc | maxidx << 1), hs[IPCX_SP_HS_LEN], h[IPCX_SP_HDR_MAX];
    put(&b, &first, 1);
    ipcx__sp_hs_encode(hs, proto);
    put(&b, hs, sizeof hs);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(msgs[i]);
        put(&b, h, ipcx__sp_hdr_encode(h, ipc, len));
        put(&b, msgs[i], len);
    }
    write_seed("sp_wire", name, &b);
    free(b.p);
}

static void sp_seeds(void)
{
    /* "\x80\0\0\1..." is a request id; "\0\0\0\2\x80..." a hop, then one. */
    static const char *const plain[] = { "hello", "", "world" };
    static const char *const req[] = { "\x80\x01\x02\x03ask", "\x01\x01\x01\x01\x80\x01\x01\x01q" };
    sp_seed("tcp-push", 0, 5, IPCX_SP_PUSH0, plain, 3);
    sp_seed("ipc-push", 1, 5, IPCX_SP_PUSH0, plain, 3);
    sp_seed("tcp-req", 0, 4, IPCX_SP_REQ0, req, 2);
    sp_seed("ipc-req-small-max", 1, 2, IPCX_SP_REQ0, req, 2);
}

/* The pool's socket frames: byte 0 (maxmsg), then frames (pool_wire.h). */
static void pool_seed(const char *name, unsigned maxbyte, const struct ipcx__pool_frame *f,
                      size_t n, int truncate)
{
    struct gbuf b = { 0 };
    uint8_t m = (uint8_t) maxbyte;
    put(&b, &m, 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t hdr[IPCX_POOL_HDR];
        ipcx__pool_frame_put(hdr, &f[i]);
        put(&b, hdr, sizeof hdr);
        for (uint32_t k = 0; k < f[i].len; k++) {
            uint8_t c = pat((uint32_t) i, k);
            put(&b, &c, 1);
        }
    }
    if (truncate && b.n > 1)
        b.n -= 3;
    write_seed("pool_wire", name, &b);
    free(b.p);
}

static void pool_seeds(void)
{
    const struct ipcx__pool_frame worker[] = { { IPCX_POOL_HELLO, 0, 1 },
                                               { IPCX_POOL_DONE, 0, 1 },
                                               { IPCX_POOL_DONE, 0, 2 } };
    const struct ipcx__pool_frame jobs[] = { { IPCX_POOL_JOB, 4, 1 }, { IPCX_POOL_JOB, 0, 2 },
                                             { IPCX_POOL_JOB, 64, 3 } };
    const struct ipcx__pool_frame bad[] = { { IPCX_POOL_HELLO, 0, 65 } };
    const struct ipcx__pool_frame big[] = { { IPCX_POOL_JOB, 2000, 9 } };
    pool_seed("worker", 0, worker, 3, 0);
    pool_seed("jobs", 10, jobs, 3, 0);
    pool_seed("jobs_cut", 10, jobs, 3, 1);
    pool_seed("window_65", 0, bad, 1, 0);
    pool_seed("job_too_big", 10, big, 1, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s fuzz/corpus\n", argv[0]);
        return 2;
    }
    root = argv[1];
    urls();
    frames();
    streams();
    patterns();
    sp_seeds();
    pool_seeds();
    return 0;
}
