/*
 * topic_decode.c - libFuzzer target: the wire form of pub/sub
 * (src/pattern/topic.c), which comes from a shared ring or a socket.
 *
 * The first byte picks the parser: even, a published message (or a
 * refusal); odd, a subscriber's registration.  The rest is the input.
 * Checks: the decoder returns 0 or -EBADMSG with a detail; what it gives
 * lies inside the input (topic, body, reply address, every prefix), has
 * no NUL where it promises none, and encodes back to the same bytes.
 */
#include "pattern/topic.h"
#include "ipcx/pubsub.h"
#include "util/err.h"

#include <errno.h>
#include <string.h>
#include "fuzz.h"

static void check_msg(const uint8_t *b, size_t n)
{
    struct ipcx__topic_msg m;
    int refused = 1;
    ipcx__clear_detail();
    int rc = ipcx__topic_decode(b, n, &m, &refused);
    if (rc < 0) {
        FZ_CHECK(rc == -EBADMSG && ipcx_errdetail()[0]);
        return;
    }
    FZ_CHECK(rc == 0);
    if (refused) {
        FZ_CHECK(refused == 1 || (refused < 0 && refused >= -4095));
        return;
    }
    const uint8_t *end = b + n;
    FZ_CHECK(m.tlen <= IPCX_TOPIC_MAX);
    FZ_CHECK((const uint8_t *) m.topic >= b && (const uint8_t *) m.topic + m.tlen <= end);
    FZ_CHECK(memchr(m.topic, '\0', m.tlen) == NULL);
    FZ_CHECK(m.body == (const uint8_t *) m.topic + m.tlen && m.body + m.len == end);
    static uint8_t again[IPCX_TOPIC_HDR + IPCX_TOPIC_MAX];
    ipcx__topic_put(again, m.topic, m.tlen, m.seq);
    FZ_CHECK(memcmp(again, b, IPCX_TOPIC_HDR + m.tlen) == 0);
    /* a prefix of the topic matches it, one byte longer does not */
    FZ_CHECK(ipcx__topic_match(m.topic, m.tlen, m.topic, m.tlen));
    FZ_CHECK(!ipcx__topic_match(m.topic, m.tlen, m.topic, m.tlen + 1));
}

static void check_reg(const uint8_t *b, size_t n)
{
    struct ipcx__topic_reg r;
    ipcx__clear_detail();
    int rc = ipcx__topic_reg_decode(b, n, &r);
    if (rc < 0) {
        FZ_CHECK(rc == -EBADMSG && ipcx_errdetail()[0]);
        return;
    }
    FZ_CHECK(rc == 0 && r.nprefix <= IPCX_SUB_PREFIXES);
    const uint8_t *end = b + n;
    FZ_CHECK(r.urllen > 0 && (const uint8_t *) r.url >= b &&
             (const uint8_t *) r.url + r.urllen <= end);
    FZ_CHECK(memchr(r.url, '\0', r.urllen) == NULL);
    /* Re-encode from NUL-terminated copies: the same bytes. */
    static char url[0x10000 + 1], pf[IPCX_SUB_PREFIXES][IPCX_TOPIC_MAX + 1];
    const char *pp[IPCX_SUB_PREFIXES];
    memcpy(url, r.url, r.urllen);
    url[r.urllen] = '\0';
    const uint8_t *q = r.prefixes;
    for (unsigned i = 0; i < r.nprefix; i++) {
        FZ_CHECK(q < end && q + 1 + *q <= end);
        memcpy(pf[i], q + 1, *q);
        pf[i][*q] = '\0';
        FZ_CHECK(strlen(pf[i]) == *q);
        pp[i] = pf[i];
        q += 1 + *q;
    }
    FZ_CHECK(q == end);
    static uint8_t again[0x10000 + 16 + IPCX_SUB_PREFIXES * 256];
    long m = ipcx__topic_reg_put(again, sizeof again, r.flags, url, pp, r.nprefix);
    FZ_CHECK(m == (long) n && memcmp(again, b, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        check_reg(data + 1, size - 1);
    else
        check_msg(data + 1, size - 1);
    return 0;
}
