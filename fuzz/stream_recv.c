/*
 * stream_recv.c - libFuzzer target: the real receive engine (stream.c) on
 * a pipe.  The input bytes are written raw into a pipe made by
 * ipcx_pair("pipe:?maxmsg=65536") through the send end's descriptor (at
 * once, or in parts with receives in between), the send end is closed,
 * and ipcx_recv runs until it reports -EPIPE.
 *
 * Every result must be a length <= maxmsg, -EBADMSG or -EMSGSIZE, and the
 * last -EPIPE; never a crash, a leak or a hang: the engine must make
 * progress, so the number of receives is bounded by the input's length.
 * Receives alternate between a small buffer and a full one: a message that
 * does not fit the small one (-EMSGSIZE) must come whole with the next;
 * every fifth is an ipcx_recvv of up to three (the rest of a read).
 * Inputs are cut to 60 KiB so that they fit in the pipe at once.
 *
 * The messages must also be the right ones: a model reads the input as
 * stream.c documents it for a pipe (frames in order; after a bad header,
 * skip to the next place that decodes as one; chunks reassembled by
 * writer; a torn tail dropped at the end), and the messages received must
 * be the model's, byte for byte and in order.  How many -EBADMSG come in
 * between is not compared.
 */
#include "ipcx.h"
#include "transport/frame.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"

#define FZ_MAXMSG 65536
#define FZ_MAXIN  (60 * 1024)
#define FZ_SMALL  100

static uint8_t fz_buf[FZ_MAXMSG + 1];
#define FZ_BATCH 3
static uint8_t fz_vbuf[FZ_BATCH][FZ_MAXMSG]; /* ipcx_recvv's buffers */

/* The messages the model expects: offsets into one buffer, in order. */
struct fz_msg {
    size_t off, len;
    unsigned prio;
};

static struct fz_msg *fz_want;
static uint8_t *fz_wbytes;
static size_t fz_nwant, fz_nbytes;

static void want_msg(const uint8_t *p, size_t len, unsigned prio)
{
    /* every message byte came from a distinct input byte: the buffers fit */
    fz_want[fz_nwant++] = (struct fz_msg) { fz_nbytes, len, prio };
    memcpy(fz_wbytes + fz_nbytes, p, len);
    fz_nbytes += len;
}

/* The model: what a receiver of this byte stream gets, before -EPIPE. */
static void fz_model(const uint8_t *d, size_t n)
{
    struct ipcx__reasm ra;
    size_t pos = 0;

    ipcx__reasm_init(&ra);
    while (n - pos >= IPCX_FRAME_HDR) {
        struct ipcx__frame f;
        if (ipcx__frame_decode(d + pos, n - pos, FZ_MAXMSG, &f) < 0) {
            size_t p;
            for (p = pos + 1; p + IPCX_FRAME_HDR <= n; p++)
                if (ipcx__frame_decode(d + p, n - p, FZ_MAXMSG, &f) == 0)
                    break;
            pos = p;
            continue;
        }
        if (n - pos - IPCX_FRAME_HDR < f.len)
            break; /* a torn tail: no writer is left to finish it */
        const uint8_t *payload = d + pos + IPCX_FRAME_HDR;
        pos += IPCX_FRAME_HDR + f.len;
        if (f.flags == IPCX_FRAME_WHOLE) {
            want_msg(payload, f.len, f.prio);
            continue;
        }
        const uint8_t *msg;
        size_t len;
        unsigned prio;
        int r = ipcx__reasm_feed(&ra, &f, payload, &msg, &len, &prio);
        FZ_CHECK(r == 0 || r == 1 || r == -EBADMSG);
        if (r == 1)
            want_msg(msg, len, prio);
    }
    ipcx__reasm_fini(&ra);
}

static size_t fz_calls, fz_msgs, fz_bad;
static int fz_small = 1, fz_peek;

/* The next message must be the model's next one. */
static void fz_expect(const void *msg, size_t len, unsigned prio, int check_prio)
{
    FZ_CHECK(fz_msgs < fz_nwant);
    const struct fz_msg *w = &fz_want[fz_msgs++];
    if (len != w->len || (check_prio && prio != w->prio) ||
        memcmp(msg, fz_wbytes + w->off, w->len) != 0) {
        fprintf(stderr, "message %zu: got %zu bytes prio %u, want %zu bytes prio %u\n",
                fz_msgs - 1, len, prio, w->len, w->prio);
        abort();
    }
}

/*
 * Receive until there is nothing more for now (-EAGAIN, the writer still
 * open) or for good (-EPIPE, after it closed), checking every result.
 */
static void fz_drain(ipcx_chan *rx, size_t size, int closed)
{
    for (;;) {
        FZ_CHECK(++fz_calls <= size + 8);
        if (fz_peek && fz_calls % 3 == 0) {
            /* every third message is looked at in place, then released */
            const void *msg;
            size_t len;
            int r = ipcx_peek(rx, &msg, &len, 0);
            if (r == (closed ? -EPIPE : -EAGAIN))
                return;
            FZ_CHECK(r == 0 || r == -EBADMSG);
            if (r == 0) {
                fz_expect(msg, len, 0, 0);
                FZ_CHECK(ipcx_release(rx) == 0);
            } else {
                fz_bad++;
            }
            continue;
        }
        if (fz_calls % 5 == 1) {
            /* a batch: whole messages in order, as one receive each would give */
            struct ipcx_msg m[FZ_BATCH];
            for (int k = 0; k < FZ_BATCH; k++)
                m[k] = (struct ipcx_msg) { .buf = fz_vbuf[k], .cap = sizeof fz_vbuf[k] };
            long r = ipcx_recvv(rx, m, FZ_BATCH, 0);
            if (r == (closed ? -EPIPE : -EAGAIN))
                return;
            FZ_CHECK(r == -EBADMSG || (r >= 1 && r <= FZ_BATCH));
            if (r < 0)
                fz_bad++;
            for (long k = 0; k < r; k++)
                fz_expect(m[k].buf, m[k].len, m[k].prio, 1);
            continue;
        }
        unsigned prio = 0xdeadbeef;
        size_t cap = fz_small ? FZ_SMALL : sizeof fz_buf;
        long n = ipcx_recv(rx, fz_buf, cap, &prio, 0);
        if (n == (closed ? -EPIPE : -EAGAIN))
            return;
        if (n == -EMSGSIZE) {
            FZ_CHECK(fz_small);
            /* the same message, whole, into the large buffer */
            n = ipcx_recv(rx, fz_buf, sizeof fz_buf, &prio, 0);
            FZ_CHECK(n > FZ_SMALL && n <= FZ_MAXMSG);
        } else {
            FZ_CHECK(n == -EBADMSG || (n >= 0 && (size_t) n <= cap));
        }
        if (n >= 0) {
            fz_expect(fz_buf, (size_t) n, prio, 1);
        } else {
            fz_bad++;
        }
        fz_small = !fz_small;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ipcx_chan *ends[2];
    uint32_t h = 2166136261u;

    if (size > FZ_MAXIN)
        size = FZ_MAXIN;
    fz_want = malloc((size / IPCX_FRAME_HDR + 1) * sizeof *fz_want);
    fz_wbytes = malloc(size + 1);
    FZ_CHECK(fz_want && fz_wbytes);
    fz_nwant = fz_nbytes = 0;
    fz_model(data, size);
    FZ_CHECK(ipcx_pair("pipe:?maxmsg=65536", ends) == 0);
    FZ_CHECK(ipcx_maxmsg(ends[0]) == FZ_MAXMSG);

    int wfd = ipcx_fd(ends[1]);
    FZ_CHECK(wfd >= 0);
    /* Room for the whole input, whatever the system's default pipe size. */
    if (fcntl(wfd, F_GETPIPE_SZ) < FZ_MAXIN + 4096)
        (void) fcntl(wfd, F_SETPIPE_SZ, FZ_MAXIN + 4096);

    /*
     * The input goes in at once or in up to four parts, cut where a hash
     * of it says, and the receiver takes what it can after each part: it
     * then sees frames torn across reads, as from a slow writer.
     */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    fz_calls = fz_msgs = fz_bad = 0;
    fz_small = 1;
    /* Some inputs also use peek/release, and the pollable descriptor
     * (which makes the engine parse ahead to ring its doorbell). */
    fz_peek = (h >> 28 & 1) != 0;
    if (h >> 29 & 1)
        FZ_CHECK(ipcx_fd(ends[0]) >= 0);
    size_t off = 0;
    for (int part = 0; off < size; part++) {
        size_t n = size - off;
        if (part < 3 && (h >> (8 * part) & 3) != 0)
            n = (h >> (8 * part + 2)) % (n + 1);
        while (n > 0) {
            ssize_t w = write(wfd, data + off, n);
            FZ_CHECK(w > 0);
            off += (size_t) w;
            n -= (size_t) w;
        }
        if (off < size)
            fz_drain(ends[0], size, 0);
    }
    FZ_CHECK(ipcx_close(ends[1]) == 0);
    fz_drain(ends[0], size, 1);
    if (fz_msgs != fz_nwant) {
        fprintf(stderr, "got %zu messages (and %zu -EBADMSG), want %zu\n", fz_msgs, fz_bad,
                fz_nwant);
        abort();
    }
    free(fz_want);
    free(fz_wbytes);
    /* Once every sender is gone, it stays so. */
    FZ_CHECK(ipcx_recv(ends[0], fz_buf, sizeof fz_buf, NULL, 0) == -EPIPE);
    FZ_CHECK(ipcx_close(ends[0]) == 0);
    return 0;
}
