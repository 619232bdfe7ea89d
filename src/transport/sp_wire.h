/*
 * sp_wire.h - the bytes of nng's Scalability Protocols (SP) on a stream
 * (nanomsg RFC sp-tcp-mapping-01, sp-ipc-mapping, and nng 1.x): the
 * protocol ids, the 8-byte handshake, the message header of TCP (a 64-bit
 * length) and of IPC (a type byte, then the length), and the backtrace of
 * req/rep and surveyor/respondent.  Pure functions on buffers: no
 * descriptors, so fuzz/sp_wire.c can drive every one.  The sockets and
 * the protocols' rules are sp.c's.
 */
#ifndef IPCX_SP_WIRE_H
#define IPCX_SP_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Protocol ids: major * 16 + minor (nng's NNG_*_SELF). */
#define IPCX_SP_PAIR0       0x10
#define IPCX_SP_PUB0        0x20
#define IPCX_SP_SUB0        0x21
#define IPCX_SP_REQ0        0x30
#define IPCX_SP_REP0        0x31
#define IPCX_SP_PUSH0       0x50
#define IPCX_SP_PULL0       0x51
#define IPCX_SP_SURVEYOR0   0x62
#define IPCX_SP_RESPONDENT0 0x63
#define IPCX_SP_BUS0        0x70

#define IPCX_SP_HS_LEN  8   /* 00 'S' 'P' 00, protocol (BE16), 00 00 */
#define IPCX_SP_HDR_MAX 9   /* IPC: type 1, length (BE64); TCP: the length alone */
#define IPCX_SP_IPC_MSG 1   /* the type byte nng writes before every IPC message */

/*
 * The backtrace: 32-bit big-endian words, hop ids with the high bit clear,
 * the request (or survey) id last with it set.  nng gives up on a request
 * that crossed more than 15 devices (NNG_OPT_MAXTTL at most 15): so do we.
 */
#define IPCX_SP_ID_BIT   0x80000000u
#define IPCX_SP_MAX_HOPS 15
#define IPCX_SP_BT_MAX   (4 * (IPCX_SP_MAX_HOPS + 1))

struct ipcx__sp_proto {
    const char *name;   /* "push0" */
    uint16_t id, peer;  /* ours and the one we talk to */
};

/* The protocol called name (push0, push, ...: a missing 0 is allowed), or NULL. */
const struct ipcx__sp_proto *ipcx__sp_proto_find(const char *name);
/* The name of a protocol id, or NULL for one we do not know. */
const char *ipcx__sp_proto_name(uint16_t id);

/* Our handshake for protocol id. */
void ipcx__sp_hs_encode(uint8_t out[IPCX_SP_HS_LEN], uint16_t id);
/* A peer's handshake: its protocol id in *id, or -EPROTO when it is no SP handshake. */
int  ipcx__sp_hs_decode(const uint8_t in[IPCX_SP_HS_LEN], uint16_t *id);

/* The header length: 9 for IPC, 8 for TCP. */
static inline size_t ipcx__sp_hdr_len(int ipc)
{
    return ipc ? 9 : 8;
}
/* The header of a message of len bytes; returns its length. */
size_t ipcx__sp_hdr_encode(uint8_t out[IPCX_SP_HDR_MAX], int ipc, uint64_t len);
/*
 * A peer's header (ipcx__sp_hdr_len(ipc) bytes): the message length in
 * *len; -EPROTO for an IPC type other than 1, -EMSGSIZE for a length above
 * max (nng drops the connection for either, and so does sp.c).
 */
int ipcx__sp_hdr_decode(const uint8_t *in, int ipc, uint64_t max, uint64_t *len);

/*
 * The backtrace at the start of a request or survey of len bytes: its
 * length in bytes (4 to IPCX_SP_BT_MAX, the id is its last word), or
 * -EBADMSG when no word with the high bit comes within the hop limit or
 * the message.
 */
long ipcx__sp_bt_len(const uint8_t *msg, size_t len);

/* A 32-bit big-endian word. */
static inline uint32_t ipcx__sp_get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}
static inline void ipcx__sp_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}

#endif
