/*
 * sweep.c - `ipcx bench --sweep`: curves instead of points.  Four figures,
 * each measured here and written as a CSV, a Markdown table and (when
 * gnuplot is installed) an SVG plot into one directory:
 *   size     round trip (p50, p99) and one-way throughput against message
 *            size, 64 B to 4 MiB in powers of 4, for ipcx shm (copy and
 *            loan), unix, pipe and mq (up to the kernel's msgsize_max)
 *            beside raw pipes, raw Unix sockets, raw mq and ZeroMQ PAIR;
 *            the links are run.c's (two pinned processes, every message
 *            verified)
 *   senders  one unix: receiver (CPU 0) against 1..256 sender processes
 *            (not pinned), 64 B messages
 *   bcast    one shm bcast publisher (CPU 0) to 1..16 subscribers (CPU 1),
 *            the rate each subscriber receives at
 *   mpmc     the shm mpmc ring with 1..4 producers and 1..4 consumers
 *            (not pinned), the rate of all together
 * In the crowds (the last three) every message carries its sender and its
 * number: a receiver checks order per sender and the checksum, and the
 * counts and sums of all receivers together show that nothing was lost or
 * duplicated.  Like the rest of bench it measures and never judges.
 */
#include "ipcx.h"
#include "bench.h"
#include "bench_util.h"
#include "cmd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SWEEP_NSIZES     9          /* 64 B .. 4 MiB, powers of 4 */
#define SWEEP_MAXSIZE    (4u << 20)
#define SWEEP_MAX_PROCS  256
#define SWEEP_MAX_ROWS   256
#define SWEEP_TIMEOUT_MS 30000      /* a crowd member that hears nothing this long fails */
#define SWEEP_POLL_MS    200        /* how often a waiting receiver looks for dead members */
#define SWEEP_MSG        64         /* the message size of the crowd figures */
#define SEQ_ID_SHIFT     20         /* seq = sender << 20 | index */
#define SEQ_STOP         0xffffffffu /* mpmc: the end for one consumer (no sender has that id) */

/* One point of a curve. */
struct sweep_row {
    const char *fig;       /* "size", "senders", "bcast", "mpmc" */
    char series[48];       /* the line it belongs to */
    int ref;               /* a reference (raw, peer): grey and dashed */
    double x;
    struct bench_lat rtt;  /* size only; negative: not measured */
    double mps, mbps;      /* one-way messages/s, MB/s (10^6 bytes); negative: not measured */
    long count;            /* messages verified for this point */
    long errors;
    int failed;
    char why[160];
};

static struct sweep_row rows[SWEEP_MAX_ROWS];
static int nrows;

static struct sweep_row *row_add(const char *fig, const char *series, int ref, double x)
{
    if (nrows == SWEEP_MAX_ROWS)
        return NULL;
    struct sweep_row *r = &rows[nrows++];
    memset(r, 0, sizeof *r);
    r->fig = fig;
    snprintf(r->series, sizeof r->series, "%s", series);
    r->ref = ref;
    r->x = x;
    r->rtt.p50 = r->rtt.p99 = r->rtt.p999 = r->mps = r->mbps = -1;
    return r;
}

/* The counts of a point: scaled down with the size, so that 4 MiB costs what 4 KiB does. */
static long scaled(long n, size_t size)
{
    long v = size > 4096 ? (long) ((double) n * 4096 / (double) size) : n;
    return v < 20 ? 20 : v;
}

/* mq's largest message for this user: /proc/sys/fs/mqueue/msgsize_max (8192 when unreadable). */
static size_t mq_msgsize_max(void)
{
    FILE *f = fopen("/proc/sys/fs/mqueue/msgsize_max", "r");
    long v = 0;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v > 0 ? (size_t) v : 8192;
}

/* ---- the size figure: run.c's links, one per candidate, every size ---- */

struct size_out {
    struct sweep_row pt[SWEEP_NSIZES];
    int failed;
    char why[160];
};

struct size_arg {
    const struct bench_cand *c;
    const struct bench_params *p;
};

static size_t size_at(int k) { return (size_t) 64 << (2 * k); }

static void size_measure(void *arg, void *outp)
{
    struct size_arg *a = arg;
    struct size_out *o = outp;
    struct bench_link l;
    size_t cap = a->c->maxsize && a->c->maxsize < SWEEP_MAXSIZE ? a->c->maxsize : SWEEP_MAXSIZE;
    int r = bench_link_open(&l, a->c, cap, o->why, sizeof o->why);

    for (int k = 0; k < SWEEP_NSIZES && r == 0; k++) {
        size_t size = size_at(k);
        struct sweep_row *pt = &o->pt[k];
        long n = scaled(a->p->rtts, size), nf = scaled(a->p->flood_small, size);
        double secs = 0;
        pt->x = -1; /* not measured: above the candidate's largest message */
        if (size > cap)
            continue;
        bench_progress(a->p, "size", a->c->name);
        pt->x = (double) size;
        if ((r = bench_link_rtt(&l, size, n, &pt->rtt, &pt->errors)) < 0)
            break;
        if ((r = bench_link_flood(&l, size, nf, &pt->errors, &secs)) < 0)
            break;
        pt->mps = (double) nf / secs;
        pt->mbps = pt->mps * (double) size / 1e6;
        pt->count = n + nf;
    }
    if (r < 0 && !*o->why)
        snprintf(o->why, sizeof o->why, "%s (%s)", ipcx_strerror(r), ipcx_errdetail());
    o->failed = bench_link_close(&l, r, o->why, sizeof o->why) < 0;
}

/* A row of a built-in table by its name; NULL when absent (a peer library not loaded). */
static const struct bench_cand *row_named(const struct bench_cand *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static int sweep_sizes(const struct bench_params *p, size_t mqmax)
{
    static char mqurl[96];
    static struct bench_cand cands[12];
    struct bench_cand peers[16];
    char why[512];
    int nc = 0, rc = 0;

    snprintf(mqurl, sizeof mqurl, "mq:/ipcx-b-%%p-%%n?maxmsg=%zu", mqmax);
    cands[nc] = bench_url_cand("shm:/ipcx-b-%p-%n?mode=spsc&maxmsg=4194304");
    cands[nc++].name = "ipcx shm spsc";
    cands[nc] = bench_loan_cand("shm:/ipcx-b-%p-%n?mode=spsc&maxmsg=4194304");
    cands[nc++].name = "ipcx shm spsc, loan";
    cands[nc] = bench_url_cand("unix:/tmp/ipcx-b-%p-%n.sock?maxmsg=4194304");
    cands[nc++].name = "ipcx unix";
    cands[nc] = bench_url_cand("pipe:?maxmsg=4194304");
    cands[nc++].name = "ipcx pipe";
    cands[nc] = bench_url_cand(mqurl);
    cands[nc].name = "ipcx mq";
    cands[nc++].maxsize = mqmax;
    const char *raws[] = { "raw unix", "raw pipe", "raw mq" };
    for (int i = 0; i < 3; i++) {
        const struct bench_cand *c = row_named(bench_raw_rows, bench_raw_nrows, raws[i]);
        if (c)
            cands[nc++] = *c;
    }
    int np = bench_peer_cands(peers, (int) (sizeof peers / sizeof peers[0]), why, sizeof why);
    const struct bench_cand *z = row_named(peers, (size_t) np, "zeromq pair ipc");
    if (z)
        cands[nc++] = *z;
    else if (!p->quiet)
        fprintf(stderr, "ipcx bench --sweep: no ZeroMQ row%s%s\n", *why ? ": " : "", why);

    for (int i = 0; i < nc; i++) {
        static struct size_out o;
        struct size_arg a = { &cands[i], p };
        char iwhy[160] = "";
        struct bench_params pp = *p;
        pp.row = i + 1;
        pp.nrows = nc;
        a.p = &pp;
        memset(&o, 0, sizeof o);
        int ok = bench_isolate(size_measure, &a, &o, sizeof o, iwhy, sizeof iwhy) == 0;
        int ref = strcmp(cands[i].kind, "ipcx") != 0;
        for (int k = 0; k < SWEEP_NSIZES; k++) {
            if (ok && o.pt[k].x < 0)
                continue; /* larger than the candidate carries */
            struct sweep_row *r = row_add("size", cands[i].name, ref, (double) size_at(k));
            if (!r)
                break;
            if (ok && (o.pt[k].x > 0)) {
                r->rtt = o.pt[k].rtt;
                r->mps = o.pt[k].mps;
                r->mbps = o.pt[k].mbps;
                r->count = o.pt[k].count;
                r->errors = o.pt[k].errors;
            } else {
                r->failed = 1;
                snprintf(r->why, sizeof r->why, "%s", ok ? o.why : iwhy);
            }
            if (r->failed || r->errors)
                rc = EXIT_RUNTIME;
        }
        if (ok && o.failed) {
            if (!p->quiet)
                fprintf(stderr, "%sipcx bench --sweep: %s: %s\n", p->progress ? "\r\033[K" : "",
                        cands[i].name, o.why);
            rc = EXIT_RUNTIME;
        }
    }
    return rc;
}

/* ---- crowds: many processes, a start line, reports ---- */

/*
 * Members are forked, open their end, say they are ready (one byte on
 * ready) and wait until the start pipe closes, so that the clock starts
 * when every one of them is there.  A report is one write of at most
 * PIPE_BUF bytes, whole or absent.
 */
struct crowd {
    pid_t pid[SWEEP_MAX_PROCS];  /* 0: reaped already */
    int n;
    int bad;                     /* members reaped already that did not exit 0 */
    int ready[2], start[2], res[2];
};

struct report {
    int id;
    long count, errors;
    long per[4], sum[4];  /* mpmc: messages and index sums of each producer */
};

static int crowd_init(struct crowd *cr)
{
    memset(cr, 0, sizeof *cr);
    cr->ready[0] = cr->start[0] = cr->res[0] = -1;
    if (pipe(cr->ready) < 0 || pipe(cr->start) < 0 || pipe(cr->res) < 0)
        return -errno;
    return 0;
}

/* In a member: ready, then wait for the start. */
static int crowd_wait_start(struct crowd *cr)
{
    char b;
    if (write(cr->ready[1], "r", 1) != 1)
        return -EIO;
    close(cr->ready[1]);
    while (read(cr->start[0], &b, 1) < 0 && errno == EINTR)
        ;
    return 0;
}

static int crowd_report(struct crowd *cr, const struct report *rep)
{
    return write(cr->res[1], rep, sizeof *rep) == (ssize_t) sizeof *rep ? 0 : -EIO;
}

/*
 * Fork a member running fn (its exit status: 0 when fn returned 0), pinned
 * to cpu; -1 leaves it where the parent may run (so a parent pins itself
 * only after forking its unpinned members).
 */
static int crowd_spawn(struct crowd *cr, int (*fn)(int id, void *arg, struct crowd *cr), int id,
                       void *arg, int cpu)
{
    int parent = (int) getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        /* A measuring process killed leaves no member waiting for it. */
        if (bench_die_with(parent, SIGKILL) < 0)
            _exit(1);
        close(cr->ready[0]);
        close(cr->start[1]);
        close(cr->res[0]);
        if (cpu >= 0)
            (void) bench_pin(cpu);
        _exit(fn(id, arg, cr) < 0 ? 1 : 0);
    }
    cr->pid[cr->n++] = pid;
    return 0;
}

/* In the parent: wait until every member is ready (0), or one died first (-ECHILD); then start them. */
static int crowd_start(struct crowd *cr)
{
    int got = 0;
    char b[64];
    close(cr->ready[1]);
    cr->ready[1] = -1;
    while (got < cr->n) {
        ssize_t r = read(cr->ready[0], b, sizeof b);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -ECHILD;
        got += (int) r;
    }
    close(cr->start[1]);
    cr->start[1] = -1;
    return 0;
}

/* Read one report (after crowd_start); -ECHILD when every member is gone without one (one died). */
static int crowd_read(struct crowd *cr, struct report *rep)
{
    if (cr->res[1] >= 0) {
        close(cr->res[1]);
        cr->res[1] = -1;
    }
    for (;;) {
        ssize_t r = read(cr->res[0], rep, sizeof *rep);
        if (r < 0 && errno == EINTR)
            continue;
        return r == (ssize_t) sizeof *rep ? 0 : -ECHILD;
    }
}

/* Reap the members that have ended (waiting for them when wait); how many of them failed. */
static int crowd_reap(struct crowd *cr, int first, int last, int wait)
{
    int bad = 0;
    for (int i = first; i < last; i++) {
        int st = 0;
        pid_t w;
        if (cr->pid[i] <= 0)
            continue;
        while ((w = waitpid(cr->pid[i], &st, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
            ;
        if (w == 0)
            continue;
        bad += w < 0 || !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        cr->pid[i] = 0;
    }
    cr->bad += bad;
    return bad;
}

/* Reap every member (killing them first when kill_all); how many did not exit 0. */
static int crowd_end(struct crowd *cr, int kill_all)
{
    for (int i = 0; i < cr->n; i++)
        if (kill_all && cr->pid[i] > 0) /* never kill(0) or kill(-1) */
            kill(cr->pid[i], SIGKILL);
    crowd_reap(cr, 0, cr->n, 1);
    for (int i = 0; i < 2; i++) {
        int *fds[] = { &cr->ready[i], &cr->start[i], &cr->res[i] };
        for (int k = 0; k < 3; k++)
            if (*fds[k] >= 0)
                close(*fds[k]);
    }
    int bad = cr->bad;
    cr->n = cr->bad = 0;
    return bad;
}

/* Messages per sender when n senders send total: at least 10, at most what SEQ_ID_SHIFT numbers. */
static long crowd_per(long total, int n)
{
    long per = total / n > 10 ? total / n : 10;
    return per < (1L << SEQ_ID_SHIFT) ? per : (1L << SEQ_ID_SHIFT) - 1;
}

/* The URL of a crowd's object for this measuring process. */
static void crowd_url(char *out, size_t cap, const char *tmpl)
{
    bench_expand(out, cap, tmpl, "sw");
}

/* ---- senders: one unix: receiver, N senders ---- */

struct flood_arg {
    char url[256];
    long per;       /* messages each sender sends */
    int nsend;      /* senders, producers or the publisher (1) */
    int nrecv;      /* receivers: subscribers, consumers (senders: 1) */
};

/* A member's end of the crowd's object; an error is said on stderr. */
static int crowd_open(ipcx_chan **ch, const char *url, int flags, const char *role, int id)
{
    int r = ipcx_open(ch, url, flags);
    if (r < 0)
        fprintf(stderr, "ipcx bench --sweep: %s %d: %s: %s (%s)\n", role, id, url, ipcx_strerror(r),
                ipcx_errdetail());
    return r;
}

/* A sender (of the senders and mpmc figures): per messages numbered id << 20 | i. */
static int crowd_sender(int id, void *arg, struct crowd *cr)
{
    struct flood_arg *a = arg;
    uint8_t m[SWEEP_MSG];
    ipcx_chan *ch;
    int r = crowd_open(&ch, a->url, IPCX_SEND, "sender", id);
    if (r < 0)
        return r;
    crowd_wait_start(cr);
    for (long i = 0; i < a->per && r == 0; i++) {
        bench_msg_stamp(m, sizeof m, (uint32_t) id << SEQ_ID_SHIFT | (uint32_t) i);
        r = ipcx_send(ch, m, sizeof m, 0, SWEEP_TIMEOUT_MS);
    }
    ipcx_close(ch);
    return r;
}

/*
 * One received crowd message: intact, from a sender below nsend, and the
 * next of that sender's that this receiver has not seen (next[]: the
 * lowest index it may be, as a consumer of mpmc sees a subsequence).
 */
static int crowd_check(const uint8_t *m, long n, int nsend, long *next, int exact)
{
    uint32_t seq;
    memcpy(&seq, m + 4, 4);
    uint32_t id = seq >> SEQ_ID_SHIFT, i = seq & ((1u << SEQ_ID_SHIFT) - 1);
    if (n != SWEEP_MSG || bench_msg_verify(m, n, seq) < 0 || id >= (uint32_t) nsend)
        return -1;
    if (exact ? (long) i != next[id] : (long) i < next[id])
        return -1;
    next[id] = (long) i + 1;
    return (int) id;
}

/* What a crowd's measuring process brings back. */
struct crowd_out {
    double secs;
    long count, errors;   /* over all receivers */
    int failed;
    char why[160];
};

/* The end of a crowd's measuring: reap (kill on failure r < 0) and say what failed. */
static void crowd_finish(struct crowd *cr, struct crowd_out *o, int r, const char *who)
{
    if (r == -ECHILD)
        snprintf(o->why, sizeof o->why, "a %s died", who);
    else if (r < 0)
        snprintf(o->why, sizeof o->why, "%s (%s)", ipcx_strerror(r), ipcx_errdetail());
    if (crowd_end(cr, r < 0) && r == 0)
        snprintf(o->why, sizeof o->why, "a %s failed", who);
    o->failed = *o->why != '\0';
}

/*
 * One point of a crowd figure: measure in a process of its own, then the
 * row; the rate is all messages over the time taken, or per receiver
 * (bcast: each received all a->per).  want: the messages the receivers
 * must have verified together.  0 or EXIT_RUNTIME.
 */
static int crowd_point(const char *fig, const char *series, double x,
                       void (*measure)(void *arg, void *out), struct flood_arg *a, long want,
                       int per_receiver)
{
    struct crowd_out o;
    char why[160] = "";
    int ok = bench_isolate(measure, a, &o, sizeof o, why, sizeof why) == 0;
    struct sweep_row *r = row_add(fig, series, 0, x);
    if (!r)
        return EXIT_RUNTIME;
    r->failed = !ok || o.failed;
    r->mps = r->failed || o.secs <= 0 ? -1 : (double) (per_receiver ? a->per : o.count) / o.secs;
    r->mbps = r->mps > 0 ? r->mps * SWEEP_MSG / 1e6 : -1;
    r->count = ok ? o.count : 0;
    r->errors = ok ? o.errors : 0;
    snprintf(r->why, sizeof r->why, "%s", ok ? o.why : why);
    if (!r->failed && !r->errors && r->count != want) {
        r->failed = 1;
        snprintf(r->why, sizeof r->why, "%ld messages verified of %ld", r->count, want);
    }
    return r->failed || r->errors ? EXIT_RUNTIME : 0;
}

static void senders_measure(void *arg, void *outp)
{
    struct flood_arg *a = arg;
    struct crowd_out *o = outp;
    static struct crowd cr;
    static long next[SWEEP_MAX_PROCS];
    int nsend = a->nsend;
    long total = a->per * nsend, got = 0;
    uint8_t m[SWEEP_MSG + 64];
    ipcx_chan *rx = NULL;
    int r;

    memset(next, 0, sizeof next);
    if ((r = crowd_init(&cr)) < 0 || (r = ipcx_open(&rx, a->url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL)) < 0)
        goto out;
    for (int i = 0; i < nsend && r == 0; i++)
        r = crowd_spawn(&cr, crowd_sender, i, a, -1);
    (void) bench_pin(0); /* after the fork: the senders stay free to run anywhere */
    if (r == 0)
        r = crowd_start(&cr);
    int64_t t0 = bench_now_ns();
    /* A sender that dies leaves its messages missing: look for one while waiting. */
    for (int idle = 0; r == 0 && got < total;) {
        long n = ipcx_recv(rx, m, sizeof m, NULL, SWEEP_POLL_MS);
        if (n == -ETIMEDOUT && crowd_reap(&cr, 0, cr.n, 0) == 0 && (idle += SWEEP_POLL_MS) < SWEEP_TIMEOUT_MS)
            continue;
        if (n < 0) {
            r = n == -ETIMEDOUT && cr.bad ? -ECHILD : (int) n;
            break;
        }
        idle = 0;
        if (crowd_check(m, n, nsend, next, 1) < 0)
            o->errors++;
        got++;
    }
    o->secs = (double) (bench_now_ns() - t0) / 1e9;
    o->count = got;
out:
    crowd_finish(&cr, o, r, "sender");
    ipcx_close(rx);
}

static int sweep_senders(const struct bench_params *p)
{
    static const int counts[] = { 1, 4, 16, 64, 256 };
    int rc = 0;
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        struct flood_arg a = { .nsend = counts[k], .nrecv = 1 };
        a.per = crowd_per(p->flood_small, counts[k]);
        crowd_url(a.url, sizeof a.url, "unix:/tmp/ipcx-b-%p-%n.sock");
        bench_progress(p, "senders", "ipcx unix");
        rc |= crowd_point("senders", "ipcx unix", counts[k], senders_measure, &a, a.per * counts[k], 0);
    }
    return rc;
}

/* ---- bcast: one publisher, S subscribers ---- */

static int bcast_sub(int id, void *arg, struct crowd *cr)
{
    struct flood_arg *a = arg;
    struct report rep = { .id = id };
    uint8_t m[SWEEP_MSG + 64];
    ipcx_chan *ch;
    int r = crowd_open(&ch, a->url, IPCX_RECV, "subscriber", id);
    if (r < 0)
        return r;
    crowd_wait_start(cr);
    for (long i = 0; i < a->per; i++) {
        long n = ipcx_recv(ch, m, sizeof m, NULL, SWEEP_TIMEOUT_MS);
        if (n < 0) {
            r = (int) n;
            break;
        }
        rep.count++;
        if (n != SWEEP_MSG || bench_msg_verify(m, n, (uint32_t) i) < 0)
            rep.errors++;
    }
    ipcx_close(ch);
    return r < 0 ? r : crowd_report(cr, &rep);
}

static void bcast_measure(void *arg, void *outp)
{
    struct flood_arg *a = arg;
    struct crowd_out *o = outp;
    static struct crowd cr;
    int nsub = a->nrecv;
    uint8_t m[SWEEP_MSG];
    ipcx_chan *tx = NULL;
    int r;

    if ((r = crowd_init(&cr)) < 0 || (r = ipcx_open(&tx, a->url, IPCX_SEND | IPCX_CREATE | IPCX_EXCL)) < 0)
        goto out;
    for (int i = 0; i < nsub && r == 0; i++)
        r = crowd_spawn(&cr, bcast_sub, i, a, 1);
    (void) bench_pin(0);
    if (r == 0)
        r = crowd_start(&cr);
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < a->per && r == 0; i++) {
        bench_msg_stamp(m, sizeof m, (uint32_t) i);
        r = ipcx_send(tx, m, sizeof m, 0, SWEEP_TIMEOUT_MS);
    }
    for (int i = 0; i < nsub && r == 0; i++) {
        struct report rep;
        if ((r = crowd_read(&cr, &rep)) == 0) {
            o->count += rep.count;
            o->errors += rep.errors;
        }
    }
    o->secs = (double) (bench_now_ns() - t0) / 1e9;
out:
    crowd_finish(&cr, o, r, "subscriber");
    ipcx_close(tx);
}

static int sweep_bcast(const struct bench_params *p)
{
    int rc = 0;
    for (int nsub = 1; nsub <= 16; nsub *= 2) {
        struct flood_arg a = { .per = p->flood_small, .nsend = 1, .nrecv = nsub };
        crowd_url(a.url, sizeof a.url, "shm:/ipcx-b-%p-%n?mode=bcast&overflow=block&maxmsg=256&unlink=close");
        bench_progress(p, "subscribers", "ipcx shm bcast");
        rc |= crowd_point("bcast", "ipcx shm bcast, per subscriber", nsub, bcast_measure, &a,
                          a.per * nsub, 1);
        /* The same point as all subscribers together: the subscribers share CPU 1. */
        struct sweep_row *r = row_add("bcast", "ipcx shm bcast, all subscribers together", 0, nsub);
        if (r) {
            struct sweep_row *one = r - 1;
            r->count = one->count;
            r->errors = one->errors;
            r->failed = one->failed;
            memcpy(r->why, one->why, sizeof r->why);
            r->mps = one->mps > 0 ? one->mps * nsub : -1;
            r->mbps = one->mbps > 0 ? one->mbps * nsub : -1;
        }
    }
    return rc;
}

/* ---- mpmc: P producers, C consumers ---- */

static int mpmc_consumer(int id, void *arg, struct crowd *cr)
{
    struct flood_arg *a = arg;
    struct report rep = { .id = id };
    long next[4] = { 0 };
    uint8_t m[SWEEP_MSG + 64];
    ipcx_chan *ch;
    int r = crowd_open(&ch, a->url, IPCX_RECV, "consumer", id);
    if (r < 0)
        return r;
    crowd_wait_start(cr);
    for (;;) {
        long n = ipcx_recv(ch, m, sizeof m, NULL, SWEEP_TIMEOUT_MS);
        if (n < 0) {
            r = (int) n;
            break;
        }
        if (n == SWEEP_MSG && bench_msg_verify(m, n, SEQ_STOP) == 0)
            break;
        int who = crowd_check(m, n, 4, next, 0);
        if (who < 0) {
            rep.errors++;
            continue;
        }
        uint32_t seq;
        memcpy(&seq, m + 4, 4);
        rep.count++;
        rep.per[who]++;
        rep.sum[who] += (long) (seq & ((1u << SEQ_ID_SHIFT) - 1));
    }
    ipcx_close(ch);
    return r < 0 ? r : crowd_report(cr, &rep);
}

static void mpmc_measure(void *arg, void *outp)
{
    struct flood_arg *a = arg;
    struct crowd_out *o = outp;
    static struct crowd cr;
    int np = a->nsend, nc = a->nrecv;
    long per[4] = { 0 }, sum[4] = { 0 };
    uint8_t m[SWEEP_MSG];
    ipcx_chan *tx = NULL;
    int r;

    if ((r = crowd_init(&cr)) < 0 || (r = ipcx_open(&tx, a->url, IPCX_SEND | IPCX_CREATE | IPCX_EXCL)) < 0)
        goto out;
    for (int i = 0; i < nc && r == 0; i++)
        r = crowd_spawn(&cr, mpmc_consumer, i, a, -1);
    for (int i = 0; i < np && r == 0; i++)
        r = crowd_spawn(&cr, crowd_sender, i, a, -1);
    if (r == 0)
        r = crowd_start(&cr);
    int64_t t0 = bench_now_ns();
    /* The producers are the last np members: when they have exited, stop each consumer. */
    if (r == 0 && crowd_reap(&cr, nc, nc + np, 1) > 0)
        r = -ECHILD;
    for (int i = 0; i < nc && r == 0; i++) {
        bench_msg_stamp(m, sizeof m, SEQ_STOP);
        r = ipcx_send(tx, m, sizeof m, 0, SWEEP_TIMEOUT_MS);
    }
    for (int i = 0; i < nc && r == 0; i++) {
        struct report rep;
        if ((r = crowd_read(&cr, &rep)) < 0)
            break;
        o->count += rep.count;
        o->errors += rep.errors;
        for (int k = 0; k < 4; k++) {
            per[k] += rep.per[k];
            sum[k] += rep.sum[k];
        }
    }
    o->secs = (double) (bench_now_ns() - t0) / 1e9;
    /* Nothing lost, nothing twice: each producer's 0..per-1, once each, over all consumers. */
    for (int k = 0; k < np && r == 0; k++)
        if (per[k] != a->per || sum[k] != a->per * (a->per - 1) / 2)
            o->errors++;
out:
    crowd_finish(&cr, o, r, "producer or consumer");
    ipcx_close(tx);
}

static int sweep_mpmc(const struct bench_params *p)
{
    int rc = 0;
    for (int nc = 1; nc <= 4; nc++) {
        char series[48];
        snprintf(series, sizeof series, "ipcx shm mpmc, %d consumer%s", nc, nc > 1 ? "s" : "");
        for (int np = 1; np <= 4; np++) {
            struct flood_arg a = { .per = crowd_per(p->flood_small, np), .nsend = np, .nrecv = nc };
            crowd_url(a.url, sizeof a.url, "shm:/ipcx-b-%p-%n?mode=mpmc&maxmsg=256&unlink=close");
            bench_progress(p, "producers x consumers", "ipcx shm mpmc");
            rc |= crowd_point("mpmc", series, np, mpmc_measure, &a, a.per * np, 0);
        }
    }
    return rc;
}

/* ---- tables and plots ---- */

struct figure {
    const char *name;     /* file stem, rows' fig */
    const char *title;
    const char *xlabel;   /* with its unit */
    int xbytes;           /* x is a size: label the ticks 64 B .. 4 MiB */
};

static const struct figure figures[] = {
    { "size", "message size", "message size (bytes)", 1 },
    { "senders", "one unix: receiver, N sender processes, 64 B", "sender processes", 0 },
    { "bcast", "shm bcast, one publisher, N subscribers, 64 B", "subscribers", 0 },
    { "mpmc", "shm mpmc, P producers, C consumers, 64 B", "producer processes", 0 },
};

static void fmt_x(char *b, size_t cap, double x, int bytes)
{
    if (!bytes)
        snprintf(b, cap, "%.0f", x);
    else if (x >= 1 << 20)
        snprintf(b, cap, "%.0f MiB", x / (1 << 20));
    else if (x >= 1024)
        snprintf(b, cap, "%.0f KiB", x / 1024);
    else
        snprintf(b, cap, "%.0f B", x);
}

#define CSV_HEAD "figure,series,kind,x,rtt_p50_ns,rtt_p99_ns,msgs_per_s,mb_per_s,count,errors,failed\n"

static void csv_row(FILE *f, const struct sweep_row *r)
{
    /* Quoted: a series name may hold a comma. */
    fprintf(f, "%s,\"%s\",%s,%.0f,%.0f,%.0f,%.0f,%.3f,%ld,%ld,%d\n", r->fig, r->series,
            r->ref ? "ref" : "ipcx", r->x, r->rtt.p50, r->rtt.p99, r->mps, r->mbps, r->count,
            r->errors, r->failed);
}

/* The distinct x values and series of a figure, in the order of the rows. */
static int fig_xs(const char *fig, double *xs, int max)
{
    int n = 0;
    for (int i = 0; i < nrows; i++) {
        int seen = strcmp(rows[i].fig, fig) != 0;
        for (int k = 0; k < n && !seen; k++)
            seen = xs[k] == rows[i].x;
        if (!seen && n < max)
            xs[n++] = rows[i].x;
    }
    return n;
}

static int fig_series(const char *fig, const struct sweep_row **first, int max)
{
    int n = 0;
    for (int i = 0; i < nrows; i++) {
        int seen = strcmp(rows[i].fig, fig) != 0;
        for (int k = 0; k < n && !seen; k++)
            seen = strcmp(first[k]->series, rows[i].series) == 0;
        if (!seen && n < max)
            first[n++] = &rows[i];
    }
    return n;
}

static const struct sweep_row *find_row(const char *fig, const char *series, double x)
{
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].fig, fig) == 0 && strcmp(rows[i].series, series) == 0 && rows[i].x == x)
            return &rows[i];
    return NULL;
}

enum cell { CELL_RTT, CELL_MPS, CELL_MBPS };

static void md_cell(FILE *f, const struct sweep_row *r, enum cell what)
{
    if (!r)
        fprintf(f, " | -");
    else if (r->failed)
        fprintf(f, " | failed");
    else if (what == CELL_RTT)
        fprintf(f, r->rtt.p50 >= 0 ? " | %.2f / %.2f" : " | -", r->rtt.p50 / 1000, r->rtt.p99 / 1000);
    else if (what == CELL_MPS)
        fprintf(f, r->mps > 0 ? " | %.0f" : " | -", r->mps);
    else
        fprintf(f, r->mbps > 0 ? " | %.1f" : " | -", r->mbps);
}

/* A Markdown table: a row per series, a column per x. */
static void md_table(FILE *f, const struct figure *fg, const char *what, enum cell c)
{
    double xs[16];
    const struct sweep_row *ser[16];
    int nx = fig_xs(fg->name, xs, 16), ns = fig_series(fg->name, ser, 16);
    char b[32];

    fprintf(f, "%s:\n\n| %s", what, fg->xlabel);
    for (int k = 0; k < nx; k++) {
        fmt_x(b, sizeof b, xs[k], fg->xbytes);
        fprintf(f, " | %s", b);
    }
    fprintf(f, " |\n|---");
    for (int k = 0; k < nx; k++)
        fprintf(f, "|---:");
    fprintf(f, "|\n");
    for (int s = 0; s < ns; s++) {
        fprintf(f, "| %s", ser[s]->series);
        for (int k = 0; k < nx; k++)
            md_cell(f, find_row(fg->name, ser[s]->series, xs[k]), c);
        fprintf(f, " |\n");
    }
    fprintf(f, "\n");
}

/* ipcx's rows against their references, per size: ratio columns like `ipcx bench`'s. */
static const char *const ratio_pairs[][2] = {
    { "ipcx unix", "raw unix" },   { "ipcx pipe", "raw pipe" },
    { "ipcx mq", "raw mq" },       { "ipcx unix", "zeromq pair ipc" },
    { "ipcx shm spsc", "zeromq pair ipc" }, { "ipcx shm spsc, loan", "ipcx shm spsc" },
};

static void md_ratios(FILE *f, const struct figure *fg, int rtt)
{
    double xs[16];
    char b[32];
    int nx = fig_xs(fg->name, xs, 16);
    fprintf(f, "%s:\n\n| ipcx row / reference", rtt ? "Round trip p50, ours / the reference's (x, lower is better for ipcx)"
                                                 : "msgs/s, the reference's / ours (x, lower is better for ipcx)");
    for (int k = 0; k < nx; k++) {
        fmt_x(b, sizeof b, xs[k], fg->xbytes);
        fprintf(f, " | %s", b);
    }
    fprintf(f, " |\n|---");
    for (int k = 0; k < nx; k++)
        fprintf(f, "|---:");
    fprintf(f, "|\n");
    for (size_t i = 0; i < sizeof ratio_pairs / sizeof ratio_pairs[0]; i++) {
        fprintf(f, "| %s / %s", ratio_pairs[i][0], ratio_pairs[i][1]);
        for (int k = 0; k < nx; k++) {
            const struct sweep_row *o = find_row(fg->name, ratio_pairs[i][0], xs[k]);
            const struct sweep_row *r = find_row(fg->name, ratio_pairs[i][1], xs[k]);
            double x = -1, y = -1;
            if (o && r && !o->failed && !r->failed) {
                x = rtt ? o->rtt.p50 : r->mps;
                y = rtt ? r->rtt.p50 : o->mps;
            }
            fprintf(f, x > 0 && y > 0 ? " | %.3g" : " | -", x / y);
        }
        fprintf(f, " |\n");
    }
    fprintf(f, "\n");
}

static void md_figure(FILE *f, const struct figure *fg, size_t mqmax)
{
    fprintf(f, "### %s\n\n", fg->title);
    if (strcmp(fg->name, "size") == 0) {
        md_table(f, fg, "Round trip, p50 / p99 (us)", CELL_RTT);
        md_table(f, fg, "One-way throughput (msgs/s)", CELL_MPS);
        md_table(f, fg, "One-way throughput (MB/s, 10^6 bytes)", CELL_MBPS);
        md_ratios(f, fg, 1);
        md_ratios(f, fg, 0);
        fprintf(f, "mq stops at the largest power of 4 within msgsize_max (%zu bytes, "
                   "/proc/sys/fs/mqueue/msgsize_max); raw mq at %d bytes.\n\n",
                mqmax, BENCH_QUEUE_MSGSIZE);
    } else if (strcmp(fg->name, "bcast") == 0) {
        md_table(f, fg, "One-way throughput, per subscriber and all together (msgs/s)", CELL_MPS);
    } else {
        md_table(f, fg, "One-way throughput, all together (msgs/s)", CELL_MPS);
    }
}

/* Line colours of ipcx's series; the references are grey and dashed. */
static const char *const ipcx_colours[] = { "#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214", "#35978f" };

/*
 * One panel of a plot: a line per series (log x, log y), the values of col
 * (the data file's columns: x, p50 us, p99 us, msgs/s, MB/s; an unmeasured
 * value is "?", which gnuplot skips).
 */
static void plot_panel(FILE *g, const char *dat, const struct figure *fg, const char *title,
                       const char *ylabel, int col)
{
    const struct sweep_row *ser[16];
    int ns = fig_series(fg->name, ser, 16), ci = 0;
    /* Round trips in us from 0.1 up: plain numbers; rates with SI prefixes (10k, 1M). */
    fprintf(g, "set title '%s'\nset ylabel '%s'\nset format y '%s'\nplot ", title, ylabel,
            col <= 3 ? "%g" : "%.0s%c");
    for (int s = 0; s < ns; s++) {
        if (ser[s]->ref)
            fprintf(g, "'%s' index %d using 1:%d with linespoints dt 2 lw 2 pt %d ps 0.8 lc rgb '#888888' "
                       "title '%s'%s",
                    dat, s, col, 4 + 2 * (s % 4), ser[s]->series, s + 1 < ns ? ", " : "\n");
        else
            fprintf(g, "'%s' index %d using 1:%d with linespoints dt 1 lw 2.5 pt 7 ps 0.8 lc rgb '%s' "
                       "title '%s'%s",
                    dat, s, col, ipcx_colours[ci++ % 6], ser[s]->series, s + 1 < ns ? ", " : "\n");
    }
}

/*
 * The plot's data (NAME.dat) and gnuplot script (NAME.gp) stay beside the
 * SVG, so that it can be drawn again (another terminal, another size).
 */
static int plot_figure(const char *dir, const struct figure *fg)
{
    char dat[64], gp[4200], path[4200], cmd[4300];
    const struct sweep_row *ser[16];
    double xs[16];
    int ns = fig_series(fg->name, ser, 16), nx = fig_xs(fg->name, xs, 16);
    /* The script names its files relative to dir, where gnuplot runs. */
    snprintf(dat, sizeof dat, "%s.dat", fg->name);
    if (snprintf(path, sizeof path, "%s/%s", dir, dat) >= (int) sizeof path ||
        snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot '%s.gp' 2>&1", dir, fg->name) >= (int) sizeof cmd)
        return -ENAMETOOLONG;
    FILE *d = fopen(path, "w");
    if (!d)
        return -errno;
    /* A block per series (gnuplot's index), two blank lines apart. */
    for (int s = 0; s < ns; s++) {
        fprintf(d, "# %s: x, round trip p50 (us), p99 (us), msgs/s, MB/s\n", ser[s]->series);
        for (int i = 0; i < nrows; i++) {
            const struct sweep_row *r = &rows[i];
            if (strcmp(r->fig, fg->name) != 0 || strcmp(r->series, ser[s]->series) != 0)
                continue;
#define V(v) ((v) > 0 && !r->failed ? (v) : -1)
            fprintf(d, "%.0f", r->x);
            const double vs[] = { V(r->rtt.p50) / 1000, V(r->rtt.p99) / 1000, V(r->mps), V(r->mbps) };
            for (int k = 0; k < 4; k++)
                fprintf(d, vs[k] > 0 ? " %.3f" : " ?", vs[k]);
            fprintf(d, "\n");
#undef V
        }
        fprintf(d, "\n\n");
    }
    if (fclose(d) != 0)
        return -errno;
    snprintf(gp, sizeof gp, "%s/%s.gp", dir, fg->name);
    FILE *g = fopen(gp, "w");
    if (!g)
        return -errno;
    int two = strcmp(fg->name, "size") == 0;
    fprintf(g, "set terminal svg size %d,560 dynamic background rgb 'white' font 'sans,13'\n"
               "set datafile missing '?'\nset grid xtics ytics mytics lc rgb '#dddddd'\n"
               "set logscale y 10\nset key outside bottom center horizontal "
               "font ',11' maxrows 3\nset xlabel '%s'\nset offsets graph 0.03, graph 0.03, 0, 0\n",
            two ? 1500 : 800, fg->xlabel);
    if (fg->xbytes) {
        fprintf(g, "set logscale x 4\nset xtics (");
        for (int k = 0; k < nx; k++) {
            char b[32];
            fmt_x(b, sizeof b, xs[k], 1);
            fprintf(g, "'%s' %.0f%s", b, xs[k], k + 1 < nx ? ", " : ")\n");
        }
    } else {
        fprintf(g, "set logscale x 2\nset xtics (");
        for (int k = 0; k < nx; k++)
            fprintf(g, "'%.0f' %.0f%s", xs[k], xs[k], k + 1 < nx ? ", " : ")\n");
    }
    if (strcmp(fg->name, "size") == 0) {
        snprintf(path, sizeof path, "size-rtt.svg");
        fprintf(g, "set output '%s'\nset multiplot layout 1,2 title 'ipcx bench --sweep: round trip "
                   "against message size (ipcx solid, references grey dashed)'\n",
                path);
        plot_panel(g, dat, fg, "round trip, p50", "round trip (us)", 2);
        plot_panel(g, dat, fg, "round trip, p99", "round trip (us)", 3);
        fprintf(g, "unset multiplot\n");
        snprintf(path, sizeof path, "size-throughput.svg");
        fprintf(g, "set output '%s'\nset multiplot layout 1,2 title 'ipcx bench --sweep: one-way "
                   "throughput against message size (ipcx solid, references grey dashed)'\n",
                path);
        plot_panel(g, dat, fg, "one-way, messages", "throughput (messages/s)", 4);
        plot_panel(g, dat, fg, "one-way, bytes", "throughput (MB/s)", 5);
        fprintf(g, "unset multiplot\n");
    } else {
        snprintf(path, sizeof path, "%s.svg", fg->name);
        fprintf(g, "set output '%s'\n", path);
        plot_panel(g, dat, fg, fg->title,
                   strcmp(fg->name, "bcast") == 0 ? "throughput (messages/s)"
                                                 : "all together (messages/s)", 4);
    }
    if (fclose(g) != 0)
        return -errno;
    return system(cmd) == 0 ? 0 : -EIO;
}

static FILE *open_in(const char *dir, const char *name, const char *ext)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "ipcx: %s: %s\n", path, strerror(errno));
    return f;
}

static int write_all(const char *dir, const struct bench_params *p, size_t mqmax, int plots,
                     const char *only)
{
    FILE *all = open_in(dir, "sweep", "csv"), *md = open_in(dir, "sweep", "md");
    FILE *js = open_in(dir, "sweep", "json");
    int rc = 0;
    if (!all || !md || !js)
        rc = EXIT_RUNTIME;
    if (all)
        fputs(CSV_HEAD, all);
    if (js)
        fprintf(js, "{\n  \"counts\": {\"round_trips\": %ld, \"flood\": %ld},\n  \"mq_msgsize_max\": %zu,\n"
                    "  \"rows\": [\n", p->rtts, p->flood_small, mqmax);
    for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++) {
        const struct figure *fg = &figures[k];
        if (only && strcmp(only, fg->name) != 0)
            continue;
        FILE *c = open_in(dir, fg->name, "csv"), *m = open_in(dir, fg->name, "md");
        if (!c || !m)
            rc = EXIT_RUNTIME;
        if (c)
            fputs(CSV_HEAD, c);
        for (int i = 0; i < nrows; i++)
            if (strcmp(rows[i].fig, fg->name) == 0) {
                if (c)
                    csv_row(c, &rows[i]);
                if (all)
                    csv_row(all, &rows[i]);
            }
        if (m)
            md_figure(m, fg, mqmax);
        if (md)
            md_figure(md, fg, mqmax);
        if ((c && fclose(c) != 0) || (m && fclose(m) != 0))
            rc = EXIT_RUNTIME;
        if (plots && plot_figure(dir, fg) < 0) {
            fprintf(stderr, "ipcx bench --sweep: gnuplot failed on the %s plot\n", fg->name);
            rc = EXIT_RUNTIME;
        }
    }
    for (int i = 0; js && i < nrows; i++) {
        const struct sweep_row *r = &rows[i];
        fprintf(js, "    {\"figure\": \"%s\", \"series\": \"%s\", \"kind\": \"%s\", \"x\": %.0f, "
                    "\"rtt_p50_ns\": %.0f, \"rtt_p99_ns\": %.0f, \"msgs_per_s\": %.0f, \"mb_per_s\": %.3f, "
                    "\"count\": %ld, \"errors\": %ld, \"failed\": %s}%s\n",
                r->fig, r->series, r->ref ? "ref" : "ipcx", r->x, r->rtt.p50, r->rtt.p99, r->mps,
                r->mbps, r->count, r->errors, r->failed ? "true" : "false", i + 1 < nrows ? "," : "");
    }
    if (js)
        fprintf(js, "  ]\n}\n");
    if ((all && fclose(all) != 0) || (md && fclose(md) != 0) || (js && fclose(js) != 0))
        rc = EXIT_RUNTIME;
    return rc;
}

int bench_sweep(const struct bench_params *p, const char *dir, const char *only)
{
    size_t mqmax = mq_msgsize_max();
    int rc = 0, plots, known = !only;

    for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++)
        known |= only && strcmp(only, figures[k].name) == 0;
    if (!known)
        return cmd_usage_error("bench", "--figure '%s': one of size, senders, bcast, mpmc", only);
    plots = system("gnuplot --version >/dev/null 2>&1") == 0;

    if (strchr(dir, '\'') || strlen(dir) > 4000) {
        fprintf(stderr, "ipcx bench --sweep: --out '%s': a directory without a quote, please\n", dir);
        return EXIT_RUNTIME;
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "ipcx: %s: %s\n", dir, strerror(errno));
        return EXIT_RUNTIME;
    }
    if (!plots)
        fprintf(stderr, "ipcx bench --sweep: gnuplot not found: writing the tables (CSV, Markdown, "
                        "JSON) but no SVG plots (install gnuplot-nox for them)\n");
    nrows = 0;
#define WANT(name) (!only || strcmp(only, name) == 0)
    if (WANT("size"))
        rc |= sweep_sizes(p, mqmax);
    if (WANT("senders"))
        rc |= sweep_senders(p);
    if (WANT("bcast"))
        rc |= sweep_bcast(p);
    if (WANT("mpmc"))
        rc |= sweep_mpmc(p);
    if (p->progress)
        fprintf(stderr, "\r\033[K");
    rc |= write_all(dir, p, mqmax, plots, only);
    for (int i = 0; i < nrows; i++)
        if (rows[i].failed || rows[i].errors)
            fprintf(stderr, "ipcx bench --sweep: %s, %s at %.0f: %s\n", rows[i].fig, rows[i].series,
                    rows[i].x, rows[i].failed ? rows[i].why : "messages failed verification");
    for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++)
        if (WANT(figures[k].name))
            md_figure(stdout, &figures[k], mqmax);
#undef WANT
    return rc ? EXIT_RUNTIME : 0;
}
