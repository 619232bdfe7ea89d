/*
 * sp_wire.c - libFuzzer target: the SP wire parsers (src/transport/sp_wire.h)
 * against a reference written out here from nng's rules: the handshake,
 * the TCP and IPC message headers, and the backtrace of a request.
 *
 * Input: byte 0 picks the framing (bit 0: IPC) and maxmsg (bits 1-3); then
 * an 8-byte handshake, then messages as a peer would send them: a header,
 * then as much of the announced payload as the input still holds.  Every
 * payload also goes through the backtrace parser.
 */
#include "transport/sp_wire.h"

#include <errno.h>
#include <string.h>
#include "fuzz.h"

static const uint64_t fz_max[8] = { 0, 1, 4, 64, 1000, 65536, 1u << 20, UINT64_MAX };

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static long ref_bt(const uint8_t *m, size_t n)
{
    for (size_t w = 0; w < 16; w++) {
        if (4 * w + 4 > n)
            return -EBADMSG;
        if (m[4 * w] & 0x80)
            return (long) (4 * w + 4);
    }
    return -EBADMSG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + IPCX_SP_HS_LEN)
        return 0;
    int ipc = data[0] & 1;
    uint64_t max = fz_max[(data[0] >> 1) & 7];
    const uint8_t *p = data + 1, *end = data + size;

    uint16_t id = 0;
    int r = ipcx__sp_hs_decode(p, &id);
    int good = p[0] == 0 && p[1] == 'S' && p[2] == 'P' && p[3] == 0 && p[6] == 0 && p[7] == 0;
    FZ_CHECK(r == (good ? 0 : -EPROTO));
    if (good) {
        uint8_t again[IPCX_SP_HS_LEN];
        FZ_CHECK(id == (uint16_t) (p[4] << 8 | p[5]));
        ipcx__sp_hs_encode(again, id);
        FZ_CHECK(memcmp(again, p, IPCX_SP_HS_LEN) == 0);
        const char *name = ipcx__sp_proto_name(id);
        if (name && id != 0x11) {
            const struct ipcx__sp_proto *pr = ipcx__sp_proto_find(name);
            FZ_CHECK(pr && pr->id == id);
        }
    }
    p += IPCX_SP_HS_LEN;

    size_t hl = ipcx__sp_hdr_len(ipc);
    while ((size_t) (end - p) >= hl) {
        uint64_t len = 0, want = be64(p + hl - 8);
        r = ipcx__sp_hdr_decode(p, ipc, max, &len);
        if (ipc && p[0] != IPCX_SP_IPC_MSG) {
            FZ_CHECK(r == -EPROTO);
            return 0; /* the connection would be dropped */
        }
        if (want > max) {
            FZ_CHECK(r == -EMSGSIZE);
            return 0;
        }
        FZ_CHECK(r == 0 && len == want);
        uint8_t h[IPCX_SP_HDR_MAX];
        FZ_CHECK(ipcx__sp_hdr_encode(h, ipc, len) == hl && memcmp(h, p, hl) == 0);
        p += hl;
        size_t have = (size_t) (end - p) < len ? (size_t) (end - p) : (size_t) len;
        long bt = ipcx__sp_bt_len(p, have);
        FZ_CHECK(bt == ref_bt(p, have));
        FZ_CHECK(bt < 0 || (bt >= 4 && bt <= IPCX_SP_BT_MAX && (size_t) bt <= have));
        p += have;
    }
    return 0;
}
