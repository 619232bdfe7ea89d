/*
 * pool_wire.h - the frames of the worker pool over sockets (pool_sock.c):
 * a dispatcher (the submitter, listening) and workers (connecting) speak
 * them over one unix: or tcp: stream each.  Every frame is a 16-byte
 * header, then len bytes of job (JOB only); numbers big-endian:
 *
 *   0      2     3     4        8                16
 *   +------+-----+-----+--------+----------------+------------
 *   |magic |ver  |kind |  len   |       id       |  job (len)
 *   |0x504c| 1   | u8  |  u32   |      u64       |
 *   +------+-----+-----+--------+----------------+------------
 *
 *   HELLO  worker -> dispatcher, first and once: id is the window, the
 *          most jobs the worker will hold at once (1..IPCX_POOL_WINDOW_MAX)
 *   JOB    dispatcher -> worker: job number id (never 0), len bytes
 *   DONE   worker -> dispatcher: job id is done (and one credit back)
 *
 * Both ends come from other processes, maybe other hosts:
 * ipcx__pool_frame_decode() checks the header whole before anything is
 * used; what a frame means to its receiver (a DONE for a job that was not
 * handed to that worker) is pool_sock.c's to check.
 */
#ifndef IPCX_PATTERN_POOL_WIRE_H
#define IPCX_PATTERN_POOL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define IPCX_POOL_HDR        16u
#define IPCX_POOL_MAGIC      0x504cu /* "PL" */
#define IPCX_POOL_VERSION    1u
#define IPCX_POOL_WINDOW_MAX 64u     /* the most jobs one worker may hold */

enum ipcx__pool_kind {
    IPCX_POOL_HELLO = 1,
    IPCX_POOL_JOB   = 2,
    IPCX_POOL_DONE  = 3,
};

struct ipcx__pool_frame {
    unsigned kind;  /* enum ipcx__pool_kind */
    uint32_t len;   /* bytes of job after the header (JOB), 0 otherwise */
    uint64_t id;    /* the job's number (JOB, DONE) or the window (HELLO) */
};

/* Write f's header into hdr. */
void ipcx__pool_frame_put(uint8_t hdr[IPCX_POOL_HDR], const struct ipcx__pool_frame *f);

/*
 * Decode a header from the n bytes at p.  0; -EAGAIN when n < IPCX_POOL_HDR
 * (more bytes needed); -EBADMSG with a detail for anything a correct peer
 * never sends: wrong magic or version, unknown kind, a JOB longer than
 * maxmsg or numbered 0, a HELLO or DONE with bytes after it, a DONE of job
 * 0, a window of 0 or above IPCX_POOL_WINDOW_MAX.
 */
int ipcx__pool_frame_decode(const uint8_t *p, size_t n, size_t maxmsg,
                            struct ipcx__pool_frame *f);

#endif
