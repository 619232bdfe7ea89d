/*
 * reqrep.c - request/reply (include/ipcx/pattern.h): the requester's reply
 * channel and its wait for the matching answer, the server's checked
 * receive and its answer to the address inside the request.  Rendezvous
 * (rendezvous.c) is the same call with an empty acknowledgement.  The
 * header and the naming rule of reply channels are wire.c's.
 *
 * State per channel (struct ipcx__pat, hung on ch->pat, freed by
 * ipcx_close):
 *   a requester (sending end): its private reply channel, made at the first
 *     call under ipcx__pat_reply_url(address, pid, random token); the id of
 *     the request in flight (ids start at a random number, so nobody who
 *     cannot read the requests guesses one); the counters
 *   a server (receiving end): a request held back by -EMSGSIZE, and up to
 *     PAT_CACHE sending ends to recent requesters' reply channels, so that a
 *     requester that asks again costs no open
 * Like every channel call these are for one thread at a time per channel.
 */
#include "pattern_int.h"
#include "reqrep_sp.h"
#include "ipcx/pattern.h"
#include "ipcx/admin.h"
#include "../transport/transport.h"
#include "../transport/stream.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/proc.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAT_CACHE  8    /* reply channels a server keeps open */
#define PAT_ACK_MS 1000 /* how long a server waits to acknowledge a synchronous send */
#define PAT_TRIES  4    /* reply channel names tried when one is taken */

struct pat_peer {
    ipcx_chan *tx;                        /* a sending end to a reply channel, or NULL */
    char       url[IPCX_PAT_ADDRMAX + 1];
    uint64_t   used;                      /* tick of the last use: the oldest goes first */
};

struct ipcx__pat {
    /* a requester */
    ipcx_chan *rx;                        /* the reply channel, or NULL */
    int        conn;                      /* replies come back on ch's own connection
                                             (IPCX_PAT_CONN): no rx */
    pid_t      owner;                     /* the process that made rx */
    uint32_t   pid;
    uint64_t   token;
    char       url[IPCX_PAT_ADDRMAX + 1]; /* rx's address, as requests carry it */
    size_t     urllen;
    uint64_t   next_id;
    /* both */
    unsigned char *sbuf, *rbuf;           /* a message to send, one received */
    size_t     scap, rcap;
    struct ipcx_pattern_stats st;
    /* a server */
    long       held;                      /* a checked request in rbuf not yet taken, or -1 */
    unsigned   hprio;
    uint64_t   hconn;                     /* the connection it came on (IPCX_PAT_CONN), or 0 */
    long       hpid;                      /* that connection's peer (SO_PEERCRED), or 0 */
    struct pat_peer peer[PAT_CACHE];
    uint64_t   tick;
};

static struct ipcx__pat *pat_get(struct ipcx_chan *ch)
{
    if (!ch->pat) {
        ch->pat = calloc(1, sizeof *ch->pat);
        if (ch->pat)
            ch->pat->held = -1;
    }
    return ch->pat;
}

static int pat_grow(unsigned char **buf, size_t *cap, size_t want)
{
    if (*cap >= want)
        return 0;
    unsigned char *b = realloc(*buf, want);
    if (!b)
        return -ENOMEM;
    *buf = b;
    *cap = want;
    return 0;
}

/* A send's timeout from what is left of d: an expired deadline never waits. */
static int pat_left(const struct ipcx__deadline *d)
{
    return ipcx__remaining(d);
}

/* Make the reply channel of a requester, once per process. */
static int pat_requester(struct ipcx_chan *ch, struct ipcx__pat *p)
{
    char addr[IPCX_PAT_ADDRMAX + 1];
    pid_t self = ipcx__self_pid();
    ipcx_chan *rx = NULL;
    int r = 0, n = 0;

    if ((p->rx || p->conn) && p->owner == self)
        return 0;
    if (p->rx) {
        /* Inherited over fork: the parent's channel.  Closing it here
         * removes nothing (only its opener does); this process makes its own. */
        (void) ipcx_close(p->rx);
        p->rx = NULL;
    }
    if ((r = ipcx_addr(ch, addr, sizeof addr)) < 0)
        return r == -ENOTSUP ? ipcx__fail(-ENOTSUP, "this channel has no address to reply to")
                             : r;
    for (int i = 0; i < PAT_TRIES; i++) {
        if ((r = ipcx__random(&p->token, sizeof p->token)) < 0)
            return r;
        n = ipcx__pat_reply_url(addr, (uint32_t) self, p->token, p->url, sizeof p->url);
        if (n < 0)
            return n;
        if (strcmp(p->url, IPCX_PAT_CONN) == 0) {
            /* A connected socket: the server answers on this connection. */
            if ((r = ipcx__back_open(ch)) < 0 ||
                (r = ipcx__random(&p->next_id, sizeof p->next_id)) < 0 ||
                (r = pat_grow(&p->rbuf, &p->rcap, ch->maxmsg)) < 0)
                return r;
            p->conn = 1;
            p->owner = self;
            p->pid = (uint32_t) self;
            p->urllen = (size_t) n;
            return 0;
        }
        r = ipcx_open(&rx, p->url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
        if (r != -EEXIST)
            break;
    }
    if (r < 0)
        return r;
    long max = ipcx_maxmsg(rx);
    if ((r = ipcx__random(&p->next_id, sizeof p->next_id)) < 0 ||
        (r = pat_grow(&p->rbuf, &p->rcap, (size_t) max)) < 0) {
        (void) ipcx_close(rx);
        return r;
    }
    p->rx = rx;
    p->owner = self;
    p->pid = (uint32_t) self;
    p->urllen = (size_t) n;
    return 0;
}

/* Put header h and len bytes of payload into p->sbuf; the total, or -errno. */
static long pat_frame(struct ipcx__pat *p, const struct ipcx__pat_hdr *h, const void *msg,
                      size_t len, size_t maxmsg)
{
    size_t need = IPCX_PAT_HDR + h->addrlen + len;
    int r;

    if (need > maxmsg)
        return ipcx__fail(-EMSGSIZE, "%zu bytes and a header of %zu are more than maxmsg=%zu",
                          len, need - len, maxmsg);
    if ((r = pat_grow(&p->sbuf, &p->scap, need)) < 0)
        return r;
    size_t off = ipcx__pat_encode(h, p->sbuf, p->scap);
    if (len)
        memcpy(p->sbuf + off, msg, len);
    return (long) need;
}

/* Is the answer for id (of kind want) in the n bytes received?  *done says; a
 * discarded one is counted. */
static long pat_match(struct ipcx__pat *p, long n, unsigned want, uint64_t id, void *reply,
                      size_t cap, int *done)
{
    struct ipcx__pat_hdr h;

    *done = 0;
    if (ipcx__pat_decode(p->rbuf, (size_t) n, &h) < 0 ||
        (h.kind != IPCX_PAT_REPLY && h.kind != IPCX_PAT_ACK)) {
        p->st.malformed++;
        return 0;
    }
    if (h.kind != want || h.id != id) {
        p->st.late++; /* an answer to a request that gave up: never to this one */
        return 0;
    }
    *done = 1;
    if (h.len > cap)
        return ipcx__fail(-EMSGSIZE, "the reply has %zu bytes, more than %zu", h.len, cap);
    if (h.len)
        memcpy(reply, h.payload, h.len);
    return (long) h.len;
}

/*
 * Wait for the answer to id.  Where the transport tells a sender that its
 * receiver went by a hang-up on the sender's descriptor (IPCX_CAP_RXGONE:
 * the socket hangs up, the FIFO loses its reader) the wait also watches
 * the request channel, and a server that dies gives -EPIPE at once.  A
 * ring's descriptor is a doorbell that never hangs up (the ring reports a
 * gone receiver at the next send; IPCX_CAP_ZEROCOPY marks the rings): there
 * the receive itself waits, in the ring's futex, until the deadline.
 */
static long pat_await(struct ipcx_chan *ch, struct ipcx__pat *p, unsigned want, uint64_t id,
                      void *reply, size_t cap, const struct ipcx__deadline *d)
{
    unsigned caps = ch->tp->caps;
    int gonefd = (caps & IPCX_CAP_RXGONE) && !(caps & IPCX_CAP_ZEROCOPY) ? ipcx_fd(ch) : -1;
    int rxfd = gonefd >= 0 ? ipcx_fd(p->rx) : -1;
    int gone = 0, done;

    while (p->conn) {
        /* One descriptor: the reply and the server's hang-up both arrive on it. */
        long n = ipcx__back_recv(ch, p->rbuf, p->rcap, pat_left(d));
        if (n == -EAGAIN || n == -ETIMEDOUT)
            return ipcx__expired(d);
        if (n < 0)
            return n == -EPIPE ? ipcx__fail(-EPIPE, "the server went away before it answered")
                               : n;
        long r = pat_match(p, n, want, id, reply, cap, &done);
        if (done)
            return r;
    }
    if (rxfd < 0)
        gonefd = -1;
    for (;;) {
        long n = ipcx_recv(p->rx, p->rbuf, p->rcap, NULL,
                           gonefd >= 0 ? 0 : pat_left(d));
        if (n >= 0) {
            long r = pat_match(p, n, want, id, reply, cap, &done);
            if (done)
                return r;
            continue;
        }
        if (n != -EAGAIN && n != -ETIMEDOUT)
            return n;
        if (gone)
            return ipcx__fail(-EPIPE, "the server went away before it answered");
        if (gonefd < 0) /* the receive waited until the deadline (or was asked */
            return ipcx__expired(d); /* with 0 ms left: -EAGAIN means the deadline too) */
        int left = pat_left(d);
        if (left == 0)
            return ipcx__expired(d);
        struct pollfd pf[2] = { { .fd = rxfd, .events = POLLIN }, { .fd = gonefd } };
        int r = ipcx__poll(pf, 2, left);
        if (r == -EINTR) {
            if (ipcx__intr_returns())
                return -EINTR;
            continue;
        }
        if (r < 0)
            return r;
        if (pf[1].revents & (POLLERR | POLLHUP))
            gone = 1; /* one more receive: the answer may have come first */
    }
}

long ipcx__pat_call(struct ipcx_chan *ch, unsigned kind, const void *msg, size_t len,
                    unsigned prio, void *reply, size_t cap, int timeout_ms)
{
    struct ipcx__deadline d;
    struct ipcx__pat *p;
    long n;
    int r;

    if (!ch || (!msg && len) || (!reply && cap))
        return ipcx__fail(-EINVAL, "no channel, message or reply buffer");
    if (!(ch->flags & IPCX_SEND))
        return ipcx__fail(-EBADF, "requests are sent on a sending end");
    if (prio & IPCX_MORE) /* it would wait in the cork queue while we wait for its answer */
        return ipcx__fail(-EINVAL, "IPCX_MORE: a request or synchronous send waits for its "
                                   "answer, it cannot be queued");
    if (ch->flags & IPCX_NONBLOCK)
        timeout_ms = 0;
    d = ipcx__deadline(timeout_ms < 0 ? -1 : timeout_ms);
    if (!(p = pat_get(ch)))
        return -ENOMEM;
    if ((r = pat_requester(ch, p)) < 0)
        return r;
    uint64_t id = ++p->next_id;
    struct ipcx__pat_hdr h = { .kind = kind, .id = id, .pid = p->pid, .token = p->token,
                               .addr = p->url, .addrlen = p->urllen };
    if ((n = pat_frame(p, &h, msg, len, ch->maxmsg)) < 0)
        return n;
    r = ipcx_send(ch, p->sbuf, (size_t) n, prio, pat_left(&d));
    if (r == -EAGAIN && !d.zero)
        r = -ETIMEDOUT; /* the deadline passed while the send waited */
    if (r < 0)
        return r;
    return pat_await(ch, p, kind == IPCX_PAT_SYNC ? IPCX_PAT_ACK : IPCX_PAT_REPLY, id,
                     reply, cap, &d);
}

IPCX_API long ipcx_request(ipcx_chan *ch, const void *req, size_t len, void *reply,
                           size_t cap, int timeout_ms)
{
    ipcx__clear_detail();
    if (ch && ipcx__pat_is_sp(ch)) /* nng's wire: the backtrace is the route */
        return ipcx__pat_sp_request(ch, req, len, reply, cap, timeout_ms);
    return ipcx__pat_call(ch, IPCX_PAT_REQUEST, req, len, 0, reply, cap, timeout_ms);
}

/* ---- the server --------------------------------------------------------- */

/*
 * A request from a peer is untrusted: its reply address must be exactly
 * the one that the pid and token it names make for this channel
 * (ipcx__pat_reply_url), so a request can never point the server at a
 * file, socket or queue of its own choosing; see docs/security.md.
 */
static int pat_check(struct ipcx_chan *ch, struct ipcx__pat *p, long n)
{
    char own[IPCX_PAT_ADDRMAX + 1], want[IPCX_PAT_ADDRMAX + 1];
    struct ipcx__pat_hdr h;
    int r;

    if ((r = ipcx__pat_decode(p->rbuf, (size_t) n, &h)) < 0) {
        p->st.malformed++;
        return r;
    }
    if (h.kind != IPCX_PAT_REQUEST && h.kind != IPCX_PAT_SYNC) {
        p->st.malformed++;
        return ipcx__fail(-EBADMSG, "pattern header: a reply sent to a server");
    }
    if ((r = ipcx_addr(ch, own, sizeof own)) < 0 ||
        (r = ipcx__pat_reply_url(own, h.pid, h.token, want, sizeof want)) < 0 ||
        (size_t) r != h.addrlen || memcmp(want, h.addr, h.addrlen) != 0) {
        p->st.refused++;
        return ipcx__fail(-EACCES, "request from pid %" PRIu32 ": reply address '%.*s' is "
                          "not the one its requester makes", h.pid, (int) h.addrlen, h.addr);
    }
    p->hconn = 0;
    p->hpid = (long) h.pid;
    long kpid;
    if (ipcx__back_sender(ch, &kpid) == 0 && kpid != (long) h.pid) {
        /* A unix datagram: the kernel named its sender.  A request that
         * claims another pid (and so that pid's reply socket) is forged. */
        p->st.refused++;
        return ipcx__fail(-EACCES, "request from pid %ld names pid %" PRIu32 " and its reply "
                          "address '%.*s'", kpid, h.pid, (int) h.addrlen, h.addr);
    }
    if (strcmp(want, IPCX_PAT_CONN) == 0) {
        /* The answer goes back on the connection the request came on; the
         * kernel says whose it is.  Nothing in the message can name
         * another destination. */
        long uid;
        if ((r = ipcx__back_source(ch, &p->hconn, &p->hpid, &uid)) < 0)
            return r;
    }
    return 0;
}

static void pat_peer_drop(struct pat_peer *e)
{
    (void) ipcx_close(e->tx);
    e->tx = NULL;
    e->url[0] = '\0';
}

/* A sending end to the reply channel url: cached, or opened into the oldest slot. */
static int pat_peer_get(struct ipcx_chan *ch, struct ipcx__pat *p, const char *url,
                        struct pat_peer **out)
{
    struct pat_peer *e = &p->peer[0];
    char open_url[IPCX_PAT_ADDRMAX + 16 + 24 * 2 * IPCX_URL_ALLOW];
    size_t at;
    int r;

    for (int i = 0; i < PAT_CACHE; i++) {
        if (p->peer[i].tx && strcmp(p->peer[i].url, url) == 0) {
            p->peer[i].used = ++p->tick;
            *out = &p->peer[i];
            return 1;
        }
        if (p->peer[i].used < e->used)
            e = &p->peer[i];
    }
    if (e->tx)
        pat_peer_drop(e);
    /* The server's allow= (whose objects it accepts besides its own and
     * root's) also holds for the reply channels it opens, where the scheme
     * checks owners (mq:, shm:). */
    at = (size_t) snprintf(open_url, sizeof open_url, "%s", url);
    if ((strncmp(url, "mq:", 3) == 0 || strncmp(url, "shm:", 4) == 0) &&
        (ch->allow.nuid || ch->allow.ngid)) {
        at += (size_t) snprintf(open_url + at, sizeof open_url - at, "%callow=",
                                strchr(url, '?') ? '&' : '?');
        for (unsigned i = 0; i < ch->allow.nuid; i++)
            at += (size_t) snprintf(open_url + at, sizeof open_url - at, "%suid:%u",
                                    i ? "," : "", (unsigned) ch->allow.uid[i]);
        for (unsigned i = 0; i < ch->allow.ngid; i++)
            at += (size_t) snprintf(open_url + at, sizeof open_url - at, "%sgid:%u",
                                    i || ch->allow.nuid ? "," : "", (unsigned) ch->allow.gid[i]);
    }
    if ((r = ipcx_open(&e->tx, open_url, IPCX_SEND)) < 0) {
        e->tx = NULL;
        return r;
    }
    snprintf(e->url, sizeof e->url, "%s", url);
    e->used = ++p->tick;
    *out = e;
    return 0;
}

/* Send an answer (kind) to req's reply channel; a cached end that went stale is opened again once. */
static int pat_deliver(struct ipcx_chan *ch, struct ipcx__pat *p, const ipcx_req *req,
                      unsigned kind, const void *msg, size_t len, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    struct ipcx__pat_hdr h = { .kind = kind, .id = req->id };
    struct pat_peer *e;
    int r, cached;

    if (strncmp(req->reply_to, IPCX_PAT_CONN, strlen(IPCX_PAT_CONN)) == 0) {
        const char *num = req->reply_to + strlen(IPCX_PAT_CONN);
        char *end;
        unsigned long long conn = strtoull(num, &end, 10);
        if (end == num || *end || conn == 0)
            return ipcx__fail(-EINVAL, "reply address '%s': not a connection of this server",
                              req->reply_to);
        long n = pat_frame(p, &h, msg, len, ch->maxmsg);
        if (n < 0)
            return (int) n;
        return ipcx__back_send(ch, (uint64_t) conn, p->sbuf, (size_t) n, req->prio,
                               timeout_ms);
    }
    for (int attempt = 0;; attempt++) {
        if ((cached = pat_peer_get(ch, p, req->reply_to, &e)) < 0)
            return cached;
        long n = pat_frame(p, &h, msg, len, (size_t) ipcx_maxmsg(e->tx));
        if (n < 0)
            return (int) n;
        r = ipcx_send(e->tx, p->sbuf, (size_t) n, req->prio, pat_left(&d));
        if (r == -EAGAIN && !d.zero)
            r = -ETIMEDOUT;
        if (r == -EPIPE || r == -ECONNREFUSED || r == -ECONNRESET) {
            pat_peer_drop(e);
            if (cached && attempt == 0)
                continue; /* the channel behind a kept end was made anew */
        }
        return r;
    }
}

/*
 * The registry entries a dead process left (its reply channel's among
 * them): gone with it.  An entry is removed only when the process that
 * wrote it (pid and start time) no longer runs, as ipcx gc decides.
 */
static void pat_reg_sweep(pid_t pid)
{
    const struct ipcx_reg_entry *e;
    ipcx_reg_iter *it;

    if (ipcx_reg_open(&it, ipcx__self_euid() == 0 ? IPCX_REG_ALL : 0) < 0)
        return;
    while (ipcx_reg_next(it, &e) == 1)
        if (e->verdict == IPCX_REG_ENTRY && e->pid == pid && !ipcx_proc_alive(e->pid, e->start))
            (void) ipcx_reg_remove(e->uid, e->name);
    (void) ipcx_reg_close(it);
}

/*
 * A requester SIGKILLed mid-request leaves nothing behind: when its answer
 * cannot be delivered (or, on mq: and shm:, where a dead process's queue
 * or ring takes it all the same, whenever it is no longer alive), the
 * server removes its
 * reply channel and the registry entries it left.  The pid is the kernel's
 * on a connection (SO_PEERCRED) and the header's elsewhere, but the address
 * was checked to be that pid's own form (pat_check): a request naming a
 * dead pid can only make the server remove what that dead pid's requester
 * would have made.
 */
static int pat_answer(struct ipcx_chan *ch, struct ipcx__pat *p, const ipcx_req *req,
                      unsigned kind, const void *msg, size_t len, int timeout_ms)
{
    int r = pat_deliver(ch, p, req, kind, msg, len, timeout_ms);
    int conn = strncmp(req->reply_to, IPCX_PAT_CONN, strlen(IPCX_PAT_CONN)) == 0;
    int gone = r == -EPIPE || r == -ECONNREFUSED || r == -ENOENT || r == -ENXIO;

    /* A queue or a ring takes a message whether or not its reader lives. */
    int kept = strncmp(req->reply_to, "mq:", 3) == 0 || strncmp(req->reply_to, "shm:", 4) == 0;

    if (!(gone || (r == 0 && kept)) ||
        req->pid <= 0 || ipcx__proc_alive((pid_t) req->pid, 0))
        return r;
    if (!conn) {
        for (int i = 0; i < PAT_CACHE; i++)
            if (p->peer[i].tx && strcmp(p->peer[i].url, req->reply_to) == 0)
                pat_peer_drop(&p->peer[i]);
        (void) ipcx_unlink(req->reply_to);
    }
    pat_reg_sweep((pid_t) req->pid);
    return r;
}

IPCX_API long ipcx_serve(ipcx_chan *ch, void *buf, size_t cap, ipcx_req *req, int timeout_ms)
{
    struct ipcx__pat_hdr h;
    struct ipcx__pat *p;
    int r;

    ipcx__clear_detail();
    if (!ch || !req || (!buf && cap))
        return ipcx__fail(-EINVAL, "no channel, buffer or request");
    if (ipcx__pat_is_sp(ch))
        return ipcx__pat_sp_serve(ch, buf, cap, req, timeout_ms);
    if (!(ch->flags & IPCX_RECV))
        return ipcx__fail(-EBADF, "requests are served on a receiving end");
    if (!(p = pat_get(ch)) || pat_grow(&p->rbuf, &p->rcap, ch->maxmsg + 1) < 0)
        return -ENOMEM;
    if (p->held < 0) {
        long n = ipcx_recv(ch, p->rbuf, p->rcap, &p->hprio, timeout_ms);
        if (n < 0)
            return n;
        if ((r = pat_check(ch, p, n)) < 0)
            return r;
        p->held = n;
    }
    (void) ipcx__pat_decode(p->rbuf, (size_t) p->held, &h); /* checked when it came */
    if (h.len > cap)
        return ipcx__fail(-EMSGSIZE, "the request has %zu bytes, more than %zu", h.len, cap);
    req->id = h.id;
    req->sync = h.kind == IPCX_PAT_SYNC;
    req->prio = p->hprio;
    req->pid = p->hpid;
    if (p->hconn)
        snprintf(req->reply_to, sizeof req->reply_to, "%s%" PRIu64, IPCX_PAT_CONN, p->hconn);
    else {
        memcpy(req->reply_to, h.addr, h.addrlen);
        req->reply_to[h.addrlen] = '\0';
    }
    if (h.len)
        memcpy(buf, h.payload, h.len);
    p->held = -1;
    if (req->sync)
        /* Taken: tell the sender.  If it cannot be told (it gave up and
         * closed), the message is still this receiver's. */
        (void) pat_answer(ch, p, req, IPCX_PAT_ACK, NULL, 0, PAT_ACK_MS);
    return (long) h.len;
}

IPCX_API int ipcx_reply(ipcx_chan *ch, const ipcx_req *req, const void *reply, size_t len,
                        int timeout_ms)
{
    struct ipcx__pat *p;

    ipcx__clear_detail();
    if (!ch || !req || (!reply && len))
        return ipcx__fail(-EINVAL, "no channel, request or reply");
    if (ipcx__pat_is_sp(ch))
        return ipcx__pat_sp_reply(ch, req, reply, len, timeout_ms);
    if (!(ch->flags & IPCX_RECV))
        return ipcx__fail(-EBADF, "replies go out from the receiving end that served the request");
    if (req->sync)
        return ipcx__fail(-EINVAL, "a synchronous send was acknowledged when it was taken");
    if (!req->reply_to[0] || memchr(req->reply_to, '\0', sizeof req->reply_to) == NULL)
        return ipcx__fail(-EINVAL, "this request has no reply address");
    if (!(p = pat_get(ch)))
        return -ENOMEM;
    if (ch->flags & IPCX_NONBLOCK)
        timeout_ms = 0;
    return pat_answer(ch, p, req, IPCX_PAT_REPLY, reply, len, timeout_ms < 0 ? -1 : timeout_ms);
}

IPCX_API int ipcx_pattern_stats(const ipcx_chan *ch, struct ipcx_pattern_stats *st)
{
    if (!ch || !st)
        return -EINVAL;
    if (ch->pat)
        *st = ch->pat->st;
    else
        memset(st, 0, sizeof *st);
    return 0;
}

int ipcx__pat_free(struct ipcx_chan *ch)
{
    struct ipcx__pat *p = ch->pat;
    int r = 0;

    if (!p)
        return 0;
    if (p->rx)
        r = ipcx_close(p->rx);
    for (int i = 0; i < PAT_CACHE; i++)
        if (p->peer[i].tx)
            (void) ipcx_close(p->peer[i].tx);
    free(p->sbuf);
    free(p->rbuf);
    free(p);
    ch->pat = NULL;
    return r;
}
