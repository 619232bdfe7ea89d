/*
 * pool_wire.c - the worker pool's socket frames (pool_wire.h): encoder and
 * checked decoder.  No system calls, no state: pool_sock.c sends and
 * receives them, fuzz/pool_wire.c feeds the decoder any bytes.
 */
#include "pool_wire.h"
#include "../util/err.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

void ipcx__pool_frame_put(uint8_t hdr[IPCX_POOL_HDR], const struct ipcx__pool_frame *f)
{
    uint16_t magic = htobe16(IPCX_POOL_MAGIC);
    uint32_t len = htobe32(f->len);
    uint64_t id = htobe64(f->id);
    memcpy(hdr, &magic, 2);
    hdr[2] = IPCX_POOL_VERSION;
    hdr[3] = (uint8_t) f->kind;
    memcpy(hdr + 4, &len, 4);
    memcpy(hdr + 8, &id, 8);
}

int ipcx__pool_frame_decode(const uint8_t *p, size_t n, size_t maxmsg,
                            struct ipcx__pool_frame *f)
{
    uint16_t magic;
    uint32_t len;
    uint64_t id;

    if (n < IPCX_POOL_HDR)
        return -EAGAIN;
    memcpy(&magic, p, 2);
    memcpy(&len, p + 4, 4);
    memcpy(&id, p + 8, 8);
    magic = be16toh(magic);
    len = be32toh(len);
    id = be64toh(id);
    if (magic != IPCX_POOL_MAGIC || p[2] != IPCX_POOL_VERSION)
        return ipcx__fail(-EBADMSG, "pool frame: not from an ipcx pool (magic 0x%04x, "
                                    "version %u)", magic, p[2]);
    switch (p[3]) {
    case IPCX_POOL_HELLO:
        if (id == 0 || id > IPCX_POOL_WINDOW_MAX)
            return ipcx__fail(-EBADMSG, "pool frame: a window of %llu jobs (1 to %u)",
                              (unsigned long long) id, IPCX_POOL_WINDOW_MAX);
        break;
    case IPCX_POOL_JOB:
        if (len > maxmsg)
            return ipcx__fail(-EBADMSG, "pool frame: a job of %u bytes, more than %zu",
                              len, maxmsg);
        break;
    case IPCX_POOL_DONE:
        break;
    default:
        return ipcx__fail(-EBADMSG, "pool frame: unknown kind %u", p[3]);
    }
    if (p[3] != IPCX_POOL_JOB && len != 0)
        return ipcx__fail(-EBADMSG, "pool frame: kind %u carries %u bytes", p[3], len);
    if (p[3] != IPCX_POOL_HELLO && id == 0)
        return ipcx__fail(-EBADMSG, "pool frame: job number 0");
    f->kind = p[3];
    f->len = len;
    f->id = id;
    return 0;
}
