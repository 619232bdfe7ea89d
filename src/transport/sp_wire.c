/*
 * sp_wire.c - the SP wire format (sp_wire.h): protocol names, handshake,
 * message headers and backtraces.  Checked against nng 1.x
 * (src/sp/transport/tcp/tcp.c, ipc/ipc.c, protocol/reqrep0/rep.c) and the
 * nanomsg RFCs; no descriptors here.
 */
#include "sp_wire.h"

#include <errno.h>
#include <string.h>

static const struct ipcx__sp_proto sp_protos[] = {
    { "pair0", IPCX_SP_PAIR0, IPCX_SP_PAIR0 },
    { "pub0", IPCX_SP_PUB0, IPCX_SP_SUB0 },
    { "sub0", IPCX_SP_SUB0, IPCX_SP_PUB0 },
    { "req0", IPCX_SP_REQ0, IPCX_SP_REP0 },
    { "rep0", IPCX_SP_REP0, IPCX_SP_REQ0 },
    { "push0", IPCX_SP_PUSH0, IPCX_SP_PULL0 },
    { "pull0", IPCX_SP_PULL0, IPCX_SP_PUSH0 },
    { "surveyor0", IPCX_SP_SURVEYOR0, IPCX_SP_RESPONDENT0 },
    { "respondent0", IPCX_SP_RESPONDENT0, IPCX_SP_SURVEYOR0 },
    { "bus0", IPCX_SP_BUS0, IPCX_SP_BUS0 },
};
#define SP_NPROTOS (sizeof sp_protos / sizeof sp_protos[0])

const struct ipcx__sp_proto *ipcx__sp_proto_find(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < SP_NPROTOS; i++) {
        const char *p = sp_protos[i].name;
        size_t m = strlen(p);
        /* "push" names push0 as nngcat's aliases do; "pair" is not taken
         * for pair0 because nngcat's --pair may mean pair1. */
        if (strcmp(p, name) == 0 ||
            (n == m - 1 && strncmp(p, name, n) == 0 && strcmp(name, "pair") != 0))
            return &sp_protos[i];
    }
    return NULL;
}

const char *ipcx__sp_proto_name(uint16_t id)
{
    for (size_t i = 0; i < SP_NPROTOS; i++)
        if (sp_protos[i].id == id)
            return sp_protos[i].name;
    return id == 0x11 ? "pair1" : NULL;
}

void ipcx__sp_hs_encode(uint8_t out[IPCX_SP_HS_LEN], uint16_t id)
{
    out[0] = 0;
    out[1] = 'S';
    out[2] = 'P';
    out[3] = 0;
    out[4] = (uint8_t) (id >> 8);
    out[5] = (uint8_t) id;
    out[6] = 0;
    out[7] = 0;
}

int ipcx__sp_hs_decode(const uint8_t in[IPCX_SP_HS_LEN], uint16_t *id)
{
    /* nng refuses reserved bytes that are not zero (NNG_EPROTO). */
    if (in[0] != 0 || in[1] != 'S' || in[2] != 'P' || in[3] != 0 || in[6] != 0 || in[7] != 0)
        return -EPROTO;
    *id = (uint16_t) (in[4] << 8 | in[5]);
    return 0;
}

size_t ipcx__sp_hdr_encode(uint8_t out[IPCX_SP_HDR_MAX], int ipc, uint64_t len)
{
    size_t o = 0;
    if (ipc)
        out[o++] = IPCX_SP_IPC_MSG;
    for (int i = 7; i >= 0; i--)
        out[o++] = (uint8_t) (len >> (8 * i));
    return o;
}

int ipcx__sp_hdr_decode(const uint8_t *in, int ipc, uint64_t max, uint64_t *len)
{
    uint64_t v = 0;
    if (ipc && *in++ != IPCX_SP_IPC_MSG)
        return -EPROTO;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    if (v > max)
        return -EMSGSIZE;
    *len = v;
    return 0;
}

long ipcx__sp_bt_len(const uint8_t *msg, size_t len)
{
    for (size_t w = 0; w <= IPCX_SP_MAX_HOPS && 4 * (w + 1) <= len; w++)
        if (ipcx__sp_get32(msg + 4 * w) & IPCX_SP_ID_BIT)
            return (long) (4 * (w + 1));
    return -EBADMSG;
}
