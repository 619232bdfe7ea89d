/*
 * pool_wire.c - libFuzzer target: the frames of the worker pool over
 * sockets (src/pattern/pool_wire.c), which a dispatcher reads from any
 * worker and a worker from its dispatcher, maybe on another host.
 *
 * Byte 0 picks the receiver's maxmsg (0: a dispatcher, which takes no job
 * bytes; else 1 << (byte % 21)); the rest is a stream of frames, decoded
 * one after the other as pool_sock.c does.  Checks: the decoder returns 0,
 * -EAGAIN only for fewer than a header's bytes, or -EBADMSG with a detail;
 * a frame accepted obeys every rule of pool_wire.h and encodes back to
 * the same 16 bytes; a job's length never reaches past maxmsg.
 */
#include "pattern/pool_wire.h"
#include "util/err.h"

#include <errno.h>
#include <string.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t maxmsg = data[0] ? (size_t) 1 << (data[0] % 21) : 0;
    const uint8_t *p = data + 1, *end = data + size;
    while (p < end) {
        struct ipcx__pool_frame f;
        ipcx__clear_detail();
        int rc = ipcx__pool_frame_decode(p, (size_t) (end - p), maxmsg, &f);
        if (rc == -EAGAIN) {
            FZ_CHECK((size_t) (end - p) < IPCX_POOL_HDR);
            return 0;
        }
        if (rc < 0) {
            FZ_CHECK(rc == -EBADMSG && ipcx_errdetail()[0]);
            return 0;
        }
        FZ_CHECK(rc == 0);
        FZ_CHECK(f.kind >= IPCX_POOL_HELLO && f.kind <= IPCX_POOL_DONE);
        if (f.kind == IPCX_POOL_HELLO)
            FZ_CHECK(f.id >= 1 && f.id <= IPCX_POOL_WINDOW_MAX && f.len == 0);
        else
            FZ_CHECK(f.id != 0);
        if (f.kind == IPCX_POOL_DONE)
            FZ_CHECK(f.len == 0);
        FZ_CHECK(f.len <= maxmsg);
        uint8_t again[IPCX_POOL_HDR];
        ipcx__pool_frame_put(again, &f);
        FZ_CHECK(memcmp(again, p, IPCX_POOL_HDR) == 0);
        p += IPCX_POOL_HDR;
        if ((size_t) (end - p) < f.len)
            return 0; /* the job's bytes have not all arrived */
        p += f.len;
    }
    return 0;
}
