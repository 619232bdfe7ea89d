/*
 * conformance.c - the one suite that every transport passes unchanged.
 *
 *   conformance URL-TEMPLATE      e.g. conformance 'fifo:/tmp/ipcx-t-%p-%n'
 *
 * In the template %p becomes the pid of this run and %n the name of the
 * check, so every check has an object of its own.  The suite never looks at
 * the scheme: ipcx_caps() says which checks apply and how the ends are made
 * (IPCX_CAP_PAIR with a template that cannot be opened by name: ipcx_pair()
 * before fork; otherwise the receiver opens by
 * name and senders open what ipcx_addr() reports, e.g. the real port of a
 * tcp://host:0 receiver).
 *
 * Peers are real processes made with fork().  A child that fails exits 1
 * (t.h) and the parent's waitpid() turns that into a failure of the test.
 * Every wait is bounded: receives that must succeed have a timeout, the
 * parent has a watchdog per check and every child an alarm().  On failure
 * t_cleanup kills the children and removes the objects of this run.
 *
 * Exit: 0 pass, 1 fail, 77 skip (the template's address family is not
 * available on this machine, e.g. no IPv6 loopback).
 */
#include "t.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef IPCX_CAP_KNAME
#define IPCX_CAP_KNAME 0 /* an ipcx.h without kernel-named transports */
#endif

#define URL_CAP      8192
#define WAIT_MS      10000 /* a receive or send that must succeed waits at most this */
#define CHILD_ALARM  60    /* seconds: a child still alive then dies */
#define CHECK_ALARM  120   /* seconds: the parent's watchdog of one check */
#define MAX_KIDS     16
#define MAX_PATHS    32

#define ORDER_N      1000
#define MANY_SENDERS 4
#define MANY_N       10000
#define BIG_MAX      (16u << 20)

static const char *tmpl;        /* the URL template from the command line */
static pid_t main_pid;          /* %p, also in the children */
static unsigned caps;           /* ipcx_caps() of the template's transport */
static int pairs;               /* IPCX_CAP_PAIR and the template names no object: ends come from ipcx_pair() */
static const char *check_name = "setup";
static int text;                /* the template asks for framing=lines: messages are text lines */

static pid_t kids[MAX_KIDS];    /* children still to reap */
static int nkids;
static char paths[MAX_PATHS][PATH_MAX]; /* filesystem objects this run may make */
static int npaths;
static char knames[MAX_PATHS][512];     /* URLs of kernel-named objects (IPCX_CAP_KNAME) */
static int nknames;

/* ---- helpers: time, messages ----------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_exact_ms(void)
{
    struct timespec ts;
    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The bytes of a test message: a xorshift stream picked by seed. */
static uint32_t stream_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static uint32_t stream_seed(uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 0x9e3779b9u;
    return s ? s : 1;
}

/* Four bytes of the stream; in text mode printable (no newline). */
static void stream_word(uint32_t *s, uint8_t w[4])
{
    uint32_t v = stream_next(s);
    memcpy(w, &v, 4);
    for (int k = 0; text && k < 4; k++)
        w[k] = (uint8_t) (' ' + w[k] % 95);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t s = stream_seed(seed);
    uint8_t w[4];
    for (size_t i = 0; i < n; i += 4) {
        stream_word(&s, w);
        memcpy(p + i, w, n - i < 4 ? n - i : 4);
    }
}

/* Are the n bytes at p exactly what fill(seed) makes? */
static int same(const uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t s = stream_seed(seed);
    uint8_t w[4];
    for (size_t i = 0; i < n; i += 4) {
        stream_word(&s, w);
        if (memcmp(p + i, w, n - i < 4 ? n - i : 4) != 0)
            return 0;
    }
    return 1;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < n; i++)
        x = (x ^ p[i]) * 16777619u;
    return x;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    T_OK(p != NULL);
    return p;
}

/* ---- URLs ----------------------------------------------------------- */

/* The template with %p and %n replaced. */
static void expand(char *out, size_t cap, const char *name)
{
    T_OK(ipcx_tmpl_expand(out, cap, tmpl, (int) main_pid, name, NULL) == 0);
}

/* The filesystem path a URL names ("fifo:/tmp/x?k=v" -> "/tmp/x"), or "". */
static void url_path(const char *url, char *path, size_t cap)
{
    const char *p = strchr(url, ':');
    size_t n;

    path[0] = '\0';
    if ((caps & IPCX_CAP_KNAME) || !p || p[1] != '/' || p[2] == '/')
        return; /* a kernel namespace (mq:/name) or no path at all */
    n = strcspn(p + 1, "?");
    if (n < cap) {
        memcpy(path, p + 1, n);
        path[n] = '\0';
    }
}

/* Append key=value (or anything) as the next query item. */
static void add_query(char *url, size_t cap, const char *kv)
{
    size_t n = strlen(url);
    snprintf(url + n, cap - n, "%s%s", strchr(url, '?') ? "&" : "?", kv);
}

static int url_has_key(const char *url, const char *key)
{
    const char *q = strchr(url, '?');
    size_t kl = strlen(key);

    while (q) {
        q++;
        size_t n = strcspn(q, "&"), k = strcspn(q, "=&");
        if (k == kl && memcmp(q, key, kl) == 0)
            return 1;
        q = q[n] ? q + n : NULL;
    }
    return 0;
}

/* ---- children and cleanup ------------------------------------------- */

static void remember_path(const char *path)
{
    if (!path[0])
        return;
    for (int i = 0; i < npaths; i++)
        if (strcmp(paths[i], path) == 0)
            return;
    T_OK(npaths < MAX_PATHS);
    snprintf(paths[npaths++], sizeof paths[0], "%s", path);
}

/* Only async-signal-safe calls: the watchdog runs this too. */
static void cleanup(void)
{
    for (int i = 0; i < nkids; i++) {
        (void) kill(kids[i], SIGKILL);
        (void) waitpid(kids[i], NULL, 0);
    }
    nkids = 0;
    for (int i = 0; i < npaths; i++)
        (void) unlink(paths[i]);
    /* Not async-signal-safe, but the watchdog's last resort. */
    for (int i = 0; i < nknames; i++)
        (void) ipcx_unlink(knames[i]);
}

static void watchdog(int sig)
{
    static const char m1[] = "conformance: FAIL: check '";
    static const char m2[] = "' hung (watchdog)\n";
    (void) sig;
    (void) !write(2, m1, sizeof m1 - 1);
    (void) !write(2, check_name, strlen(check_name));
    (void) !write(2, m2, sizeof m2 - 1);
    cleanup();
    _exit(1);
}

/*
 * Reports go up from children, releases go down from the parent, one byte
 * each.  Children that share a gate race for the releases, so they may share
 * one only when each awaits once.
 */
struct gate {
    int up[2], down[2];
};

static void gate_init(struct gate *gt)
{
    T_OK(pipe2(gt->up, O_CLOEXEC) == 0);
    T_OK(pipe2(gt->down, O_CLOEXEC) == 0);
}

static void gate_fini(struct gate *gt)
{
    (void) close(gt->up[0]);
    (void) close(gt->up[1]);
    (void) close(gt->down[0]);
    (void) close(gt->down[1]);
}

/* Wait for fd to be readable; 1 yes, 0 timeout. */
static int wait_in(int fd, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int) (end - now_ms());
        int r = poll(&p, 1, left < 0 ? 0 : left);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        T_OK(errno == EINTR);
    }
}

static void say(struct gate *gt, char c)
{
    T_OK(write(gt->up[1], &c, 1) == 1);
}

/* 1 and *c set if a byte came within timeout_ms, 0 if not. */
static int get_byte(int fd, int timeout_ms, char *c)
{
    if (!wait_in(fd, timeout_ms))
        return 0;
    ssize_t r;
    while ((r = read(fd, c, 1)) < 0 && errno == EINTR)
        ;
    T_OK(r == 1);
    return 1;
}

/* Parent: the next report of a child, which must come. */
static char hear(struct gate *gt)
{
    char c;
    if (!get_byte(gt->up[0], WAIT_MS, &c))
        T_FAIL("check %s: no report from a child within %d ms", check_name, WAIT_MS);
    return c;
}

static void release(struct gate *gt, int n)
{
    for (int i = 0; i < n; i++)
        T_OK(write(gt->down[1], "g", 1) == 1);
}

/* Child: wait for the parent's release. */
static void await(struct gate *gt)
{
    char c;
    if (!get_byte(gt->down[0], 30000, &c))
        T_FAIL("check %s: the parent never released this child", check_name);
}

static void forget_kid(pid_t pid)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] == pid) {
            kids[i] = kids[--nkids];
            return;
        }
}

struct rig;
typedef void (*child_fn)(struct rig *g, struct gate *gt, int id);

static pid_t spawn(child_fn fn, struct rig *g, struct gate *gt, int id)
{
    pid_t pid;

    T_OK(nkids < MAX_KIDS);
    fflush(NULL); /* or the child would write the parent's buffered output again */
    pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        t_cleanup = NULL; /* the parent cleans up when it sees this child fail */
        nkids = 0;
        (void) signal(SIGALRM, SIG_DFL);
        alarm(CHILD_ALARM);
        fn(g, gt, id);
        fflush(NULL);
        _exit(0); /* no atexit handlers, no leak check of what the parent owns */
    }
    kids[nkids++] = pid;
    return pid;
}

/* Wait for a child: it must exit 0, or die of want_sig when that is not 0. */
static void reap(pid_t pid, int want_sig)
{
    int64_t end = now_ms() + 30000;
    int st = 0;

    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            T_FAIL("waitpid(%d): %s", (int) pid, strerror(errno));
        if (now_ms() > end)
            T_FAIL("check %s: child %d did not end", check_name, (int) pid);
        sleep_ms(2);
    }
    forget_kid(pid);
    if (want_sig) {
        if (!WIFSIGNALED(st) || WTERMSIG(st) != want_sig)
            T_FAIL("check %s: child %d should have died of signal %d, status %#x",
                   check_name, (int) pid, want_sig, st);
        return;
    }
    if (WIFSIGNALED(st))
        T_FAIL("check %s: child %d died of signal %d (%s)", check_name, (int) pid,
               WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        T_FAIL("check %s: child %d failed (exit %d)", check_name, (int) pid,
               WEXITSTATUS(st));
}

/* ---- the ends of one check ------------------------------------------ */

struct rig {
    char url[URL_CAP];   /* the receiver's URL */
    char txurl[URL_CAP]; /* what a sender opens (unless pairs) */
    char path[PATH_MAX]; /* the filesystem object the URL names, or "" */
    ipcx_chan *rx, *tx;  /* tx: the send end made with the pair */
    long maxmsg;
};

/* Name the check's object; query (or NULL) is appended to the URL. */
static void rig_init(struct rig *g, const char *name, const char *query)
{
    memset(g, 0, sizeof *g);
    expand(g->url, sizeof g->url, name);
    if (query)
        add_query(g->url, sizeof g->url, query);
    url_path(g->url, g->path, sizeof g->path);
    remember_path(g->path);
    if ((caps & IPCX_CAP_KNAME) && !pairs && nknames < MAX_PATHS &&
        strlen(g->url) < sizeof knames[0]) {
        memcpy(knames[nknames], g->url, strlen(g->url) + 1); /* fits: checked above */
        nknames++;
    }
}

/*
 * What a sender opens: the receiver's address (with the real port of a
 * tcp://host:0 receiver) and the query keys of our URL that it lacks
 * (maxmsg=), so both ends agree on the limits.
 */
static void rig_txurl(struct rig *g)
{
    const char *q = strchr(g->url, '?');

    T_SUCCESS(ipcx_addr(g->rx, g->txurl, sizeof g->txurl));
    while (q) {
        char kv[512], key[256];
        q++;
        size_t n = strcspn(q, "&");
        snprintf(kv, sizeof kv, "%.*s", (int) n, q);
        snprintf(key, sizeof key, "%.*s", (int) strcspn(kv, "="), kv);
        if (!url_has_key(g->txurl, key))
            add_query(g->txurl, sizeof g->txurl, kv);
        q = q[n] ? q + n : NULL;
    }
}

/* Make the receiving end (and with pairs the send end): 0 or -errno. */
static int rig_try(struct rig *g)
{
    int r;
    if (pairs) {
        ipcx_chan *ends[2];
        if ((r = ipcx_pair(g->url, ends)) < 0)
            return r;
        g->rx = ends[0];
        g->tx = ends[1];
    } else {
        if ((r = ipcx_open(&g->rx, g->url, IPCX_RECV | IPCX_CREATE)) < 0)
            return r;
        rig_txurl(g);
    }
    g->maxmsg = ipcx_maxmsg(g->rx);
    T_OK(g->maxmsg >= 0);
    return 0;
}

static void rig_open(struct rig *g, const char *name)
{
    rig_init(g, name, NULL);
    int r = rig_try(g);
    if (r < 0)
        T_FAIL("check %s: cannot make the receiver %s: %s [%s]", check_name, g->url,
               ipcx_strerror(r), ipcx_errdetail());
}

/* Parent: the children have inherited the pair's send end; drop ours (EOF needs it). */
static void rig_drop_tx(struct rig *g)
{
    T_SUCCESS(ipcx_close(g->tx));
    g->tx = NULL;
}

/* The object of a named receiver must be gone once the receiver closed. */
static void rig_gone(const struct rig *g)
{
    struct stat st;
    if (g->path[0] && lstat(g->path, &st) == 0)
        T_FAIL("check %s: %s is still there after its receiver closed", check_name, g->path);
    /* No file to look at: ipcx_unlink says whether the object is there. */
    if (!pairs && (caps & IPCX_CAP_KNAME) && (caps & IPCX_CAP_NAMED)) {
        int r = ipcx_unlink(g->url);
        if (r != -ENOENT)
            T_FAIL("check %s: ipcx_unlink(%s) == %d (%s) after its receiver closed, want -ENOENT",
                   check_name, g->url, r, ipcx_strerror(r));
    }
}

static void rig_close(struct rig *g)
{
    T_SUCCESS(ipcx_close(g->rx));
    T_SUCCESS(ipcx_close(g->tx));
    g->rx = g->tx = NULL;
    rig_gone(g);
}

/* Child: become a sender.  The inherited receiver is closed here, as a real program would. */
static ipcx_chan *rig_sender(struct rig *g)
{
    ipcx_chan *tx = g->tx;

    T_SUCCESS(ipcx_close(g->rx));
    g->rx = NULL;
    if (!tx) {
        int r = ipcx_open(&tx, g->txurl, IPCX_SEND);
        if (r < 0)
            T_FAIL("check %s: cannot open the sender %s: %s [%s]", check_name, g->txurl,
                   ipcx_strerror(r), ipcx_errdetail());
    }
    g->tx = NULL;
    T_EQ(ipcx_maxmsg(tx), g->maxmsg);
    return tx;
}

/* After every sender is gone and everything was received: nothing more comes. */
static void expect_end(struct rig *g)
{
    char b[16];
    if (caps & IPCX_CAP_EOF)
        T_ERR(ipcx_recv(g->rx, b, sizeof b, NULL, WAIT_MS), -EPIPE);
    else
        T_ERR(ipcx_recv(g->rx, b, sizeof b, NULL, 100), -ETIMEDOUT);
}

/* ---- 1. order --------------------------------------------------------- */

static size_t order_size(uint32_t i)
{
    return 4 + i % 300;
}

static void order_child(struct rig *g, struct gate *gt, int id)
{
    uint8_t buf[512];
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    say(gt, 'o');
    await(gt);
    for (uint32_t i = 0; i < ORDER_N; i++) {
        size_t n = order_size(i);
        memcpy(buf, &i, 4);
        fill(buf + 4, n - 4, i);
        T_SUCCESS(ipcx_send(tx, buf, n, 0, WAIT_MS));
    }
    T_SUCCESS(ipcx_close(tx));
}

static void check_order(void)
{
    struct rig g;
    struct gate gt;
    uint8_t buf[512];

    rig_open(&g, "order");
    gate_init(&gt);
    pid_t pid = spawn(order_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    for (uint32_t i = 0; i < ORDER_N; i++) {
        uint32_t seq;
        long n = ipcx_recv(g.rx, buf, sizeof buf, NULL, WAIT_MS);
        T_ERR(n, (long) order_size(i));
        memcpy(&seq, buf, 4);
        T_EQ(seq, i);
        T_OK(same(buf + 4, (size_t) n - 4, i));
    }
    reap(pid, 0);
    expect_end(&g);
    gate_fini(&gt);
    rig_close(&g);
}

/* ---- 2. sizes --------------------------------------------------------- */

static size_t size_list(long maxmsg, size_t v[8])
{
    const size_t want[] = { 0, 1, PIPE_BUF - 1, PIPE_BUF, PIPE_BUF + 1, 65536, (size_t) maxmsg };
    size_t n = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (want[i] <= (size_t) maxmsg)
            v[n++] = want[i];
    return n;
}

static void sizes_child(struct rig *g, struct gate *gt, int id)
{
    size_t v[8], n = size_list(g->maxmsg, v);
    uint8_t *buf = xmalloc((size_t) g->maxmsg + 1);
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    T_ERR(ipcx_send(tx, buf, (size_t) g->maxmsg + 1, 0, 0), -EMSGSIZE);
    say(gt, 'o');
    await(gt);
    /* One at a time: a transport with IPCX_CAP_PRIO may reorder by priority. */
    for (size_t i = 0; i < n; i++) {
        fill(buf, v[i], 100 + (uint32_t) i);
        T_SUCCESS(ipcx_send(tx, buf, v[i], 1 + 3 * (unsigned) i, WAIT_MS));
        await(gt);
    }
    T_SUCCESS(ipcx_close(tx));
    free(buf);
}

static void check_sizes(void)
{
    struct rig g;
    struct gate gt;

    rig_open(&g, "sizes");
    size_t v[8], n = size_list(g.maxmsg, v);
    uint8_t *buf = xmalloc((size_t) g.maxmsg);
    gate_init(&gt);
    pid_t pid = spawn(sizes_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned prio = 12345;
        long r = ipcx_recv(g.rx, buf, (size_t) g.maxmsg, &prio, WAIT_MS);
        T_ERR(r, (long) v[i]);
        /* A line has no priority, nor has a transport that does not carry it. */
        T_EQ(prio, text || (caps & IPCX_CAP_NOPRIO) ? 0 : 1 + 3 * i);
        if (!same(buf, v[i], 100 + (uint32_t) i))
            T_FAIL("the message of %zu bytes arrived with other contents", v[i]);
        release(&gt, 1);
    }
    reap(pid, 0);
    expect_end(&g);
    gate_fini(&gt);
    rig_close(&g);
    free(buf);
}

/* ---- 3. many senders -------------------------------------------------- */

struct many_hdr {
    uint32_t id, seq, len, sum;
};

/* Sizes vary; every 97th is 8 KiB so that pipe chunks of different writers interleave. */
static size_t many_size(uint32_t id, uint32_t seq)
{
    if (seq % 97 == 96)
        return 8192;
    return sizeof(struct many_hdr) + (seq * 131u + id * 977u) % 5000u;
}

static uint32_t many_seed(uint32_t id, uint32_t seq)
{
    return id << 20 ^ seq;
}

/* Sender id's message seq of n bytes: its header, then fill() of its seed. */
static void many_make(uint8_t *buf, uint32_t id, uint32_t seq, size_t n)
{
    const size_t h = sizeof(struct many_hdr);
    struct many_hdr hd = { id, seq, (uint32_t) n, 0 };
    fill(buf + h, n - h, many_seed(id, seq));
    hd.sum = fnv1a(buf + h, n - h);
    memcpy(buf, &hd, h);
}

static void many_child(struct rig *g, struct gate *gt, int id)
{
    uint8_t *buf = xmalloc(8192);
    ipcx_chan *tx = rig_sender(g);

    say(gt, 'o');
    await(gt); /* every sender is open: a FIFO sees no EOF between them */
    for (uint32_t seq = 0; seq < MANY_N; seq++) {
        size_t n = many_size((uint32_t) id, seq);
        many_make(buf, (uint32_t) id, seq, n);
        T_SUCCESS(ipcx_send(tx, buf, n, 0, WAIT_MS));
    }
    T_SUCCESS(ipcx_close(tx));
    free(buf);
}

static void check_many(void)
{
    const int nsend = (caps & IPCX_CAP_MANY) ? MANY_SENDERS : 1;
    const size_t h = sizeof(struct many_hdr);
    uint32_t next[MANY_SENDERS] = { 0 };
    uint8_t *buf = xmalloc(16384);
    pid_t pid[MANY_SENDERS];
    struct rig g;
    struct gate gt;

    rig_open(&g, "many");
    gate_init(&gt);
    for (int i = 0; i < nsend; i++)
        pid[i] = spawn(many_child, &g, &gt, i);
    rig_drop_tx(&g);
    for (int i = 0; i < nsend; i++)
        hear(&gt);
    release(&gt, nsend);
    for (long k = 0; k < (long) nsend * MANY_N; k++) {
        struct many_hdr hd;
        long n = ipcx_recv(g.rx, buf, 16384, NULL, WAIT_MS);
        if (n < (long) h)
            T_FAIL("message %ld of %ld: recv == %ld (%s) [%s]", k, (long) nsend * MANY_N, n,
                   n < 0 ? ipcx_strerror((int) n) : "too short", ipcx_errdetail());
        memcpy(&hd, buf, h);
        if (hd.id >= (uint32_t) nsend)
            T_FAIL("a message names sender %u: torn or foreign", hd.id);
        if (hd.seq != next[hd.id])
            T_FAIL("sender %u: got message %u, expected %u (lost, duplicated or reordered)",
                   hd.id, hd.seq, next[hd.id]);
        if (hd.len != (uint32_t) n || (size_t) n != many_size(hd.id, hd.seq))
            T_FAIL("sender %u message %u: %ld bytes, it says %u, expected %zu", hd.id,
                   hd.seq, n, hd.len, many_size(hd.id, hd.seq));
        if (hd.sum != fnv1a(buf + h, (size_t) n - h) ||
            !same(buf + h, (size_t) n - h, many_seed(hd.id, hd.seq)))
            T_FAIL("sender %u message %u: the payload is torn", hd.id, hd.seq);
        next[hd.id]++;
    }
    for (int i = 0; i < nsend; i++)
        reap(pid[i], 0);
    for (int i = 0; i < nsend; i++)
        T_EQ(next[i], MANY_N);
    expect_end(&g);
    gate_fini(&gt);
    rig_close(&g);
    free(buf);
}

/* ---- 4. timeouts ------------------------------------------------------ */

static void late_child(struct rig *g, struct gate *gt, int id)
{
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    say(gt, 'o');
    await(gt);
    sleep_ms(100);
    T_SUCCESS(ipcx_send(tx, "late", 4, 0, WAIT_MS));
    await(gt); /* the parent has it: only now may a FIFO see EOF */
    T_SUCCESS(ipcx_close(tx));
}

static void expect_timeout(struct rig *g)
{
    char b[16];
    T_ERR(ipcx_recv(g->rx, b, sizeof b, NULL, 0), -EAGAIN);
    double t0 = now_exact_ms();
    T_ERR(ipcx_recv(g->rx, b, sizeof b, NULL, 50), -ETIMEDOUT);
    double dt = now_exact_ms() - t0;
    /* Only a lower bound: a loaded machine may wake us much later.  The
     * library counts whole milliseconds, so allow 1 ms of rounding. */
    if (dt < 49.0)
        T_FAIL("a receive with timeout 50 ms gave up after %.2f ms", dt);
}

static void check_timeouts(void)
{
    struct rig g;
    struct gate gt;
    char b[16];

    rig_open(&g, "timeout");
    expect_timeout(&g); /* no sender yet */
    gate_init(&gt);
    pid_t pid = spawn(late_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    expect_timeout(&g); /* a sender that is silent */
    release(&gt, 1);
    T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, IPCX_FOREVER), 4);
    T_OK(memcmp(b, "late", 4) == 0);
    release(&gt, 1);
    reap(pid, 0);
    gate_fini(&gt);
    rig_close(&g);
}

/* ---- 5. a buffer too small -------------------------------------------- */

#define SMALL_SENDERS 3
#define SMALL_MAX     5

struct small_plan {
    int nsend, per;
    size_t size[SMALL_SENDERS][SMALL_MAX];
};

static uint32_t small_seed(int k, int j)
{
    return 5000u + (uint32_t) (k * SMALL_MAX + j);
}

static struct small_plan small_plan(int several, long maxmsg)
{
    /* Every size differs, so a length tells which message it is. */
    static const size_t one[SMALL_MAX] = { 1, 8, 777, PIPE_BUF + 1, 20000 };
    struct small_plan p = { 0 };
    /* Sizes grow with j: a channel with a smaller maxmsg gets the first ones only. */
    if (!several) {
        p.nsend = 1;
        while (p.per < SMALL_MAX && one[p.per] <= (size_t) maxmsg) {
            p.size[0][p.per] = one[p.per];
            p.per++;
        }
        return p;
    }
    p.nsend = SMALL_SENDERS;
    for (int j = 0; j < 3; j++) {
        for (int k = 0; k < p.nsend; k++)
            p.size[k][j] = 100 + 2100 * (size_t) j + 11 * (size_t) k; /* 4300 > PIPE_BUF: chunked */
        if (p.size[p.nsend - 1][j] <= (size_t) maxmsg)
            p.per = j + 1;
    }
    return p;
}

static void small_child(struct rig *g, struct gate *gt, int id)
{
    struct small_plan p = small_plan(id >= 100, g->maxmsg);
    int k = id % 100;
    uint8_t *buf = xmalloc(20000);
    ipcx_chan *tx = rig_sender(g);

    say(gt, 'o');
    await(gt);
    for (int j = 0; j < p.per; j++) {
        fill(buf, p.size[k][j], small_seed(k, j));
        T_SUCCESS(ipcx_send(tx, buf, p.size[k][j], 0, WAIT_MS));
    }
    say(gt, 's');
    await(gt); /* stay connected until everything was received */
    T_SUCCESS(ipcx_close(tx));
    free(buf);
}

static void small_run(int several)
{
    int next[SMALL_SENDERS] = { 0 };
    uint8_t *buf = xmalloc(20000);
    pid_t pid[SMALL_SENDERS];
    struct gate gt[SMALL_SENDERS]; /* one each: a child awaits twice */
    struct rig g;

    rig_open(&g, several ? "small-many" : "small");
    struct small_plan p = small_plan(several, g.maxmsg);
    for (int k = 0; k < p.nsend; k++) {
        gate_init(&gt[k]);
        pid[k] = spawn(small_child, &g, &gt[k], (several ? 100 : 0) + k);
    }
    rig_drop_tx(&g);
    for (int k = 0; k < p.nsend; k++)
        hear(&gt[k]);
    for (int k = 0; k < p.nsend; k++)
        release(&gt[k], 1);
    /* Let every sender's messages be queued before the first receive
     * (best effort: a small kernel queue may hold a sender back). */
    for (int k = 0; k < p.nsend; k++) {
        char c;
        if (!get_byte(gt[k].up[0], 2000, &c))
            break;
    }
    for (int m = 0; m < p.nsend * p.per; m++) {
        /*
         * The next message is the next one of some sender.  Try the
         * candidates from the smallest up: one byte short must give
         * -EMSGSIZE (the message stays queued), the exact size either
         * gets that very message or -EMSGSIZE when a larger one is next.
         */
        size_t cand[SMALL_SENDERS];
        int who[SMALL_SENDERS], nc = 0, got = 0;
        for (int k = 0; k < p.nsend; k++)
            if (next[k] < p.per) {
                int at = nc++;
                while (at > 0 && cand[at - 1] > p.size[k][next[k]]) {
                    cand[at] = cand[at - 1];
                    who[at] = who[at - 1];
                    at--;
                }
                cand[at] = p.size[k][next[k]];
                who[at] = k;
            }
        for (int c = 0; c < nc && !got; c++) {
            long r = ipcx_recv(g.rx, buf, cand[c] - 1, NULL, WAIT_MS);
            if (r != -EMSGSIZE)
                T_FAIL("recv into %zu bytes == %ld (%s), want -EMSGSIZE: the next message "
                       "has %zu bytes or more", cand[c] - 1, r, r < 0 ? ipcx_strerror((int) r) : "",
                       cand[c]);
            r = ipcx_recv(g.rx, buf, cand[c], NULL, WAIT_MS);
            if (r == -EMSGSIZE)
                continue;
            if (r != (long) cand[c])
                T_FAIL("recv into %zu bytes == %ld (%s) after -EMSGSIZE into %zu: "
                       "not the message that was too large", cand[c], r,
                       r < 0 ? ipcx_strerror((int) r) : "", cand[c] - 1);
            int k = who[c];
            if (!same(buf, cand[c], small_seed(k, next[k])))
                T_FAIL("sender %d message %d: other contents", k, next[k]);
            next[k]++;
            got = 1;
        }
        if (!got)
            T_FAIL("the next message fits none of the expected sizes");
    }
    for (int k = 0; k < p.nsend; k++)
        release(&gt[k], 1);
    for (int k = 0; k < p.nsend; k++)
        reap(pid[k], 0);
    expect_end(&g);
    for (int k = 0; k < p.nsend; k++)
        gate_fini(&gt[k]);
    rig_close(&g);
    free(buf);
}

static void check_small(void)
{
    small_run(0);
    if (caps & IPCX_CAP_MANY)
        small_run(1);
}

/* ---- 6. every sender gone (IPCX_CAP_EOF) -------------------------------- */

static void gone_child(struct rig *g, struct gate *gt, int id)
{
    ipcx_chan *tx = rig_sender(g);
    say(gt, 'o');
    await(gt);
    for (int j = 0; j < 3; j++) {
        char m[2] = { (char) ('a' + id), (char) ('0' + j) };
        T_SUCCESS(ipcx_send(tx, m, 2, 0, WAIT_MS));
    }
    T_SUCCESS(ipcx_close(tx));
}

static void check_gone(void)
{
    const int nsend = (caps & IPCX_CAP_MANY) ? 2 : 1;
    int next[2] = { 0, 0 };
    pid_t pid[2];
    struct rig g;
    struct gate gt;
    char b[16];

    rig_open(&g, "gone");
    gate_init(&gt);
    for (int i = 0; i < nsend; i++)
        pid[i] = spawn(gone_child, &g, &gt, i);
    rig_drop_tx(&g);
    for (int i = 0; i < nsend; i++)
        hear(&gt);
    release(&gt, nsend);
    for (int m = 0; m < 3 * nsend; m++) {
        T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, WAIT_MS), 2);
        int k = b[0] - 'a';
        T_OK(k >= 0 && k < nsend);
        T_EQ(b[1], '0' + next[k]);
        next[k]++;
    }
    for (int i = 0; i < nsend; i++)
        reap(pid[i], 0);
    T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, WAIT_MS), -EPIPE);
    T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, 0), -EPIPE); /* and it stays so */
    gate_fini(&gt);
    rig_close(&g);
}

/* ---- 7. receiver gone (IPCX_CAP_RXGONE) --------------------------------- */

static void rxgone_child(struct rig *g, struct gate *gt, int id)
{
    ipcx_chan *tx = rig_sender(g);
    int64_t end;
    int r;
    (void) id;

    /* SIGPIPE keeps its default disposition: if the library raised it, this
     * process would die of it and the parent's reap() would say so. */
    say(gt, 'o');
    await(gt);
    T_SUCCESS(ipcx_send(tx, "hello", 5, 0, WAIT_MS));
    await(gt); /* the receiver has closed */
    end = now_ms() + 5000;
    for (;;) {
        r = ipcx_send(tx, "x", 1, 0, 0);
        if (r == -EPIPE)
            break;
        if (r != 0 && r != -EAGAIN)
            T_FAIL("a send to a closed receiver == %d (%s), want 0, -EAGAIN or -EPIPE",
                   r, ipcx_strerror(r));
        if (now_ms() > end)
            T_FAIL("sends still succeed 5 s after the receiver closed");
        sleep_ms(10);
    }
    T_ERR(ipcx_send(tx, "x", 1, 0, 0), -EPIPE);
    T_ERR(ipcx_send(tx, "x", 1, 0, WAIT_MS), -EPIPE);
    T_SUCCESS(ipcx_close(tx));
}

static void check_rxgone(void)
{
    struct rig g;
    struct gate gt;
    char b[16];

    rig_open(&g, "rxgone");
    gate_init(&gt);
    pid_t pid = spawn(rxgone_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, WAIT_MS), 5);
    rig_close(&g);
    release(&gt, 1);
    reap(pid, 0);
    gate_fini(&gt);
}

/* ---- 8. a sender killed mid-message ----------------------------------- */

static const char small_msg[] = "the small message after the kill";

static void killed_big_child(struct rig *g, struct gate *gt, int id)
{
    size_t big = (size_t) g->maxmsg < BIG_MAX ? (size_t) g->maxmsg : BIG_MAX;
    uint8_t *buf = xmalloc(big);
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    fill(buf, big, 8);
    say(gt, 'o');
    await(gt);
    say(gt, 'S');
    T_SUCCESS(ipcx_send(tx, buf, big, 0, IPCX_FOREVER));
    for (;;) /* a transport that took it whole: wait to be killed anyway */
        pause();
}

static void killed_small_child(struct rig *g, struct gate *gt, int id)
{
    ipcx_chan *tx = rig_sender(g);
    (void) id;
    say(gt, 'o');
    await(gt);
    T_SUCCESS(ipcx_send(tx, small_msg, sizeof small_msg, 0, WAIT_MS));
    T_SUCCESS(ipcx_close(tx));
}

static void check_killed(void)
{
    struct rig g;
    struct gate ga, gb;
    int whole = 0;

    /* A message far larger than any kernel buffer, where the transport allows it. */
    rig_init(&g, "killed", "maxmsg=32M");
    if (rig_try(&g) == -EINVAL)
        rig_open(&g, "killed");
    size_t big = (size_t) g.maxmsg < BIG_MAX ? (size_t) g.maxmsg : BIG_MAX;
    uint8_t *buf = xmalloc(big);

    gate_init(&ga);
    gate_init(&gb);
    pid_t a = spawn(killed_big_child, &g, &ga, 0);
    pid_t b = spawn(killed_small_child, &g, &gb, 1);
    rig_drop_tx(&g);
    hear(&ga);
    hear(&gb);
    release(&ga, 1);
    T_EQ(hear(&ga), 'S');
    sleep_ms(300); /* it is blocked in the middle of the message by now */
    T_OK(kill(a, SIGKILL) == 0);
    reap(a, SIGKILL);
    release(&gb, 1);
    /*
     * Exactly the small message, and nothing of the killed sender unless
     * its message had got through whole (a record transport may deliver
     * it after the small one), then the end: -EPIPE with IPCX_CAP_EOF once
     * the other sender has closed, otherwise silence.
     */
    for (int small = 0;;) {
        const int end = (caps & IPCX_CAP_EOF) ? -EPIPE : -ETIMEDOUT;
        long n = ipcx_recv(g.rx, buf, big, NULL, small && end == -ETIMEDOUT ? 300 : WAIT_MS);
        if (n == (long) big && !whole && same(buf, big, 8)) {
            whole = 1;
            continue;
        }
        if (n == (long) sizeof small_msg && !small &&
            memcmp(buf, small_msg, sizeof small_msg) == 0) {
            small = 1;
            continue;
        }
        if (small && n == end)
            break;
        T_FAIL("after a sender was killed: recv == %ld (%s) [%s]; want %s", n,
               n < 0 ? ipcx_strerror((int) n) : "a partial or repeated message?", ipcx_errdetail(),
               small ? "the end" : "the small message of the other sender");
    }
    reap(b, 0);
    printf("  killed: a %zu-byte message %s\n", big,
           whole ? "got through whole before the kill" : "was cut off and dropped");
    gate_fini(&ga);
    gate_fini(&gb);
    rig_close(&g);
    free(buf);
}

/* ---- 9. EINTR and SA_RESTART ---------------------------------------- */

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
    (void) sig;
    usr1_count++;
}

static void set_usr1(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    T_OK(sigaction(SIGUSR1, &sa, NULL) == 0);
    usr1_count = 0;
}

/* Child: SIGUSR1 to the parent every 100 ms until it releases us (at most 5 s). */
static void signal_until_released(struct gate *gt)
{
    int64_t end = now_ms() + 5000;
    char c;
    do {
        if (now_ms() > end)
            T_FAIL("the parent stayed blocked through 5 s of SIGUSR1");
        T_OK(kill(main_pid, SIGUSR1) == 0);
    } while (!get_byte(gt->down[0], 100, &c));
}

static void signal_thrice(void)
{
    for (int i = 0; i < 3; i++) {
        sleep_ms(100);
        T_OK(kill(main_pid, SIGUSR1) == 0);
    }
    sleep_ms(100);
}

/* id 0: only interrupt the parent's receive; id 1: interrupt, then send. */
static void intr_recv_child(struct rig *g, struct gate *gt, int id)
{
    ipcx_chan *tx = rig_sender(g);
    say(gt, 'o');
    await(gt); /* the parent is about to block */
    if (id == 0) {
        signal_until_released(gt);
    } else {
        signal_thrice();
        T_SUCCESS(ipcx_send(tx, "after", 5, 0, WAIT_MS));
        await(gt);
    }
    T_SUCCESS(ipcx_close(tx));
}

static void intr_recv(int restart)
{
    struct rig g;
    struct gate gt;
    char b[16];

    set_usr1(restart ? SA_RESTART : 0);
    rig_open(&g, restart ? "restart-recv" : "eintr-recv");
    gate_init(&gt);
    pid_t pid = spawn(intr_recv_child, &g, &gt, restart);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    if (!restart) {
        T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, IPCX_FOREVER), -EINTR);
    } else {
        T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, IPCX_FOREVER), 5);
        T_OK(memcmp(b, "after", 5) == 0);
    }
    T_OK(usr1_count >= 1);
    release(&gt, 1);
    reap(pid, 0);
    gate_fini(&gt);
    rig_close(&g);
}

#define FILL_LEN 4000 /* below PIPE_BUF with its header: one atomic write on a pipe */

static void fill_msg(uint8_t *m, uint32_t seq)
{
    memcpy(m, &seq, 4);
    fill(m + 4, FILL_LEN - 4, seq);
}

/* The receiver of the send checks, in a child.  id 0: interrupt only; 1: interrupt, then drain. */
static void intr_send_child(struct rig *g, struct gate *gt, int id)
{
    if (pairs) {
        T_SUCCESS(ipcx_close(g->tx)); /* the parent sends */
        g->tx = NULL;
    } else {
        int r = rig_try(g);
        if (r < 0)
            T_FAIL("cannot make the receiver %s: %s", g->url, ipcx_strerror(r));
        T_OK(write(gt->up[1], g->txurl, strlen(g->txurl) + 1) == (ssize_t) strlen(g->txurl) + 1);
    }
    say(gt, 'o');
    await(gt); /* the channel is full and the parent is about to block */
    if (id == 0) {
        signal_until_released(gt);
    } else {
        uint8_t *m = xmalloc(FILL_LEN + 1);
        uint32_t got = 0;
        signal_thrice();
        for (;;) {
            long n = ipcx_recv(g->rx, m, FILL_LEN + 1, NULL, WAIT_MS);
            if (n == 8 && memcmp(m, "END!", 4) == 0) {
                uint32_t sent;
                memcpy(&sent, m + 4, 4);
                T_EQ(got, sent);
                break;
            }
            T_ERR(n, FILL_LEN);
            uint32_t seq;
            memcpy(&seq, m, 4);
            T_EQ(seq, got);
            T_OK(same(m + 4, FILL_LEN - 4, seq));
            got++;
        }
        free(m);
        await(gt);
    }
    rig_close(g);
}

/*
 * Send until the channel is full, and until it stays full: a socket may
 * still move bytes from the send buffer into the receiver's (later on a
 * loaded machine), and then a "blocking" send would not block.  With
 * IPCX_CAP_FD the sending end's descriptor says when a send may succeed.
 * *count numbers the messages sent.
 */
static void fill_full(ipcx_chan *tx, uint8_t *m, uint32_t *count)
{
    int fd = (caps & IPCX_CAP_FD) ? ipcx_fd(tx) : -1;

    for (int round = 0; round < 100; round++) {
        int added = 0, r;
        for (;;) {
            fill_msg(m, *count);
            r = ipcx_send(tx, m, FILL_LEN, 0, IPCX_NOWAIT);
            if (r == -EAGAIN)
                break;
            T_SUCCESS(r);
            ++*count;
            added++;
            T_OK(*count < 1000000);
        }
        if (fd >= 0) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int64_t end = now_ms() + 200; /* signals may interrupt: keep the deadline */
            int n;
            do {
                int64_t left = end - now_ms();
                n = poll(&p, 1, left < 0 ? 0 : (int) left);
            } while (n < 0 && errno == EINTR);
            if (n == 0)
                return; /* not writable for 200 ms: full */
        } else {
            if (round > 0 && !added)
                return;
            sleep_ms(50);
        }
    }
    T_FAIL("the channel never stayed full");
}

static void intr_send(int restart)
{
    uint8_t m[FILL_LEN];
    uint32_t count = 0;
    struct rig g;
    struct gate gt;
    ipcx_chan *tx;

    set_usr1(restart ? SA_RESTART : 0);
    rig_init(&g, restart ? "restart-send" : "eintr-send", NULL);
    if (pairs)
        T_SUCCESS(rig_try(&g));
    gate_init(&gt);
    pid_t pid = spawn(intr_send_child, &g, &gt, restart);
    if (pairs) {
        T_SUCCESS(ipcx_close(g.rx)); /* the child receives */
        g.rx = NULL;
        tx = g.tx;
        g.tx = NULL;
    } else {
        size_t n = 0;
        char c;
        do {
            if (!get_byte(gt.up[0], WAIT_MS, &c))
                T_FAIL("the receiving child never said where it is");
            T_OK(n < sizeof g.txurl);
            g.txurl[n++] = c;
        } while (c != '\0');
        T_SUCCESS(ipcx_open(&tx, g.txurl, IPCX_SEND));
    }
    T_EQ(hear(&gt), 'o');
    fill_full(tx, m, &count);
    release(&gt, 1); /* the child starts to signal us */
    if (!restart) {
        /*
         * A send that blocks before any byte of its message is out returns
         * -EINTR.  One that got part of its message out first has accepted
         * it (the library keeps and later sends the rest) and returns 0, as
         * one that found room does: fill again and block again.
         */
        for (;;) {
            fill_msg(m, count);
            int r = ipcx_send(tx, m, FILL_LEN, 0, IPCX_FOREVER);
            if (r == -EINTR)
                break;
            T_ERR(r, 0);
            count++;
            fill_full(tx, m, &count);
        }
        T_OK(usr1_count >= 1);
        release(&gt, 1);
        reap(pid, 0); /* the receiver goes first: our close then has nothing to wait for */
    } else {
        /* Every send completes; the child drains only after its signals,
         * so sending until one returned after a signal proves a blocked
         * send went on through SA_RESTART. */
        do {
            fill_msg(m, count);
            T_SUCCESS(ipcx_send(tx, m, FILL_LEN, 0, IPCX_FOREVER));
            count++;
            T_OK(count < 1000000);
        } while (usr1_count == 0);
        memcpy(m, "END!", 4);
        memcpy(m + 4, &count, 4);
        T_SUCCESS(ipcx_send(tx, m, 8, 0, WAIT_MS));
        release(&gt, 1);
        reap(pid, 0);
    }
    T_SUCCESS(ipcx_close(tx));
    rig_gone(&g);
    gate_fini(&gt);
}

static void check_eintr(void)
{
    intr_recv(0);
    intr_recv(1);
    intr_send(0);
    intr_send(1);
    (void) signal(SIGUSR1, SIG_DFL);
}

/* ---- 10. bad URLs ------------------------------------------------------ */

static void expect_bad(const char *url, int want, const char *path)
{
    static int dummy;
    ipcx_chan *const mark = (ipcx_chan *) &dummy;
    struct stat st;
    int r;

    if (pairs) {
        ipcx_chan *ends[2] = { mark, mark };
        r = ipcx_pair(url, ends);
        if (r != want || ends[0] != mark || ends[1] != mark)
            T_FAIL("ipcx_pair(\"%.120s\") == %d (%s) [%s], want %d (%s) and no ends", url,
                   r, ipcx_strerror(r), ipcx_errdetail(), want, ipcx_strerror(want));
    } else {
        ipcx_chan *ch = mark;
        r = ipcx_open(&ch, url, IPCX_RECV | IPCX_CREATE);
        if (r != want || ch != mark)
            T_FAIL("ipcx_open(\"%.120s\", RECV) == %d (%s) [%s], want %d (%s) and no channel",
                   url, r, ipcx_strerror(r), ipcx_errdetail(), want, ipcx_strerror(want));
        r = ipcx_open(&ch, url, IPCX_SEND);
        if (r != want || ch != mark)
            T_FAIL("ipcx_open(\"%.120s\", SEND) == %d (%s) [%s], want %d (%s)", url, r,
                   ipcx_strerror(r), ipcx_errdetail(), want, ipcx_strerror(want));
    }
    if (path[0] && lstat(path, &st) == 0)
        T_FAIL("\"%.120s\" was refused but created %s", url, path);
}

static void check_badurl(void)
{
    static const char *const queries[] = {
        "nosuchkey=1", "maxmsg=12q", "maxmsg=99999999999G", "maxmsg=", "maxmsg=-1",
        "mode=999",
        "",                       /* a trailing '?' or '&' */
        "maxmsg",                 /* a key without '=' */
        "maxmsg=1k&maxmsg=2k",    /* a key twice */
        "maxmsg=%zz",             /* a bad escape */
    };
    char *base = xmalloc(URL_CAP), *u = xmalloc(URL_CAP), *name = xmalloc(5001);
    char path[PATH_MAX];

    expand(base, URL_CAP, "badurl");
    url_path(base, path, sizeof path);
    remember_path(path);
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        snprintf(u, URL_CAP, "%s", base);
        add_query(u, URL_CAP, queries[i]);
        expect_bad(u, -EINVAL, path);
    }

    /* 5000 bytes of path: in the name where the template has one, else as a path. */
    memset(name, 'x', 5000);
    name[5000] = '\0';
    if (strstr(tmpl, "%n")) {
        expand(u, URL_CAP, name);
    } else {
        size_t at = strcspn(base, "?");
        snprintf(u, URL_CAP, "%.*s/%s%s", (int) at, base, name, base + at);
    }
    expect_bad(u, -EINVAL, path);

    /* Malformed: a bad escape in the name, an upper-case scheme, no scheme. */
    if (strstr(tmpl, "%n")) {
        expand(u, URL_CAP, "badurl%zz");
        expect_bad(u, -EINVAL, path);
    }
    snprintf(u, URL_CAP, "%s", base);
    for (char *p = u; *p && *p != ':'; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char) (*p - 'a' + 'A');
    expect_bad(u, -EINVAL, path);
    expect_bad(strchr(base, ':'), -EINVAL, path);
    expect_bad("", -EINVAL, path);

    /* A scheme nobody knows. */
    snprintf(u, URL_CAP, "nosuchscheme%s", strchr(base, ':'));
    expect_bad(u, -EPROTONOSUPPORT, path);

    free(base);
    free(u);
    free(name);
}

/* ---- 11. ipcx_fd -------------------------------------------------------- */

static int readable(int fd, int timeout_ms)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, timeout_ms);
        if (r >= 0)
            return r > 0 && (p.revents & POLLIN);
        T_OK(errno == EINTR);
    }
}

static void fd_child(struct rig *g, struct gate *gt, int id)
{
    ipcx_chan *tx = rig_sender(g);
    (void) id;
    say(gt, 'o');
    await(gt);
    T_SUCCESS(ipcx_send(tx, "m0", 2, 0, WAIT_MS));
    await(gt);
    for (int i = 1; i <= 3; i++) {
        char m[2] = { 'm', (char) ('0' + i) };
        T_SUCCESS(ipcx_send(tx, m, 2, 0, WAIT_MS));
    }
    say(gt, 's');
    await(gt); /* stay open: a FIFO whose writers left is readable (EOF) */
    T_SUCCESS(ipcx_close(tx));
}

/*
 * Nothing left to receive: the descriptor is quiet, or it is a late ring
 * for a message a receive already took (a shared-memory doorbell written
 * after the receiver was woken another way; ipcx_fd(3): readable means a
 * receive may succeed).  Then a receive that finds nothing quiets it.
 */
static void expect_quiet(struct rig *g, int fd)
{
    char b[16];
    if (readable(fd, 0) == 0)
        return;
    T_ERR(ipcx_recv(g->rx, b, sizeof b, NULL, 0), -EAGAIN);
    T_EQ(readable(fd, 0), 0);
}

static void check_fd(void)
{
    struct rig g;
    struct gate gt;
    char b[16];

    rig_open(&g, "fd");
    int fd = ipcx_fd(g.rx);
    T_SUCCESS(fd);
    T_EQ(readable(fd, 0), 0);
    gate_init(&gt);
    pid_t pid = spawn(fd_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    T_EQ(readable(fd, WAIT_MS), 1);
    T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, WAIT_MS), 2);
    T_OK(memcmp(b, "m0", 2) == 0);
    expect_quiet(&g, fd);
    release(&gt, 1);
    T_EQ(hear(&gt), 's');
    for (int i = 1; i <= 3; i++) {
        /* After a receive that left messages buffered the fd must still
         * say so: they may sit in the library's buffer, not the kernel's. */
        if (!readable(fd, WAIT_MS))
            T_FAIL("ipcx_fd is not readable with %d message(s) still to come", 4 - i);
        T_ERR(ipcx_recv(g.rx, b, sizeof b, NULL, WAIT_MS), 2);
        T_EQ(b[1], '0' + i);
    }
    expect_quiet(&g, fd);
    release(&gt, 1);
    reap(pid, 0);
    gate_fini(&gt);
    rig_close(&g);
}

/* ---- 12. cleanup (IPCX_CAP_NAMED) ------------------------------------- */

static void stale_child(struct rig *g, struct gate *gt, int id)
{
    (void) id;
    int r = rig_try(g);
    if (r < 0)
        T_FAIL("cannot make the receiver %s: %s", g->url, ipcx_strerror(r));
    say(gt, 'o');
    for (;;)
        pause();
}

/* A receiver made in a child that is then killed: its object is stale. */
static void make_stale(struct rig *g)
{
    struct gate gt;
    struct stat st;

    gate_init(&gt);
    pid_t pid = spawn(stale_child, g, &gt, 0);
    hear(&gt);
    T_OK(kill(pid, SIGKILL) == 0);
    reap(pid, SIGKILL);
    gate_fini(&gt);
    if (g->path[0] && lstat(g->path, &st) < 0)
        T_FAIL("the killed receiver left no %s behind", g->path);
}

static void check_cleanup(void)
{
    static const char *const names[] = {
        "order", "sizes", "many", "timeout", "small", "small-many", "gone", "rxgone",
        "killed", "eintr-recv", "restart-recv", "eintr-send", "restart-send", "badurl",
        "fd", "pending",
    };
    struct rig g;
    struct stat st;

    /* Nothing of the checks before is left. */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char url[URL_CAP], path[PATH_MAX];
        expand(url, sizeof url, names[i]);
        url_path(url, path, sizeof path);
        if (path[0] && lstat(path, &st) == 0)
            T_FAIL("%s is left over", path);
    }

    /* A new receiver takes over a stale file or abstract name, and removes it on close. */
    rig_init(&g, "stale", NULL);
    if (!(caps & IPCX_CAP_KNAME)) {
        make_stale(&g);
        T_SUCCESS(rig_try(&g));
        rig_close(&g);
    }

    /* ipcx_unlink removes a stale object; then a new receiver works. */
    if (g.path[0] || (caps & IPCX_CAP_KNAME)) {
        make_stale(&g);
        T_SUCCESS(ipcx_unlink(g.url));
        if (g.path[0] && (lstat(g.path, &st) == 0 || errno != ENOENT))
            T_FAIL("ipcx_unlink(%s) left %s", g.url, g.path);
        T_ERR(ipcx_unlink(g.url), -ENOENT);
        T_SUCCESS(rig_try(&g));
        rig_close(&g);
    }
}

/* ---- pending: what ipcx_pending() counts -------------------------------- */

static void pending_child(struct rig *g, struct gate *gt, int id)
{
    ipcx_chan *tx = rig_sender(g);
    (void) id;
    for (uint32_t i = 0; i < 3; i++)
        T_SUCCESS(ipcx_send(tx, &i, sizeof i, 0, WAIT_MS));
    say(gt, 'o'); /* all three are in */
    await(gt);
    T_SUCCESS(ipcx_close(tx));
}

/*
 * Where the object can count (queues, rings): 0 when empty, 3 after a
 * sender process sent three, 2 after one is taken, 0 when all are.  Schemes
 * that cannot count say -ENOTSUP and nothing else is checked.
 */
static void check_pending(void)
{
    struct rig g;
    struct gate gt;
    uint32_t v;

    rig_open(&g, "pending");
    long p = ipcx_pending(g.rx);
    if (p == -ENOTSUP) {
        printf("  (ipcx_pending: -ENOTSUP here)\n");
        rig_close(&g);
        return;
    }
    T_ERR(p, 0);
    gate_init(&gt);
    pid_t pid = spawn(pending_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    T_ERR(ipcx_pending(g.rx), 3);
    T_ERR(ipcx_recv(g.rx, &v, sizeof v, NULL, WAIT_MS), (long) sizeof v);
    T_EQ(v, 0);
    T_ERR(ipcx_pending(g.rx), 2);
    release(&gt, 1);
    reap(pid, 0);
    for (uint32_t i = 1; i < 3; i++) {
        T_ERR(ipcx_recv(g.rx, &v, sizeof v, NULL, WAIT_MS), (long) sizeof v);
        T_EQ(v, i);
    }
    T_ERR(ipcx_pending(g.rx), 0);
    gate_fini(&gt);
    rig_close(&g);
}

/* ---- recvv: batches of whole messages (ipcx_recvv) ---------------------- */

#define RV_BATCH  16
#define RV_QUEUED 8     /* what fits in every queue at once (mq: depth 10) */
#define RV_FLOOD  3000  /* messages the killed sender gets out at least */

/* Message i of a recvv check: its number, then fill(i); sizes vary. */
static size_t rv_size(uint32_t i, size_t most)
{
    size_t n = 4 + (i * 37u) % 200u;
    return n < most ? n : most;
}

static void rv_make(uint8_t *m, uint32_t i, size_t n)
{
    memcpy(m, &i, 4);
    fill(m + 4, n - 4, i);
}

/* Is msgs[k] message `want`, whole? */
static void rv_expect(const struct ipcx_msg *m, uint32_t want, size_t size)
{
    uint32_t seq;
    if (m->len < 4)
        T_FAIL("check %s: a %zu-byte message, want message %u", check_name, m->len, want);
    memcpy(&seq, m->buf, 4);
    if (seq != want || m->len != size || !same((const uint8_t *) m->buf + 4, m->len - 4, seq))
        T_FAIL("check %s: got message %u (%zu bytes), want %u (%zu bytes): lost, duplicated "
               "or torn", check_name, seq, m->len, want, size);
}

/* Buffers for a batch, each of cap bytes. */
static void rv_bufs(struct ipcx_msg *m, size_t n, size_t cap)
{
    for (size_t k = 0; k < n; k++)
        m[k] = (struct ipcx_msg) { .buf = xmalloc(cap ? cap : 1), .cap = cap };
}

static void rv_free(struct ipcx_msg *m, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(m[k].buf);
}

/*
 * The child of recvv: sends messages lo..hi-1 when released, says 'q'
 * when they are all in, and again for the next round, until the parent
 * has seen each.  Rounds: 0..8, 8..17 (the mix of recv and recvv), and
 * four for the truncation check (below), sent by trunc_child.
 */
static void recvv_child(struct rig *g, struct gate *gt, int id)
{
    static const uint32_t rounds[][2] = { { 0, RV_QUEUED }, { RV_QUEUED, 2 * RV_QUEUED + 1 } };
    uint8_t m[256];
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    for (size_t r = 0; r < sizeof rounds / sizeof rounds[0]; r++) {
        await(gt);
        for (uint32_t i = rounds[r][0]; i < rounds[r][1]; i++) {
            size_t n = rv_size(i, (size_t) g->maxmsg);
            rv_make(m, i, n);
            T_SUCCESS(ipcx_send(tx, m, n, 0, WAIT_MS));
        }
        say(gt, 'q');
    }
    T_SUCCESS(ipcx_close(tx));
}

/* A receive of up to n that must bring message *next first; returns the count. */
static long rv_take(struct rig *g, struct ipcx_msg *m, size_t n, uint32_t *next)
{
    long got = ipcx_recvv(g->rx, m, n, WAIT_MS);
    if (got <= 0 || (size_t) got > n)
        T_FAIL("check %s: ipcx_recvv(n=%zu) == %ld (%s) [%s]", check_name, n, got,
               got < 0 ? ipcx_strerror((int) got) : "-", ipcx_errdetail());
    for (long k = 0; k < got; k++, (*next)++)
        rv_expect(&m[k], *next, rv_size(*next, (size_t) g->maxmsg));
    return got;
}

/*
 * Whole messages in order, in batches: eight queued messages come in one
 * ipcx_recvv on a local transport (in order, whole, nothing twice; over
 * TCP they may take more calls).  Then ipcx_recv and ipcx_recvv take turns
 * on one stream of nine: what one call read and left buffered is what the
 * other hands out next.  A batch of one is a receive.  Then the end.
 */
static void check_recvv(void)
{
    struct rig g;
    struct gate gt;
    struct ipcx_msg m[RV_BATCH];
    uint32_t next = 0;

    rig_open(&g, "recvv");
    rv_bufs(m, RV_BATCH, 256);
    gate_init(&gt);
    pid_t pid = spawn(recvv_child, &g, &gt, 0);
    rig_drop_tx(&g);
    T_ERR(ipcx_recvv(g.rx, NULL, 1, 0), -EINVAL);
    T_ERR(ipcx_recvv(g.rx, m, 0, 0), -EINVAL);
    release(&gt, 1);
    T_EQ(hear(&gt), 'q');
    long got = rv_take(&g, m, RV_BATCH, &next);
    if (!(caps & IPCX_CAP_REMOTE))
        T_ERR(got, RV_QUEUED); /* all that was there, at once */
    while (next < RV_QUEUED)
        rv_take(&g, m, RV_QUEUED - next, &next);
    T_ERR(ipcx_recvv(g.rx, m, RV_BATCH, 0), -EAGAIN); /* nothing more */

    release(&gt, 1);
    T_EQ(hear(&gt), 'q');
    for (int turn = 0; next < 2 * RV_QUEUED + 1; turn++) {
        if (turn % 2 == 0) {
            long n = ipcx_recv(g.rx, m[0].buf, m[0].cap, &m[0].prio, WAIT_MS);
            T_OK(n >= 0);
            m[0].len = (size_t) n;
            rv_expect(&m[0], next, rv_size(next, (size_t) g.maxmsg));
            next++;
        } else {
            got = rv_take(&g, m, turn == 1 ? 1 : 3, &next);
            if (turn == 3 && !(caps & IPCX_CAP_REMOTE))
                T_ERR(got, 3);
        }
    }
    reap(pid, 0);
    expect_end(&g);
    gate_fini(&gt);
    rv_free(m, RV_BATCH);
    rig_close(&g);
}

/* Four messages of 10, 10, 100 and 10 bytes, sent together. */
static const size_t trunc_sizes[] = { 10, 10, 100, 10 };

static void trunc_child(struct rig *g, struct gate *gt, int id)
{
    uint8_t m[128];
    ipcx_chan *tx = rig_sender(g);
    (void) id;
    await(gt);
    for (uint32_t i = 0; i < 4; i++) {
        rv_make(m, i, trunc_sizes[i]);
        T_SUCCESS(ipcx_send(tx, m, trunc_sizes[i], 0, WAIT_MS));
    }
    say(gt, 'q');
    T_SUCCESS(ipcx_close(tx));
}

/*
 * A buffer too small for one message, per message: with buffers of 64
 * bytes a batch ends before the 100-byte message (two on a local
 * transport); a batch that starts with it is -EMSGSIZE, and it stays
 * queued: a receive with room gets it, whole, and the batch after that
 * the last one.  Nothing is lost or cut short.
 */
static void check_recvv_trunc(void)
{
    struct rig g;
    struct gate gt;
    struct ipcx_msg m[4];
    uint8_t big[128];
    uint32_t seq;

    rig_open(&g, "recvv-trunc");
    if (g.maxmsg < 100) {
        printf("  (maxmsg %ld: no 100-byte message)\n", g.maxmsg);
        rig_close(&g);
        return;
    }
    rv_bufs(m, 4, 64);
    gate_init(&gt);
    pid_t pid = spawn(trunc_child, &g, &gt, 0);
    rig_drop_tx(&g);
    release(&gt, 1);
    T_EQ(hear(&gt), 'q');
    for (uint32_t next = 0; next < 2;) {
        long got = ipcx_recvv(g.rx, m, 4, WAIT_MS);
        T_OK(got >= 1 && got <= 2 - (long) next);
        if (next == 0 && !(caps & IPCX_CAP_REMOTE))
            T_ERR(got, 2); /* ended before the one that does not fit */
        for (long k = 0; k < got; k++, next++)
            rv_expect(&m[k], next, trunc_sizes[next]);
    }
    T_ERR(ipcx_recvv(g.rx, m, 4, WAIT_MS), -EMSGSIZE);
    T_ERR(ipcx_recvv(g.rx, m, 1, WAIT_MS), -EMSGSIZE); /* still there */
    T_ERR(ipcx_recv(g.rx, big, sizeof big, NULL, WAIT_MS), 100);
    memcpy(&seq, big, 4);
    T_EQ(seq, 2);
    T_OK(same(big + 4, 96, 2));
    T_ERR(ipcx_recvv(g.rx, m, 4, WAIT_MS), 1);
    rv_expect(&m[0], 3, 10);
    reap(pid, 0);
    expect_end(&g);
    gate_fini(&gt);
    rv_free(m, 4);
    rig_close(&g);
}

/* Sends message after message, of up to 64 KiB, until it is killed. */
static size_t rvk_size(uint32_t i, size_t most)
{
    size_t n = i % 7 == 6 ? 4 + (i * 7919u) % 65536u : rv_size(i, most);
    return n < most ? n : most;
}

static void recvv_killed_child(struct rig *g, struct gate *gt, int id)
{
    uint8_t *m = xmalloc(65536 + 4);
    ipcx_chan *tx = rig_sender(g);
    (void) id;
    say(gt, 'o');
    await(gt);
    for (uint32_t i = 0;; i++) {
        size_t n = rvk_size(i, (size_t) g->maxmsg);
        rv_make(m, i, n);
        T_SUCCESS(ipcx_send(tx, m, n, 0, WAIT_MS));
    }
}

/*
 * A sender SIGKILLed in the middle of a flood, received in batches: the
 * messages come whole and in order, none twice and none missing up to the
 * last one it got out; a message it had only partly written is dropped
 * (the batches never show a torn one); then the end (-EPIPE where the
 * transport reports it, else nothing more).
 */
static void check_recvv_killed(void)
{
    struct rig g;
    struct gate gt;
    struct ipcx_msg m[RV_BATCH];
    uint32_t next = 0;
    int killed = 0;

    rig_open(&g, "recvv-killed");
    rv_bufs(m, RV_BATCH, 65536 + 4);
    gate_init(&gt);
    pid_t pid = spawn(recvv_killed_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    const long end = (caps & IPCX_CAP_EOF) ? -EPIPE : -ETIMEDOUT;
    for (;;) {
        long got = ipcx_recvv(g.rx, m, RV_BATCH, killed && end == -ETIMEDOUT ? 300 : WAIT_MS);
        if (killed && got == end)
            break;
        if (got <= 0)
            T_FAIL("check %s: ipcx_recvv == %ld (%s) [%s] after %u messages%s", check_name, got,
                   ipcx_strerror((int) got), ipcx_errdetail(), next,
                   killed ? ", the sender killed" : "");
        for (long k = 0; k < got; k++, next++)
            rv_expect(&m[k], next, rvk_size(next, (size_t) g.maxmsg));
        if (!killed && next >= RV_FLOOD) {
            T_OK(kill(pid, SIGKILL) == 0); /* it is sending: maybe in the middle of one */
            reap(pid, SIGKILL);
            killed = 1;
        }
    }
    printf("  recvv-killed: %u messages whole and in order before the end\n", next);
    gate_fini(&gt);
    rv_free(m, RV_BATCH);
    rig_close(&g);
}


/* ---- batched sends: ipcx_sendv, IPCX_MORE, ipcx_flush ------------------ */

#define BATCH_N      3000  /* messages per sender in "batch" */
#define BATCH_MAX    100   /* the largest batch there */
#define BATCH_BIG    8192  /* every 50th message: chunked on a pipe, alone in its write */

/* A message of the batch checks: many_hdr and fill() of its seed, at most maxmsg bytes. */
static size_t batch_size(uint32_t id, uint32_t seq, long maxmsg)
{
    size_t n = seq % 50 == 49 ? BATCH_BIG : sizeof(struct many_hdr) + (seq * 53u + id * 11u) % 300u;
    return n > (size_t) maxmsg ? (size_t) maxmsg : n;
}

/* Receive the next message and check it is sender id's message seq, whole. */
static void batch_expect(struct rig *g, uint8_t *buf, size_t cap, uint32_t *next, int nsend,
                         long maxmsg)
{
    const size_t h = sizeof(struct many_hdr);
    struct many_hdr hd;
    long n = ipcx_recv(g->rx, buf, cap, NULL, WAIT_MS);
    if (n < (long) h)
        T_FAIL("recv == %ld (%s) [%s]", n, n < 0 ? ipcx_strerror((int) n) : "too short",
               ipcx_errdetail());
    memcpy(&hd, buf, h);
    if (hd.id >= (uint32_t) nsend)
        T_FAIL("a message names sender %u: torn or foreign", hd.id);
    if (hd.seq != next[hd.id])
        T_FAIL("sender %u: got message %u, expected %u (lost, duplicated or reordered)", hd.id,
               hd.seq, next[hd.id]);
    if ((size_t) n != batch_size(hd.id, hd.seq, maxmsg) || hd.len != (uint32_t) n ||
        hd.sum != fnv1a(buf + h, (size_t) n - h) ||
        !same(buf + h, (size_t) n - h, many_seed(hd.id, hd.seq)))
        T_FAIL("sender %u message %u: %ld bytes, torn or changed", hd.id, hd.seq, n);
    next[hd.id]++;
}

/*
 * Batches of 1..BATCH_MAX, in turn sent with ipcx_sendv, queued with
 * IPCX_MORE and sent by the last send of the round (without it), and
 * queued and sent by ipcx_flush.  cork=4096 on the URL: the longer rounds
 * also flush because the queue is full.
 */
static void batch_child(struct rig *g, struct gate *gt, int id)
{
    struct ipcx_msg v[BATCH_MAX];
    uint8_t *buf = xmalloc((size_t) BATCH_MAX * BATCH_BIG);
    ipcx_chan *tx = rig_sender(g);

    say(gt, 'o');
    await(gt);
    for (uint32_t seq = 0, round = 0; seq < BATCH_N; round++) {
        uint32_t b = 1 + (round * 37u) % BATCH_MAX;
        if (b > BATCH_N - seq)
            b = BATCH_N - seq;
        for (uint32_t k = 0; k < b; k++) {
            size_t n = batch_size((uint32_t) id, seq + k, g->maxmsg);
            many_make(buf + (size_t) k * BATCH_BIG, (uint32_t) id, seq + k, n);
            v[k] = (struct ipcx_msg) { .data = buf + (size_t) k * BATCH_BIG, .len = n, .result = 12345 };
        }
        if (round % 3 == 0) {
            T_ERR(ipcx_sendv(tx, v, b, WAIT_MS), (long) b);
            for (uint32_t k = 0; k < b; k++)
                T_ERR(v[k].result, 0);
        } else {
            for (uint32_t k = 0; k < b; k++) {
                int last = round % 3 == 1 && k == b - 1;
                T_SUCCESS(ipcx_send(tx, v[k].data, v[k].len, last ? 0 : IPCX_MORE, WAIT_MS));
            }
            if (round % 3 == 2)
                T_SUCCESS(ipcx_flush(tx, WAIT_MS));
        }
        seq += b;
    }
    T_SUCCESS(ipcx_flush(tx, 0)); /* nothing left */
    T_SUCCESS(ipcx_close(tx));
    free(buf);
}

static void check_batch(void)
{
    const int nsend = (caps & IPCX_CAP_MANY) ? 3 : 1;
    uint32_t next[3] = { 0 };
    uint8_t *buf = xmalloc(BATCH_BIG);
    pid_t pid[3];
    struct rig g;
    struct gate gt;

    rig_init(&g, "batch", "cork=4096");
    if (rig_try(&g) < 0)
        T_FAIL("cannot make the receiver %s [%s]", g.url, ipcx_errdetail());
    /* A receiving end sends nothing, batched or not. */
    T_ERR(ipcx_sendv(g.rx, NULL, 0, 0), -EBADF);
    T_ERR(ipcx_flush(g.rx, 0), -EBADF);
    gate_init(&gt);
    for (int i = 0; i < nsend; i++)
        pid[i] = spawn(batch_child, &g, &gt, i);
    rig_drop_tx(&g);
    for (int i = 0; i < nsend; i++)
        hear(&gt);
    release(&gt, nsend);
    for (long k = 0; k < (long) nsend * BATCH_N; k++)
        batch_expect(&g, buf, BATCH_BIG, next, nsend, g.maxmsg);
    for (int i = 0; i < nsend; i++)
        reap(pid[i], 0);
    for (int i = 0; i < nsend; i++)
        T_EQ(next[i], BATCH_N);
    expect_end(&g);
    gate_fini(&gt);
    rig_close(&g);
    free(buf);
}

/*
 * The bound: with cork=1024, 64 messages of 64 bytes queued with IPCX_MORE
 * cannot all wait in the queue, so at least 64 - 1024/64 = 48 of them must
 * arrive while the sender has not flushed; ipcx_flush sends the rest.
 */
#define BOUND_N   64
#define BOUND_LEN 64
#define BOUND_CORK 1024

static void bound_child(struct rig *g, struct gate *gt, int id)
{
    uint8_t m[BOUND_LEN];
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    say(gt, 'o');
    await(gt);
    for (uint32_t i = 0; i < BOUND_N; i++) {
        many_make(m, 0, i, BOUND_LEN);
        T_SUCCESS(ipcx_send(tx, m, BOUND_LEN, IPCX_MORE, WAIT_MS));
    }
    await(gt); /* the parent has what the full queue had to send */
    T_SUCCESS(ipcx_flush(tx, WAIT_MS));
    await(gt);
    T_SUCCESS(ipcx_close(tx));
}

static size_t bound_size(uint32_t id, uint32_t seq, long maxmsg)
{
    (void) id, (void) seq, (void) maxmsg;
    return BOUND_LEN;
}

static void check_batch_bound(void)
{
    const size_t h = sizeof(struct many_hdr);
    uint8_t buf[BOUND_LEN];
    struct rig g;
    struct gate gt;
    char q[64];

    snprintf(q, sizeof q, "cork=%d", BOUND_CORK);
    rig_init(&g, "batch-bound", q);
    if (rig_try(&g) < 0)
        T_FAIL("cannot make the receiver %s [%s]", g.url, ipcx_errdetail());
    gate_init(&gt);
    pid_t pid = spawn(bound_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    for (uint32_t i = 0; i < BOUND_N; i++) {
        if (i == BOUND_N - BOUND_CORK / BOUND_LEN)
            release(&gt, 1); /* these came without a flush: now flush */
        long n = ipcx_recv(g.rx, buf, sizeof buf, NULL, WAIT_MS);
        if (n != BOUND_LEN)
            T_FAIL("message %u of %d: recv == %ld (%s) [%s]%s", i, BOUND_N, n,
                   n < 0 ? ipcx_strerror((int) n) : "", ipcx_errdetail(),
                   i < BOUND_N - BOUND_CORK / BOUND_LEN ? ": the queue was not sent when full" : "");
        struct many_hdr hd;
        memcpy(&hd, buf, h);
        T_EQ(hd.seq, i);
        T_OK(bound_size(0, i, 0) == (size_t) n && same(buf + h, (size_t) n - h, many_seed(0, i)));
    }
    release(&gt, 1);
    reap(pid, 0);
    expect_end(&g);
    gate_fini(&gt);
    rig_close(&g);
}

/*
 * Messages that cannot be sent at all are refused one by one, and the rest
 * of their batch goes: too large (-EMSGSIZE), no data, IPCX_MORE inside a
 * batch (-EINVAL).  A refused IPCX_MORE message leaves the queue as it was;
 * a child forked with messages queued never sends them (they are the
 * parent's): not with its own send, not when it closes its copy.
 */
static void refused_child(struct rig *g, struct gate *gt, int id)
{
    size_t big = (size_t) g->maxmsg + 1, mlen = g->maxmsg < 40 ? (size_t) g->maxmsg : 40;
    uint8_t *huge = xmalloc(big), m[8][40];
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    for (uint32_t i = 0; i < 8; i++)
        many_make(m[i], 0, i, mlen);
    say(gt, 'o');
    await(gt);
    struct ipcx_msg v[7] = {
        { .data = m[0], .len = mlen, .result = 1 }, { .data = huge, .len = big, .result = 1 },
        { .data = m[1], .len = mlen, .result = 1 }, { .data = NULL, .len = 5, .result = 1 },
        { .data = m[2], .len = mlen, .result = 1 },
        { .data = m[0], .len = mlen, .prio = IPCX_MORE, .result = 1 },
        { .data = m[3], .len = mlen, .result = 1 },
    };
    T_ERR(ipcx_sendv(tx, v, 7, WAIT_MS), 4);
    const int want[7] = { 0, -EMSGSIZE, 0, -EINVAL, 0, -EINVAL, 0 };
    for (int k = 0; k < 7; k++)
        T_ERR(v[k].result, want[k]);
    struct ipcx_msg w[2] = { { .data = huge, .len = big, .result = 1 },
                             { .data = huge, .len = big + 7, .result = 1 } };
    T_ERR(ipcx_sendv(tx, w, 2, WAIT_MS), -EMSGSIZE);
    T_ERR(w[0].result, -EMSGSIZE);
    T_ERR(w[1].result, -EMSGSIZE);
    T_ERR(ipcx_sendv(tx, w, 0, WAIT_MS), 0);
    T_ERR(ipcx_send(tx, huge, big, IPCX_MORE, WAIT_MS), -EMSGSIZE);
    T_SUCCESS(ipcx_send(tx, m[4], mlen, IPCX_MORE, WAIT_MS));
    T_ERR(ipcx_send(tx, huge, big, IPCX_MORE, WAIT_MS), -EMSGSIZE);
    T_SUCCESS(ipcx_send(tx, m[5], mlen, 0, WAIT_MS));
    /* Queued, then a fork: the child's copy closes without sending them. */
    T_SUCCESS(ipcx_send(tx, m[6], mlen, IPCX_MORE, WAIT_MS));
    T_SUCCESS(ipcx_send(tx, m[7], mlen, IPCX_MORE, WAIT_MS));
    fflush(NULL);
    pid_t kid = fork();
    T_OK(kid >= 0);
    if (kid == 0) { /* its own message goes, the parent's queued ones do not */
        int r = ipcx_send(tx, "grandkid", 8, 0, WAIT_MS);
        _exit(r == 0 && ipcx_close(tx) == 0 ? 0 : 1);
    }
    int st;
    T_OK(waitpid(kid, &st, 0) == kid);
    T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    T_SUCCESS(ipcx_flush(tx, WAIT_MS));
    say(gt, 's');
    await(gt);
    T_SUCCESS(ipcx_close(tx));
    free(huge);
}

static size_t refused_size(uint32_t id, uint32_t seq, long maxmsg)
{
    (void) id, (void) seq;
    return maxmsg < 40 ? (size_t) maxmsg : 40;
}

static void check_batch_refused(void)
{
    const size_t h = sizeof(struct many_hdr);
    uint8_t buf[64];
    struct rig g;
    struct gate gt;

    rig_open(&g, "batch-refused");
    if (g.maxmsg < (long) h) {
        printf("  (maxmsg %ld: too small for the check's messages)\n", g.maxmsg);
        rig_close(&g);
        return;
    }
    gate_init(&gt);
    pid_t pid = spawn(refused_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    T_EQ(hear(&gt), 's');
    for (uint32_t i = 0; i < 8; i++) {
        struct many_hdr hd;
        long n = ipcx_recv(g.rx, buf, sizeof buf, NULL, WAIT_MS);
        if (i == 6) { /* the forked child's own message came before the parent flushed */
            if (n != 8 || memcmp(buf, "grandkid", 8) != 0)
                T_FAIL("recv == %ld (%s), want the forked child's message: it sent its "
                       "parent's queue?", n, n < 0 ? ipcx_strerror((int) n) : "another one");
            n = ipcx_recv(g.rx, buf, sizeof buf, NULL, WAIT_MS);
        }
        T_ERR(n, (long) refused_size(0, i, g.maxmsg));
        memcpy(&hd, buf, h);
        if (hd.seq != i)
            T_FAIL("message %u arrived as number %u (a refused one sent, or the forked "
                   "copy's queue sent too)", hd.seq, i);
        T_OK(same(buf + h, (size_t) n - h, many_seed(0, i)));
    }
    /* Nothing more: the forked copy sent nothing. */
    T_ERR(ipcx_recv(g.rx, buf, sizeof buf, NULL, 0), -EAGAIN);
    release(&gt, 1);
    reap(pid, 0);
    expect_end(&g);
    gate_fini(&gt);
    rig_close(&g);
}

/*
 * A sender killed with messages queued: the ones it sent arrive, whole and
 * once, the queued ones never.  Then a sender killed in the middle of one
 * large batch: what arrives is a prefix of the batch, each message whole.
 */
#define KQ_SENT   20
#define KQ_QUEUED 30
#define KB_N      2000
#define KB_LEN    2000

static void killq_child(struct rig *g, struct gate *gt, int id)
{
    struct ipcx_msg v[KQ_SENT];
    uint8_t m[KQ_SENT + KQ_QUEUED][100];
    size_t len = g->maxmsg < 100 ? (size_t) g->maxmsg : 100;
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    for (uint32_t i = 0; i < KQ_SENT + KQ_QUEUED; i++)
        many_make(m[i], 0, i, len);
    for (int i = 0; i < KQ_SENT; i++)
        v[i] = (struct ipcx_msg) { .data = m[i], .len = len, .result = 1 };
    say(gt, 'o');
    await(gt);
    T_ERR(ipcx_sendv(tx, v, KQ_SENT, WAIT_MS), KQ_SENT);
    for (int i = KQ_SENT; i < KQ_SENT + KQ_QUEUED; i++)
        T_SUCCESS(ipcx_send(tx, m[i], len, IPCX_MORE, WAIT_MS));
    say(gt, 'q');
    for (;;)
        pause();
}

static void killb_child(struct rig *g, struct gate *gt, int id)
{
    size_t len = g->maxmsg < KB_LEN ? (size_t) g->maxmsg : KB_LEN;
    uint8_t *buf = xmalloc((size_t) KB_N * len);
    struct ipcx_msg *v = xmalloc(sizeof *v * KB_N);
    ipcx_chan *tx = rig_sender(g);
    (void) id;

    for (uint32_t i = 0; i < KB_N; i++) {
        many_make(buf + i * len, 0, i, len);
        v[i] = (struct ipcx_msg) { .data = buf + i * len, .len = len, .result = 1 };
    }
    say(gt, 'o');
    await(gt);
    say(gt, 'S');
    T_SUCCESS(ipcx_sendv(tx, v, KB_N, IPCX_FOREVER));
    for (;;) /* a transport that took it all: wait to be killed anyway */
        pause();
}

static void check_batch_killed(void)
{
    const size_t h = sizeof(struct many_hdr);
    const int end = (caps & IPCX_CAP_EOF) ? -EPIPE : -ETIMEDOUT;
    uint8_t *buf = xmalloc(KB_LEN);
    struct rig g;
    struct gate gt;

    rig_open(&g, "batch-killed");
    if (g.maxmsg < (long) h) {
        printf("  (maxmsg %ld: too small for the check's messages)\n", g.maxmsg);
        rig_close(&g);
        free(buf);
        return;
    }
    gate_init(&gt);
    pid_t pid = spawn(killq_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    size_t len = g.maxmsg < 100 ? (size_t) g.maxmsg : 100;
    for (uint32_t i = 0; i < KQ_SENT; i++) { /* as they come: a small queue holds the batch back */
        struct many_hdr hd;
        T_ERR(ipcx_recv(g.rx, buf, KB_LEN, NULL, WAIT_MS), (long) len);
        memcpy(&hd, buf, h);
        T_EQ(hd.seq, i);
        T_OK(same(buf + h, len - h, many_seed(0, i)));
    }
    T_EQ(hear(&gt), 'q');
    T_OK(kill(pid, SIGKILL) == 0);
    reap(pid, SIGKILL);
    long n = ipcx_recv(g.rx, buf, KB_LEN, NULL, end == -EPIPE ? WAIT_MS : 300);
    if (n != end)
        T_FAIL("after a sender with queued messages was killed: recv == %ld (%s), want %s: "
               "a queued message must never arrive", n, n < 0 ? ipcx_strerror((int) n) : "a message",
               ipcx_strerror(end));
    gate_fini(&gt);
    rig_close(&g);

    rig_open(&g, "batch-cut");
    len = g.maxmsg < KB_LEN ? (size_t) g.maxmsg : KB_LEN;
    gate_init(&gt);
    pid = spawn(killb_child, &g, &gt, 0);
    rig_drop_tx(&g);
    hear(&gt);
    release(&gt, 1);
    T_EQ(hear(&gt), 'S');
    uint32_t got = 0;
    for (; got < 3; got++) { /* the batch is flowing */
        T_ERR(ipcx_recv(g.rx, buf, KB_LEN, NULL, WAIT_MS), (long) len);
        struct many_hdr hd;
        memcpy(&hd, buf, h);
        T_EQ(hd.seq, got);
    }
    T_OK(kill(pid, SIGKILL) == 0);
    reap(pid, SIGKILL);
    for (;; got++) {
        n = ipcx_recv(g.rx, buf, KB_LEN, NULL, end == -EPIPE ? WAIT_MS : 300);
        if (n == end)
            break;
        struct many_hdr hd;
        if (n != (long) len)
            T_FAIL("after a sender was killed mid-batch: recv == %ld (%s) [%s], want message %u "
                   "whole or the end", n, n < 0 ? ipcx_strerror((int) n) : "", ipcx_errdetail(), got);
        memcpy(&hd, buf, h);
        if (hd.seq != got || !same(buf + h, len - h, many_seed(0, got)))
            T_FAIL("after a sender was killed mid-batch: message %u where %u was due, or torn",
                   hd.seq, got);
        T_OK(got < KB_N);
    }
    printf("  batch-killed: %u of %d messages of a batch cut by SIGKILL arrived, each whole\n",
           got, KB_N);
    gate_fini(&gt);
    rig_close(&g);
    free(buf);
}

/*
 * The receiver dies while a sender is in the middle of a batch
 * (IPCX_CAP_RXGONE): the batch ends with -EPIPE for the messages that did
 * not go, never a hang, never SIGPIPE (the sender keeps its default
 * disposition).  The receiver is a child here, so that it can be killed.
 */
#define RG_BATCH 64
#define RG_LEN   4000

static void rgsend_child(struct rig *g, struct gate *gt, int id)
{
    size_t len = g->maxmsg < RG_LEN ? (size_t) g->maxmsg : RG_LEN;
    uint8_t *buf = xmalloc(len);
    struct ipcx_msg v[RG_BATCH];
    ipcx_chan *tx = rig_sender(g);
    long r;
    (void) id;

    memset(buf, 'x', len);
    for (int i = 0; i < RG_BATCH; i++)
        v[i] = (struct ipcx_msg) { .data = buf, .len = len, .result = 1 };
    say(gt, 'o');
    await(gt);
    while ((r = ipcx_sendv(tx, v, RG_BATCH, IPCX_FOREVER)) == RG_BATCH)
        ;
    if (r != -EPIPE && (r <= 0 || r >= RG_BATCH))
        T_FAIL("a batch to a receiver that died: ipcx_sendv == %ld (%s) [%s], want -EPIPE or "
               "the number sent before", r, r < 0 ? ipcx_strerror((int) r) : "", ipcx_errdetail());
    for (long k = 0; k < RG_BATCH; k++)
        T_ERR(v[k].result, k < r ? 0 : -EPIPE);
    T_ERR(ipcx_sendv(tx, v, RG_BATCH, IPCX_FOREVER), -EPIPE);
    T_ERR(v[RG_BATCH - 1].result, -EPIPE);
    T_ERR(ipcx_send(tx, buf, 1, 0, IPCX_FOREVER), -EPIPE);
    /* Queued, the error shows at the flush; close drops what cannot go and says so. */
    T_SUCCESS(ipcx_send(tx, buf, 1, IPCX_MORE, IPCX_FOREVER));
    T_ERR(ipcx_flush(tx, IPCX_FOREVER), -EPIPE);
    T_ERR(ipcx_close(tx), -EPIPE);
    free(buf);
}

static void rgrecv_child(struct rig *g, struct gate *gt, int id)
{
    uint8_t *buf = xmalloc(RG_LEN);
    (void) id;
    if (g->tx) { /* the pair's send end, inherited: not this child's */
        T_SUCCESS(ipcx_close(g->tx));
        g->tx = NULL;
    }
    say(gt, 'o');
    await(gt);
    for (int i = 0; i < 3; i++)
        T_SUCCESS(ipcx_recv(g->rx, buf, RG_LEN, NULL, WAIT_MS));
    say(gt, 'r');
    for (;;)
        pause();
}

static void check_batch_rxgone(void)
{
    struct rig g;
    struct gate gs, gr;

    rig_open(&g, "batch-rxgone");
    gate_init(&gs);
    gate_init(&gr);
    pid_t s = spawn(rgsend_child, &g, &gs, 0);
    hear(&gs); /* connected */
    pid_t r = spawn(rgrecv_child, &g, &gr, 0);
    hear(&gr);
    /* Only the child receives now: its death is the receiver's. */
    if (g.tx)
        rig_drop_tx(&g);
    T_SUCCESS(ipcx_close(g.rx));
    g.rx = NULL;
    release(&gs, 1);
    release(&gr, 1);
    T_EQ(hear(&gr), 'r');
    T_OK(kill(r, SIGKILL) == 0);
    reap(r, SIGKILL);
    reap(s, 0);
    gate_fini(&gs);
    gate_fini(&gr);
    rig_gone(&g);
}

/* ---- main ---------------------------------------------------------------- */

struct check {
    const char *name;
    unsigned need; /* every one of these caps */
    unsigned not;  /* none of these */
    void (*run)(void);
    int text; /* it also applies to text lines (framing=lines): its
                 messages are fill()'s or fixed text, and no sender dies
                 in the middle of one (a cut line is a last line) */
};

static const struct check checks[] = {
    { "order", 0, 0, check_order, 0 },
    { "sizes", 0, 0, check_sizes, 1 },
    { "many", 0, 0, check_many, 0 },
    { "timeouts", 0, 0, check_timeouts, 0 },
    { "small-buffer", 0, 0, check_small, 1 },
    { "sender-gone", IPCX_CAP_EOF, 0, check_gone, 1 },
    { "receiver-gone", IPCX_CAP_RXGONE, 0, check_rxgone, 1 },
    { "sender-killed", 0, 0, check_killed, 0 },
    { "eintr", 0, 0, check_eintr, 0 },
    { "bad-urls", 0, 0, check_badurl, 1 },
    { "fd", IPCX_CAP_FD, 0, check_fd, 1 },
    { "pending", 0, 0, check_pending, 0 },
    { "recvv", 0, IPCX_CAP_HANDSHAKE, check_recvv, 0 },
    { "recvv-trunc", 0, IPCX_CAP_HANDSHAKE, check_recvv_trunc, 0 },
    { "recvv-killed", 0, IPCX_CAP_HANDSHAKE, check_recvv_killed, 0 },
    { "batch", 0, 0, check_batch, 0 },
    { "batch-bound", 0, 0, check_batch_bound, 0 },
    { "batch-refused", 0, IPCX_CAP_HANDSHAKE, check_batch_refused, 0 },
    { "batch-killed", 0, 0, check_batch_killed, 0 },
    { "batch-rxgone", IPCX_CAP_RXGONE, 0, check_batch_rxgone, 0 },
    { "cleanup", IPCX_CAP_NAMED, 0, check_cleanup, 1 },
};

/*
 * Make one receiver to learn the caps and how ends are made: by name, or,
 * when the template names nothing that opens (pipe:), as a pair.  Exits 77
 * if the template's address family is missing here (no IPv6 loopback).
 */
static void probe(void)
{
    struct rig g;
    int r, rp;

    rig_init(&g, "probe", NULL);
    pairs = 0;
    r = rig_try(&g);
    if (r < 0 && r != -EAFNOSUPPORT && r != -EADDRNOTAVAIL) {
        pairs = 1;
        rp = rig_try(&g);
        if (rp == 0 && (ipcx_caps(g.rx) & IPCX_CAP_PAIR))
            r = 0;
        else if (rp == 0)
            T_FAIL("%s: ipcx_pair() works without IPCX_CAP_PAIR", g.url);
    }
    if (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL) {
        printf("SKIP: %s: %s (%s)\n", g.url, ipcx_strerror(r), ipcx_errdetail());
        exit(T_SKIP);
    }
    if (r < 0)
        T_FAIL("cannot make a receiver for %s: %s [%s]", g.url, ipcx_strerror(r),
               ipcx_errdetail());
    caps = ipcx_caps(g.rx);
    rig_close(&g);
}

int main(int argc, char **argv)
{
    struct sigaction sa;

    if (argc != 2) {
        fprintf(stderr, "usage: %s URL-TEMPLATE   (%%p: pid, %%n: check name)\n", argv[0]);
        return 2;
    }
    tmpl = argv[1];
    text = strstr(tmpl, "framing=lines") != NULL;
    main_pid = getpid();
    setvbuf(stdout, NULL, _IOLBF, 0);
    t_cleanup = cleanup;

    /* The watchdog restarts interrupted calls: the EINTR checks need every
     * other handler to be SA_RESTART. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    T_OK(sigaction(SIGALRM, &sa, NULL) == 0);

    probe();
    printf("conformance %s: caps %#x, ends %s\n", tmpl, caps, pairs ? "by ipcx_pair" : "by name");
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        const struct check *c = &checks[i];
        /* The recvv checks and batch-refused queue before the receiver calls anything. */
        if ((caps & c->need) != c->need || (caps & c->not)) {
            printf("%-14s skipped (caps)\n", c->name);
            continue;
        }
        if (text && !c->text) {
            printf("%-14s skipped (binary messages: not for framing=lines)\n", c->name);
            continue;
        }
        check_name = c->name;
        alarm(CHECK_ALARM);
        double t0 = now_exact_ms();
        c->run();
        alarm(0);
        printf("%-14s ok  %7.1f ms\n", c->name, now_exact_ms() - t0);
        T_EQ(nkids, 0);
    }
    printf("all checks passed\n");
    return 0;
}
