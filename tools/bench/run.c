/*
 * run.c - the runner of `ipcx bench`: for each candidate, two processes
 * pinned to different CPUs (the parent measures, the child echoes), each
 * pair forked from a process of its own; every message carries a sequence
 * number and a checksum that the other side verifies, and a wrong one
 * fails the run.  Round trips of the small and medium size, one-way floods
 * of the small and large size, and the hardware floor (a cache-line
 * ping-pong, memcpy) that every figure is compared with.
 */
#include "ipcx.h"
#include "bench.h"
#include "bench_util.h"
#include "tmpl.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#define HDR_BYTES   BENCH_HDR_BYTES
#define TALLY_BYTES 32
#define OP_PING     0x50494e47u /* echo it back */
#define OP_FLOOD    0x464c4f44u /* count it */
#define OP_END      0x454e4421u /* the last of a flood: answer with the tally */
#define OP_QUIT     0x51554954u
#define OP_SIZE     0x53495a45u /* from now on messages have seq bytes (for raw streams) */

/* ---- message format: op, seq, len, checksum; payload stamped with seq ---- */

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint32_t msg_sum(const uint8_t *p, size_t len)
{
    uint64_t s = 0, w;
    size_t i = HDR_BYTES;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        s += w;
    }
    for (; i < len; i++)
        s += p[i];
    return (uint32_t) (s ^ (s >> 32));
}

/* Stamp the sequence number every 64 bytes, so a torn or stale message can't pass. */
static void msg_make(uint8_t *p, size_t len, uint32_t op, uint32_t seq)
{
    for (size_t i = HDR_BYTES; i + 4 <= len; i += 64)
        put32(p + i, seq ^ (uint32_t) i);
    put32(p, op);
    put32(p + 4, seq);
    put32(p + 8, (uint32_t) len);
    put32(p + 12, msg_sum(p, len));
}

int bench_msg_answered(const void *m, size_t len)
{
    return len < 4 || (get32(m) != OP_FLOOD && get32(m) != OP_SIZE);
}

/* 0 if p is an intact message of len bytes with that sequence number. */
static int msg_check(const uint8_t *p, long len, uint32_t seq)
{
    if (len < HDR_BYTES || get32(p + 8) != (uint32_t) len || get32(p + 4) != seq)
        return -1;
    for (size_t i = HDR_BYTES; i + 4 <= (size_t) len; i += 64)
        if (get32(p + i) != (seq ^ (uint32_t) i))
            return -1;
    return get32(p + 12) == msg_sum(p, (size_t) len) ? 0 : -1;
}

void bench_expand(char *out, size_t cap, const char *t, const char *tag)
{
    /* %k: a System V key of the pid and the tag (req/rep differ in their last letter). */
    char key[16];
    snprintf(key, sizeof key, "%u",
             0x49000000u | (((unsigned) getpid() & 0xfffffu) << 3) | ((unsigned) tag[strlen(tag) - 1] & 7u));
    (void) ipcx_tmpl_expand(out, cap, t, (int) getpid(), tag, key);
}

int bench_ctl_put(int fd, const char *s)
{
    size_t n = strlen(s) + 1;
    return write(fd, s, n) == (ssize_t) n ? 0 : -EIO;
}

int bench_ctl_get(int fd, char *buf, size_t cap)
{
    size_t o = 0;
    while (o + 1 < cap) {
        ssize_t r = read(fd, buf + o, 1);
        if (r <= 0)
            return -EIO;
        if (buf[o] == '\0')
            return 0;
        o++;
    }
    return -ENOSPC;
}

/* ---- measuring ---------------------------------------------------------- */

static struct bench_lat percentiles(int64_t *v, long n)
{
    struct bench_lat l = { -1, -1, -1 };
    if (n <= 0)
        return l;
    bench_sort(v, (size_t) n);
    l.p50 = bench_pct(v, (size_t) n, 500);
    l.p99 = bench_pct(v, (size_t) n, 990);
    l.p999 = bench_pct(v, (size_t) n, 999);
    return l;
}

/*
 * Where a message is built and read: in the endpoint's loaned buffer and
 * in place (ops->loan, ops->peek: shm's zero-copy calls), else in m and
 * through send/recv.  ep_get leaves *in at the message; ep_drop gives a
 * peeked one back.
 */
static int ep_put(struct bench_ep *ep, uint8_t *m, size_t size, uint32_t op, uint32_t seq)
{
    void *w;
    int r;
    if (!ep->ops->loan) {
        msg_make(m, size, op, seq);
        return ep->ops->send(ep, m, size);
    }
    if ((r = ep->ops->loan(ep, size, &w)) < 0)
        return r;
    msg_make(w, size, op, seq);
    return ep->ops->commit(ep, w, size);
}

static long ep_get(struct bench_ep *ep, uint8_t *buf, size_t cap, const uint8_t **in)
{
    *in = buf;
    return ep->ops->peek ? ep->ops->peek(ep, (const void **) in) : ep->ops->recv(ep, buf, cap);
}

static void ep_drop(struct bench_ep *ep)
{
    if (ep->ops->peek)
        ep->ops->release(ep);
}

/* The child: verify everything, echo pings, tally floods. */
static int serve(struct bench_ep *ep, size_t cap)
{
    uint8_t *buf = malloc(cap), tally[TALLY_BYTES];
    const uint8_t *in;
    uint32_t expect = 0, errors = 0;
    size_t size = HDR_BYTES; /* what a raw stream reads next: see OP_SIZE */
    int held = 0;

    if (!buf)
        return 1;
    for (;; held = 1) {
        if (held)
            ep_drop(ep);
        long n = ep_get(ep, buf, ep->exact ? size : cap, &in);
        if (n < HDR_BYTES)
            return 2;
        uint32_t op = get32(in), seq = get32(in + 4);
        if (op == OP_QUIT) {
            /* Answer it, so the parent knows the QUIT arrived before it
             * closes (a peer library may drop what is unsent at close). */
            if (ep->ops->send(ep, in, (size_t) n) < 0)
                return 3;
            break;
        }
        if (op == OP_SIZE) {
            if (msg_check(in, n, seq) < 0 || seq < HDR_BYTES || seq > cap)
                return 2;
            size = seq;
            continue;
        }
        if (op == OP_PING) {
            if (msg_check(in, n, seq) < 0)
                errors++;
            if (ep->ops->send(ep, in, (size_t) n) < 0)
                return 3;
            continue;
        }
        if (seq == 0)
            expect = 0;
        if (msg_check(in, n, expect) < 0)
            errors++;
        expect = seq + 1;
        if (op == OP_END) {
            msg_make(tally, sizeof tally, OP_END, errors);
            errors = 0;
            if (ep->ops->send(ep, tally, sizeof tally) < 0)
                return 3;
        }
    }
    ep_drop(ep);
    free(buf);
    return 0;
}

void bench_progress(const struct bench_params *p, const char *what, const char *name)
{
    /* A line rewritten in place: on a terminal only, never into a log file. */
    if (!p->progress)
        return;
    if (p->row > 0)
        fprintf(stderr, "\r\033[K  [%d/%d] %s: %s ...", p->row, p->nrows, name, what);
    else
        fprintf(stderr, "\r\033[K  %s: %s ...", name, what);
}

/* Tell the echo process the size of the messages that follow (raw streams need it). */
static int set_size(struct bench_ep *ep, size_t *cur, size_t size)
{
    uint8_t *m = calloc(1, *cur);
    int r;
    if (!m)
        return -ENOMEM;
    msg_make(m, *cur, OP_SIZE, (uint32_t) size);
    r = ep->ops->send(ep, m, *cur);
    free(m);
    *cur = size;
    return r;
}

static int pingpong(struct bench_ep *ep, size_t size, long n, struct bench_lat *out, long *errors)
{
    uint8_t *m = malloc(size), *r = malloc(size);
    const uint8_t *in;
    int64_t *t = malloc(sizeof *t * (size_t) (n > 0 ? n : 1));
    long warm = n / 10 + 10;
    int rc = 0;

    if (!m || !r || !t) {
        free(m);
        free(r);
        free(t);
        return -ENOMEM;
    }
    for (long i = -warm; i < n && rc == 0; i++) {
        uint32_t seq = (uint32_t) (i + warm);
        int64_t t0 = bench_now_ns();
        if ((rc = ep_put(ep, m, size, OP_PING, seq)) < 0)
            break;
        long got = ep_get(ep, r, size, &in);
        int64_t t1 = bench_now_ns();
        if (got < 0) {
            rc = (int) got;
            break;
        }
        if (msg_check(in, got, seq) < 0)
            (*errors)++;
        ep_drop(ep);
        if (i >= 0)
            t[i] = t1 - t0;
    }
    if (rc == 0)
        *out = percentiles(t, n);
    free(m);
    free(r);
    free(t);
    return rc;
}

/* One-way: n messages as fast as they go, then the child's tally. Returns seconds. */
static double flood(struct bench_ep *ep, size_t size, long n, long *errors, int *rc)
{
    uint8_t *m = malloc(size), tally[TALLY_BYTES];
    int64_t t0 = bench_now_ns();

    *rc = m ? 0 : -ENOMEM;
    for (long i = 0; i < n && *rc == 0; i++)
        *rc = ep_put(ep, m, size, i == n - 1 ? OP_END : OP_FLOOD, (uint32_t) i);
    if (*rc == 0) {
        long got = ep->ops->recv(ep, tally, sizeof tally);
        if (got < HDR_BYTES || msg_check(tally, got, get32(tally + 4)) < 0)
            *rc = got < 0 ? (int) got : -EBADMSG;
        else
            *errors += get32(tally + 4);
    }
    free(m);
    return (double) (bench_now_ns() - t0) / 1e9;
}

/*
 * The link of one candidate: prepare, fork the pinned echo process (which
 * serves messages up to cap bytes), make the parent's end.  On failure
 * why says what, and bench_link_close must still be called.
 */
int bench_link_open(struct bench_link *l, const struct bench_cand *c0, size_t cap, char *why, size_t whycap)
{
    int ctl[2], r = 0;

    memset(l, 0, sizeof *l);
    l->c = *c0;
    l->cur = HDR_BYTES;
    l->pid = -1;
    if (pipe(ctl) < 0) {
        snprintf(why, whycap, "setup: pipe: %s", strerror(errno));
        return -EIO;
    }
    if (l->c.prepare && (r = l->c.prepare(&l->c, &l->state)) < 0) {
        snprintf(why, whycap, "setup: %s (%s)", ipcx_strerror(r), ipcx_errdetail());
        close(ctl[0]);
        close(ctl[1]);
        return r;
    }
    l->pid = fork();
    if (l->pid == 0) {
        close(ctl[0]);
        (void) bench_pin(1);
        r = l->c.child(&l->c, l->state, ctl[1], &l->ep);
        if (r < 0) {
            fprintf(stderr, "ipcx bench: %s: child setup: %s (%s)\n", l->c.name, ipcx_strerror(r),
                    ipcx_errdetail());
            _exit(4);
        }
        close(ctl[1]);
        r = serve(&l->ep, cap + HDR_BYTES);
        l->ep.ops->close(&l->ep);
        _exit(r);
    }
    close(ctl[1]);
    (void) bench_pin(0);
    r = l->pid < 0 ? -errno : l->c.parent(&l->c, l->state, ctl[0], &l->ep);
    close(ctl[0]);
    if (r < 0)
        snprintf(why, whycap, "%s (%s)", ipcx_strerror(r), ipcx_errdetail());
    return r;
}

int bench_link_rtt(struct bench_link *l, size_t size, long n, struct bench_lat *out, long *errors)
{
    int r = set_size(&l->ep, &l->cur, size);
    return r < 0 ? r : pingpong(&l->ep, size, n, out, errors);
}

int bench_link_flood(struct bench_link *l, size_t size, long n, long *errors, double *secs)
{
    int r = set_size(&l->ep, &l->cur, size);
    if (r == 0)
        *secs = flood(&l->ep, size, n, errors, &r);
    return r;
}

/*
 * The end of a link: after rc (0 or -errno of the measuring), QUIT and its
 * answer, then the echo process's exit; an echo process that does not end
 * is killed.  0, or -1 with why saying what failed (a why of rc's is kept).
 */
int bench_link_close(struct bench_link *l, int r, char *why, size_t whycap)
{
    int status = 0, failed = r < 0;

    if (r == 0 && l->ep.ops) {
        uint8_t *q = calloc(1, l->cur);
        if (q)
            msg_make(q, l->cur, OP_QUIT, 0);
        r = q ? l->ep.ops->send(&l->ep, q, l->cur) : -ENOMEM;
        if (r == 0) {
            long got = l->ep.ops->recv(&l->ep, q, l->cur);
            r = got < 0 ? (int) got : get32(q) == OP_QUIT ? 0 : -EBADMSG;
        }
        free(q);
    }
    if (r < 0 && !failed) {
        failed = 1;
        snprintf(why, whycap, "%s (%s)", ipcx_strerror(r), ipcx_errdetail());
    }
    if (failed && l->pid > 0) /* never kill(-1): a failed fork leaves pid -1 */
        kill(l->pid, SIGKILL);
    if (l->ep.ops)
        l->ep.ops->close(&l->ep);
    if (l->pid > 0) {
        pid_t w;
        for (int t = 0; (w = waitpid(l->pid, &status, WNOHANG)) == 0 || (w < 0 && errno == EINTR); t++) {
            if (t == 100)
                kill(l->pid, SIGKILL);
            usleep(100 * 1000);
        }
        if (!failed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            failed = 1;
            snprintf(why, whycap, "the echo process failed (status %d)", status);
        }
    }
    if (l->c.fini)
        l->c.fini(&l->c, l->state);
    free(l->state);
    l->state = NULL;
    return failed ? -1 : 0;
}

static void run_one(const struct bench_cand *c, const struct bench_params *p, struct bench_result *res)
{
    struct bench_link l;
    size_t cap = p->large > p->medium ? p->large : p->medium;
    int r;

    memset(res, 0, sizeof *res);
    res->c = c;
    res->rtt[0].p50 = res->rtt[1].p50 = res->mps = res->gbps = -1;
    if (c->maxsize && cap > c->maxsize)
        cap = c->maxsize;
    r = bench_link_open(&l, c, cap, res->why, sizeof res->why);
    if (r == 0) {
        size_t sizes[2] = { p->small, p->medium };
        for (int k = 0; k < 2 && r == 0; k++) {
            if (c->maxsize && sizes[k] > c->maxsize)
                continue;
            bench_progress(p, k ? "round trip (medium)" : "round trip (small)", c->name);
            r = bench_link_rtt(&l, sizes[k], p->rtts, &res->rtt[k], &res->errors);
        }
        double s;
        if (r == 0) {
            bench_progress(p, "throughput (small)", c->name);
            r = bench_link_flood(&l, p->small, p->flood_small, &res->errors, &s);
            res->mps = r == 0 ? (double) p->flood_small / s : -1;
        }
        if (r == 0 && (!c->maxsize || p->large <= c->maxsize)) {
            bench_progress(p, "throughput (large)", c->name);
            r = bench_link_flood(&l, p->large, p->flood_large, &res->errors, &s);
            res->gbps = r == 0 ? (double) p->flood_large * (double) p->large / s / 1e9 : -1;
        }
        if (r < 0)
            snprintf(res->why, sizeof res->why, "%s (%s)", ipcx_strerror(r), ipcx_errdetail());
    }
    res->failed = bench_link_close(&l, r, res->why, sizeof res->why) < 0;
}

int bench_isolate(void (*fn)(void *arg, void *out), void *arg, void *out, size_t size, char *why, size_t cap)
{
    void *shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int status = 0;
    pid_t pid;

    if (shared == MAP_FAILED) {
        snprintf(why, cap, "mmap: %s", strerror(errno));
        return -1;
    }
    memset(shared, 0, size);
    pid = fork();
    if (pid == 0) {
        fn(arg, shared);
        _exit(0);
    }
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    int ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok)
        memcpy(out, shared, size);
    else
        snprintf(why, cap, "the measuring process died (status %d)", status);
    munmap(shared, size);
    return ok ? 0 : -1;
}

struct run_arg {
    const struct bench_cand *c;
    const struct bench_params *p;
};

static void run_isolated(void *arg, void *out)
{
    struct run_arg *a = arg;
    run_one(a->c, a->p, out);
}

/*
 * Each candidate runs in a process of its own, forked from a command that
 * has loaded the peer libraries but called none of them: nng, for one,
 * refuses to run in a child of a process that used it.  The result comes
 * back through shared memory.
 */
void bench_run(const struct bench_cand *c, const struct bench_params *p, struct bench_result *res)
{
    struct run_arg a = { c, p };

    memset(res, 0, sizeof *res);
    res->c = c;
    res->failed = 1;
    char why[sizeof res->why];
    if (bench_isolate(run_isolated, &a, res, sizeof *res, why, sizeof why) < 0) {
        res->failed = 1;
        snprintf(res->why, sizeof res->why, "%s", why);
    }
}

/* ---- the hardware floor ------------------------------------------------- */

/* Two pinned processes bounce one cache line: the least a round trip can cost. */
struct bench_lat bench_floor_rtt(long n)
{
    struct bench_lat l = { -1, -1, -1 };
    _Atomic uint64_t *line = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int64_t *t = malloc(sizeof *t * (size_t) n);
    long warm = n / 10 + 100;
    pid_t pid;

    if (line == MAP_FAILED || !t)
        return l;
    atomic_store(line, 0);
    pid = fork();
    if (pid < 0) {
        free(t);
        munmap((void *) line, 4096);
        return l; /* no partner: no floor (the parent would wait for it for ever) */
    }
    if (pid == 0) {
        (void) bench_pin(1);
        for (uint64_t v = 1; v < (uint64_t) (n + warm) * 2; v += 2) {
            while (atomic_load_explicit(line, memory_order_acquire) != v)
                ;
            atomic_store_explicit(line, v + 1, memory_order_release);
        }
        _exit(0);
    }
    (void) bench_pin(0);
    for (long i = -warm; i < n; i++) {
        uint64_t v = (uint64_t) (i + warm) * 2 + 1;
        int64_t t0 = bench_now_ns();
        atomic_store_explicit(line, v, memory_order_release);
        while (atomic_load_explicit(line, memory_order_acquire) != v + 1)
            ;
        if (i >= 0)
            t[i] = bench_now_ns() - t0;
    }
    waitpid(pid, NULL, 0);
    l = percentiles(t, n);
    free(t);
    munmap((void *) line, 4096);
    return l;
}

double bench_floor_memcpy(size_t size, long n)
{
    uint8_t *a = malloc(size), *b = malloc(size);
    if (!a || !b)
        return -1;
    memset(a, 1, size);
    memset(b, 2, size);
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        memcpy(b, a, size);
        __asm__ __volatile__("" : : "r"(b) : "memory");
    }
    double s = (double) (bench_now_ns() - t0) / 1e9;
    free(a);
    free(b);
    return (double) n * (double) size / s / 1e9;
}

/* ---- the message format, for the rooms with runners of their own (pubsub.c) ---- */

void bench_msg_stamp(void *m, size_t len, uint32_t seq)
{
    msg_make(m, len, OP_FLOOD, seq);
}

int bench_msg_verify(const void *m, long len, uint32_t seq)
{
    return msg_check(m, len, seq);
}

int bench_die_with(int parent, int sig)
{
    if (prctl(PR_SET_PDEATHSIG, sig) < 0)
        return -errno;
    return getppid() == parent ? 0 : -ECHILD;
}
