/*
 * sp.c - the SP socket engine behind sp+tcp: and sp+unix: (sp.h).  One
 * channel is one SP socket of one protocol: a listener with any number of
 * peers, or a dialer with one.  Each connection starts with the 8-byte
 * handshake both ways; a peer of the wrong protocol, a bad header, or a
 * length above maxmsg drops that connection only (as nng does), with the
 * reason kept for the error detail.  A connection holds at most one whole
 * message read from the kernel (the rest stays in the socket buffer), so
 * the epoll descriptor is a truthful ipcx_fd.
 *
 * The protocols, on ipcx_send / ipcx_recv:
 *   push0 round-robins over the peers that can take a message, pull0
 *   takes them in turn (fair queue); pub0 sends to every peer that can
 *   take it now and drops it for the others, sub0 keeps the messages
 *   that start with its prefix; pair0 has one peer; bus0 sends to all and
 *   takes from any; req0 puts a request id before the body, returns only
 *   the reply with that id and sends the request again after resend= ms
 *   or when its peer goes; rep0 keeps the backtrace of the request it
 *   returned and puts it before the next reply; surveyor0 and
 *   respondent0 are the same as req0 and rep0, but a survey takes many
 *   answers and is never sent again.
 *
 * Opening sockets is the carriers' (sp_tcp.c, sp_unix.c); the bytes are
 * sp_wire.c's.  Not here: nng's raw mode, devices, pair1, TLS.
 */
#include "sp.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/net.h"
#include "../sys/event.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SP_HS_WAIT_MS   10000   /* nng gives a handshake 10 s, and so do we */
#define SP_READ_CHUNK   (64 * 1024)
#define SP_RESEND_DEF   60000   /* nng's NNG_OPT_REQ_RESENDTIME */
#define SP_REDIAL_MAX   3600000 /* the longest redial= and redialmax= (an hour) */
#define SP_EVENTS       16
#define SP_LOOKS        4       /* batches a call takes at its deadline before it gives up */
#define SP_LINGER_MS    2000    /* how long a close writes what is left of sent messages */
#define SP_TAG_DIAL     IPCX_SP_ID_BIT /* the epoll tag of a redial under way (ids never have it) */

struct sp_conn {
    int      fd;
    uint32_t id;              /* the epoll tag, and where a reply goes */
    int      up;              /* the peer's handshake came and was right */
    int64_t  born;            /* when it connected (ms): the handshake's deadline */
    uint32_t events;          /* what epoll watches now */
    uint8_t  hs[IPCX_SP_HS_LEN];
    size_t   hs_got;
    uint8_t  hdr[IPCX_SP_HDR_MAX];
    size_t   hdr_got;
    int      have_len;
    uint64_t len;             /* of the message being read */
    uint8_t *msg;             /* its bytes so far: grown as they come, never up front */
    size_t   got, cap;
    int      ready;           /* msg holds one whole message */
    int      parked;          /* out of the epoll set while it holds one */
    uint8_t *out;             /* the unwritten rest of a message this end accepted */
    size_t   out_len, out_pos;
};

struct sp_sock {
    const struct ipcx__sp_proto *p;
    int      ipc, listen;
    int      lfd, epfd;
    struct sp_conn **c;
    size_t   n, cap, rr_rx, rr_tx;
    uint32_t next_id;
    uint64_t wire_max;        /* maxmsg and room for a backtrace */
    char     sub[IPCX_URL_VALLEN];
    size_t   nsub;
    int      resend_ms;
    /* req0 and surveyor0: the request or survey in flight */
    uint32_t req_id, req_pipe, next_req;
    uint8_t *req;
    size_t   req_len;
    int      req_busy;
    int64_t  resend_at;
    /* rep0 and respondent0: where the request last returned came from */
    uint8_t  bt[IPCX_SP_BT_MAX];
    size_t   bt_len;
    uint32_t bt_pipe;
    int      bt_have;
    long long lost;           /* connections dropped for what they sent */
    char     reason[160];     /* why sp_rx gives up on a peer */
    char     why[200];        /* the last peer dropped, for the error detail */
    char     path[PATH_MAX];  /* a socket file this end bound */
    dev_t    dev;
    ino_t    ino;
    char     addr[IPCX_URL_MAX + 64];
    /* a dialer that redials (redial=MS, nng's NNG_OPT_RECONNMINT; redialmax=
     * NNG_OPT_RECONNMAXT): where it dialed, the connect under way, when next */
    int      redial_ms, redialmax_ms, backoff_ms;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    int      dfd;             /* a non-blocking connect under way, or -1 */
    int64_t  redial_at;       /* when to try next (ms), while not connected */
    char     dial_err[80];    /* why the last attempt failed */
    int      looks;           /* looks without waiting after the deadline, this call */
    uint32_t idle_out;        /* EPOLLOUT on connections with nothing unsent: a push0 or
                               * pub0 end, whose epoll set is readable when it may send */
};

static struct sp_sock *sp_of(const struct ipcx_chan *ch)
{
    return ch->impl;
}

static int sp_is(const struct sp_sock *s, uint16_t id)
{
    return s->p->id == id;
}

/* Protocols whose peer sends replies the other way: both flags make sense. */
static int sp_duplex(uint16_t id)
{
    return id != IPCX_SP_PUSH0 && id != IPCX_SP_PULL0 && id != IPCX_SP_PUB0 &&
           id != IPCX_SP_SUB0;
}

/* ---- open ----------------------------------------------------------------- */

/*
 * proto=: push0 and pull0 (and pub0 and sub0) name a pair whose side the
 * flags pick, so one URL serves both ends; the others name the side.
 */
static int sp_pick_proto(struct ipcx_chan *ch, const struct ipcx_url *u,
                         const struct ipcx__sp_proto **out)
{
    const char *name = ipcx__url_get(u, "proto");
    const struct ipcx__sp_proto *p;
    if (!name)
        return ipcx__fail(-EINVAL, "%s: needs ?proto= (pair0 push0 pull0 pub0 sub0 req0 "
                                   "rep0 surveyor0 respondent0 bus0)", u->scheme);
    if (!(p = ipcx__sp_proto_find(name)))
        return ipcx__fail(-EPROTONOSUPPORT, "proto=%s: not an SP protocol ipcx speaks "
                                            "(pair1 is not)", name);
    if (!sp_duplex(p->id)) {
        int tx = (p->id & 1) == 0; /* push0, pub0 */
        if ((ch->flags & IPCX_SEND) && !tx)
            p = ipcx__sp_proto_find(ipcx__sp_proto_name(p->peer));
        else if ((ch->flags & IPCX_RECV) && tx)
            p = ipcx__sp_proto_find(ipcx__sp_proto_name(p->peer));
    }
    *out = p;
    return 0;
}

int ipcx__sp_new(struct ipcx_chan *ch, const struct ipcx_url *u, int ipc)
{
    const struct ipcx__sp_proto *p = NULL;
    int64_t resend, redial, redialmax;
    int role, r;

    if ((r = sp_pick_proto(ch, u, &p)) < 0)
        return r;
    if ((role = ipcx__url_word(u, "role", "default listen dial", 0)) < 0)
        return role;
    if ((r = ipcx__url_int(u, "resend", SP_RESEND_DEF, 0, INT32_MAX, &resend)) < 0 ||
        (r = ipcx__url_int(u, "redial", 0, 0, SP_REDIAL_MAX, &redial)) < 0 ||
        (r = ipcx__url_int(u, "redialmax", 0, 0, SP_REDIAL_MAX, &redialmax)) < 0)
        return r;
    if (redialmax && !redial)
        return ipcx__fail(-EINVAL, "redialmax= is the cap of redial=: give redial=MS too");
    const char *sub = ipcx__url_get(u, "subscribe");
    if (sub && p->id != IPCX_SP_SUB0)
        return ipcx__fail(-EINVAL, "subscribe= is for a sub0 end (the receiving end of pub0)");
    if (!sp_duplex(p->id) && (ch->flags & IPCX_SEND) && (ch->flags & IPCX_RECV))
        return ipcx__fail(-EINVAL, "%s only %s: open it with one of IPCX_SEND and IPCX_RECV",
                          p->name, (p->id & 1) ? "receives" : "sends");
    struct sp_sock *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->p = p;
    s->ipc = ipc;
    s->lfd = s->epfd = s->dfd = -1;
    /* Only one-way senders: an end that also waits for replies would never sleep. */
    s->idle_out = p->id == IPCX_SP_PUSH0 || p->id == IPCX_SP_PUB0 ? EPOLLOUT : 0;
    s->resend_ms = (int) resend;
    s->redial_ms = s->backoff_ms = (int) redial;
    s->redialmax_ms = (int) redialmax;
    /* What the protocol puts before the body counts on top of maxmsg. */
    s->wire_max = (uint64_t) ch->maxmsg +
                  (p->id == IPCX_SP_REP0 || p->id == IPCX_SP_RESPONDENT0 ? IPCX_SP_BT_MAX
                   : p->id == IPCX_SP_REQ0 || p->id == IPCX_SP_SURVEYOR0 ? 4 : 0);
    s->next_id = 1;
    s->next_req = (uint32_t) ipcx__now_ns() ^ (uint32_t) ipcx__self_pid();
    if (sub) {
        s->nsub = strlen(sub);
        memcpy(s->sub, sub, s->nsub);
    }
    if (role)
        s->listen = role == 1;
    else if ((ch->flags & (IPCX_SEND | IPCX_RECV)) == (IPCX_SEND | IPCX_RECV))
        s->listen = !(p->id == IPCX_SP_REQ0 || p->id == IPCX_SP_SURVEYOR0);
    else
        s->listen = (ch->flags & IPCX_RECV) != 0;
    ch->impl = s;
    if ((r = ipcx__epoll_new()) < 0)
        return r;
    s->epfd = r;
    return 0;
}

int ipcx__sp_listens(const struct ipcx_chan *ch)
{
    return sp_of(ch)->listen;
}

char *ipcx__sp_addrbuf(struct ipcx_chan *ch, size_t *cap)
{
    *cap = sizeof sp_of(ch)->addr;
    return sp_of(ch)->addr;
}

int ipcx__sp_own_path(struct ipcx_chan *ch, const char *path)
{
    struct sp_sock *s = sp_of(ch);
    struct stat st;
    int r = ipcx__fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
    if (r < 0)
        return r;
    snprintf(s->path, sizeof s->path, "%s", path);
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return 0;
}

/* ---- connections -------------------------------------------------------------- */

static void *sp_tag(uint32_t id)
{
    return (void *) (uintptr_t) id;
}

static long sp_find(const struct sp_sock *s, uint32_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i]->id == id)
            return (long) i;
    return -1;
}

static int sp_watch(struct sp_sock *s, struct sp_conn *c, uint32_t events)
{
    if (events == c->events)
        return 0;
    int r = ipcx__epoll_mod(s->epfd, c->fd, events, sp_tag(c->id));
    if (r == 0)
        c->events = events;
    return r;
}

static void sp_conn_free(struct sp_conn *c)
{
    (void) ipcx__close(c->fd);
    free(c->msg);
    free(c->out);
    free(c);
}

/* Send the request in flight again, to another peer if there is one. */
static void sp_req_lost(struct sp_sock *s);

/* Drop connection i; why (may be NULL) is kept for the error detail. */
static void sp_drop(struct sp_sock *s, size_t i, const char *why)
{
    struct sp_conn *c = s->c[i];
    uint32_t id = c->id;
    if (why) {
        snprintf(s->why, sizeof s->why, "dropped a peer: %s", why);
        s->lost++;
    }
    sp_conn_free(c);
    s->c[i] = s->c[--s->n];
    if (s->req_busy && s->req_pipe == id && sp_is(s, IPCX_SP_REQ0))
        sp_req_lost(s);
    if (!s->listen && s->redial_ms && s->n == 0 && s->dfd < 0) {
        s->redial_at = ipcx__now_ms() + s->backoff_ms; /* nng waits too before it redials */
        snprintf(s->dial_err, sizeof s->dial_err, "the connection was lost");
    }
}

/* A new connection (taken over): watch it and send our handshake. */
static int sp_add(struct sp_sock *s, int fd)
{
    struct sp_conn *c = NULL;
    uint8_t hs[IPCX_SP_HS_LEN];
    struct iovec iov = { hs, sizeof hs };
    int r;

    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4;
        struct sp_conn **v = realloc(s->c, cap * sizeof *v);
        if (!v) {
            r = -ENOMEM;
            goto fail;
        }
        s->c = v;
        s->cap = cap;
    }
    if (!(c = calloc(1, sizeof *c))) {
        r = -ENOMEM;
        goto fail;
    }
    c->fd = fd;
    c->born = ipcx__now_ms();
    c->id = s->next_id++;
    if (s->next_id == 0 || s->next_id & IPCX_SP_ID_BIT)
        s->next_id = 1;
    c->events = EPOLLIN;
    if ((r = ipcx__epoll_add(s->epfd, fd, EPOLLIN, sp_tag(c->id))) < 0)
        goto fail;
    /* A fresh socket has room for 8 bytes; a short write is kept for later. */
    ipcx__sp_hs_encode(hs, s->p->id);
    ssize_t w = ipcx__sendv(fd, &iov, 1);
    if (w < 0 && w != -EAGAIN) {
        r = (int) w;
        goto fail;
    }
    if (w < 0)
        w = 0;
    if ((size_t) w < sizeof hs) {
        if (!(c->out = malloc(sizeof hs - (size_t) w))) {
            r = -ENOMEM;
            goto fail;
        }
        memcpy(c->out, hs + w, sizeof hs - (size_t) w);
        c->out_len = sizeof hs - (size_t) w;
        if ((r = sp_watch(s, c, EPOLLIN | EPOLLOUT)) < 0)
            goto fail;
    }
    s->c[s->n++] = c;
    return 0;
fail:
    if (c) {
        sp_conn_free(c);
    } else {
        (void) ipcx__close(fd);
    }
    return r;
}

/* The peer's handshake is complete: is it the peer our protocol talks to? */
static int sp_check_peer(struct sp_sock *s, struct sp_conn *c)
{
    uint16_t id;
    if (ipcx__sp_hs_decode(c->hs, &id) < 0) {
        snprintf(s->reason, sizeof s->reason, "it sent no SP handshake "
                 "(%02x %02x %02x %02x ...)", c->hs[0], c->hs[1], c->hs[2], c->hs[3]);
        return -EPROTO;
    }
    if (id != s->p->peer) {
        const char *theirs = ipcx__sp_proto_name(id);
        snprintf(s->reason, sizeof s->reason, "it speaks %s (0x%02x), this %s "
                 "end talks to %s", theirs ? theirs : "an unknown protocol", id,
                 s->p->name, ipcx__sp_proto_name(s->p->peer));
        return -EPROTO;
    }
    if (sp_is(s, IPCX_SP_PAIR0))
        for (size_t i = 0; i < s->n; i++)
            if (s->c[i] != c && s->c[i]->up) {
                snprintf(s->reason, sizeof s->reason, "pair0 has one peer");
                return -EISCONN;
            }
    c->up = 1;
    return sp_watch(s, c, c->events | s->idle_out);
}

/*
 * Read what connection c has for us, up to one whole message: 0, or a
 * negative errno when it must be dropped (s->why says why, for a peer that
 * broke the protocol; -EPIPE for one that went away).
 */
static int sp_rx(struct sp_sock *s, struct sp_conn *c)
{
    size_t hl = ipcx__sp_hdr_len(s->ipc);
    while (!c->ready) {
        uint8_t *dst;
        size_t want;
        if (c->hs_got < IPCX_SP_HS_LEN) {
            dst = c->hs + c->hs_got;
            want = IPCX_SP_HS_LEN - c->hs_got;
        } else if (!c->have_len) {
            dst = c->hdr + c->hdr_got;
            want = hl - c->hdr_got;
        } else {
            if (c->got == c->len) {
                c->ready = 1;
                break;
            }
            want = (size_t) c->len - c->got;
            if (c->cap < c->len) {
                /* Grow with what arrives: a peer that announces much and
                 * sends little costs what it sent. */
                size_t cap = c->got + (want < SP_READ_CHUNK ? want : SP_READ_CHUNK);
                if (cap < 2 * c->cap)
                    cap = 2 * c->cap < c->len ? 2 * c->cap : (size_t) c->len;
                uint8_t *m = realloc(c->msg, cap);
                if (!m)
                    return -ENOMEM;
                c->msg = m;
                c->cap = cap;
            }
            if (want > c->cap - c->got)
                want = c->cap - c->got;
            dst = c->msg + c->got;
        }
        ssize_t r = ipcx__read(c->fd, dst, want);
        if (r == -EAGAIN)
            return 0;
        if (r == 0)
            return -EPIPE;
        if (r < 0)
            return (int) r;
        if (c->hs_got < IPCX_SP_HS_LEN) {
            c->hs_got += (size_t) r;
            if (c->hs_got == IPCX_SP_HS_LEN && (r = sp_check_peer(s, c)) < 0)
                return (int) r;
        } else if (!c->have_len) {
            c->hdr_got += (size_t) r;
            if (c->hdr_got < hl)
                continue;
            int e = ipcx__sp_hdr_decode(c->hdr, s->ipc, s->wire_max, &c->len);
            if (e == -EMSGSIZE) {
                uint64_t len = 0;
                for (size_t i = hl - 8; i < hl; i++)
                    len = len << 8 | c->hdr[i];
                snprintf(s->reason, sizeof s->reason, "it announced %llu bytes, more than "
                         "maxmsg allows (%llu with the protocol header)",
                         (unsigned long long) len, (unsigned long long) s->wire_max);
                return e;
            }
            if (e < 0) {
                snprintf(s->reason, sizeof s->reason, "IPC message type %u, not 1",
                         c->hdr[0]);
                return e;
            }
            c->have_len = 1;
            c->got = 0;
        } else {
            c->got += (size_t) r;
        }
    }
    return 0;
}

/* Write as much of c's pending bytes as the kernel takes: 0 or -errno (drop it). */
static int sp_flush(struct sp_sock *s, struct sp_conn *c)
{
    if (!c->out)
        return 0; /* room for a writer that waits (sp_write_wait), or idle_out */
    while (c->out) {
        struct iovec iov = { c->out + c->out_pos, c->out_len - c->out_pos };
        ssize_t w = ipcx__sendv(c->fd, &iov, 1);
        if (w == -EAGAIN)
            return sp_watch(s, c, c->events | EPOLLOUT);
        if (w < 0)
            return (int) w;
        c->out_pos += (size_t) w;
        if (c->out_pos == c->out_len) {
            free(c->out);
            c->out = NULL;
            c->out_len = c->out_pos = 0;
        }
    }
    return sp_watch(s, c, (c->events & ~(uint32_t) EPOLLOUT) | (c->up ? s->idle_out : 0));
}

/*
 * Give connection c one message: header, pre (a backtrace or id) and body.
 * What the kernel does not take now is copied and written later.
 */
/* The three pieces of a message (header, pre, body) from byte `from` on; how many iovs. */
static int sp_iov(struct iovec iov[3], const uint8_t *hdr, size_t hl, const void *pre,
                  size_t npre, const void *body, size_t len, size_t from)
{
    const struct iovec all[3] = { { (void *) hdr, hl }, { (void *) pre, npre },
                                  { (void *) body, len } };
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (from >= all[i].iov_len) {
            from -= all[i].iov_len;
            continue;
        }
        iov[n].iov_base = (uint8_t *) all[i].iov_base + from;
        iov[n++].iov_len = all[i].iov_len - from;
        from = 0;
    }
    return n;
}

/*
 * Keep what the kernel has not taken of a message (from byte w on) to be
 * written later: the message is committed.
 */
static int sp_keep(struct sp_sock *s, struct sp_conn *c, const uint8_t *hdr, size_t hl,
                   const void *pre, size_t npre, const void *body, size_t len, size_t w)
{
    struct iovec iov[3];
    size_t total = hl + npre + len, rest = total - w, o = 0;
    int n = sp_iov(iov, hdr, hl, pre, npre, body, len, w);
    if (!(c->out = malloc(rest)))
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        memcpy(c->out + o, iov[i].iov_base, iov[i].iov_len);
        o += iov[i].iov_len;
    }
    c->out_len = rest;
    c->out_pos = 0;
    return sp_watch(s, c, c->events | EPOLLOUT);
}

static int sp_write(struct sp_sock *s, struct sp_conn *c, const void *pre, size_t npre,
                    const void *body, size_t len)
{
    uint8_t hdr[IPCX_SP_HDR_MAX];
    size_t hl = ipcx__sp_hdr_encode(hdr, s->ipc, (uint64_t) npre + len);
    struct iovec iov[3] = { { hdr, hl }, { (void *) pre, npre }, { (void *) body, len } };
    size_t total = hl + npre + len;
    ssize_t w = ipcx__sendv(c->fd, iov, 3);
    if (w == -EAGAIN)
        w = 0;
    if (w < 0)
        return (int) w;
    if ((size_t) w == total)
        return 0;
    return sp_keep(s, c, hdr, hl, pre, npre, body, len, (size_t) w);
}

static int sp_wait(struct sp_sock *s, const struct ipcx__deadline *d);

#define SP_CONN_GONE 1 /* sp_write_wait: the connection was dropped (the message did not go) */

/*
 * Give connection id one message and wait, within d, until the kernel has
 * taken it all, writing from the caller's buffers (no copy) and reading on
 * meanwhile (two ends that send to each other both go on).  0 sent (what
 * is left at the deadline is kept and written later: once a byte went,
 * the message is committed); the deadline's error when not a byte could
 * go; SP_CONN_GONE when the connection broke (it is dropped).
 */
static int sp_write_wait(struct sp_sock *s, uint32_t id, const void *pre, size_t npre,
                         const void *body, size_t len, const struct ipcx__deadline *d)
{
    uint8_t hdr[IPCX_SP_HDR_MAX];
    size_t hl = ipcx__sp_hdr_encode(hdr, s->ipc, (uint64_t) npre + len);
    size_t total = hl + npre + len, done = 0;
    for (;;) {
        long i = sp_find(s, id);
        if (i < 0)
            return SP_CONN_GONE;
        struct sp_conn *c = s->c[i];
        struct iovec iov[3];
        int n = sp_iov(iov, hdr, hl, pre, npre, body, len, done);
        ssize_t w = ipcx__sendv(c->fd, iov, n);
        if (w < 0 && w != -EAGAIN) {
            sp_drop(s, (size_t) i, NULL);
            return SP_CONN_GONE;
        }
        done += w > 0 ? (size_t) w : 0;
        if (done == total)
            return sp_watch(s, c, (c->events & ~(uint32_t) EPOLLOUT) | s->idle_out);
        int r = sp_watch(s, c, c->events | EPOLLOUT);
        if (r == 0)
            r = sp_wait(s, d);
        if (r < 0) {
            if ((i = sp_find(s, id)) < 0)
                return SP_CONN_GONE;
            c = s->c[i];
            if (done == 0) { /* not sent: nothing to watch for */
                (void) sp_watch(s, c, (c->events & ~(uint32_t) EPOLLOUT) | s->idle_out);
                return r;
            }
            r = sp_keep(s, s->c[i], hdr, hl, pre, npre, body, len, done);
            return r < 0 ? r : 0;
        }
    }
}

/* What a read of connection i ended with: drop it when it must go. */
static void sp_rx_done(struct sp_sock *s, size_t i, int r)
{
    if (r == -EPIPE || r == -ECONNRESET)
        sp_drop(s, i, NULL);
    else if (r < 0)
        sp_drop(s, i, s->reason[0] ? s->reason : ipcx_strerror(r));
    s->reason[0] = '\0';
}

static void sp_accept(struct sp_sock *s)
{
    for (;;) {
        int fd = ipcx__accept(s->lfd);
        if (fd < 0)
            return; /* EAGAIN; EMFILE and the like: the next wake-up tries again */
        if (!s->ipc) /* as the dialer's, and nng's both ends: no Nagle delay */
            (void) ipcx__setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        if (sp_add(s, fd) < 0)
            return;
        /* The dialer's handshake is usually there already: take it now, so
         * that the descriptor is not readable again for it after this call. */
        sp_rx_done(s, s->n - 1, sp_rx(s, s->c[s->n - 1]));
    }
}

/* ---- redialing ---------------------------------------------------------------- */

static int sp_redialing(const struct sp_sock *s)
{
    return !s->listen && s->redial_ms && s->n == 0;
}

/* An attempt failed: wait longer next time (doubling up to redialmax=, if given). */
static void sp_redial_failed(struct sp_sock *s, int err)
{
    int64_t now = ipcx__now_ms();
    snprintf(s->dial_err, sizeof s->dial_err, "%s", ipcx_strerror(err));
    s->redial_at = now + s->backoff_ms;
    if (s->redialmax_ms) {
        int next = s->backoff_ms * 2;
        s->backoff_ms = next > s->redialmax_ms || next < 0 ? s->redialmax_ms : next;
    }
}

/* The connect under way completed (err 0) or failed: a new peer, or the next attempt. */
static void sp_redial_done(struct sp_sock *s, int err)
{
    int fd = s->dfd;
    s->dfd = -1;
    (void) ipcx__epoll_del(s->epfd, fd);
    if (err == 0) {
        if (s->peer.ss_family != AF_UNIX)
            (void) ipcx__setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        if ((err = sp_add(s, fd)) == 0) {
            s->backoff_ms = s->redial_ms;
            s->dial_err[0] = '\0';
            return;
        }
        fd = -1; /* sp_add closed it */
    }
    if (fd >= 0)
        (void) ipcx__close(fd);
    sp_redial_failed(s, err);
}

/* Time for the next attempt: start a non-blocking connect to where the open dialed. */
static void sp_redial_tick(struct sp_sock *s)
{
    if (!sp_redialing(s) || s->dfd >= 0 || ipcx__now_ms() < s->redial_at)
        return;
    int fd = ipcx__socket(s->peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK), r;
    if (fd < 0) {
        sp_redial_failed(s, fd);
        return;
    }
    r = ipcx__connect(fd, (const struct sockaddr *) &s->peer, s->peer_len);
    if (r < 0 && r != -EINPROGRESS && r != -EAGAIN) {
        (void) ipcx__close(fd);
        sp_redial_failed(s, r);
        return;
    }
    s->dfd = fd;
    if (r == 0) {
        sp_redial_done(s, 0);
        return;
    }
    if ((r = ipcx__epoll_add(s->epfd, fd, EPOLLOUT, sp_tag(SP_TAG_DIAL))) < 0) {
        s->dfd = -1;
        (void) ipcx__close(fd);
        sp_redial_failed(s, r);
    }
}

/* The connect under way is writable: how did it end? */
static void sp_redial_ready(struct sp_sock *s)
{
    int err = 0;
    if (s->dfd < 0)
        return;
    int r = ipcx__getsockopt_int(s->dfd, SOL_SOCKET, SO_ERROR, &err);
    sp_redial_done(s, r < 0 ? r : -err);
}

/* Work through one batch of readiness, waiting at most ms for it. */
static int sp_pump(struct sp_sock *s, int ms)
{
    struct epoll_event ev[SP_EVENTS];
    int n = ipcx__epoll_wait(s->epfd, ev, SP_EVENTS, ms);
    if (n < 0)
        return n;
    for (int k = 0; k < n; k++) {
        uint32_t id = (uint32_t) (uintptr_t) ev[k].data.ptr;
        if (id == 0) {
            sp_accept(s);
            continue;
        }
        if (id == SP_TAG_DIAL) {
            sp_redial_ready(s);
            continue;
        }
        /* An earlier event of this batch may have dropped it. */
        long i = sp_find(s, id);
        if (i < 0)
            continue;
        struct sp_conn *c = s->c[i];
        int r = 0;
        if (ev[k].events & EPOLLOUT)
            r = sp_flush(s, c);
        if (r == 0 && (ev[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->ready)
            r = sp_rx(s, c);
        sp_rx_done(s, (size_t) i, r);
    }
    return n;
}

/*
 * Wait for something to happen, within deadline d (and the next resend):
 * 0 to look again, or the error the caller returns (timeout, EINTR rule).
 */
static int sp_wait(struct sp_sock *s, const struct ipcx__deadline *d)
{
    int ms = ipcx__remaining(d);
    /* At the deadline (or timeout 0) still take what the kernel has for us
     * now, a few batches, so that a call after a poll makes its progress. */
    int last = ms == 0;
    if (last && s->looks++ >= SP_LOOKS)
        return ipcx__expired(d);
    if (s->req_busy && sp_is(s, IPCX_SP_REQ0)) {
        int64_t left = s->resend_at - ipcx__now_ms();
        if (left < 0)
            left = 0;
        if (left < INT32_MAX && (ms < 0 || left < ms))
            ms = (int) left;
    }
    /* A peer that sends no handshake is dropped in time. */
    int64_t now = ipcx__now_ms();
    if (sp_redialing(s) && s->dfd < 0) {
        int64_t left = s->redial_at - now;
        if (left < 0)
            left = 0;
        if (ms < 0 || left < ms)
            ms = (int) left;
    }
    for (size_t i = 0; i < s->n; i++)
        if (!s->c[i]->up) {
            int64_t left = s->c[i]->born + SP_HS_WAIT_MS - now;
            if (left < 0)
                left = 0;
            if (ms < 0 || left < ms)
                ms = (int) left;
        }
    /* A connection holding a whole message would keep epoll awake (its
     * hang-up is reported whatever it watches): out of the set until then. */
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i]->ready && !s->c[i]->parked) {
            (void) ipcx__epoll_del(s->epfd, s->c[i]->fd);
            s->c[i]->parked = 1;
        }
    int r = sp_pump(s, ms);
    now = ipcx__now_ms();
    for (size_t i = 0; i < s->n;)
        if (!s->c[i]->up && now - s->c[i]->born >= SP_HS_WAIT_MS)
            sp_drop(s, i, "it sent no SP handshake in 10 s");
        else
            i++;
    sp_redial_tick(s);
    if (r == -EINTR)
        return ipcx__intr_returns() ? -EINTR : 0;
    if (r == 0 && last)
        return ipcx__expired(d); /* nothing more came */
    return r < 0 ? r : 0;
}

/* A dialer whose peer is gone has nobody to talk to, unless it redials. */
static int sp_alone(const struct sp_sock *s)
{
    return !s->listen && s->n == 0 && !s->redial_ms;
}

static int sp_gone(struct sp_sock *s)
{
    /* A peer dropped for what it sent (the wrong protocol, a bad header). */
    if (s->why[0])
        return ipcx__fail(-EPROTO, "%s", s->why);
    return ipcx__fail(-EPIPE, "the peer is gone (a dialer redials only with redial=MS)");
}

static int sp_timed_out(struct sp_sock *s, int r)
{
    if ((r == -ETIMEDOUT || r == -EAGAIN) && sp_redialing(s))
        return ipcx__fail(r, "not connected: redialing %s every %d ms (%s)", s->addr,
                          s->backoff_ms, s->dial_err[0] ? s->dial_err : "not yet");
    if (r == -ETIMEDOUT && s->why[0])
        return ipcx__fail(r, "%s", s->why);
    return r;
}

int ipcx__sp_listen(struct ipcx_chan *ch, int lfd)
{
    struct sp_sock *s = sp_of(ch);
    int r;
    s->lfd = lfd;
    if ((r = ipcx__listen(lfd)) < 0)
        return r;
    return ipcx__epoll_add(s->epfd, lfd, EPOLLIN, sp_tag(0));
}

int ipcx__sp_dialed(struct ipcx_chan *ch, int fd, const struct sockaddr *sa, socklen_t len)
{
    struct sp_sock *s = sp_of(ch);
    int r = ipcx__set_nonblock(fd);
    if (len <= sizeof s->peer) {
        memcpy(&s->peer, sa, len);
        s->peer_len = len;
    } else {
        s->redial_ms = 0; /* cannot happen: every sockaddr fits a sockaddr_storage */
    }
    if (r < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    /*
     * Our handshake goes now; the peer's is read by the first send or
     * receive.  Waiting for it here would hang two single-threaded
     * programs that each open a listener and then dial the other's: a
     * listener answers only while its owner sends or receives.
     */
    return sp_add(s, fd);
}

/* ---- the protocols ---------------------------------------------------------- */

/* The next peer, round-robin, that is up and has nothing waiting to be written. */
static long sp_next_free(struct sp_sock *s)
{
    for (size_t k = 0; k < s->n; k++) {
        size_t i = (s->rr_tx + k) % s->n;
        if (s->c[i]->up && !s->c[i]->out) {
            s->rr_tx = i + 1;
            return (long) i;
        }
    }
    return -1;
}

/* Send to one free peer, waiting for one: push0, pair0, req0. */
static int sp_send_one(struct sp_sock *s, const void *pre, size_t npre, const void *msg,
                       size_t len, const struct ipcx__deadline *d, uint32_t *pipe)
{
    /* A peer that went meanwhile is not sent to (over TCP a write after its
     * FIN would succeed and the message be lost): drop it first, redial. */
    (void) sp_pump(s, 0);
    for (;;) {
        long i = sp_next_free(s);
        if (i >= 0) {
            uint32_t id = s->c[i]->id;
            int r = sp_write_wait(s, id, pre, npre, msg, len, d);
            if (r == SP_CONN_GONE)
                continue; /* to another peer, or wait for one */
            if (r < 0)
                return sp_timed_out(s, r);
            if (pipe)
                *pipe = id;
            return 0;
        }
        if (sp_alone(s))
            return sp_gone(s);
        if ((i = sp_wait(s, d)) < 0)
            return sp_timed_out(s, (int) i);
    }
}

/*
 * Send to every peer that can take it now: pub0, bus0, surveyor0.  A
 * dialer first waits for its peer's handshake (or the message would go to
 * nobody right after the open); a listener's peers still shaking hands
 * miss it, as in nng.
 */
static int sp_send_all(struct sp_sock *s, const void *pre, size_t npre, const void *msg,
                       size_t len, const struct ipcx__deadline *d)
{
    int r;
    while (!s->listen && s->n == 1 && !s->c[0]->up)
        if ((r = sp_wait(s, d)) < 0)
            return sp_timed_out(s, r);
    /* Pick up peers that connected since the last call. */
    (void) sp_pump(s, 0);
    for (size_t i = 0; i < s->n;) {
        struct sp_conn *c = s->c[i];
        if (c->up && !c->out && sp_write(s, c, pre, npre, msg, len) < 0) {
            sp_drop(s, i, NULL);
            continue;
        }
        i++;
    }
    if (sp_alone(s))
        return sp_gone(s);
    return 0;
}

/* When to send the request in flight again: resend= ms from now, or never. */
static void sp_req_arm(struct sp_sock *s)
{
    s->resend_at = s->resend_ms ? ipcx__now_ms() + s->resend_ms : INT64_MAX;
}

static void sp_req_send(struct sp_sock *s)
{
    long i = sp_next_free(s);
    if (i >= 0 && sp_write(s, s->c[i], NULL, 0, s->req, s->req_len) == 0) {
        s->req_pipe = s->c[i]->id;
        sp_req_arm(s);
    } else {
        /* Nobody can take it now: look again soon. */
        s->req_pipe = 0;
        s->resend_at = ipcx__now_ms() + 50;
    }
}

static void sp_req_lost(struct sp_sock *s)
{
    s->resend_at = ipcx__now_ms(); /* at the next look, to another peer if there is one */
}

/* req0: resend the request in flight when its time has come. */
static void sp_req_tick(struct sp_sock *s)
{
    if (s->req_busy && sp_is(s, IPCX_SP_REQ0) && ipcx__now_ms() >= s->resend_at)
        sp_req_send(s);
}

static int sp_send_request(struct sp_sock *s, const void *msg, size_t len,
                           const struct ipcx__deadline *d)
{
    uint8_t *m = malloc(4 + len);
    int r;
    if (!m)
        return -ENOMEM;
    s->next_req++;
    s->req_id = s->next_req | IPCX_SP_ID_BIT;
    ipcx__sp_put32(m, s->req_id);
    if (len)
        memcpy(m + 4, msg, len);
    /* A new request replaces the one in flight, as in nng. */
    free(s->req);
    s->req = m;
    s->req_len = 4 + len;
    s->req_busy = 0;
    if (sp_is(s, IPCX_SP_SURVEYOR0)) {
        r = sp_send_all(s, NULL, 0, m, s->req_len, d);
    } else {
        r = sp_send_one(s, NULL, 0, m, s->req_len, d, &s->req_pipe);
        sp_req_arm(s);
    }
    if (r == 0)
        s->req_busy = 1;
    return r;
}

/*
 * Write a reply with backtrace bt (bt_len bytes) to connection pipe, once it
 * has nothing unsent.  1 when the asker is gone (nng drops the reply then).
 */
static int sp_reply_to(struct sp_sock *s, uint32_t pipe, const uint8_t *bt, size_t bt_len,
                       const void *msg, size_t len, const struct ipcx__deadline *d)
{
    for (;;) {
        long i = sp_find(s, pipe);
        if (i < 0)
            return 1;
        if (!s->c[i]->out) {
            int r = sp_write_wait(s, pipe, bt, bt_len, msg, len, d);
            return r == SP_CONN_GONE ? 1 : r;
        }
        int r = sp_wait(s, d);
        if (r < 0)
            return r;
    }
}

static int sp_send_reply(struct sp_sock *s, const void *msg, size_t len,
                         const struct ipcx__deadline *d)
{
    if (!s->bt_have)
        return ipcx__fail(-EPROTO, "%s: a reply needs a request first (ipcx_recv)",
                          s->p->name);
    int r = sp_reply_to(s, s->bt_pipe, s->bt, s->bt_len, msg, len, d);
    if (r >= 0)
        s->bt_have = 0; /* answered, or the asker is gone: nng drops the reply too */
    return r < 0 ? r : 0;
}

int ipcx__sp_send(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                  int timeout_ms)
{
    struct sp_sock *s = sp_of(ch);
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    (void) prio;
    s->why[0] = '\0';
    s->looks = 0;
    switch (s->p->id) {
    case IPCX_SP_PUB0:
    case IPCX_SP_BUS0:
        return sp_send_all(s, NULL, 0, msg, len, &d);
    case IPCX_SP_REQ0:
    case IPCX_SP_SURVEYOR0:
        return sp_send_request(s, msg, len, &d);
    case IPCX_SP_REP0:
    case IPCX_SP_RESPONDENT0:
        return sp_send_reply(s, msg, len, &d);
    default: /* push0, pair0 */
        return sp_send_one(s, NULL, 0, msg, len, &d, NULL);
    }
}

/* Done with connection i's message: read on. */
static void sp_consume(struct sp_sock *s, size_t i)
{
    struct sp_conn *c = s->c[i];
    c->ready = c->have_len = 0;
    c->hdr_got = c->got = 0;
    if (c->cap > SP_READ_CHUNK) { /* keep small buffers for the next message */
        free(c->msg);
        c->msg = NULL;
        c->cap = 0;
    }
    if (c->parked) {
        c->parked = 0;
        if (ipcx__epoll_add(s->epfd, c->fd, c->events | EPOLLIN, sp_tag(c->id)) < 0) {
            sp_drop(s, i, NULL);
            return;
        }
        c->events |= EPOLLIN;
    }
    if (sp_watch(s, c, c->events | EPOLLIN) < 0)
        sp_drop(s, i, NULL);
}

/*
 * What the protocol makes of a whole message m of n bytes: the offset of
 * the body, or -1 to drop it (a stray reply, another topic, no backtrace).
 */
static long sp_body(const struct sp_sock *s, const uint8_t *m, size_t n)
{
    switch (s->p->id) {
    case IPCX_SP_SUB0:
        /* An empty message has no buffer: never memcmp a null pointer. */
        return s->nsub == 0 || (n >= s->nsub && memcmp(m, s->sub, s->nsub) == 0) ? 0 : -1;
    case IPCX_SP_REQ0:
    case IPCX_SP_SURVEYOR0:
        return s->req_busy && n >= 4 && ipcx__sp_get32(m) == s->req_id ? 4 : -1;
    case IPCX_SP_REP0:
    case IPCX_SP_RESPONDENT0: {
        long bt = ipcx__sp_bt_len(m, n);
        return bt < 0 ? -1 : bt;
    }
    default:
        return 0;
    }
}

/* The next message the protocol lets through, within d; drop_big: one longer than cap goes. */
static long sp_recv_msg(struct sp_sock *s, void *buf, size_t cap, const struct ipcx__deadline *d,
                        int drop_big)
{
    int r;

    s->why[0] = '\0';
    s->looks = 0;
    for (;;) {
        for (size_t k = 0; k < s->n; k++) {
            size_t i = (s->rr_rx + k) % s->n;
            struct sp_conn *c = s->c[i];
            if (!c->ready)
                continue;
            long off = sp_body(s, c->msg, c->got);
            if (off < 0) {
                sp_consume(s, i);
                continue;
            }
            size_t len = c->got - (size_t) off;
            if (len > cap) {
                if (drop_big) {
                    sp_consume(s, i);
                    if (sp_is(s, IPCX_SP_REQ0))
                        s->req_busy = 0;
                }
                return ipcx__fail(-EMSGSIZE, "the message has %zu bytes, the buffer %zu",
                                  len, cap);
            }
            if (len)
                memcpy(buf, c->msg + off, len);
            if (sp_is(s, IPCX_SP_REQ0)) {
                s->req_busy = 0;
                free(s->req);
                s->req = NULL;
            } else if (sp_is(s, IPCX_SP_REP0) || sp_is(s, IPCX_SP_RESPONDENT0)) {
                memcpy(s->bt, c->msg, (size_t) off);
                s->bt_len = (size_t) off;
                s->bt_pipe = c->id;
                s->bt_have = 1;
            }
            s->rr_rx = i + 1;
            sp_consume(s, i);
            return (long) len;
        }
        if (sp_alone(s))
            return sp_gone(s);
        if (sp_is(s, IPCX_SP_REQ0) && !s->req_busy)
            return ipcx__fail(-EPROTO, "req0: a receive needs a request in flight (ipcx_send)");
        sp_req_tick(s);
        if ((r = sp_wait(s, d)) < 0)
            return sp_timed_out(s, r);
    }
}

long ipcx__sp_recv(struct ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                   int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    long n = sp_recv_msg(sp_of(ch), buf, cap, &d, 0);
    if (n >= 0 && prio)
        *prio = 0;
    return n;
}

/* ---- the request/reply calls (include/ipcx/pattern.h, reqrep_sp.c) ---------- */

int ipcx__sp_chan(const struct ipcx_chan *ch)
{
    return ch->tp->send == ipcx__sp_send; /* both carriers' ops are IPCX_SP_OPS */
}

long ipcx__sp_request(struct ipcx_chan *ch, const void *msg, size_t len, void *reply,
                      size_t cap, int timeout_ms)
{
    struct sp_sock *s = sp_of(ch);
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    int r;
    if (!sp_is(s, IPCX_SP_REQ0))
        return ipcx__fail(-ENOTSUP, "ipcx_request needs a req0 end (this one is %s)",
                          s->p->name);
    s->why[0] = '\0';
    s->looks = 0;
    if ((r = sp_send_request(s, msg, len, &d)) < 0)
        return r == -EAGAIN && !d.zero ? -ETIMEDOUT : r;
    return sp_recv_msg(s, reply, cap, &d, 1);
}

long ipcx__sp_serve(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx__sp_route *rt,
                    int timeout_ms)
{
    struct sp_sock *s = sp_of(ch);
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    if (!sp_is(s, IPCX_SP_REP0) && !sp_is(s, IPCX_SP_RESPONDENT0))
        return ipcx__fail(-ENOTSUP, "ipcx_serve needs a rep0 or respondent0 end (this one "
                                    "is %s)", s->p->name);
    long n = sp_recv_msg(s, buf, cap, &d, 0);
    if (n < 0)
        return n;
    rt->pipe = s->bt_pipe;
    rt->len = s->bt_len;
    memcpy(rt->bt, s->bt, s->bt_len);
    return n;
}

int ipcx__sp_reply(struct ipcx_chan *ch, const struct ipcx__sp_route *rt, const void *msg,
                   size_t len, int timeout_ms)
{
    struct sp_sock *s = sp_of(ch);
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    if (!sp_is(s, IPCX_SP_REP0) && !sp_is(s, IPCX_SP_RESPONDENT0))
        return ipcx__fail(-ENOTSUP, "ipcx_reply needs a rep0 or respondent0 end (this one "
                                    "is %s)", s->p->name);
    if (rt->len > sizeof rt->bt || ipcx__sp_bt_len(rt->bt, rt->len) != (long) rt->len)
        return ipcx__fail(-EINVAL, "this request's backtrace is not one a peer sent");
    (void) sp_pump(s, 0); /* notice an asker that went away meanwhile */
    int r = sp_reply_to(s, rt->pipe, rt->bt, rt->len, msg, len, &d);
    if (r == 1)
        return ipcx__fail(-EPIPE, "the requester's connection is gone (the reply is dropped)");
    return r;
}

int ipcx__sp_fd(struct ipcx_chan *ch)
{
    return sp_of(ch)->epfd;
}

int ipcx__sp_addr(const struct ipcx_chan *ch, char *buf, size_t cap)
{
    const struct sp_sock *s = sp_of(ch);
    int n = snprintf(buf, cap, "%s?proto=%s", s->addr, s->p->name);
    return n < 0 || (size_t) n >= cap ? -ENOSPC : n;
}

long long ipcx__sp_lost(const struct ipcx_chan *ch)
{
    return sp_of(ch)->lost;
}

int ipcx__sp_close(struct ipcx_chan *ch)
{
    struct sp_sock *s = sp_of(ch);
    int r = 0;
    if (!s)
        return 0;
    /* Linger: what the kernel has not taken yet of messages already sent
     * (a large one, or a pub0's) is written first, for at most SP_LINGER_MS. */
    struct ipcx__deadline d = ipcx__deadline(SP_LINGER_MS);
    s->idle_out = 0; /* wake for the unsent only */
    for (size_t i = 0; i < s->n; i++)
        if (!s->c[i]->out)
            (void) sp_watch(s, s->c[i], s->c[i]->events & ~(uint32_t) EPOLLOUT);
    for (;;) {
        size_t i = 0;
        while (i < s->n && !s->c[i]->out)
            i++;
        if (i == s->n || !ipcx__chan_ours(ch) || sp_wait(s, &d) < 0)
            break;
    }
    while (s->n)
        sp_drop(s, s->n - 1, NULL);
    if (s->lfd >= 0)
        (void) ipcx__close(s->lfd);
    if (s->dfd >= 0)
        (void) ipcx__close(s->dfd);
    if (s->epfd >= 0)
        (void) ipcx__close(s->epfd);
    /* Remove our socket file, only in the opening process and only while
     * it is still the one we bound. */
    if (s->path[0] && ipcx__chan_ours(ch))
        r = ipcx__fs_unlink_same(s->path, s->dev, s->ino);
    free(s->c);
    free(s->req);
    free(s);
    ch->impl = NULL;
    return r;
}
