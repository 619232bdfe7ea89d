/*
 * shm_attach.c - libFuzzer target: arbitrary shared-memory segment images
 * given to the ring's attach, and then to receives and a send.
 *
 * The first input byte picks how the image is made:
 *   bit 7 clear: the input is the whole segment, raw (header validation:
 *                almost everything must be refused with -EPROTO);
 *   bit 7 set:   a valid header for mode (bits 0-1) and overflow=drop
 *                (bit 2) is formatted, and the rest of the input overwrites
 *                everything after the fixed part: indices, wake words,
 *                participants, records, slots (the ring's own checks).
 * Bit 3 set: the image is a guarded mapping (src/sys/sigbus.h) that
 * "shrinks" (the zone is killed, as the SIGBUS handler or the size check
 * would) before call 8 * (bits 4-6) of the receive loop, or before the
 * sends if the loop ends first: from then on every call must give -EIO.
 * Then one receiver attaches and receives (timeout 0) until it gets
 * -EAGAIN or a bounded number of calls, and one sender sends a few
 * messages; every other call is a whole receive or send
 * (ipcx__ring_recv, ipcx__ring_send: what ipcx_recv and ipcx_send use,
 * with the byte rings' one-piece paths).  Every result must be a documented one (a length, -EAGAIN,
 * -EPIPE, -EPROTO, -EBADMSG, -ENOBUFS, -EMSGSIZE, -EBUSY, -EMFILE), and
 * nothing may crash, read out of bounds, or loop: the calls are bounded.
 */
#include "shm/ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "fuzz.h"
#include "sys/sigbus.h"

static int fz_dead; /* the zone was killed: every call must say -EIO */

static int fz_ok(int r)
{
    if (fz_dead)
        return r == -EIO;
    return r >= 0 || r == -EAGAIN || r == -EPIPE || r == -EPROTO || r == -EBADMSG ||
           r == -ENOBUFS || r == -EMSGSIZE || r == -EBUSY || r == -EMFILE || r == -ESTALE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ipcx__ring_opts o = { 0, 0, 4096, 64 };
    struct ipcx__ring rx, tx;
    uint32_t ns, ss;
    size_t seg;
    uint8_t *img;

    if (size < 1)
        return 0;
    o.mode = data[0] & 3;
    o.flags = (data[0] & 4) && o.mode == IPCX_SHM_BCAST ? IPCX_SHM_F_DROP : 0;
    seg = ipcx__ring_seg_size(&o, &ns, &ss);
    FZ_CHECK(seg > 0);
    /*
     * Page-aligned, like a mapping: the ring relies on its alignment.  A
     * shrinking one must be a real mapping (killing it maps over it);
     * else the heap, where ASan sees every byte past the end.
     */
    struct ipcx__sigbus_zone *zone = NULL;
    int shrink = (data[0] & 8) != 0, shrink_at = 8 * ((data[0] >> 4) & 7);
    fz_dead = 0;
    if (shrink) {
        img = mmap(NULL, seg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        FZ_CHECK(img != MAP_FAILED);
        FZ_CHECK(ipcx__sigbus_guard(img, seg, -1, &zone) == 0);
    } else {
        img = aligned_alloc(4096, (seg + 4095) & ~(size_t) 4095);
        FZ_CHECK(img);
    }
    memset(img, 0, seg);
    if (data[0] & 0x80) {
        ipcx__ring_format(img, seg, &o);
        size_t fixed = sizeof(struct ipcx__shm_fixed), n = size - 1;
        if (n > seg - fixed)
            n = seg - fixed;
        memcpy(img + fixed, data + 1, n);
    } else {
        memcpy(img, data + 1, size - 1 < seg ? size - 1 : seg);
    }

    memset(&rx, 0, sizeof rx);
    memset(&tx, 0, sizeof tx);
    int r = ipcx__ring_check(&rx, img, seg);
    FZ_CHECK(r == 0 || r == -EPROTO || r == -EAGAIN);
    FZ_CHECK(rx.zone == zone || r < 0);
    if (r == 0) {
        tx = rx;
        r = ipcx__ring_join(&rx, 0, 0, 0);
        FZ_CHECK(fz_ok(r));
        if (r == 0) {
            for (int i = 0; i < 64; i++) {
                const void *m;
                size_t len;
                unsigned prio;
                if (shrink && i == shrink_at) {
                    ipcx__sigbus_kill(zone);
                    fz_dead = 1;
                    FZ_CHECK(ipcx__ring_dead(&rx) && ipcx__sigbus_check(zone) == 1);
                }
                if (i & 1) {
                    /* A whole receive, as ipcx_recv makes it (the one-piece path of the
                       byte rings first), into a buffer of 64. */
                    uint8_t out[64];
                    long got = ipcx__ring_recv(&rx, out, sizeof out, &prio, 0);
                    if (got >= 0) {
                        FZ_CHECK(!fz_dead && got <= (long) sizeof out);
                        continue;
                    }
                    FZ_CHECK(fz_ok((int) got));
                    if (got == -EAGAIN || got == -EPIPE)
                        break;
                    if (got != -EMSGSIZE)
                        continue; /* else the message is still peeked: take it below */
                }
                r = ipcx__ring_peek(&rx, &m, &len, &prio, 0);
                FZ_CHECK(fz_ok(r));
                if (r == -EAGAIN || r == -EPIPE)
                    break;
                if (r < 0)
                    continue;
                FZ_CHECK(len <= rx.fx.maxmsg);
                FZ_CHECK((const uint8_t *) m >= img &&
                         (const uint8_t *) m + len <= img + seg);
                volatile uint8_t sink = 0;
                for (size_t k = 0; k < len; k++)
                    sink ^= ((const uint8_t *) m)[k]; /* ASan checks every byte */
                (void) sink;
                FZ_CHECK(fz_ok(ipcx__ring_release(&rx)));
            }
        }
        if (shrink && !fz_dead) {
            ipcx__sigbus_kill(zone); /* the loop ended first: shrink before the sends */
            fz_dead = 1;
        }
        r = ipcx__ring_join(&tx, 1, 0, 0);
        FZ_CHECK(r == 0 || fz_ok(r)); /* joining a dead ring registers in its zeros */
        if (r == 0) {
            for (int i = 0; i < 8; i++) {
                void *buf;
                static const uint8_t msg[40];
                if (i & 1) {
                    /* A whole send, as ipcx_send makes it (one piece in the byte rings). */
                    r = ipcx__ring_send(&tx, msg, 40, 0, 0);
                    FZ_CHECK(fz_ok(r));
                    if (r < 0)
                        break;
                    FZ_CHECK(!fz_dead);
                    continue;
                }
                r = ipcx__ring_loan(&tx, 40, &buf, 0);
                FZ_CHECK(fz_ok(r));
                if (r < 0)
                    break;
                FZ_CHECK((uint8_t *) buf >= img && (uint8_t *) buf + 40 <= img + seg);
                memset(buf, 0x5a, 40);
                FZ_CHECK(fz_ok(ipcx__ring_commit(&tx, buf, 40, 0)));
            }
            (void) ipcx__ring_leave(&tx);
        }
        if (rx.me >= 0)
            (void) ipcx__ring_leave(&rx);
    }
    if (shrink) {
        FZ_CHECK(ipcx__sigbus_unguard(zone) == fz_dead);
        (void) munmap(img, seg);
    } else {
        free(img);
    }
    return 0;
}
