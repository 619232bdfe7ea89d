/*
 * batch.c - batched sends over every transport: the per-message checks of
 * ipcx_sendv, the IPCX_MORE cork queue, and the loop of sends for the
 * transports without a .sendv of their own (queues and rings gain nothing
 * from a batch: one call per message anyway).  The public entry points and
 * their argument checks are chan.c's; how many messages one system call
 * carries is the transport's (.sendv, e.g. stream_tx.c's writev/sendmmsg).
 *
 * The cork queue is user-space memory of this end: messages queued with
 * IPCX_MORE are copied into one buffer and leave it in order, as one batch,
 * on the next send without IPCX_MORE, on ipcx_sendv or ipcx_flush, when the
 * next message would take the queue over cork= bytes, or at ipcx_close.
 * A queued message has passed every check that concerns the message itself
 * (size, the transport's .check), so a later flush fails only for what
 * concerns the channel (time, the receiver gone).  A process that dies
 * with messages queued loses them, whole: none of their bytes was written.
 */
#include "ipcx.h"
#include "util/err.h"
#include "transport/transport.h"
#include "sys/sys.h"
#include "sys/proc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How long ipcx_close waits at most to flush what IPCX_MORE queued (ipcx_close.3). */
#define CORK_LINGER_MS 2000
/* The smallest payload buffer a queue starts with. */
#define CORK_BUF_MIN 4096

/*
 * The queue.  Each message counts its length and the bookkeeping of one
 * entry against ch->cork_max; the payloads sit back to back in buf.  v has
 * one spare entry beyond n, for the message of a send that flushes it.
 */
struct ipcx__cork {
    pid_t    pid;        /* the process that queued: a forked copy never sends them */
    uint8_t *buf;
    size_t   used, cap;  /* bytes of buf in use, allocated */
    struct ipcx_msg *v;  /* the queued messages in order; data points into buf */
    size_t   n, vcap;
    size_t   charge;     /* what the queue counts against cork_max */
};

/* What each message counts besides its length (ipcx_flush.3): its entry in v, rounded up. */
#define CORK_ENTRY 32
_Static_assert(sizeof(struct ipcx_msg) <= CORK_ENTRY, "a queue entry counts at least its size");

/* The queue of this process, NULL if there is none.  A copy inherited over
 * fork holds the parent's messages: they are the parent's to send, so the
 * child drops them (sending them too would deliver them twice). */
static struct ipcx__cork *cork_mine(struct ipcx_chan *ch)
{
    struct ipcx__cork *c = ch->cork;
    if (c && c->pid != ipcx__self_pid_cached()) {
        c->pid = ipcx__self_pid_cached();
        c->n = c->used = c->charge = 0;
    }
    return c;
}

int ipcx__corked(const struct ipcx_chan *ch)
{
    return ch->cork && ch->cork->n && ch->cork->pid == ipcx__self_pid_cached();
}

/* Grow buf to hold need bytes (never above cork_max), keeping the entries' pointers. */
static int cork_room(struct ipcx__cork *c, size_t need, size_t max)
{
    if (need <= c->cap)
        return 0;
    size_t cap = c->cap;
    while (cap < need)
        cap = cap > max / 2 ? max : cap * 2;
    uint8_t *b = realloc(c->buf, cap);
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < c->n; i++)
        c->v[i].data = b + ((const uint8_t *) c->v[i].data - c->buf);
    c->buf = b;
    c->cap = cap;
    return 0;
}

/* Room for n entries and the spare one; never more than max bytes can count for, and the spare. */
static int cork_slots(struct ipcx__cork *c, size_t n, size_t max)
{
    const size_t most = max / CORK_ENTRY + 1;
    if (n + 1 <= c->vcap)
        return 0;
    size_t cap = c->vcap ? c->vcap * 2 : 16;
    while (cap < n + 1)
        cap *= 2;
    if (cap > most)
        cap = most > n + 1 ? most : n + 1;
    struct ipcx_msg *v = realloc(c->v, cap * sizeof *v);
    if (!v)
        return -ENOMEM;
    c->v = v;
    c->vcap = cap;
    return 0;
}

static struct ipcx__cork *cork_new(struct ipcx_chan *ch)
{
    struct ipcx__cork *c = calloc(1, sizeof *c);
    size_t cap = ch->cork_max < CORK_BUF_MIN ? ch->cork_max : CORK_BUF_MIN;
    if (!c || !(c->buf = malloc(cap ? cap : 1)) || cork_slots(c, 0, ch->cork_max) < 0) {
        if (c)
            free(c->buf);
        free(c);
        return NULL;
    }
    c->cap = cap;
    c->pid = ipcx__self_pid_cached();
    ch->cork = c;
    return c;
}

/* Queue a copy of the message: 1 queued, 0 it does not fit (the queue must go first), -ENOMEM. */
static int cork_put(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio)
{
    struct ipcx__cork *c = cork_mine(ch);
    size_t charge = len + CORK_ENTRY;

    if (charge > ch->cork_max - (c ? c->charge : 0))
        return 0;
    if (!c && !(c = cork_new(ch)))
        return -ENOMEM;
    if (cork_room(c, c->used + len, ch->cork_max) < 0 || cork_slots(c, c->n + 1, ch->cork_max) < 0)
        return -ENOMEM;
    if (len)
        memcpy(c->buf + c->used, msg, len);
    c->v[c->n++] = (struct ipcx_msg) { .data = c->buf + c->used, .len = len, .prio = prio };
    c->used += len;
    c->charge += charge;
    return 1;
}

/* The first k queued messages went: take them off the front. */
static void cork_drop(struct ipcx__cork *c, size_t k)
{
    if (k >= c->n) {
        c->n = c->used = c->charge = 0;
        return;
    }
    if (k == 0)
        return;
    /* Rare (a flush cut short): move the rest to the front. */
    const uint8_t *from = c->v[k].data;
    size_t off = (size_t) (from - c->buf);
    memmove(c->buf, from, c->used - off);
    memmove(c->v, c->v + k, (c->n - k) * sizeof *c->v);
    c->n -= k;
    c->used -= off;
    c->charge = c->used + c->n * CORK_ENTRY;
    for (size_t i = 0; i < c->n; i++)
        c->v[i].data = (const uint8_t *) c->v[i].data - off;
}

/* A wait that ran out with time left to the caller at first is a timeout, not -EAGAIN. */
static int batch_why(const struct ipcx__deadline *d, int why)
{
    return why == -EAGAIN ? ipcx__expired(d) : why;
}

/*
 * Send v[0, n) (all checked) within the deadline: the transport's .sendv,
 * or one send each.  Returns how many went; *why when fewer.
 */
static size_t batch_run(struct ipcx_chan *ch, const struct ipcx_msg *v, size_t n,
                        const struct ipcx__deadline *d, int *why)
{
    if (n == 0)
        return 0;
    if (ch->tp->sendv) {
        long k = ch->tp->sendv(ch, v, n, ipcx__remaining(d), why);
        if ((size_t) k < n)
            *why = batch_why(d, *why);
        return (size_t) k;
    }
    for (size_t i = 0; i < n; i++) {
        int r = ch->tp->send(ch, v[i].data, v[i].len, v[i].prio, ipcx__remaining(d));
        if (r < 0) {
            *why = batch_why(d, r);
            return i;
        }
    }
    return n;
}

/* Send the queue: 0 when it is empty, else the error with the rest still queued. */
static int cork_flush(struct ipcx_chan *ch, const struct ipcx__deadline *d)
{
    struct ipcx__cork *c = cork_mine(ch);
    int why = 0;
    if (!c || c->n == 0)
        return 0;
    size_t k = batch_run(ch, c->v, c->n, d, &why);
    cork_drop(c, k);
    return c->n ? why : 0;
}

int ipcx__cork_flush(struct ipcx_chan *ch, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    return cork_flush(ch, &d);
}

int ipcx__cork_send(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                    int timeout_ms)
{
    const unsigned p = prio & ~IPCX_MORE;
    int r = ch->tp->check ? ch->tp->check(ch, msg, len, p) : 0;

    if (r < 0)
        return r;
    if ((prio & IPCX_MORE) && ch->cork_max && (r = cork_put(ch, msg, len, p)) != 0)
        return r < 0 ? r : 0;
    struct ipcx__cork *c = cork_mine(ch);
    if (!c || c->n == 0)
        return ch->tp->send(ch, msg, len, p, timeout_ms);
    /* The queue and then this message, as one batch: v has the spare entry. */
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    size_t n = c->n;
    int why = 0;
    c->v[n] = (struct ipcx_msg) { .data = msg, .len = len, .prio = p };
    size_t k = batch_run(ch, c->v, n + 1, &d, &why);
    cork_drop(c, k);
    /* Not sent, this message is not queued either: the caller's retry must not repeat it. */
    return k == n + 1 ? 0 : why;
}

int ipcx__cork_close(struct ipcx_chan *ch)
{
    int r = ipcx__corked(ch) ? ipcx__cork_flush(ch, CORK_LINGER_MS) : 0;
    if (ch->cork) {
        free(ch->cork->buf);
        free(ch->cork->v);
        free(ch->cork);
        ch->cork = NULL;
    }
    return r;
}

/* Why a message of a batch cannot be sent at all, or 0. */
static int batch_refuse(const struct ipcx_chan *ch, const struct ipcx_msg *m)
{
    if (!m->data && m->len)
        return ipcx__fail(-EINVAL, "a message of %zu bytes without data", m->len);
    if (m->prio & IPCX_MORE)
        return ipcx__fail(-EINVAL, "IPCX_MORE is for ipcx_send: a batch is sent at once");
    if (m->len > ch->maxmsg)
        return ipcx__fail(-EMSGSIZE, "%zu bytes is more than maxmsg=%zu", m->len, ch->maxmsg);
    return ch->tp->check ? ch->tp->check(ch, m->data, m->len, m->prio) : 0;
}

long ipcx__batch_send(struct ipcx_chan *ch, struct ipcx_msg *msgs, size_t n, int timeout_ms)
{
    struct ipcx__deadline d = ipcx__deadline(timeout_ms);
    int stop = 0, refused = 0;
    size_t i = 0, at = 0; /* at: where the batch stopped */
    long sent = 0;

    for (i = 0; i < n; i++)
        if ((msgs[i].result = batch_refuse(ch, &msgs[i])) < 0 && !refused)
            refused = msgs[i].result;
    if (ipcx__corked(ch))
        stop = cork_flush(ch, &d); /* what IPCX_MORE queued goes first */
    /* The runs of sendable messages between the refused ones, in order. */
    for (i = 0; i < n && !stop;) {
        size_t j = i;
        while (j < n && msgs[j].result == 0)
            j++;
        size_t k = batch_run(ch, msgs + i, j - i, &d, &stop);
        sent += (long) k;
        at = i + k;
        i = j + 1; /* past the refused one (or the end) */
    }
    if (stop)
        for (i = at; i < n; i++)
            if (msgs[i].result == 0)
                msgs[i].result = stop; /* the one stopped at, and every one after */
    return sent ? sent : stop ? stop : refused;
}
