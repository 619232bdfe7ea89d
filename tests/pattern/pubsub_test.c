/*
 * pubsub_test.c - publish/subscribe and the worker pool across real
 * processes (fork), per scheme: pubsub_test CASE URL, %p in URL becomes
 * the pid.
 *
 *   filter    topic prefixes deliver exactly the matching topics, in order
 *   lossless  two lossless subscribers get every one of N messages
 *   slow      a stalled lossy subscriber does not hold back a lossless one
 *             (which gets all N) or the publisher; its lag counter equals
 *             exactly what it missed, checked against the numbers in the
 *             bodies at every -ENOBUFS
 *   kill      100 rounds: a lossless subscriber that holds the publisher
 *             is SIGKILLed (at the moment it stalls, or at a random one);
 *             the publisher goes on and the other subscriber gets all
 *   pool      4 workers x 10,000 jobs: every job number taken exactly once
 *   poolkill  100 rounds: a worker SIGKILLed while it holds a job; the job
 *             goes to another worker, once, and nothing else does
 *   poolgone  the submitter (dispatcher) is SIGKILLed: a waiting worker gets
 *             -EPIPE (sockets) or its timeout (queues), never a hang
 *   poolhostile  sockets: bad frames from a worker drop that worker only;
 *             mq: messages that are not jobs are dropped
 *   poolcredit   sockets: a stalled worker is sent no more than its window
 *   owner     rings: the publisher's close removes the name, a subscriber's never
 *   refuse    schemes without pub/sub or pool say -ENOTSUP with a detail
 *
 * No time thresholds: a wait that would hang is bounded by CTest's timeout.
 */
#include "t.h"
#include "ipcx/pubsub.h"
#include "pool_raw.h"

#include <signal.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

static char url[512];

static void make_url(const char *tmpl)
{
    T_OK(ipcx_tmpl_expand(url, sizeof url, tmpl, (int) getpid(), NULL, NULL) == 0);
}

static int is_ring(void)
{
    return strncmp(url, "shm:", 4) == 0 || strncmp(url, "sysvshm:", 8) == 0;
}

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    (void) nanosleep(&ts, NULL);
}

static void wait_subscribers(ipcx_pub *p, int n)
{
    while (ipcx_pub_subscribers(p) < n)
        msleep(2);
}

static int wait_child(pid_t pid)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The address subscribers open: the publisher's (a tcp port 0 was given one). */
static char sub_url[512];
static int pub_flags; /* IPCX_PUB_BATCH for the CASE-batch runs */

static ipcx_pub *pub_open(void)
{
    ipcx_pub *p = NULL;
    T_SUCCESS(ipcx_pub_open(&p, url, pub_flags));
    T_SUCCESS(ipcx_pub_addr(p, sub_url, sizeof sub_url));
    if (is_ring()) /* the ring's keys (size, maxmsg) come from the segment */
        snprintf(sub_url, sizeof sub_url, "%s", url);
    return p;
}

/* A subscriber process: opens, subscribes to the prefixes, tells the parent through fd. */
static ipcx_sub *sub_open(int flags, const char *const *prefixes, int ready_fd)
{
    ipcx_sub *s = NULL;
    T_SUCCESS(ipcx_sub_open(&s, sub_url, flags));
    for (; *prefixes; prefixes++)
        T_SUCCESS(ipcx_subscribe(s, *prefixes));
    if (ready_fd >= 0) {
        T_OK(write(ready_fd, "r", 1) == 1);
        (void) close(ready_fd);
    }
    /* The parent waits for its publisher to count us (which answers the registration). */
    T_SUCCESS(ipcx_sub_wait(s, -1));
    return s;
}

/* The body of message i: its number (and padding after a NUL). */
static long recv_num(ipcx_sub *s, char *topic, long *num)
{
    char b[4096];
    long n = ipcx_sub_recv(s, topic, IPCX_TOPIC_MAX + 1, b, sizeof b - 1, -1);
    if (n >= 0) {
        b[n] = '\0';
        *num = strtol(b, NULL, 10);
    }
    return n;
}

static void publish_pad(ipcx_pub *p, const char *topic, long i, size_t pad)
{
    char b[4096] = { 0 };
    size_t n = (size_t) snprintf(b, 32, "%ld", i) + 1 + pad;
    T_SUCCESS(ipcx_publish(p, topic, b, n < sizeof b ? n : sizeof b - 1, -1));
}

static void publish_num(ipcx_pub *p, const char *topic, long i)
{
    publish_pad(p, topic, i, 0);
}

/* Batching publishers hold messages until a batch is full: let them go. */
static void pub_flush(ipcx_pub *p)
{
    T_SUCCESS(ipcx_pub_flush(p, -1));
}

/* ---- filter --------------------------------------------------------------- */

static const char *const topics[] = { "a", "ab", "abc", "b", "", "abd", "x/y", "ab", "xa" };
#define NTOPICS (sizeof topics / sizeof topics[0])

static int filter_child(const char *const *prefixes, int ready)
{
    ipcx_sub *s = sub_open(0, prefixes, ready);
    char topic[IPCX_TOPIC_MAX + 1];
    long num;
    /* every topic, in order, that starts with one of the prefixes */
    for (size_t i = 0; i < NTOPICS; i++) {
        int match = 0;
        for (const char *const *q = prefixes; *q; q++)
            match |= strncmp(topics[i], *q, strlen(*q)) == 0;
        if (!match)
            continue;
        T_SUCCESS(recv_num(s, topic, &num));
        T_EQ(num, (long) i);
        if (strcmp(topic, topics[i]) != 0)
            T_FAIL("topic '%s', want '%s'", topic, topics[i]);
    }
    /* and then the end marker, and nothing else between */
    T_SUCCESS(recv_num(s, topic, &num));
    T_EQ(num, -1);
    T_OK(strcmp(topic, "end") == 0);
    T_EQ(ipcx_sub_lost(s), 0);
    T_SUCCESS(ipcx_sub_close(s));
    return 0;
}

static int case_filter(void)
{
    static const char *const p1[] = { "ab", "x/", "end", NULL };
    static const char *const p2[] = { "", NULL };
    static const char *const p3[] = { "b", "end", "abd", NULL };
    const char *const *sets[] = { p1, p2, p3 };
    ipcx_pub *p = pub_open();
    pid_t kids[3];
    int fds[2];
    T_OK(pipe(fds) == 0);
    for (int k = 0; k < 3; k++)
        if ((kids[k] = fork()) == 0) {
            (void) close(fds[0]);
            _exit(filter_child(sets[k], fds[1]));
        }
    (void) close(fds[1]);
    char c;
    for (int k = 0; k < 3; k++)
        T_OK(read(fds[0], &c, 1) == 1);
    wait_subscribers(p, 3);
    for (size_t i = 0; i < NTOPICS; i++)
        publish_num(p, topics[i], (long) i);
    publish_num(p, "end", -1);
    pub_flush(p);
    for (int k = 0; k < 3; k++)
        T_EQ(wait_child(kids[k]), 0);
    T_SUCCESS(ipcx_pub_close(p));
    return 0;
}

/* ---- lossless ------------------------------------------------------------- */

#define N_MSGS 20000

static int lossless_child(int ready, int stall_at, int stall_fd)
{
    static const char *const all[] = { "", NULL };
    ipcx_sub *s = sub_open(0, all, ready);
    long num;
    for (long i = 0; i < N_MSGS; i++) {
        if (i == stall_at) {
            T_OK(write(stall_fd, "s", 1) == 1);
            pause(); /* holds the publisher until it is killed */
        }
        T_SUCCESS(recv_num(s, NULL, &num));
        T_EQ(num, i);
    }
    T_EQ(ipcx_sub_lost(s), 0);
    T_SUCCESS(ipcx_sub_close(s));
    return 0;
}

static int case_lossless(void)
{
    ipcx_pub *p = pub_open();
    pid_t kids[2];
    int fds[2];
    T_OK(pipe(fds) == 0);
    for (int k = 0; k < 2; k++)
        if ((kids[k] = fork()) == 0) {
            (void) close(fds[0]);
            _exit(lossless_child(fds[1], -1, -1));
        }
    (void) close(fds[1]);
    char c;
    for (int k = 0; k < 2; k++)
        T_OK(read(fds[0], &c, 1) == 1);
    wait_subscribers(p, 2);
    for (long i = 0; i < N_MSGS; i++)
        publish_num(p, i % 3 ? "t/a" : "t/b", i);
    pub_flush(p);
    for (int k = 0; k < 2; k++)
        T_EQ(wait_child(kids[k]), 0);
    T_SUCCESS(ipcx_pub_close(p));
    return 0;
}

/* ---- slow ----------------------------------------------------------------- */

/*
 * A lossy subscriber that stalls until the publisher has sent all N, then
 * reads: every -ENOBUFS's growth of the counter must equal the gap in the
 * numbers before the next message.  The publisher then sends end markers
 * (numbered N, N+1, ...) until this one has seen one: markers lost count
 * too, so received + lost == first marker seen.
 */
static int slow_child(int ready, int go_fd, int done_fd)
{
    static const char *const all[] = { "", NULL };
    ipcx_sub *s = sub_open(IPCX_SUB_LOSSY, all, ready);
    char c;
    T_OK(read(go_fd, &c, 1) == 1); /* the publisher has sent all N */
    long expect = 0, got = 0, num;
    long long lost = 0;
    for (;;) {
        long n = recv_num(s, NULL, &num);
        if (n == -ENOBUFS) {
            while ((n = recv_num(s, NULL, &num)) == -ENOBUFS)
                ; /* lapped again while it looked */
            T_SUCCESS(n);
            long long now = ipcx_sub_lost(s);
            T_OK(now > lost);
            if (num - expect != now - lost)
                T_FAIL("lost %lld by the counter, %ld by the numbers (at %ld)", now - lost,
                       num - expect, num);
            lost = now;
            expect = num;
        } else {
            T_SUCCESS(n);
        }
        T_EQ(num, expect);
        expect = num + 1;
        if (num >= N_MSGS)
            break;
        got++;
    }
    T_EQ(got + ipcx_sub_lost(s), num); /* num: the first end marker seen */
    T_OK(lost > 0); /* it did fall behind: else this test showed nothing */
    printf("lossy subscriber: %ld received, %lld lost\n", got, lost);
    T_OK(write(done_fd, "d", 1) == 1);
    T_SUCCESS(ipcx_sub_close(s));
    return 0;
}

static int case_slow(void)
{
    ipcx_pub *p = pub_open();
    pid_t fast, slow;
    int ready[2], go[2], done[2];
    T_OK(pipe(ready) == 0 && pipe(go) == 0 && pipe(done) == 0);
    if ((fast = fork()) == 0)
        _exit(lossless_child(ready[1], -1, -1));
    if ((slow = fork()) == 0)
        _exit(slow_child(ready[1], go[0], done[1]));
    (void) close(ready[1]);
    (void) close(done[1]);
    char c;
    for (int k = 0; k < 2; k++)
        T_OK(read(ready[0], &c, 1) == 1);
    wait_subscribers(p, 2);
    /* Bodies large enough that socket buffers (tcp's grow to megabytes) fill. */
    for (long i = 0; i < N_MSGS; i++)
        publish_pad(p, "feed", i, is_ring() ? 0 : 1000);
    pub_flush(p); /* waits for the lossless one only */
    T_OK(write(go[1], "g", 1) == 1);
    /* End markers until the lossy one saw one (it may miss some of these too). */
    for (long i = N_MSGS;; i++) {
        publish_num(p, "feed", i);
        pub_flush(p);
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(done[0], &rd);
        struct timeval tv = { 0, 5000 };
        if (select(done[0] + 1, &rd, NULL, NULL, &tv) == 1)
            break;
        if (i > N_MSGS + 100000)
            T_FAIL("the lossy subscriber never saw an end marker");
    }
    T_OK(read(done[0], &c, 1) == 1);
    T_EQ(wait_child(slow), 0);
    T_EQ(wait_child(fast), 0); /* it got all N and left: the markers after are not its */
    T_SUCCESS(ipcx_pub_close(p));
    return 0;
}

/* ---- kill ----------------------------------------------------------------- */

#define KILL_ROUNDS 100
#define KILL_MSGS   400

static int kill_child(int ready, int stall_at, int stall_fd, long nmsgs)
{
    static const char *const all[] = { "", NULL };
    ipcx_sub *s = sub_open(0, all, ready);
    long num;
    for (long i = 0; i < nmsgs; i++) {
        if (i == stall_at) {
            T_OK(write(stall_fd, "s", 1) == 1);
            for (;;)
                pause();
        }
        T_SUCCESS(recv_num(s, NULL, &num));
        T_EQ(num, i);
    }
    T_SUCCESS(ipcx_sub_close(s));
    return 0;
}

static int case_kill(void)
{
    int ok = 0;
    srand((unsigned) getpid());
    for (int round = 0; round < KILL_ROUNDS; round++) {
        ipcx_pub *p = pub_open();
        int ready[2], stall[2];
        T_OK(pipe(ready) == 0 && pipe(stall) == 0);
        int stall_at = rand() % KILL_MSGS;
        pid_t good, victim;
        if ((good = fork()) == 0)
            _exit(kill_child(ready[1], -1, -1, KILL_MSGS));
        if ((victim = fork()) == 0)
            _exit(kill_child(ready[1], stall_at, stall[1], KILL_MSGS));
        (void) close(ready[1]);
        (void) close(stall[1]);
        char c;
        for (int k = 0; k < 2; k++)
            T_OK(read(ready[0], &c, 1) == 1);
        wait_subscribers(p, 2);
        pid_t killer = fork();
        if (killer == 0) {
            /* Even rounds: the moment it stalls (the publisher soon waits for it); odd: any. */
            if (round % 2 == 0)
                T_OK(read(stall[0], &c, 1) == 1);
            else
                msleep(rand() % 5);
            kill(victim, SIGKILL);
            _exit(0);
        }
        for (long i = 0; i < KILL_MSGS; i++)
            publish_pad(p, "k", i, is_ring() ? 0 : 2000); /* more than socket buffers hold */
        pub_flush(p); /* returns once the victim is gone, the good one has all */
        T_EQ(wait_child(killer), 0);
        int v = wait_child(victim);
        T_OK(v == 128 + SIGKILL || v == 0); /* 0: it had read everything before the kill */
        T_EQ(wait_child(good), 0);
        T_SUCCESS(ipcx_pub_close(p));
        (void) close(ready[0]);
        (void) close(stall[0]);
        ok++;
    }
    printf("kill: %d of %d rounds: the publisher went on, the other subscriber got all %d\n",
           ok, KILL_ROUNDS, KILL_MSGS);
    T_EQ(ok, KILL_ROUNDS);
    return 0;
}

/* ---- pool ----------------------------------------------------------------- */

#define POOL_WORKERS 4
#define POOL_JOBS    10000

/* The URL workers open: the submitter's (a tcp port 0 was given one). */
static char pool_url[512];

static int is_sock(void)
{
    return strncmp(url, "unix:", 5) == 0 || strncmp(url, "tcp:", 4) == 0;
}

static ipcx_pool *pool_submitter(void)
{
    ipcx_pool *p = NULL;
    T_SUCCESS(ipcx_pool_open(&p, url, IPCX_SEND | IPCX_CREATE));
    T_SUCCESS(ipcx_pool_addr(p, pool_url, sizeof pool_url));
    if (!is_sock()) /* a queue's or ring's keys (sizes) are part of the URL */
        snprintf(pool_url, sizeof pool_url, "%s", url);
    return p;
}

/* Run the submitter's dispatcher until fd is readable (a child reports). */
static void pool_pump_until(ipcx_pool *p, int fd)
{
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    while (poll(&pf, 1, 0) == 0) {
        int r = ipcx_pool_dispatch(p, 5);
        T_OK(r == 0 || r == -ETIMEDOUT);
        (void) poll(&pf, 1, r == 0 ? 5 : 0);
    }
}

/* A worker: takes jobs until the stop job, writes each number taken to fd. */
static int pool_worker(int fd, int ready)
{
    ipcx_pool *w = NULL;
    T_SUCCESS(ipcx_pool_open(&w, pool_url, IPCX_RECV | IPCX_CREATE));
    T_OK(write(ready, "r", 1) == 1);
    for (;;) {
        uint32_t job;
        long n = ipcx_pool_take(w, &job, sizeof job, -1);
        T_EQ(n, (long) sizeof job);
        if (job == UINT32_MAX) {
            T_SUCCESS(ipcx_pool_done(w));
            break;
        }
        T_OK(write(fd, &job, sizeof job) == (ssize_t) sizeof job);
        T_SUCCESS(ipcx_pool_done(w));
    }
    T_SUCCESS(ipcx_pool_close(w));
    return 0;
}

static int case_pool(void)
{
    ipcx_pool *p = pool_submitter();
    int out[2], ready[2];
    pid_t kids[POOL_WORKERS];
    T_OK(pipe(out) == 0 && pipe(ready) == 0);
    for (int k = 0; k < POOL_WORKERS; k++)
        if ((kids[k] = fork()) == 0) {
            (void) close(out[0]);
            _exit(pool_worker(out[1], ready[1]));
        }
    (void) close(out[1]);
    (void) close(ready[1]);
    char c;
    for (int k = 0; k < POOL_WORKERS; k++) {
        pool_pump_until(p, ready[0]); /* a dispatcher takes the connections */
        T_OK(read(ready[0], &c, 1) == 1);
    }
    if (is_sock() || !strncmp(url, "mq:", 3)) {
        while (ipcx_pool_workers(p) < POOL_WORKERS)
            msleep(1);
        T_EQ(ipcx_pool_workers(p), POOL_WORKERS);
    } else {
        T_ERR(ipcx_pool_workers(p), -ENOTSUP);
    }
    /* A reader of the numbers, so that a full pipe never stops a worker. */
    static unsigned char seen[POOL_JOBS];
    pid_t reader = fork();
    if (reader == 0) {
        uint32_t job;
        long total = 0;
        while (read(out[0], &job, sizeof job) == (ssize_t) sizeof job) {
            if (job >= POOL_JOBS)
                T_FAIL("job %u was never submitted", job);
            if (seen[job]++)
                T_FAIL("job %u taken twice", job);
            total++;
        }
        T_EQ(total, POOL_JOBS);
        _exit(0);
    }
    (void) close(out[0]);
    for (uint32_t i = 0; i < POOL_JOBS; i++)
        T_SUCCESS(ipcx_pool_submit(p, &i, sizeof i, -1));
    uint32_t stop = UINT32_MAX;
    for (int k = 0; k < POOL_WORKERS; k++)
        T_SUCCESS(ipcx_pool_submit(p, &stop, sizeof stop, -1));
    T_SUCCESS(ipcx_pool_dispatch(p, -1)); /* every job done */
    for (int k = 0; k < POOL_WORKERS; k++)
        T_EQ(wait_child(kids[k]), 0);
    T_EQ(wait_child(reader), 0);
    /* Not 0 always: a job sent to a worker that left after its stop job
     * goes to another worker (it was never taken: the reader proves it). */
    printf("pool: %d jobs, each taken once; %lld handed out again\n", POOL_JOBS,
           ipcx_pool_redelivered(p));
    T_SUCCESS(ipcx_pool_close(p));
    (void) ipcx_pool_unlink(url);
    return 0;
}

#define POOLKILL_ROUNDS 100

static int case_poolkill(void)
{
    int ok = 0;
    long long redelivered = 0;
    for (int round = 0; round < POOLKILL_ROUNDS; round++) {
        ipcx_pool *p = pool_submitter();
        int held[2], fin[2];
        T_OK(pipe(held) == 0 && pipe(fin) == 0);
        uint32_t job = (uint32_t) round;
        T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
        pid_t victim = fork();
        if (victim == 0) {
            ipcx_pool *w = NULL;
            uint32_t got;
            T_SUCCESS(ipcx_pool_open(&w, pool_url, IPCX_RECV));
            T_EQ(ipcx_pool_take(w, &got, sizeof got, -1), (long) sizeof got);
            T_OK(write(held[1], &got, sizeof got) == (ssize_t) sizeof got);
            for (;;)
                pause(); /* holds it until killed */
        }
        uint32_t got = 0;
        pool_pump_until(p, held[0]);
        T_OK(read(held[0], &got, sizeof got) == (ssize_t) sizeof got);
        T_EQ(got, job);
        kill(victim, SIGKILL);
        T_EQ(wait_child(victim), 128 + SIGKILL);
        /* Another worker: it must get the job the dead one held, once. */
        pid_t heir = fork();
        if (heir == 0) {
            ipcx_pool *w = NULL;
            uint32_t again = 0;
            T_SUCCESS(ipcx_pool_open(&w, pool_url, IPCX_RECV));
            T_EQ(ipcx_pool_take(w, &again, sizeof again, -1), (long) sizeof again);
            T_EQ(again, job);
            T_SUCCESS(ipcx_pool_done(w));
            T_OK(write(fin[1], "d", 1) == 1);
            T_EQ(ipcx_pool_take(w, &again, sizeof again, 0), -EAGAIN); /* exactly once */
            T_SUCCESS(ipcx_pool_close(w));
            _exit(0);
        }
        T_SUCCESS(ipcx_pool_dispatch(p, -1)); /* the job done, by the heir */
        char c;
        T_OK(read(fin[0], &c, 1) == 1);
        T_EQ(wait_child(heir), 0);
        long long r = ipcx_pool_redelivered(p);
        if (is_sock())
            T_EQ(r, 1); /* the dispatcher gave the dead worker's job out again */
        redelivered += r > 0 ? r : 0;
        T_SUCCESS(ipcx_pool_close(p));
        (void) close(held[0]);
        (void) close(held[1]);
        (void) close(fin[0]);
        (void) close(fin[1]);
        ok++;
    }
    printf("poolkill: %d of %d rounds: the killed worker's job went to the next worker, "
           "once (%lld redelivered by the submitter)\n", ok, POOLKILL_ROUNDS, redelivered);
    T_EQ(ok, POOLKILL_ROUNDS);
    (void) ipcx_pool_unlink(url);
    return 0;
}

/*
 * The submitter dies: a worker that waits in ipcx_pool_take gets -EPIPE
 * where the transport can tell (sockets: the dispatcher's end closed), or
 * its timeout (a queue outlives its users); it never hangs.  The
 * submitter kills itself once its one job is done, so the worker is
 * waiting at that moment, or about to.
 */
static int case_poolgone(void)
{
    int addr[2];
    T_OK(pipe(addr) == 0);
    pid_t sub = fork();
    if (sub == 0) {
        ipcx_pool *p = pool_submitter();
        T_OK(write(addr[1], pool_url, sizeof pool_url) == (ssize_t) sizeof pool_url);
        uint32_t job = 7;
        T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
        T_SUCCESS(ipcx_pool_dispatch(p, -1));
        raise(SIGKILL);
    }
    T_OK(read(addr[0], pool_url, sizeof pool_url) == (ssize_t) sizeof pool_url);
    ipcx_pool *w = NULL;
    uint32_t got = 0;
    T_SUCCESS(ipcx_pool_open(&w, pool_url, IPCX_RECV));
    T_EQ(ipcx_pool_take(w, &got, sizeof got, -1), (long) sizeof got);
    T_EQ(got, 7);
    T_SUCCESS(ipcx_pool_done(w));
    long r = ipcx_pool_take(w, &got, sizeof got, is_sock() ? -1 : 300);
    if (is_sock())
        T_ERR(r, -EPIPE);
    else
        T_OK(r == -ETIMEDOUT || r == -EPIPE);
    T_EQ(wait_child(sub), 128 + SIGKILL);
    T_SUCCESS(ipcx_pool_close(w));
    (void) ipcx_pool_unlink(url);
    printf("poolgone: the worker got %s when the submitter died\n", ipcx_strerror((int) r));
    return 0;
}

/* Bytes a hostile worker sends: a pool header (pool_wire.h) by hand. */
static void raw_frame(int fd, unsigned kind, uint64_t id)
{
    uint8_t h[16] = { 0x50, 0x4c, 1, (uint8_t) kind };
    for (int i = 0; i < 8; i++)
        h[8 + i] = (uint8_t) (id >> (56 - 8 * i));
    T_OK(write(fd, h, sizeof h) == (ssize_t) sizeof h);
}

static int raw_connect(void)
{
    return raw_connect_to(pool_url);
}

/* Pump until the peer at fd has n bytes for us (or closed: returns 0). */
static long raw_read(ipcx_pool *p, int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, 0) == 0) {
            (void) ipcx_pool_dispatch(p, 5);
            continue;
        }
        ssize_t r = read(fd, (char *) buf + got, n - got);
        if (r <= 0)
            return 0;
        got += (size_t) r;
    }
    return (long) got;
}

/*
 * Sockets: the dispatcher trusts no worker.  A DONE for a job handed to
 * another worker, a DONE before HELLO, a second HELLO and junk bytes each
 * drop only that connection; a dropped holder's job goes to a real worker;
 * the dispatcher goes on and every job is done once.
 */
/*
 * mq: anyone who may write the queue can put a message in it that is not
 * a job: the worker drops it (-EBADMSG, said) and takes the next job.
 */
static int mq_hostile(void)
{
    /* A table that another user put under the name first is refused. */
    if (geteuid() == 0) {
        char trap[600];
        const char *q = strchr(url, '?');
        snprintf(trap, sizeof trap, "/dev/shm%.*s.pool", (int) (q ? q - url - 3 : (long) strlen(url) - 3),
                 url + 3);
        int fd = open(trap, O_CREAT | O_EXCL | O_RDWR, 0666);
        T_OK(fd >= 0 && fchown(fd, 65534, 65534) == 0 && ftruncate(fd, 1 << 20) == 0);
        (void) close(fd);
        ipcx_pool *t = NULL;
        T_ERR(ipcx_pool_open(&t, url, IPCX_SEND | IPCX_CREATE), -EACCES);
        T_OK(unlink(trap) == 0);
    }
    ipcx_pool *p = pool_submitter(), *w = NULL;
    ipcx_chan *raw = NULL;
    uint32_t job = 5, got = 0;
    T_SUCCESS(ipcx_pool_open(&w, pool_url, IPCX_RECV));
    T_SUCCESS(ipcx_open(&raw, url, IPCX_SEND));
    T_SUCCESS(ipcx_send(raw, "junk", 4, 0, -1));
    T_SUCCESS(ipcx_send(raw, "", 0, 0, -1));
    T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
    T_ERR(ipcx_pool_take(w, &got, sizeof got, -1), -EBADMSG);
    T_OK(strstr(ipcx_errdetail(), "not a job") != NULL);
    T_ERR(ipcx_pool_take(w, &got, sizeof got, -1), -EBADMSG);
    T_EQ(ipcx_pool_take(w, &got, sizeof got, -1), (long) sizeof got);
    T_EQ(got, 5);
    T_SUCCESS(ipcx_pool_done(w));
    T_SUCCESS(ipcx_pool_dispatch(p, -1));
    T_SUCCESS(ipcx_close(raw));
    T_SUCCESS(ipcx_pool_close(w));
    T_SUCCESS(ipcx_pool_close(p));
    (void) ipcx_pool_unlink(url);
    printf("poolhostile: 2 messages that are not jobs dropped, the job after them taken\n");
    return 0;
}

static int case_poolhostile(void)
{
    if (!strncmp(url, "mq:", 3))
        return mq_hostile();
    if (!is_sock())
        return T_SKIP;
    ipcx_pool *p = pool_submitter();
    uint32_t jobs[2] = { 11, 12 };
    uint8_t frame[16 + 4];
    T_SUCCESS(ipcx_pool_submit(p, &jobs[0], 4, -1));
    int a = raw_connect();
    raw_frame(a, 1, 1); /* HELLO, window 1 */
    T_EQ(raw_read(p, a, frame, sizeof frame), (long) sizeof frame);
    T_OK(frame[3] == 2 && !memcmp(frame + 16, &jobs[0], 4));
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = id << 8 | frame[8 + i];
    /* b says a's job is done: b is dropped, a still holds it. */
    int b = raw_connect();
    raw_frame(b, 1, 1);
    raw_frame(b, 3, id);
    T_EQ(raw_read(p, b, frame, 1), 0);
    /* c: DONE before HELLO; d: two HELLOs; e: junk. */
    int c = raw_connect(), d = raw_connect(), e = raw_connect();
    raw_frame(c, 3, id);
    raw_frame(d, 1, 1);
    raw_frame(d, 1, 1);
    T_OK(write(e, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
    T_EQ(raw_read(p, c, frame, 1), 0);
    T_EQ(raw_read(p, d, frame, 1), 0);
    T_EQ(raw_read(p, e, frame, 1), 0);
    T_EQ(ipcx_pool_redelivered(p), 0);
    /* a misbehaves too (a DONE for a job it never had): its job goes to a real worker. */
    raw_frame(a, 3, id + 100);
    T_EQ(raw_read(p, a, frame, 1), 0);
    T_SUCCESS(ipcx_pool_submit(p, &jobs[1], 4, -1));
    int out[2];
    T_OK(pipe(out) == 0);
    pid_t w = fork();
    if (w == 0) {
        ipcx_pool *wk = NULL;
        uint32_t got[2];
        T_SUCCESS(ipcx_pool_open(&wk, pool_url, IPCX_RECV));
        for (int i = 0; i < 2; i++) {
            T_EQ(ipcx_pool_take(wk, &got[i], 4, -1), 4);
            T_SUCCESS(ipcx_pool_done(wk));
        }
        T_OK(write(out[1], got, sizeof got) == (ssize_t) sizeof got);
        T_SUCCESS(ipcx_pool_close(wk));
        _exit(0);
    }
    T_SUCCESS(ipcx_pool_dispatch(p, -1));
    uint32_t got[2];
    T_OK(read(out[0], got, sizeof got) == (ssize_t) sizeof got);
    T_OK(got[0] == 11 && got[1] == 12); /* the redelivered one first */
    T_EQ(wait_child(w), 0);
    T_EQ(ipcx_pool_redelivered(p), 1);
    for (int fd = 0; fd < 3; fd++)
        (void) close((int[]){ a, b, c }[fd]);
    (void) close(d);
    (void) close(e);
    T_SUCCESS(ipcx_pool_close(p));
    printf("poolhostile: 5 bad connections dropped, the dispatcher went on, 2 jobs done once\n");
    return 0;
}

/*
 * Sockets: credit.  Worker A (window W) takes a job and stalls holding it;
 * of the 10 jobs, the dispatcher sends A no more than W, so worker B gets
 * the other 10 - W, and A, once it is done with the first, takes exactly
 * the W - 1 that were waiting for it.  A dispatcher that overfilled A
 * would leave B waiting for ever (the CTest timeout).
 */
#define CREDIT_JOBS 10

static int case_poolcredit(void)
{
    if (!is_sock())
        return T_SKIP;
    for (unsigned win = 1; win <= 3; win += 2) {
        ipcx_pool *p = pool_submitter();
        int held[2], go[2], fin[2];
        T_OK(pipe(held) == 0 && pipe(go) == 0 && pipe(fin) == 0);
        char aurl[600];
        snprintf(aurl, sizeof aurl, "%s%swindow=%u", pool_url, strchr(pool_url, '?') ? "&" : "?",
                 win);
        uint32_t job = 0;
        T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
        pid_t a = fork();
        if (a == 0) {
            ipcx_pool *w = NULL;
            uint32_t got;
            char c;
            T_SUCCESS(ipcx_pool_open(&w, aurl, IPCX_RECV));
            T_EQ(ipcx_pool_take(w, &got, sizeof got, -1), (long) sizeof got);
            T_OK(write(held[1], "h", 1) == 1);
            T_OK(read(go[0], &c, 1) == 1); /* stalls, holding the job */
            T_SUCCESS(ipcx_pool_done(w));
            uint32_t more = 0;
            while (ipcx_pool_take(w, &got, sizeof got, 0) == (long) sizeof got) {
                more++;
                T_SUCCESS(ipcx_pool_done(w));
            }
            T_EQ(more, win - 1); /* what was sent to it, no more */
            T_SUCCESS(ipcx_pool_close(w));
            _exit(0);
        }
        pool_pump_until(p, held[0]);
        for (job = 1; job < CREDIT_JOBS; job++)
            T_SUCCESS(ipcx_pool_submit(p, &job, sizeof job, -1));
        pid_t b = fork();
        if (b == 0) {
            ipcx_pool *w = NULL;
            uint32_t got;
            T_SUCCESS(ipcx_pool_open(&w, pool_url, IPCX_RECV));
            for (unsigned i = 0; i < CREDIT_JOBS - win; i++) {
                T_EQ(ipcx_pool_take(w, &got, sizeof got, -1), (long) sizeof got);
                T_SUCCESS(ipcx_pool_done(w));
            }
            T_OK(write(fin[1], "b", 1) == 1);
            T_SUCCESS(ipcx_pool_close(w));
            _exit(0);
        }
        pool_pump_until(p, fin[0]);
        T_OK(write(go[1], "g", 1) == 1);
        T_SUCCESS(ipcx_pool_dispatch(p, -1));
        T_EQ(wait_child(a), 0);
        T_EQ(wait_child(b), 0);
        T_EQ(ipcx_pool_redelivered(p), 0);
        T_SUCCESS(ipcx_pool_close(p));
        for (int i = 0; i < 2; i++) {
            (void) close(held[i]);
            (void) close(go[i]);
            (void) close(fin[i]);
        }
        printf("poolcredit: window %u: the stalled worker was sent %u, the other %u\n", win,
               win, CREDIT_JOBS - win);
    }
    return 0;
}

/* ---- owner (rings) ------------------------------------------------------------ */

/*
 * The publisher owns the ring's name: closing, it removes it although a
 * subscriber is still attached; that subscriber reads what is left and
 * then gets -EPIPE; a new subscriber finds nothing (-ENOENT) until a new
 * publisher makes a new ring.  A subscriber's close never removes it.
 */
static int case_owner(void)
{
    static const char *const all[] = { "", NULL };
    if (!is_ring())
        return T_SKIP;
    ipcx_pub *p = pub_open();
    ipcx_sub *a = sub_open(0, all, -1), *b = sub_open(IPCX_SUB_LOSSY, all, -1), *c = NULL;
    long num;
    T_SUCCESS(ipcx_sub_close(b)); /* a subscriber leaving: the name stays */
    T_SUCCESS(ipcx_sub_open(&b, sub_url, 0));
    T_SUCCESS(ipcx_sub_close(b));
    publish_num(p, "o", 7);
    T_SUCCESS(ipcx_pub_close(p));
    T_ERR(ipcx_sub_open(&c, sub_url, 0), -ENOENT);
    T_SUCCESS(recv_num(a, NULL, &num));
    T_EQ(num, 7);
    char buf[8];
    T_ERR(ipcx_sub_recv(a, NULL, 0, buf, sizeof buf, -1), -EPIPE);
    p = pub_open(); /* a new ring under the name */
    T_SUCCESS(ipcx_sub_open(&c, sub_url, 0));
    T_SUCCESS(ipcx_subscribe(c, ""));
    publish_num(p, "o", 8);
    T_SUCCESS(recv_num(c, NULL, &num));
    T_EQ(num, 8);
    T_SUCCESS(ipcx_sub_close(a));
    T_SUCCESS(ipcx_sub_close(c));
    T_SUCCESS(ipcx_pub_close(p));
    T_ERR(ipcx_sub_open(&c, sub_url, 0), -ENOENT);
    return 0;
}

/* ---- refuse --------------------------------------------------------------- */

static int case_refuse(void)
{
    ipcx_pub *p = NULL;
    ipcx_sub *s = NULL;
    ipcx_pool *w = NULL;
    T_ERR(ipcx_pub_open(&p, "mq:/ipcx-t-never", 0), -ENOTSUP);
    T_OK(strstr(ipcx_errdetail(), "mq") != NULL);
    T_ERR(ipcx_sub_open(&s, "fifo:/tmp/ipcx-t-never", 0), -ENOTSUP);
    T_ERR(ipcx_pool_open(&w, "sysvmq:12345", IPCX_RECV), -ENOTSUP);
    T_OK(strstr(ipcx_errdetail(), "vanish") != NULL);
    T_ERR(ipcx_pub_open(&p, "shm:/ipcx-t-never", 7), -EINVAL);
    T_OK(p == NULL && s == NULL && w == NULL);
    return 0;
}

static void cleanup(void)
{
    if (url[0]) {
        (void) ipcx_unlink(url);
        (void) ipcx_pool_unlink(url); /* mq: the pool's table too */
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pubsub_test CASE [URL]\n");
        return 1;
    }
    make_url(argc > 2 ? argv[2] : "");
    t_cleanup = cleanup;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);
    int r;
    size_t cl = strlen(argv[1]);
    if (cl > 6 && !strcmp(argv[1] + cl - 6, "-batch")) {
        pub_flags = IPCX_PUB_BATCH; /* the same case with a batching publisher */
        argv[1][cl - 6] = '\0';
    }
    if (!strcmp(argv[1], "filter"))
        r = case_filter();
    else if (!strcmp(argv[1], "lossless"))
        r = case_lossless();
    else if (!strcmp(argv[1], "slow"))
        r = case_slow();
    else if (!strcmp(argv[1], "kill"))
        r = case_kill();
    else if (!strcmp(argv[1], "pool"))
        r = case_pool();
    else if (!strcmp(argv[1], "poolkill"))
        r = case_poolkill();
    else if (!strcmp(argv[1], "poolgone"))
        r = case_poolgone();
    else if (!strcmp(argv[1], "poolcredit"))
        r = case_poolcredit();
    else if (!strcmp(argv[1], "poolhostile"))
        r = case_poolhostile();
    else if (!strcmp(argv[1], "owner"))
        r = case_owner();
    else if (!strcmp(argv[1], "refuse"))
        r = case_refuse();
    else {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 1;
    }
    return r;
}
