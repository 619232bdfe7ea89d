/*
 * pattern_decode.c - libFuzzer target: the pattern header of request/reply
 * and rendezvous (ipcx__pat_decode, src/pattern/wire.c), which a server
 * reads from any requester and a requester from anyone who can reach its
 * reply channel.
 *
 * Input: one received message.  The library's decoder is compared with a
 * reference written out here from pattern_int.h; a header it accepts
 * points only inside the input and encodes back to the same bytes; and
 * the server's check (is the address exactly the one ipcx__pat_reply_url
 * makes for the pid and token named?) runs against a few server addresses.
 */
#include "pattern/pattern_int.h"

#include <errno.h>
#include <string.h>
#include "fuzz.h"

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int ref_valid(const uint8_t *p, size_t n)
{
    if (n < IPCX_PAT_HDR || be(p, 2) != IPCX_PAT_MAGIC || p[2] != IPCX_PAT_VERSION)
        return 0;
    unsigned kind = p[3];
    size_t alen = (size_t) be(p + 4, 2);
    int req = kind == IPCX_PAT_REQUEST || kind == IPCX_PAT_SYNC;
    if (kind < IPCX_PAT_REQUEST || kind > IPCX_PAT_ACK || be(p + 6, 2) || be(p + 20, 4))
        return 0;
    if (alen > IPCX_PAT_ADDRMAX || IPCX_PAT_HDR + alen > n)
        return 0;
    if (req != (alen > 0) || req != (be(p + 16, 4) != 0) || (!req && be(p + 24, 8)))
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (p[IPCX_PAT_HDR + i] <= ' ' || p[IPCX_PAT_HDR + i] > '~')
            return 0;
    return 1;
}

static const char *const servers[] = {
    "unix:/tmp/s.sock", "unix:@s?type=dgram", "fifo:/tmp/s", "mq:/s", "shm:/s",
    "tcp://127.0.0.1:7", "pipe:", "sysvmq:77",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ipcx__pat_hdr h;
    memset(&h, 0x5a, sizeof h);
    int r = ipcx__pat_decode(data, size, &h);
    FZ_CHECK(r == 0 || r == -EBADMSG);
    FZ_CHECK((r == 0) == ref_valid(data, size));
    if (r < 0)
        return 0;
    const uint8_t *end = data + size, *pl = h.payload;
    FZ_CHECK(pl >= data && pl <= end && h.len == (size_t) (end - pl));
    FZ_CHECK(h.addrlen == 0 || ((const uint8_t *) h.addr == data + IPCX_PAT_HDR &&
                                pl == data + IPCX_PAT_HDR + h.addrlen));
    uint8_t back[IPCX_PAT_HDR + IPCX_PAT_ADDRMAX];
    size_t n = ipcx__pat_encode(&h, back, sizeof back);
    FZ_CHECK(n == IPCX_PAT_HDR + h.addrlen && memcmp(back, data, n) == 0);
    if (!h.addrlen)
        return 0;
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        char want[IPCX_PAT_ADDRMAX + 1];
        int k = ipcx__pat_reply_url(servers[i], h.pid, h.token, want, sizeof want);
        FZ_CHECK(k == -ENOTSUP || k == -ENOSPC || (k > 0 && (size_t) k <= IPCX_PAT_ADDRMAX));
        if (k > 0 && (size_t) k == h.addrlen && memcmp(want, h.addr, h.addrlen) == 0)
            /* an accepted address is a reply channel of this server's form */
            FZ_CHECK(strncmp(want, servers[i], 3) == 0 || strncmp(want, "unix:@ipcx-r-", 13) == 0);
    }
    return 0;
}
