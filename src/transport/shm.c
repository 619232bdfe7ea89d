/*
 * shm.c - the shared-memory ring as a transport:
 *
 *   shm:/name?mode=spsc|mpsc|mpmc|bcast&size=BYTES&maxmsg=BYTES   POSIX shm
 *   sysvshm:KEY  or  sysvshm:/path?proj=N                          System V
 *   ipcx_pair("shm:?mode=...")                       anonymous, for fork
 *
 * Other keys: perm=0600 (permissions of a new segment, and the most an
 * existing one may grant; "mode" names the ring mode here), allow= (owners
 * to accept besides this user and root: owner.h), overflow=block|drop
 * (bcast), lossless=yes|no (a bcast receiver of an overflow=drop ring: yes
 * makes the producer wait for it instead of dropping), unlink=creator|last|never|close
 * (close: the creating end removes the name when it closes, last or not), spin=N (busy-wait tries before
 * sleeping, 0 = sleep at once), prefault=yes|no (fault the segment's pages in at open; default
 * yes up to 64 MiB).
 *
 * Any end may create the segment with IPCX_CREATE (O_CREAT|O_EXCL); an end
 * that finds it attaches and takes the mode and sizes from its header.
 * This file only parses, opens and closes; the ring is src/shm/.
 *
 * The ops table is switched after opening to the table of the segment
 * kind (named POSIX, System V, anonymous pair), so that ipcx_caps() tells
 * the truth for this channel.  Sending and receiving are the ring's
 * (ipcx__ring_send, ipcx__ring_recv), which picks its fast path itself.
 */
#include "transport.h"
#include "../util/err.h"
#include "../util/addr.h"
#include "../shm/bell.h"
#include "../shm/ring.h"
#include "../shm/ring_stat.h"
#include "ipcx/admin.h"
#include "../shm/seg.h"
#include "../sys/sys.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>

#define SHM_KEYS "mode size overflow lossless unlink spin prefault perm allow"
#define SHM_SYSV_KEYS SHM_KEYS " proj"
#define SHM_MAXMSG_DEFAULT (64u * 1024u)
#define SHM_ATTACH_MS 2000 /* how long a System V attacher waits for a creator to finish */

enum { SHM_UNLINK_CREATOR, SHM_UNLINK_LAST, SHM_UNLINK_NEVER, SHM_UNLINK_CLOSE };

struct shm_cfg {
    int      mode;       /* -1: not given */
    unsigned flags;
    size_t   size;       /* 0: default */
    int      unlink;
    int      spin;       /* -1: default */
    int      maxmsg_given;
    int      lossless;   /* bcast receiver: -1 not given, 0 no, 1 yes */
    int      prefault;   /* -1: default (up to 64 MiB), 0 no, 1 yes */
};

struct shm_chan {
    struct ipcx__seg  seg;
    struct ipcx__ring ring;
    int      created, joined, unlink;
    void    *loan;
    char     addr[IPCX_URL_MAX + 16];
};

static const struct ipcx_transport *shm_table(enum ipcx__seg_kind kind);

static int shm_cfg(const struct ipcx_url *u, struct shm_cfg *c)
{
    const char *v;
    size_t spin;
    int r;

    memset(c, 0, sizeof *c);
    if ((c->mode = ipcx__url_word(u, "mode", "spsc mpsc mpmc bcast", -1)) < -1)
        return c->mode;
    if ((r = ipcx__url_word(u, "overflow", "block drop", 0)) < 0)
        return r;
    if (r == 1) {
        if (c->mode != IPCX_SHM_BCAST)
            return ipcx__fail(-EINVAL, "overflow=drop needs mode=bcast");
        c->flags |= IPCX_SHM_F_DROP;
    }
    if ((c->lossless = ipcx__url_word(u, "lossless", "no yes", -1)) < -1)
        return c->lossless;
    if ((r = ipcx__url_size(u, "size", 0, 4096, (size_t) 1 << 40, &c->size)) < 0)
        return r;
    if ((c->unlink = ipcx__url_word(u, "unlink", "creator last never close", SHM_UNLINK_CREATOR)) < 0)
        return c->unlink;
    if ((r = ipcx__url_size(u, "spin", (size_t) -1, 0, 1000000, &spin)) < 0)
        return r;
    c->spin = spin == (size_t) -1 ? -1 : (int) spin;
    if ((c->prefault = ipcx__url_word(u, "prefault", "no yes", -1)) < -1)
        return c->prefault;
    c->maxmsg_given = (v = ipcx__url_get(u, "maxmsg")) != NULL;
    return 0;
}

/*
 * Name the segment of u: POSIX "/name", or a System V key (addr.h); its
 * address (what ipcx_addr and the registry report) into addr: a System V
 * one by key, as addr.h spells it, so that the name does not depend on
 * the reader's files or on a proj= left out.
 */
static int shm_name(const struct ipcx_url *u, struct ipcx__seg *seg, char *addr, size_t cap)
{
    struct ipcx__sysv_addr a;
    int r;

    if (seg->kind == IPCX_SEG_POSIX) {
        if (ipcx__url_get(u, "proj"))
            return ipcx__fail(-EINVAL, "proj= is for sysvshm:");
        if ((r = ipcx__addr_posix(u, sizeof seg->name - 2)) < 0)
            return r;
        memcpy(seg->name, u->path, strlen(u->path) + 1); /* the length was checked */
        snprintf(addr, cap, "shm:%s", u->path);
        return 0;
    }
    if ((r = ipcx__addr_sysv(u, IPCX_SYSV_PROJ_DEFAULT, &a)) < 0)
        return r;
    seg->key = a.key;
    snprintf(addr, cap, "%s", a.name);
    return 0;
}

/* How many senders / receivers a mode allows to open (0: any). */
static unsigned shm_limit(unsigned mode, int tx)
{
    /* Senders are never limited: in the byte rings they take turns (txlock). */
    switch (mode) {
    case IPCX_SHM_SPSC:  return tx ? 0 : 1;
    case IPCX_SHM_MPSC:  return tx ? 0 : 1;
    default:             return 0;
    }
}

/* Validate the attached segment, register this end, switch the ops table. */
static int shm_join(struct ipcx_chan *ch, struct shm_chan *s, const struct shm_cfg *c)
{
    struct ipcx__ring *r = &s->ring;
    int tx = (ch->flags & IPCX_SEND) != 0, rc;

    rc = ipcx__ring_check(r, s->seg.base, s->seg.size);
    if (rc < 0)
        return rc;
    if (c->mode >= 0 && (unsigned) c->mode != r->fx.mode)
        return ipcx__fail(-EINVAL, "the segment is a ring of another mode (%u)", r->fx.mode);
    if ((c->flags & IPCX_SHM_F_DROP) && !(r->fx.flags & IPCX_SHM_F_DROP))
        return ipcx__fail(-EINVAL, "the segment was made with overflow=block");
    if (c->lossless >= 0 && (tx || r->fx.mode != IPCX_SHM_BCAST))
        return ipcx__fail(-EINVAL, "lossless= is for the receivers of a bcast ring");
    if (c->lossless == 0 && !(r->fx.flags & IPCX_SHM_F_DROP))
        return ipcx__fail(-EINVAL, "lossless=no needs a ring made with overflow=drop "
                                   "(overflow=block loses nothing for anyone)");
    r->hold = c->lossless == 1 && (r->fx.flags & IPCX_SHM_F_DROP);
    rc = ipcx__ring_join(r, tx, shm_limit(r->fx.mode, tx), c->spin);
    if (rc < 0)
        return rc;
    ipcx__ring_prefault(r, c->prefault); /* no page faults in the message calls */
    s->joined = 1;
    ch->maxmsg = (size_t) r->fx.maxmsg; /* the segment decides */
    ch->tp = shm_table(s->seg.kind);
    return 0;
}

static int shm_new(struct ipcx_chan *ch, enum ipcx__seg_kind kind)
{
    struct shm_chan *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    ipcx__seg_init(&s->seg, kind);
    s->ring.me = -1;
    s->ring.bellfd = -1;
    ch->impl = s;
    return 0;
}

static int shm_create(struct ipcx_chan *ch, struct shm_chan *s, const struct shm_cfg *c)
{
    struct ipcx__ring_opts o = { c->mode < 0 ? IPCX_SHM_SPSC : (unsigned) c->mode, c->flags,
                                 c->size, ch->maxmsg };
    uint32_t ns, ss;
    size_t size = ipcx__ring_seg_size(&o, &ns, &ss);
    if (!size)
        return -EINVAL;
    int rc = ipcx__seg_create(&s->seg, size, ch->mode);
    if (rc < 0)
        return rc;
    ipcx__ring_format(s->seg.base, s->seg.size, &o);
    /* Only now does a POSIX segment get its name: attachers find a whole ring or none. */
    if ((rc = ipcx__seg_publish(&s->seg)) < 0)
        return rc; /* -EEXIST: ours is gone, the caller attaches the one at the name */
    s->created = 1;
    return 0;
}

/*
 * Attach the segment at the name or key.  A POSIX one is named only once
 * it is whole (seg.h): a ring without its magic there is no ipcx ring.  A
 * System V key names its segment from shmget on, before the creator lays
 * out the ring: wait for the magic (the creator stores it last).
 */
static int shm_attach(struct ipcx__seg *seg)
{
    int64_t until = ipcx__now_ms() + SHM_ATTACH_MS;
    for (;;) {
        int rc = ipcx__seg_attach(seg, sizeof(struct ipcx__shm_hdr), (size_t) 1 << 41);
        if (rc < 0)
            return rc;
        struct ipcx__ring probe;
        if (ipcx__ring_check(&probe, seg->base, seg->size) != -EAGAIN)
            return 0; /* shm_join reports any other problem */
        ipcx__seg_detach(seg);
        if (seg->kind == IPCX_SEG_POSIX)
            return ipcx__fail(-EPROTO, "shm:%s is not an ipcx ring (no magic)", seg->name);
        if (ipcx__now_ms() >= until)
            return ipcx__fail(-EPROTO, "the segment was never initialised by its creator");
        struct timespec ts = { 0, 1000000 };
        (void) nanosleep(&ts, NULL);
    }
}

static int shm_open_kind(struct ipcx_chan *ch, const struct ipcx_url *u,
                         enum ipcx__seg_kind kind)
{
    struct shm_cfg c;
    struct shm_chan *s;
    int rc;

    if (kind == IPCX_SEG_POSIX && !u->path[0] && !u->authority)
        return ipcx__fail(-EINVAL, "shm: without a name is anonymous: make it with "
                                   "ipcx_pair(\"shm:?mode=...\")");
    if ((rc = shm_cfg(u, &c)) < 0)
        return rc;
    if ((rc = shm_new(ch, kind)) < 0)
        return rc;
    s = ch->impl;
    s->unlink = c.unlink;
    if ((rc = shm_name(u, &s->seg, s->addr, sizeof s->addr)) < 0)
        return rc;
    /* A segment this end does not create must pass owner.h's rule. */
    s->seg.allow = &ch->allow;
    s->seg.want_mode = ch->mode;
    /*
     * Create, or attach the one that is there.  With IPCX_CREATE, one found
     * at create and gone by the attach (its last user removed it between:
     * unlink=last) is made again; a few rounds, not for ever.
     */
    for (int round = 0;; round++) {
        rc = -ENOENT;
        if (ch->flags & IPCX_CREATE) {
            rc = shm_create(ch, s, &c);
            if (rc == -EEXIST && (ch->flags & IPCX_EXCL))
                return ipcx__fail(-EEXIST, "the segment %s exists", u->path);
            if (rc < 0 && rc != -EEXIST)
                return rc;
        }
        if (s->created)
            break;
        rc = shm_attach(&s->seg);
        if (rc == -ENOENT && (ch->flags & IPCX_CREATE) && round < 8)
            continue;
        if (rc == -ENOENT)
            return ipcx__fail(-ENOENT, "no segment %s (open with IPCX_CREATE to make it)",
                              u->path);
        if (rc < 0)
            return rc;
        break;
    }
    if ((rc = shm_join(ch, s, &c)) < 0)
        return rc;
    /*
     * A receiver opened with IPCX_CREATE that found the segment without a
     * live receiver (a stale one: its owner was killed) takes it over, as
     * a FIFO's would: it removes it on close.
     */
    if (!s->created && (ch->flags & (IPCX_CREATE | IPCX_RECV)) == (IPCX_CREATE | IPCX_RECV) &&
        atomic_load_explicit(&s->ring.h->nrx, memory_order_relaxed) == 1)
        s->created = 1;
    ch->created = s->created; /* for the registry: who made it (or took it over) */
    return 0;
}

static int shm_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    return shm_open_kind(ch, u, IPCX_SEG_POSIX);
}

static int sysvshm_open(struct ipcx_chan *ch, const struct ipcx_url *u)
{
    return shm_open_kind(ch, u, IPCX_SEG_SYSV);
}

static int shm_close(struct ipcx_chan *ch)
{
    struct shm_chan *s = ch->impl;
    if (!s)
        return 0;
    int tx = (ch->flags & IPCX_SEND) != 0, last = 0, r = 0;
    if (s->joined)
        last = ipcx__ring_leave(&s->ring);
    /*
     * Who removes the name: by default a receiver that created it (as for
     * the other transports), or a sender that created it and leaves last;
     * with unlink=last whoever leaves last; with unlink=never nobody.
     */
    int created = s->created && ipcx__chan_ours(ch);
    int remove = (s->unlink == SHM_UNLINK_CREATOR && created && (!tx || last)) ||
                 (s->unlink == SHM_UNLINK_LAST && last && !ch->keep) ||
                 (s->unlink == SHM_UNLINK_CLOSE && created);
    if (remove && s->seg.kind != IPCX_SEG_ANON) {
        r = ipcx__seg_remove_own(&s->seg);
        /* Whoever removes it removes dead owners' doorbells (the last one out did already). */
        if (s->joined && !last)
            ipcx__ring_bells_sweep(&s->ring);
    } else if (created && !s->joined && s->seg.kind != IPCX_SEG_ANON)
        r = ipcx__seg_remove_own(&s->seg); /* a failed open leaves nothing behind */
    if (r < 0)
        r = ipcx__fail(r, "cannot remove the segment: left it");
    else if (s->ring.bell_left < 0)
        r = ipcx__fail(s->ring.bell_left, "cannot remove the doorbell %s: left it "
                       "(ipcx gc removes it)", s->ring.bellpath);
    ipcx__seg_detach(&s->seg);
    free(s);
    ch->impl = NULL;
    return r;
}

static int shm_pair(struct ipcx_chan *rx, struct ipcx_chan *tx, const struct ipcx_url *u)
{
    struct shm_cfg c;
    struct shm_chan *a, *b;
    int rc;

    if (u->path[0] || u->authority || ipcx__url_get(u, "unlink") || ipcx__url_get(u, "allow"))
        return ipcx__fail(-EINVAL, "an anonymous shm pair takes no name, no unlink= and "
                                   "no allow=");
    if ((rc = shm_cfg(u, &c)) < 0)
        return rc;
    if ((rc = shm_new(rx, IPCX_SEG_ANON)) < 0 || (rc = shm_new(tx, IPCX_SEG_ANON)) < 0)
        return rc;
    a = rx->impl;
    b = tx->impl;
    if ((rc = shm_create(rx, a, &c)) < 0)
        return rc;
    /* Each end has its own view of the same memory, so each detaches its own. */
    if ((rc = ipcx__seg_dup(&b->seg, &a->seg)) < 0)
        return rc;
    if ((rc = shm_join(rx, a, &c)) < 0)
        return rc;
    if ((rc = shm_join(tx, b, &c)) < 0)
        return rc;
    snprintf(a->addr, sizeof a->addr, "shm:");
    snprintf(b->addr, sizeof b->addr, "shm:");
    return 0;
}

static int shm_send(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                    int timeout_ms)
{
    struct shm_chan *s = ch->impl;
    return ipcx__ring_send(&s->ring, msg, len, prio, timeout_ms);
}

static long shm_recv(struct ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                     int timeout_ms)
{
    struct shm_chan *s = ch->impl;
    return ipcx__ring_recv(&s->ring, buf, cap, prio, timeout_ms);
}

static int shm_fd(struct ipcx_chan *ch)
{
    struct shm_chan *s = ch->impl;
    return ipcx__ring_fd(&s->ring);
}

static int shm_addr(const struct ipcx_chan *ch, char *buf, size_t cap)
{
    const struct shm_chan *s = ch->impl;
    int n = snprintf(buf, cap, "%s", s->addr);
    return n < 0 || (size_t) n >= cap ? -ENOSPC : n;
}

static int shm_loan(struct ipcx_chan *ch, size_t len, void **buf)
{
    struct shm_chan *s = ch->impl;
    int rc = ipcx__ring_loan(&s->ring, len, buf, (ch->flags & IPCX_NONBLOCK) ? 0 : -1);
    if (rc == 0)
        s->loan = *buf;
    return rc;
}

static int shm_commit(struct ipcx_chan *ch, void *buf, size_t len, unsigned prio)
{
    struct shm_chan *s = ch->impl;
    if (!s->ring.loaned || buf != s->loan)
        return ipcx__fail(-EINVAL, "commit of a buffer that was not loaned");
    s->loan = NULL;
    return ipcx__ring_commit(&s->ring, buf, len, prio);
}

static int shm_peek(struct ipcx_chan *ch, const void **msg, size_t *len, int timeout_ms)
{
    struct shm_chan *s = ch->impl;
    return ipcx__ring_peek(&s->ring, msg, len, NULL, timeout_ms);
}

static int shm_release(struct ipcx_chan *ch)
{
    struct shm_chan *s = ch->impl;
    int rc = ipcx__ring_release(&s->ring);
    return rc == -ESTALE ? -ENOBUFS : rc;
}

static long long shm_lost(const struct ipcx_chan *ch)
{
    const struct shm_chan *s = ch->impl;
    return s->ring.lost_total;
}

/*
 * Whole messages queued now (ipcx_pending): the count ipcx stat reads
 * (ring_stat.c), of this end's own mapping; bcast: for the slowest
 * registered receiver.  Indices another process forged give a bound, not a
 * count (the ring is not trusted for more than that).
 */
static long shm_pending(const struct ipcx_chan *ch)
{
    const struct shm_chan *s = ch->impl;
    struct ipcx_ring_info info;
    int rc = ipcx__ring_stat(s->seg.base, s->seg.size, &info);
    return rc < 0 ? rc : (long) info.messages;
}

static int shm_unlink_kind(const struct ipcx_url *u, enum ipcx__seg_kind kind)
{
    struct ipcx__seg seg;
    struct ipcx__ring probe;
    char addr[IPCX_URL_MAX + 16];
    int bells = 0;
    ipcx__seg_init(&seg, kind);
    int rc = shm_name(u, &seg, addr, sizeof addr);
    if (rc < 0)
        return rc;
    /*
     * The segment's id names its doorbells: read it before the name goes,
     * then remove the doorbells of dead owners too.  Best effort: a
     * segment we cannot map (or not a ring) is removed all the same.
     */
    memset(&probe, 0, sizeof probe);
    if (ipcx__seg_attach(&seg, sizeof(struct ipcx__shm_hdr), (size_t) 1 << 41) == 0 &&
        ipcx__ring_check(&probe, seg.base, seg.size) == 0)
        bells = atomic_load_explicit(&probe.h->fifos, memory_order_relaxed) != 0;
    ipcx__seg_detach(&seg);
    ipcx__clear_detail(); /* what the look found wrong is not what unlink reports */
    rc = ipcx__seg_remove(kind, seg.name, seg.key);
    if (rc == 0 && bells)
        (void) ipcx__bell_sweep(&probe.fx.id, 0, NULL, NULL);
    return rc;
}

/* A look at the ring of u for ipcx_ring_stat (ring_stat.h): mapped, read, unmapped. */
int ipcx__shm_stat(const struct ipcx_url *u, int sysv, struct ipcx_ring_info *out)
{
    struct ipcx__seg seg;
    char addr[IPCX_URL_MAX + 16];
    ipcx__seg_init(&seg, sysv ? IPCX_SEG_SYSV : IPCX_SEG_POSIX);
    int rc = shm_name(u, &seg, addr, sizeof addr);
    if (rc == 0)
        rc = ipcx__seg_attach(&seg, sizeof(struct ipcx__shm_hdr), (size_t) 1 << 41);
    if (rc == 0)
        rc = ipcx__ring_stat(seg.base, seg.size, out);
    ipcx__seg_detach(&seg);
    return rc;
}

static int shm_unlink(const struct ipcx_url *u)
{
    return shm_unlink_kind(u, IPCX_SEG_POSIX);
}

static int sysvshm_unlink(const struct ipcx_url *u)
{
    return shm_unlink_kind(u, IPCX_SEG_SYSV);
}

#define SHM_CAPS (IPCX_CAP_FD | IPCX_CAP_ZEROCOPY | IPCX_CAP_LOCAL | IPCX_CAP_EOF | \
                  IPCX_CAP_RXGONE)
#define SHM_OPS                                                                 \
    .maxmsg_default = SHM_MAXMSG_DEFAULT, .maxmsg_limit = (size_t) 1 << 31,     \
    .perm_key = "perm", .send = shm_send, .recv = shm_recv, .fd = shm_fd,       \
    .addr = shm_addr, .close = shm_close, .loan = shm_loan, .commit = shm_commit, \
    .peek = shm_peek, .release = shm_release, .lost = shm_lost, .pending = shm_pending
#define SHM_NAMED(sch, k, op, ul)                                               \
    { .scheme = sch, .caps = SHM_CAPS | IPCX_CAP_NAMED | IPCX_CAP_KNAME | IPCX_CAP_MANY, \
      .keys = k, .open = op, .unlink = ul, SHM_OPS }

/* What ipcx_open and ipcx_pair find by scheme: named or anonymous is not known yet. */
const struct ipcx_transport ipcx__transport_shm = {
    .scheme = "shm", .caps = SHM_CAPS | IPCX_CAP_NAMED | IPCX_CAP_KNAME | IPCX_CAP_PAIR |
                             IPCX_CAP_MANY,
    .keys = SHM_KEYS, .open = shm_open, .pair = shm_pair, .unlink = shm_unlink, SHM_OPS,
};
const struct ipcx_transport ipcx__transport_sysvshm =
    SHM_NAMED("sysvshm", SHM_SYSV_KEYS, sysvshm_open, sysvshm_unlink);

/*
 * What an open channel uses: the table of its segment kind (every ring
 * mode has the same bits: many senders in all of them; a mode that
 * differs would get a table of its own here).
 */
static const struct ipcx_transport shm_kind_tp[] = {
    [IPCX_SEG_POSIX] = SHM_NAMED("shm", SHM_KEYS, shm_open, shm_unlink),
    [IPCX_SEG_SYSV]  = SHM_NAMED("sysvshm", SHM_SYSV_KEYS, sysvshm_open, sysvshm_unlink),
    [IPCX_SEG_ANON]  = { .scheme = "shm", .caps = SHM_CAPS | IPCX_CAP_PAIR | IPCX_CAP_MANY,
                         .keys = SHM_KEYS, .pair = shm_pair, SHM_OPS },
};

static const struct ipcx_transport *shm_table(enum ipcx__seg_kind kind)
{
    return &shm_kind_tp[kind];
}

/* The receivers registered on the ring of ch (pub/sub's subscriber count); -EINVAL if not shm. */
int ipcx__shm_receivers(const struct ipcx_chan *ch)
{
    if (!ch || (strcmp(ch->tp->scheme, "shm") != 0 && strcmp(ch->tp->scheme, "sysvshm") != 0))
        return -EINVAL;
    const struct shm_chan *s = ch->impl;
    return (int) atomic_load_explicit(&s->ring.h->nrx, memory_order_relaxed);
}
