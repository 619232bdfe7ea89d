/*
 * line_decode.c - libFuzzer target: framing=lines (codec.h), the line
 * decoder (ipcx__line_find, ipcx__line_skip) and the real engine reading
 * lines from a pipe made by ipcx_pair("pipe:?framing=lines&maxmsg=M").
 *
 * Input: byte 0 picks maxmsg (low 3 bits) and how the rest is written
 * (bits 3-7 seed the cuts); the rest is the byte stream, written at once
 * or in parts with receives in between, then the write end is closed.
 *
 * A model reads the stream as codec.h documents it: a message per line
 * without its newline; a line longer than maxmsg is dropped (one
 * -EBADMSG); the last bytes without a newline are one last line at end of
 * file.  The messages received must be the model's, byte for byte and in
 * order, every result a length, -EBADMSG or -EMSGSIZE, and the end -EPIPE;
 * the number of receives is bounded by the input's length (progress).
 */
#include "ipcx.h"
#include "transport/codec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"

#define FZ_MAXIN (60 * 1024)
static const size_t fz_maxmsgs[8] = { 1, 2, 3, 16, 100, 4096, 16384, 65536 };

static uint8_t fz_buf[65536 + 1];
static size_t fz_off[FZ_MAXIN + 1], fz_len[FZ_MAXIN + 1]; /* the model's messages */
static size_t fz_nwant, fz_got, fz_calls;

/* The model, written out from codec.h without the library's decoder. */
static void fz_model(const uint8_t *d, size_t n, size_t maxmsg)
{
    size_t pos = 0;
    fz_nwant = 0;
    while (pos < n) {
        size_t k = pos;
        while (k < n && d[k] != '\n' && k - pos <= maxmsg)
            k++;
        if (k - pos > maxmsg) { /* too long: drop it through its newline */
            while (k < n && d[k] != '\n')
                k++;
            pos = k + 1;
            continue;
        }
        fz_off[fz_nwant] = pos;
        fz_len[fz_nwant++] = k - pos;
        pos = k + 1; /* past the newline, or past the end: the last line */
    }
}

/* The decoder alone, over the whole input as one buffer: the model's lines. */
static void fz_direct(const uint8_t *d, size_t n, size_t maxmsg)
{
    size_t pos = 0, i = 0, len = 7, used = 7;
    while (pos < n) {
        int r = ipcx__line_find(d + pos, n - pos, maxmsg, 1, &len, &used);
        if (r == -EMSGSIZE) {
            size_t skip;
            FZ_CHECK(n - pos > maxmsg);
            (void) ipcx__line_skip(d + pos, n - pos, &skip);
            FZ_CHECK(skip > maxmsg);
            pos += skip;
            continue;
        }
        FZ_CHECK(r == 1 && len <= maxmsg && (used == len + 1 || used == n - pos));
        FZ_CHECK(i < fz_nwant && fz_off[i] == pos && fz_len[i] == len);
        FZ_CHECK(memchr(d + pos, '\n', len) == NULL);
        pos += used;
        i++;
    }
    FZ_CHECK(i == fz_nwant);
    /* Without eof, a tail that is not a line yet needs more. */
    if (n > 0 && n <= maxmsg && !memchr(d, '\n', n))
        FZ_CHECK(ipcx__line_find(d, n, maxmsg, 0, &len, &used) == 0);
}

static void fz_drain(ipcx_chan *rx, const uint8_t *d, size_t size, int closed)
{
    for (int small = 1;; small = !small) {
        FZ_CHECK(++fz_calls <= size + 8);
        size_t cap = small ? 2 : sizeof fz_buf;
        long n = ipcx_recv(rx, fz_buf, cap, NULL, 0);
        if (n == (closed ? -EPIPE : -EAGAIN))
            return;
        if (n == -EMSGSIZE) {
            FZ_CHECK(small);
            n = ipcx_recv(rx, fz_buf, sizeof fz_buf, NULL, 0);
        }
        if (n == -EBADMSG)
            continue;
        FZ_CHECK(n >= 0);
        FZ_CHECK(fz_got < fz_nwant);
        FZ_CHECK((size_t) n == fz_len[fz_got] &&
                 memcmp(fz_buf, d + fz_off[fz_got], (size_t) n) == 0);
        fz_got++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ipcx_chan *ends[2];
    char url[64];

    if (size < 1)
        return 0;
    size_t maxmsg = fz_maxmsgs[data[0] & 7];
    unsigned cuts = data[0] >> 3;
    data++;
    size--;
    if (size > FZ_MAXIN)
        size = FZ_MAXIN;
    fz_model(data, size, maxmsg);
    fz_direct(data, size, maxmsg);

    snprintf(url, sizeof url, "pipe:?framing=lines&maxmsg=%zu", maxmsg);
    FZ_CHECK(ipcx_pair(url, ends) == 0);
    int wfd = ipcx_fd(ends[1]);
    FZ_CHECK(wfd >= 0);
    if (fcntl(wfd, F_GETPIPE_SZ) < FZ_MAXIN + 4096)
        (void) fcntl(wfd, F_SETPIPE_SZ, FZ_MAXIN + 4096);
    fz_got = fz_calls = 0;
    /* Up to four parts, cut where the seed says: lines torn across reads. */
    size_t off = 0;
    for (int part = 0; off < size; part++) {
        size_t n = size - off;
        if (part < 3 && (cuts >> part & 1))
            n = (n * (size_t) (cuts + 1 + part)) / 37 % (n + 1);
        while (n > 0) {
            ssize_t w = write(wfd, data + off, n);
            FZ_CHECK(w > 0);
            off += (size_t) w;
            n -= (size_t) w;
        }
        if (off < size)
            fz_drain(ends[0], data, size, 0);
    }
    FZ_CHECK(ipcx_close(ends[1]) == 0);
    fz_drain(ends[0], data, size, 1);
    if (fz_got != fz_nwant) {
        fprintf(stderr, "got %zu lines, want %zu\n", fz_got, fz_nwant);
        abort();
    }
    FZ_CHECK(ipcx_close(ends[0]) == 0);
    return 0;
}
