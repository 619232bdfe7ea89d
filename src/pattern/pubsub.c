/*
 * pubsub.c - publish/subscribe with topics over ipcx channels
 * (include/ipcx/pubsub.h; docs/patterns.md).
 *
 * Two ways, picked by the URL's scheme:
 *
 *  - shm:, sysvshm: one bcast ring with overflow=drop.  The publisher
 *    writes each message once; every subscriber reads the same bytes and
 *    filters by topic itself.  A lossless subscriber opens its end with
 *    lossless=yes, which makes the producer wait for its cursor
 *    (ring_bytes.c); a lossy one is lapped and counts from the sequence
 *    numbers (ipcx_lost).
 *  - unix:, tcp: a fan-out.  The publisher receives registrations on its
 *    URL (a receiving channel); each subscriber receives on a channel of
 *    its own (unix:@ipcx-sub-PID-N, tcp://HOST:PORT) whose address is in
 *    its registration, with its prefixes and its choice.  The publisher
 *    sends each message to each subscriber whose prefixes match, with a
 *    per-subscriber sequence number.  Each subscriber has a queue of
 *    framed messages in the publisher (PS_QUEUE bytes), written with one
 *    send of all it holds whenever the socket takes it: a subscriber that
 *    is behind gets many messages per system call and per wake-up.  A
 *    lossy one whose queue is full misses the message (and sees the gap);
 *    for a lossless one the publisher first waits for room, and if there is
 *    none in time nobody gets the message.  Without IPCX_PUB_BATCH a
 *    publish then waits (within its time) until lossless queues are in the
 *    sockets; with it, a queue is written once it holds a batch.
 *
 * Not here: the wire form and its checks (topic.c), the ring (src/shm/).
 */
#include "topic.h"
#include "ipcx/pubsub.h"
#include "../util/err.h"
#include "../util/url.h"
#include "../sys/sys.h"
#include "../transport/transport.h"
#include "../transport/frame.h"

#include <errno.h>
#include <poll.h>
#include <sys/uio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PS_MAX_SUBS 256        /* subscribers one fan-out publisher keeps */
#define PS_REG_MAX  (IPCX_TOPIC_HDR + IPCX_URL_MAX + IPCX_SUB_PREFIXES * (IPCX_TOPIC_MAX + 1))
#define PS_SUB_NAME "@ipcx-sub-" /* the only unix: names a publisher sends to */
#define PS_QUEUE    (64 * 1024) /* bytes queued per subscriber (a message more never waits) */
#define PS_LINGER_MS 2000       /* what close waits for lossless queues */

enum ps_kind { PS_RING, PS_FAN };

/* One subscriber as a fan-out publisher knows it. */
struct ps_peer {
    char      url[IPCX_URL_MAX];
    ipcx_chan *tx;
    int       lossy;
    unsigned  nprefix;
    uint8_t  *prefixes;        /* nprefix times (len u8, bytes), as registered */
    size_t    plen;
    uint64_t  seq;             /* number of the next message for it (sent or missed) */
    int       fd;              /* tx's socket: the queue is written to it directly */
    uint8_t  *q;               /* framed messages not yet written: q[qoff, qlen) */
    size_t    qoff, qlen, qcap;
};

struct ipcx_pub {
    enum ps_kind kind;
    ipcx_chan *ch;             /* ring: the sending end; fan-out: the registrations */
    int        nonblock;
    int        batch;          /* IPCX_PUB_BATCH */
    uint8_t   *buf;            /* one message being built (maxmsg) */
    size_t     maxmsg;
    struct ipcx_url url;       /* fan-out: to check reply addresses */
    struct ps_peer *peers;
    unsigned   npeers;
};

struct ipcx_sub {
    enum ps_kind kind;
    ipcx_chan *rx;             /* ring end, or our own receiving channel */
    ipcx_chan *ctl;            /* fan-out: to the publisher's registrations */
    int        flags;
    char       url[IPCX_URL_MAX]; /* fan-out: our address */
    char      *prefix[IPCX_SUB_PREFIXES];
    unsigned   nprefix;
    uint8_t   *buf;            /* one message received (maxmsg) */
    size_t     maxmsg;
    long       held;           /* fan-out: length of a message kept after -ENOBUFS, or -1 */
    uint64_t   next;           /* fan-out: the number expected next */
    int        seq_known;
    long long  lost;           /* fan-out: total missed */
    int        welcomed;       /* fan-out: the publisher answered our first registration */
};

/* ---- URLs ------------------------------------------------------------- */

static int ps_kind_of(const char *url, struct ipcx_url *u)
{
    int rc = ipcx__url_parse(url, u);
    if (rc < 0)
        return rc;
    if (!strcmp(u->scheme, "shm") || !strcmp(u->scheme, "sysvshm"))
        return PS_RING;
    if (!strcmp(u->scheme, "unix") || !strcmp(u->scheme, "tcp"))
        return PS_FAN;
    return ipcx__fail(-ENOTSUP, "pub/sub over %s: is not built: use shm:, unix: or tcp: "
                      "(a queue or pipe has one receiver, no fan-out)", u->scheme);
}

/* url with key=val appended unless the key is there; -ENAMETOOLONG. */
static int ps_url_add(char *out, size_t cap, const struct ipcx_url *u, const char *key,
                      const char *val)
{
    if (ipcx__url_get(u, key))
        return 0;
    size_t n = strlen(out);
    int w = snprintf(out + n, cap - n, "%s%s=%s", strchr(out, '?') ? "&" : "?", key, val);
    if (w < 0 || (size_t) w >= cap - n)
        return ipcx__fail(-ENAMETOOLONG, "the URL is too long for pub/sub's keys");
    return 0;
}

/* The ring URL: bcast, drop (per-subscriber choice), removed by the publisher. */
static int ps_ring_url(char *out, size_t cap, const char *url, const struct ipcx_url *u,
                       int pub, int lossy)
{
    if (strlen(url) >= cap)
        return ipcx__fail(-ENAMETOOLONG, "the URL is too long");
    strcpy(out, url);
    int rc = ps_url_add(out, cap, u, "mode", "bcast");
    if (rc == 0 && pub)
        rc = ps_url_add(out, cap, u, "overflow", "drop");
    /*
     * The publisher owns the name: it removes it when it closes, and
     * subscribers never do (they read what is left, then -EPIPE).  With
     * unlink=last a subscriber leaving last could remove the name just as a
     * new publisher attached the old segment, which nobody could then find.
     */
    if (rc == 0)
        rc = ps_url_add(out, cap, u, "unlink", pub ? "close" : "never");
    if (rc == 0 && !pub)
        rc = ps_url_add(out, cap, u, "lossless", lossy ? "no" : "yes");
    return rc;
}

static int ps_topic_ok(const char *topic, size_t *tlen)
{
    *tlen = 0;
    if (!topic)
        return ipcx__fail(-EINVAL, "no topic");
    *tlen = strnlen(topic, IPCX_TOPIC_MAX + 1);
    if (*tlen > IPCX_TOPIC_MAX)
        return ipcx__fail(-EINVAL, "a topic has at most %d bytes", IPCX_TOPIC_MAX);
    return 0;
}

/* A buffer for one message of the channel, or one registration. */
static uint8_t *ps_scratch(size_t maxmsg)
{
    return malloc(maxmsg > PS_REG_MAX ? maxmsg : PS_REG_MAX);
}

/* ---- publisher -------------------------------------------------------- */

IPCX_API int ipcx_pub_open(ipcx_pub **pub, const char *url, int flags)
{
    char ring[IPCX_URL_MAX];
    ipcx__clear_detail();
    if (!pub || !url || (flags & ~(IPCX_NONBLOCK | IPCX_PUB_BATCH)))
        return ipcx__fail(-EINVAL, "ipcx_pub_open: flags are 0, IPCX_NONBLOCK, IPCX_PUB_BATCH");
    ipcx_pub *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    int rc = ps_kind_of(url, &p->url);
    if (rc < 0)
        goto fail;
    p->kind = (enum ps_kind) rc;
    p->nonblock = (flags & IPCX_NONBLOCK) != 0;
    p->batch = (flags & IPCX_PUB_BATCH) != 0;
    flags &= ~IPCX_PUB_BATCH;
    if (p->kind == PS_RING) {
        if ((rc = ps_ring_url(ring, sizeof ring, url, &p->url, 1, 0)) < 0 ||
            (rc = ipcx_open(&p->ch, ring, IPCX_SEND | IPCX_CREATE | flags)) < 0)
            goto fail;
    } else if ((rc = ipcx_open(&p->ch, url, IPCX_RECV | IPCX_CREATE)) < 0) {
        goto fail;
    }
    p->maxmsg = (size_t) ipcx_maxmsg(p->ch);
    if (!(p->buf = ps_scratch(p->maxmsg))) {
        rc = -ENOMEM;
        goto fail;
    }
    *pub = p;
    return 0;
fail:
    (void) ipcx_pub_close(p);
    return rc;
}

static void ps_peer_drop(ipcx_pub *p, unsigned i)
{
    struct ps_peer *s = &p->peers[i];
    (void) ipcx_close(s->tx);
    free(s->prefixes);
    free(s->q);
    p->peers[i] = p->peers[--p->npeers];
}

/*
 * A reply address a registration may name: the publisher's own scheme;
 * unix: only abstract names under PS_SUB_NAME, tcp: only the publisher's
 * host.  So a registration cannot make the publisher connect elsewhere.
 */
static int ps_reply_ok(const ipcx_pub *p, const char *url)
{
    struct ipcx_url u;
    if (ipcx__url_parse(url, &u) < 0 || strcmp(u.scheme, p->url.scheme) != 0 || u.nkeys)
        return 0;
    if (!strcmp(u.scheme, "unix"))
        return !strncmp(u.path, PS_SUB_NAME, strlen(PS_SUB_NAME));
    return u.authority && !strcmp(u.host, p->url.host) && !u.path[0];
}

/* Send a refusal to a reply address we will not keep; best effort. */
static void ps_refuse(const char *url, int err)
{
    ipcx_chan *tx = NULL;
    uint8_t b[IPCX_TOPIC_HDR];
    ipcx__topic_refuse_put(b, err);
    if (ipcx_open(&tx, url, IPCX_SEND) == 0) {
        (void) ipcx_send(tx, b, sizeof b, 0, 0);
        (void) ipcx_close(tx);
    }
}

/* One registration: a new subscriber, or new prefixes of one we know. */
static void ps_register(ipcx_pub *p, const uint8_t *b, size_t n)
{
    struct ipcx__topic_reg r;
    char url[IPCX_URL_MAX];
    if (ipcx__topic_reg_decode(b, n, &r) < 0 || r.urllen >= sizeof url)
        return; /* not ours to answer: whoever sent it gets nothing */
    memcpy(url, r.url, r.urllen);
    url[r.urllen] = '\0';
    if (!ps_reply_ok(p, url))
        return;
    size_t plen = n - (size_t) (r.prefixes - b);
    uint8_t *pf = malloc(plen ? plen : 1);
    if (!pf)
        return;
    memcpy(pf, r.prefixes, plen);
    for (unsigned i = 0; i < p->npeers; i++)
        if (!strcmp(p->peers[i].url, url)) {
            free(p->peers[i].prefixes);
            p->peers[i].prefixes = pf;
            p->peers[i].plen = plen;
            p->peers[i].nprefix = r.nprefix;
            return;
        }
    if (p->npeers >= PS_MAX_SUBS) {
        free(pf);
        ps_refuse(url, -EMFILE);
        return;
    }
    struct ps_peer *np = realloc(p->peers, (p->npeers + 1) * sizeof *np);
    if (!np) {
        free(pf);
        ps_refuse(url, -ENOMEM);
        return;
    }
    p->peers = np;
    struct ps_peer *s = &p->peers[p->npeers];
    memset(s, 0, sizeof *s);
    strcpy(s->url, url);
    uint8_t hi[IPCX_TOPIC_HDR];
    ipcx__topic_refuse_put(hi, 0);
    /* The welcome is the first thing it gets: from now on it misses nothing unknowingly. */
    if (ipcx_open(&s->tx, url, IPCX_SEND) < 0 || ipcx_send(s->tx, hi, sizeof hi, 0, 0) < 0 ||
        (s->fd = ipcx_fd(s->tx)) < 0) {
        (void) ipcx_close(s->tx);
        free(pf);
        return; /* gone already */
    }
    s->lossy = (r.flags & IPCX_TOPIC_LOSSY) != 0;
    s->prefixes = pf;
    s->plen = plen;
    s->nprefix = r.nprefix;
    p->npeers++;
}

/* Take every registration that has arrived. */
static void ps_pump(ipcx_pub *p)
{
    for (int i = 0; i < 1024; i++) {
        long n = ipcx_recv(p->ch, p->buf, PS_REG_MAX, NULL, 0);
        if (n == -EAGAIN || n == -EPIPE)
            return;
        if (n >= 0)
            ps_register(p, p->buf, (size_t) n);
    }
}

static int ps_peer_wants(const struct ps_peer *s, const char *topic, size_t tlen)
{
    const uint8_t *q = s->prefixes;
    for (unsigned i = 0; i < s->nprefix; i++, q += 1 + *q)
        if (ipcx__topic_match(topic, tlen, (const char *) q + 1, *q))
            return 1;
    return 0;
}

/* Does the queue of s take need more bytes?  An empty one always does. */
static int ps_room(const struct ps_peer *s, size_t need)
{
    return s->qlen == s->qoff || s->qlen - s->qoff + need <= PS_QUEUE;
}

/*
 * Write s's queue: all it holds in one send, and again while the socket
 * takes more.  d NULL: only what the socket takes now (0, the rest stays);
 * else wait for room until d.  0 when written (or, without d, when the
 * socket is full), -EPIPE for a subscriber gone, or the deadline's error.
 */
static int ps_write(struct ps_peer *s, const struct ipcx__deadline *d)
{
    while (s->qoff < s->qlen) {
        struct iovec iov = { s->q + s->qoff, s->qlen - s->qoff };
        ssize_t r = ipcx__sendv(s->fd, &iov, 1);
        if (r > 0) {
            s->qoff += (size_t) r;
            continue;
        }
        if (r != -EAGAIN)
            return r == -ECONNRESET || r == -ENOTCONN || r == -ECONNREFUSED ? -EPIPE : (int) r;
        if (!d)
            return 0;
        int left = ipcx__remaining(d);
        if (left == 0)
            return ipcx__expired(d);
        int w = ipcx__poll1(s->fd, POLLOUT, left);
        if (w == 0)
            return ipcx__expired(d);
        if (w < 0 && w != -EINTR)
            return w;
        if (w == -EINTR && ipcx__intr_returns())
            return -EINTR;
    }
    s->qoff = s->qlen = 0;
    return 0;
}

/* Put message b (n bytes, its number seq at offset 8) framed at the end of s's queue. */
static int ps_queue(struct ps_peer *s, const uint8_t *b, size_t n, uint64_t seq)
{
    size_t need = IPCX_FRAME_HDR + n;
    if (s->qoff && s->qcap - s->qlen < need) {
        memmove(s->q, s->q + s->qoff, s->qlen - s->qoff);
        s->qlen -= s->qoff;
        s->qoff = 0;
    }
    if (s->qcap - s->qlen < need) {
        size_t cap = s->qlen + need > PS_QUEUE ? s->qlen + need : PS_QUEUE;
        uint8_t *q = realloc(s->q, cap);
        if (!q)
            return -ENOMEM;
        s->q = q;
        s->qcap = cap;
    }
    struct ipcx__frame f = { IPCX_FRAME_WHOLE, 0, 0, (uint32_t) n, (uint32_t) n };
    uint8_t *at = s->q + s->qlen;
    ipcx__frame_encode(at, &f);
    memcpy(at + IPCX_FRAME_HDR, b, n);
    /* The same bytes for everyone but the number, at offset 8. */
    for (int k = 0; k < 8; k++)
        at[IPCX_FRAME_HDR + 8 + k] = (uint8_t) (seq >> (8 * k));
    s->qlen += need;
    return 0;
}

/* Write every queue; lossless ones until d (NULL: what fits now).  Gone peers are dropped. */
static int ps_write_all(ipcx_pub *p, const struct ipcx__deadline *d, size_t least)
{
    int rc = 0;
    for (unsigned i = 0; i < p->npeers; i++) {
        struct ps_peer *s = &p->peers[i];
        if (s->qlen - s->qoff < (least ? least : 1))
            continue;
        int r = ps_write(s, s->lossy ? NULL : d);
        if (r == -EPIPE)
            ps_peer_drop(p, i--);
        else if (r < 0 && rc == 0)
            rc = ipcx__fail(r, "subscriber %s has no room", s->url);
    }
    return rc;
}

static int ps_fan_publish(ipcx_pub *p, size_t n, const char *topic, size_t tlen,
                          int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    size_t need = IPCX_FRAME_HDR + n;
    int rc;
    /* Room in every lossless queue this message goes to, or nobody gets it. */
    for (unsigned i = 0; i < p->npeers; i++) {
        struct ps_peer *s = &p->peers[i];
        if (s->lossy || ps_room(s, need) || !ps_peer_wants(s, topic, tlen))
            continue;
        rc = ps_write(s, &d); /* with a deadline: 0 only once all of it is written */
        if (rc == -EPIPE)
            ps_peer_drop(p, i--);
        else if (rc < 0)
            return ipcx__fail(rc, "subscriber %s has no room", s->url);
    }
    for (unsigned i = 0; i < p->npeers; i++) {
        struct ps_peer *s = &p->peers[i];
        if (!ps_peer_wants(s, topic, tlen))
            continue;
        uint64_t seq = s->seq++;
        if (!ps_room(s, need))
            continue; /* lossy and full: it sees the gap in the numbers */
        if ((rc = ps_queue(s, p->buf, n, seq)) < 0)
            return rc; /* s->seq moved on: it will count one lost, not hang */
    }
    if (p->batch)
        return ps_write_all(p, NULL, IPCX_PUB_BATCH_BYTES), 0;
    /* Write-through: into the sockets now, waiting for lossless ones within
     * the caller's time; what is left stays queued for the next call. */
    (void) ps_write_all(p, &d, 0);
    return 0;
}

IPCX_API int ipcx_pub_flush(ipcx_pub *p, int timeout_ms)
{
    ipcx__clear_detail();
    if (!p)
        return -EINVAL;
    if (p->kind == PS_RING)
        return 0;
    if (p->nonblock)
        timeout_ms = 0;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    return ps_write_all(p, &d, 0);
}

IPCX_API int ipcx_publish(ipcx_pub *p, const char *topic, const void *msg, size_t len,
                          int timeout_ms)
{
    size_t tlen;
    ipcx__clear_detail();
    if (!p || (!msg && len))
        return -EINVAL;
    int rc = ps_topic_ok(topic, &tlen);
    if (rc < 0)
        return rc;
    if (len > p->maxmsg - IPCX_TOPIC_HDR - tlen || p->maxmsg < IPCX_TOPIC_HDR + tlen)
        return ipcx__fail(-EMSGSIZE, "%zu bytes and the topic are more than maxmsg=%zu",
                          len, p->maxmsg);
    if (p->nonblock)
        timeout_ms = 0;
    size_t n = IPCX_TOPIC_HDR + tlen + len;
    ipcx__topic_put(p->buf, topic, tlen, 0);
    if (len)
        memcpy(p->buf + IPCX_TOPIC_HDR + tlen, msg, len);
    if (p->kind == PS_RING) {
        rc = ipcx_send(p->ch, p->buf, n, 0, timeout_ms);
        /* -EPIPE: every subscriber came and went; nobody is left to miss it. */
        return rc == -EPIPE ? 0 : rc;
    }
    ps_pump(p);
    return ps_fan_publish(p, n, topic, tlen, timeout_ms);
}

IPCX_API int ipcx_pub_subscribers(ipcx_pub *p)
{
    if (!p)
        return -EINVAL;
    if (p->kind == PS_RING)
        return ipcx__shm_receivers(p->ch);
    ps_pump(p);
    return (int) p->npeers;
}

IPCX_API int ipcx_pub_addr(const ipcx_pub *p, char *buf, size_t cap)
{
    if (!p || !buf)
        return -EINVAL;
    if (p->kind == PS_FAN)
        return ipcx_addr(p->ch, buf, cap);
    /* The ring's own address without the keys pub/sub added: subscribers add theirs. */
    char a[IPCX_URL_MAX];
    int n = ipcx_addr(p->ch, a, sizeof a);
    if (n < 0)
        return n;
    a[strcspn(a, "?")] = '\0';
    n = (int) strlen(a);
    if ((size_t) n >= cap)
        return -ENOSPC;
    memcpy(buf, a, (size_t) n + 1);
    return n;
}

IPCX_API int ipcx_pub_close(ipcx_pub *p)
{
    if (!p)
        return 0;
    uint8_t bye[IPCX_TOPIC_HDR];
    ipcx__topic_refuse_put(bye, -EPIPE);
    if (p->kind == PS_FAN) {
        struct ipcx__deadline d = ipcx__deadline(PS_LINGER_MS);
        (void) ps_write_all(p, &d, 0);
    }
    while (p->npeers) {
        /* Tell each subscriber the feed ended (best effort: a full one learns by its timeout). */
        if (p->peers[0].qoff == p->peers[0].qlen)
            (void) ipcx_send(p->peers[0].tx, bye, sizeof bye, 0, 0);
        ps_peer_drop(p, 0);
    }
    int rc = ipcx_close(p->ch);
    free(p->peers);
    free(p->buf);
    free(p);
    return rc;
}

/* ---- subscriber ------------------------------------------------------- */

/* Our own receiving channel for a fan-out: an abstract unix name, or a tcp port. */
static int ps_sub_listen(ipcx_sub *s, const struct ipcx_url *u)
{
    static unsigned counter;
    int rc = -EADDRINUSE;
    for (int tries = 0; tries < 16 && rc == -EADDRINUSE; tries++) {
        if (!strcmp(u->scheme, "unix"))
            snprintf(s->url, sizeof s->url, "unix:" PS_SUB_NAME "%d-%u-%lld", (int) getpid(),
                     __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED),
                     (long long) (ipcx__now_ns() & 0xffffff));
        else if (strchr(u->host, ':'))
            snprintf(s->url, sizeof s->url, "tcp://[%s]:0", u->host);
        else
            snprintf(s->url, sizeof s->url, "tcp://%s:0", u->host);
        rc = ipcx_open(&s->rx, s->url, IPCX_RECV | IPCX_CREATE);
    }
    if (rc < 0)
        return rc;
    return ipcx_addr(s->rx, s->url, sizeof s->url) < 0 ? -ENAMETOOLONG : 0;
}

IPCX_API int ipcx_sub_open(ipcx_sub **sub, const char *url, int flags)
{
    struct ipcx_url u;
    char ring[IPCX_URL_MAX];
    ipcx__clear_detail();
    if (!sub || !url || (flags & ~(IPCX_SUB_LOSSY | IPCX_NONBLOCK)))
        return ipcx__fail(-EINVAL, "ipcx_sub_open: flags are IPCX_SUB_LOSSY, IPCX_NONBLOCK");
    ipcx_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->flags = flags;
    s->held = -1;
    int rc = ps_kind_of(url, &u);
    if (rc < 0)
        goto fail;
    s->kind = (enum ps_kind) rc;
    if (s->kind == PS_RING) {
        /* No IPCX_CREATE: the publisher makes the ring (with overflow=drop). */
        if ((rc = ps_ring_url(ring, sizeof ring, url, &u, 0, flags & IPCX_SUB_LOSSY)) < 0 ||
            (rc = ipcx_open(&s->rx, ring, IPCX_RECV | (flags & IPCX_NONBLOCK))) < 0)
            goto fail;
    } else {
        if ((rc = ipcx_open(&s->ctl, url, IPCX_SEND)) < 0 || (rc = ps_sub_listen(s, &u)) < 0)
            goto fail;
    }
    s->maxmsg = (size_t) ipcx_maxmsg(s->rx);
    if (!(s->buf = ps_scratch(s->maxmsg))) {
        rc = -ENOMEM;
        goto fail;
    }
    *sub = s;
    return 0;
fail:
    (void) ipcx_sub_close(s);
    return rc;
}

IPCX_API int ipcx_subscribe(ipcx_sub *s, const char *prefix)
{
    size_t plen;
    ipcx__clear_detail();
    if (!s)
        return -EINVAL;
    int rc = ps_topic_ok(prefix, &plen);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < s->nprefix; i++)
        if (!strcmp(s->prefix[i], prefix))
            return 0;
    if (s->nprefix >= IPCX_SUB_PREFIXES)
        return ipcx__fail(-ENOSPC, "a subscriber has at most %d prefixes", IPCX_SUB_PREFIXES);
    if (!(s->prefix[s->nprefix] = strdup(prefix)))
        return -ENOMEM;
    s->nprefix++;
    if (s->kind == PS_RING)
        return 0; /* the ring carries every topic; ipcx_sub_recv filters */
    long n = ipcx__topic_reg_put(s->buf, PS_REG_MAX, (s->flags & IPCX_SUB_LOSSY)
                                 ? IPCX_TOPIC_LOSSY : 0, s->url,
                                 (const char *const *) s->prefix, s->nprefix);
    if (n < 0)
        return ipcx__fail((int) n, "the registration does not fit");
    rc = ipcx_send(s->ctl, s->buf, (size_t) n, 0, (s->flags & IPCX_NONBLOCK) ? 0 : -1);
    if (rc < 0) { /* not registered: forget it, the caller may try again */
        s->nprefix--;
        free(s->prefix[s->nprefix]);
        s->prefix[s->nprefix] = NULL;
    }
    return rc;
}

static int ps_sub_wants(const ipcx_sub *s, const char *topic, size_t tlen)
{
    for (unsigned i = 0; i < s->nprefix; i++)
        if (ipcx__topic_match(topic, tlen, s->prefix[i], strlen(s->prefix[i])))
            return 1;
    return 0;
}

/* Copy a matching message out.  -EMSGSIZE: it does not fit; counted lost. */
static long ps_deliver(ipcx_sub *s, const struct ipcx__topic_msg *m, char *topic,
                       size_t tcap, void *buf, size_t cap, long long *lost)
{
    if (m->len > cap || (topic && m->tlen >= tcap)) {
        (*lost)++;
        return ipcx__fail(-EMSGSIZE, "a message of %zu bytes (topic %zu) does not fit",
                          m->len, m->tlen);
    }
    (void) s;
    if (topic) {
        memcpy(topic, m->topic, m->tlen);
        topic[m->tlen] = '\0';
    }
    if (m->len)
        memcpy(buf, m->body, m->len);
    return (long) m->len;
}

static long ps_ring_recv(ipcx_sub *s, char *topic, size_t tcap, void *buf, size_t cap,
                         const struct ipcx__deadline *d, int zero)
{
    /* timeout 0 looks at what is there, however many other topics that is */
    for (;;) {
        const void *msg;
        size_t n;
        struct ipcx__topic_msg m;
        int refused;
        int rc = ipcx_peek(s->rx, &msg, &n, ipcx__remaining(d));
        if (rc < 0)
            return rc; /* -ENOBUFS once after a lap: ipcx_lost counts it */
        rc = ipcx__topic_decode(msg, n, &m, &refused);
        long got = 0;
        long long extra = 0;
        int want = rc == 0 && !refused && ps_sub_wants(s, m.topic, m.tlen);
        if (want)
            got = ps_deliver(s, &m, topic, tcap, buf, cap, &extra);
        s->lost += extra;
        int rel = ipcx_release(s->rx);
        if (rel < 0)
            return rel; /* overwritten while we copied (lossy): not delivered, counted */
        if (rc < 0)
            return rc;
        if (want)
            return got;
        if (ipcx__remaining(d) == 0 && !zero)
            return ipcx__expired(d); /* only other topics came within the time */
    }
}

static long ps_fan_recv(ipcx_sub *s, char *topic, size_t tcap, void *buf, size_t cap,
                        const struct ipcx__deadline *d)
{
    for (;;) {
        long n = s->held;
        s->held = -1;
        if (n < 0)
            n = ipcx_recv(s->rx, s->buf, s->maxmsg, NULL, ipcx__remaining(d));
        if (n < 0)
            return n;
        struct ipcx__topic_msg m;
        int refused, rc = ipcx__topic_decode(s->buf, (size_t) n, &m, &refused);
        if (rc < 0)
            return rc;
        if (refused == 1) {
            s->welcomed = 1;
            continue;
        }
        if (refused)
            return ipcx__fail(refused, refused == -EPIPE ? "the publisher closed the feed"
                                                        : "the publisher refused us");
        if (s->seq_known && m.seq > s->next) {
            /* A gap: the publisher had no room for those.  Say so once, then deliver. */
            uint64_t gap = m.seq - s->next;
            s->lost += (long long) gap;
            s->next = m.seq;
            s->held = n;
            return ipcx__fail(-ENOBUFS, "%llu messages were lost (see ipcx_sub_lost)",
                              (unsigned long long) gap);
        }
        /* An older number: the publisher started again; count from here. */
        s->next = m.seq + 1;
        s->seq_known = 1;
        if (ps_sub_wants(s, m.topic, m.tlen))
            return ps_deliver(s, &m, topic, tcap, buf, cap, &s->lost);
    }
}

IPCX_API long ipcx_sub_recv(ipcx_sub *s, char *topic, size_t tcap, void *buf, size_t cap,
                            int timeout_ms)
{
    ipcx__clear_detail();
    if (!s || (!buf && cap))
        return -EINVAL;
    if (s->flags & IPCX_NONBLOCK)
        timeout_ms = 0;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    return s->kind == PS_RING ? ps_ring_recv(s, topic, tcap, buf, cap, &d, timeout_ms == 0)
                              : ps_fan_recv(s, topic, tcap, buf, cap, &d);
}

IPCX_API int ipcx_sub_wait(ipcx_sub *s, int timeout_ms)
{
    ipcx__clear_detail();
    if (!s)
        return -EINVAL;
    if (s->kind == PS_RING || s->welcomed)
        return 0; /* a ring end reads from its join on */
    if (!s->nprefix)
        return ipcx__fail(-EINVAL, "nothing subscribed yet");
    if (s->flags & IPCX_NONBLOCK)
        timeout_ms = 0;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    while (!s->welcomed) {
        long n = ipcx_recv(s->rx, s->buf, s->maxmsg, NULL, ipcx__remaining(&d));
        if (n < 0)
            return n;
        struct ipcx__topic_msg m;
        int refused, rc = ipcx__topic_decode(s->buf, (size_t) n, &m, &refused);
        if (rc < 0)
            return rc;
        if (refused < 0)
            return ipcx__fail(refused, "the publisher refused us");
        s->welcomed = 1;
        if (!refused)
            s->held = n; /* a message before the welcome: keep it for ipcx_sub_recv */
    }
    return 0;
}

IPCX_API long long ipcx_sub_lost(const ipcx_sub *s)
{
    if (!s)
        return -EINVAL;
    return s->lost + (s->kind == PS_RING ? ipcx_lost(s->rx) : 0);
}

IPCX_API int ipcx_sub_close(ipcx_sub *s)
{
    if (!s)
        return 0;
    int rc = ipcx_close(s->rx);
    (void) ipcx_close(s->ctl);
    for (unsigned i = 0; i < s->nprefix; i++)
        free(s->prefix[i]);
    free(s->buf);
    free(s);
    return rc;
}
