/*
 * shm_test.c - tests of the shared-memory ring (shm:, sysvshm:, shm pairs)
 * beyond the conformance suite: every mode and segment kind, zero copy,
 * the doorbell descriptor, bad headers, dead peers killed at random
 * moments, a hostile third process, mpmc exactly-once, bcast fan-out and
 * drop counting, the sending end's descriptor (writable while a send may
 * succeed) and the doorbell FIFOs of killed processes.  One binary; argv[1]
 * names the case, so CTest runs each case as its own test (argv[2]: the
 * ipcx command, for the gc case).  Names carry the pid and are removed on
 * failure, and children the cases fork are killed.
 */
#include "t.h"
#include "ipcx/admin.h"
#include "sys/fault.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *modes[] = { "spsc", "mpsc", "mpmc", "bcast" };
static char names[8][256];
static int nnames;
static int sysv_key;
/* Children of the descriptor and doorbell cases: killed on failure unless reaped already. */
static struct kid {
    pid_t pid;
    unsigned long long start; /* names its doorbells, with the pid */
    int reaped;
} forked[64];
static int nkids;
static char planted[400]; /* a FIFO the bell_close case makes itself */

static void bells_remove(pid_t pid, unsigned long long start);
static unsigned long long proc_start(pid_t pid);

static void cleanup(void)
{
    for (int i = 0; i < nkids; i++)
        if (!forked[i].reaped) {
            kill(forked[i].pid, SIGKILL);
            (void) waitpid(forked[i].pid, NULL, 0);
        }
    /* url() reuses the 8 buffers in turn: nnames may count past them. */
    for (int i = 0; i < nnames && i < 8; i++)
        (void) ipcx_unlink(names[i]);
    if (sysv_key) {
        int id = shmget(sysv_key, 0, 0);
        if (id >= 0)
            (void) shmctl(id, IPC_RMID, NULL);
    }
    /* Doorbell FIFOs of ours and of our children (a failed case may leave them). */
    if (planted[0])
        (void) unlink(planted);
    bells_remove(getpid(), proc_start(getpid()));
    for (int i = 0; i < nkids; i++)
        bells_remove(forked[i].pid, forked[i].start);
    nkids = 0;
}

/* A URL for this test: shm:/ipcx-t-PID-TAG?QUERY; remembered for cleanup. */
static const char *url(const char *tag, const char *query)
{
    char *u = names[nnames++ % 8];
    snprintf(u, 256, "shm:/ipcx-t-%d-%s%s%s", (int) getpid(), tag, query ? "?" : "",
             query ? query : "");
    return u;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A message: seq, length, checksum, then a pattern. */
struct msg {
    uint32_t seq, len, sum, from;
};
static uint32_t fill(uint8_t *b, uint32_t seq, uint32_t len, uint32_t from)
{
    uint32_t sum = 0;
    for (uint32_t i = sizeof(struct msg); i < len; i++) {
        b[i] = (uint8_t) (seq * 7 + i);
        sum = sum * 31 + b[i];
    }
    struct msg m = { seq, len, sum, from };
    memcpy(b, &m, sizeof m);
    return sum;
}
static int check(const uint8_t *b, long n, struct msg *out)
{
    struct msg m;
    uint32_t sum = 0;
    if (n < (long) sizeof m)
        return 0;
    memcpy(&m, b, sizeof m);
    if (m.len != (uint32_t) n)
        return 0;
    for (uint32_t i = sizeof m; i < m.len; i++)
        sum = sum * 31 + b[i];
    *out = m;
    return sum == m.sum;
}
static uint32_t msg_len(uint32_t seq, uint32_t max)
{
    return sizeof(struct msg) + (seq * 2654435761u) % (max - sizeof(struct msg) + 1);
}

/* ---- basic: every mode, posix + sysv + pair, copy and zero copy --------- */

static void basic_one(const char *u, ipcx_chan *rx, ipcx_chan *tx)
{
    uint8_t buf[2048];
    void *loan;
    const void *m;
    size_t len;
    unsigned prio;
    (void) u;
    T_OK(ipcx_caps(rx) & IPCX_CAP_ZEROCOPY);
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 0), -EAGAIN);
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 20), -ETIMEDOUT);
    for (uint32_t i = 0; i < 300; i++) {
        uint32_t n = msg_len(i, 1000);
        if (i % 2) {
            T_SUCCESS(ipcx_loan(tx, n, &loan));
            fill(loan, i, n, 0);
            T_SUCCESS(ipcx_commit(tx, loan, n, i % 5));
        } else {
            fill(buf, i, n, 0);
            T_SUCCESS(ipcx_send(tx, buf, n, i % 5, 1000));
        }
        struct msg mm;
        if (i % 3) {
            long r = ipcx_recv(rx, buf, sizeof buf, &prio, 1000);
            T_ERR(r, (long) n);
            T_OK(check(buf, r, &mm) && mm.seq == i && prio == i % 5);
        } else {
            T_SUCCESS(ipcx_peek(rx, &m, &len, 1000));
            T_OK(check(m, (long) len, &mm) && mm.seq == i);
            T_SUCCESS(ipcx_release(rx));
        }
    }
    /* -EMSGSIZE keeps the message. */
    fill(buf, 9, 100, 0);
    T_SUCCESS(ipcx_send(tx, buf, 100, 0, 1000));
    T_ERR(ipcx_recv(rx, buf, 10, NULL, 1000), -EMSGSIZE);
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 1000), 100);
    T_ERR(ipcx_send(tx, buf, ipcx_maxmsg(tx) + 1, 0, 0), -EMSGSIZE);
    /* Fill up: -EAGAIN, not a hang. */
    int sent = 0;
    while (ipcx_send(tx, buf, 1000, 0, 0) == 0)
        sent++;
    T_OK(sent > 0);
    T_ERR(ipcx_send(tx, buf, 1000, 0, 20), -ETIMEDOUT);
    for (int i = 0; i < sent; i++)
        T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 1000), 1000);
    /* The sender leaves: the receiver gets -EPIPE on an empty ring. */
    T_SUCCESS(ipcx_send(tx, buf, 5, 0, 0));
    ipcx_close(tx);
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 1000), 5);
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 1000), -EPIPE);
}

static int t_basic(void)
{
    ipcx_chan *rx, *tx;
    char q[128];
    for (int m = 0; m < 4; m++) {
        snprintf(q, sizeof q, "mode=%s&maxmsg=2000&size=65536", modes[m]);
        const char *u = url(modes[m], q);
        T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
        T_ERR(ipcx_open(&tx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL), -EEXIST);
        T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));
        struct stat st;
        char path[160];
        snprintf(path, sizeof path, "/dev/shm%s", strchr(u, '/'));
        *strchr(path, '?') = 0;
        T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
        basic_one(u, rx, tx);
        ipcx_close(rx);
        T_OK(stat(path, &st) < 0); /* the receiver that created it removed it */

        /* System V, same ring. */
        char su[128];
        sysv_key = 0x1c000000 | (getpid() & 0xffff) << 4 | m;
        snprintf(su, sizeof su, "sysvshm:%d?mode=%s&maxmsg=2000&size=65536", sysv_key, modes[m]);
        T_SUCCESS(ipcx_open(&rx, su, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
        T_SUCCESS(ipcx_open(&tx, su, IPCX_SEND));
        basic_one(su, rx, tx);
        ipcx_close(rx);
        T_OK(shmget(sysv_key, 0, 0) < 0);
        sysv_key = 0;

        /* Anonymous pair. */
        ipcx_chan *ends[2];
        snprintf(q, sizeof q, "shm:?mode=%s&maxmsg=2000&size=65536", modes[m]);
        T_SUCCESS(ipcx_pair(q, ends));
        T_OK(ipcx_caps(ends[0]) & IPCX_CAP_PAIR);
        basic_one(q, ends[0], ends[1]);
        ipcx_close(ends[0]);
    }
    /* Bad URLs create nothing. */
    T_ERR(ipcx_open(&rx, "shm:/x?mode=nope", IPCX_RECV | IPCX_CREATE), -EINVAL);
    T_ERR(ipcx_open(&rx, "shm:/x?mode=spsc&overflow=drop", IPCX_RECV | IPCX_CREATE), -EINVAL);
    T_ERR(ipcx_open(&rx, "shm:/a/b", IPCX_RECV | IPCX_CREATE), -EINVAL);
    T_ERR(ipcx_open(&rx, "shm:", IPCX_RECV | IPCX_CREATE), -EINVAL);
    T_ERR(ipcx_open(&rx, "shm:/x?maxmsg=1M&size=4096", IPCX_RECV | IPCX_CREATE), -EINVAL);
    T_ERR(ipcx_open(&rx, url("none", NULL), IPCX_RECV), -ENOENT);
    /* perm= sets the permissions. */
    const char *u = url("perm", "perm=0640");
    T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE));
    char path[160];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm/ipcx-t-%d-perm", (int) getpid());
    T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
    /* One receiver in spsc. */
    T_ERR(ipcx_open(&tx, u, IPCX_RECV), -EBUSY);
    /* An opener asking for less than the segment grants is refused (owner.h);
     * asking for its mode accepts it. */
    T_ERR(ipcx_open(&tx, url("perm", "mode=spsc"), IPCX_SEND), -EACCES);
    T_OK(strstr(ipcx_errdetail(), "mode 0640") != NULL);
    T_SUCCESS(ipcx_open(&tx, url("perm", "perm=0640"), IPCX_SEND));
    ipcx_close(tx);
    /* A mode that differs from the segment's (an spsc ring). */
    T_ERR(ipcx_open(&tx, url("perm", "mode=mpmc&perm=0640"), IPCX_SEND), -EINVAL);
    ipcx_close(rx);
    return 0;
}

/* ---- pair over fork, EOF and RXGONE ----------------------------------- */

static int t_fork(void)
{
    for (int m = 0; m < 4; m++) {
        char q[64];
        ipcx_chan *e[2];
        uint8_t buf[256];
        snprintf(q, sizeof q, "shm:?mode=%s&maxmsg=256", modes[m]);
        T_SUCCESS(ipcx_pair(q, e));
        pid_t pid = fork();
        if (pid == 0) {
            ipcx_close(e[0]);
            for (uint32_t i = 0; i < 10000; i++) {
                fill(buf, i, msg_len(i, 256), 1);
                if (ipcx_send(e[1], buf, msg_len(i, 256), 0, 5000) < 0)
                    _exit(3);
            }
            _exit(0); /* no close: death is noticed all the same */
        }
        ipcx_close(e[1]);
        long n;
        uint32_t i = 0;
        struct msg mm;
        while ((n = ipcx_recv(e[0], buf, sizeof buf, NULL, 5000)) > 0) {
            T_OK(check(buf, n, &mm) && mm.seq == i);
            i++;
        }
        T_ERR(n, -EPIPE);
        T_EQ(i, 10000);
        int st;
        T_OK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        ipcx_close(e[0]);
        /* RXGONE: a receiver child that dies makes sends fail. */
        T_SUCCESS(ipcx_pair(q, e));
        pid = fork();
        if (pid == 0) {
            ipcx_close(e[1]);
            (void) ipcx_recv(e[0], buf, sizeof buf, NULL, 5000);
            _exit(0);
        }
        ipcx_close(e[0]);
        T_SUCCESS(ipcx_send(e[1], buf, 10, 0, 1000));
        T_OK(waitpid(pid, &st, 0) == pid);
        int r;
        int64_t t0 = now_ms();
        while ((r = ipcx_send(e[1], buf, 10, 0, 200)) == 0 || r == -ETIMEDOUT)
            T_OK(now_ms() - t0 < 30000);
        T_ERR(r, -EPIPE);
        ipcx_close(e[1]);
    }
    return 0;
}

/* ---- ipcx_fd: the doorbell in poll ------------------------------------ */

static void fd_rx_killed(void);

static int t_fd(void)
{
    for (int m = 0; m < 4; m++) {
        char q[64];
        ipcx_chan *e[2];
        uint8_t buf[64];
        snprintf(q, sizeof q, "shm:?mode=%s&maxmsg=64", modes[m]);
        T_SUCCESS(ipcx_pair(q, e));
        int fd = ipcx_fd(e[0]);
        T_OK(fd >= 0);
        struct pollfd p = { fd, POLLIN, 0 };
        T_EQ(poll(&p, 1, 0), 0);
        pid_t pid = fork();
        if (pid == 0) {
            usleep(50000);
            for (int i = 0; i < 3; i++)
                (void) ipcx_send(e[1], "hello", 5, 0, 1000);
            usleep(200000);
            _exit(0);
        }
        T_EQ(poll(&p, 1, 3000), 1);
        for (int i = 0; i < 3; i++)
            T_ERR(ipcx_recv(e[0], buf, sizeof buf, NULL, 1000), 5);
        T_ERR(ipcx_recv(e[0], buf, sizeof buf, NULL, 0), -EAGAIN);
        T_EQ(poll(&p, 1, 0), 0); /* re-armed and empty: not readable */
        int st;
        waitpid(pid, &st, 0);
        ipcx_close(e[0]);
        ipcx_close(e[1]);
    }
    fd_rx_killed();
    return 0;
}

/* ---- kill: producers and consumers die at random moments ----------------- */

static void producer(ipcx_chan *tx, uint32_t from, int use_loan)
{
    uint8_t buf[512];
    for (uint32_t i = 0;; i++) {
        uint32_t n = msg_len(i, 512);
        int r;
        if (use_loan && i % 2) {
            void *l;
            if ((r = ipcx_loan(tx, n, &l)) < 0)
                _exit(r == -EPIPE ? 0 : 3);
            fill(l, i, n, from);
            r = ipcx_commit(tx, l, n, 0);
        } else {
            fill(buf, i, n, from);
            r = ipcx_send(tx, buf, n, 0, 5000);
        }
        if (r < 0)
            _exit(r == -EPIPE ? 0 : 3);
    }
}

/* A sender killed at a random moment: the receiver sees whole, ordered messages, then -EPIPE. */
static int t_kill_tx(void)
{
    int64_t t0 = now_ms();
    int iters = 0;
    srand((unsigned) getpid());
    for (; iters < 1000 && now_ms() - t0 < 6000; iters++) {
        int m = iters % 4;
        char q[96];
        ipcx_chan *e[2];
        uint8_t buf[512];
        snprintf(q, sizeof q, "shm:?mode=%s&maxmsg=512&size=%s", modes[m],
                 m == 1 || m == 2 ? "8192" : "4096");
        T_SUCCESS(ipcx_pair(q, e));
        pid_t pid = fork();
        if (pid == 0) {
            ipcx_close(e[0]);
            producer(e[1], 0, 1);
        }
        ipcx_close(e[1]);
        long n;
        uint32_t next = 0;
        struct msg mm;
        int kill_after = rand() % 200, got = 0;
        int64_t t1 = now_ms();
        while ((n = ipcx_recv(e[0], buf, sizeof buf, NULL, 2000)) > 0) {
            T_OK(check(buf, n, &mm));
            T_EQ(mm.seq, next); /* nothing torn, lost, duplicated or reordered */
            next++;
            if (++got == kill_after)
                kill(pid, SIGKILL);
            if (got == 300)
                kill(pid, SIGKILL);
        }
        T_ERR(n, -EPIPE);
        T_OK(now_ms() - t1 < 30000);
        int st;
        T_OK(waitpid(pid, &st, 0) == pid);
        /* Killed by us, not ended by a send that failed (its only exit). */
        T_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        ipcx_close(e[0]);
    }
    printf("%d iterations\n", iters);
    return 0;
}

/* A receiver killed at a random moment, also between peek and release: the sender gets -EPIPE. */
static int t_kill_rx(void)
{
    int64_t t0 = now_ms();
    int iters = 0;
    for (; iters < 1000 && now_ms() - t0 < 6000; iters++) {
        int m = iters % 4;
        char q[96];
        ipcx_chan *e[2];
        snprintf(q, sizeof q, "shm:?mode=%s&maxmsg=512&size=8192", modes[m]);
        T_SUCCESS(ipcx_pair(q, e));
        int pfd[2];
        T_OK(pipe(pfd) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            ipcx_close(e[1]);
            const void *msg;
            size_t len;
            for (int i = 0;; i++) {
                if (ipcx_peek(e[0], &msg, &len, 5000) < 0)
                    _exit(3);
                if (i == 20)
                    (void) !write(pfd[1], "x", 1); /* holding a peeked message now */
                if (i >= 20)
                    pause();
                (void) ipcx_release(e[0]);
            }
        }
        ipcx_close(e[0]);
        char c;
        uint8_t buf[512];
        fill(buf, 0, 100, 0);
        int r = 0;
        for (int i = 0; i < 21; i++)
            T_SUCCESS(ipcx_send(e[1], buf, 100, 0, 2000));
        T_EQ(read(pfd[0], &c, 1), 1);
        if (iters % 2)
            usleep((useconds_t) (rand() % 500));
        kill(pid, SIGKILL);
        int64_t t1 = now_ms();
        while ((r = ipcx_send(e[1], buf, 100, 0, 1000)) == 0)
            T_OK(now_ms() - t1 < 30000);
        T_ERR(r, -EPIPE);
        int st;
        T_OK(waitpid(pid, &st, 0) == pid);
        close(pfd[0]);
        close(pfd[1]);
        ipcx_close(e[1]);
    }
    printf("%d iterations\n", iters);
    return 0;
}

/* mpmc: a receiver dies holding a message; another receiver gets it. */
static int t_kill_redeliver(void)
{
    for (int iter = 0; iter < 50; iter++) {
        ipcx_chan *e[2];
        T_SUCCESS(ipcx_pair("shm:?mode=mpmc&maxmsg=64&size=4096", e));
        int pfd[2];
        T_OK(pipe(pfd) == 0);
        uint8_t buf[64];
        for (uint32_t i = 0; i < 10; i++) {
            fill(buf, i, 32, 0);
            T_SUCCESS(ipcx_send(e[1], buf, 32, 0, 1000));
        }
        pid_t pid = fork();
        if (pid == 0) {
            const void *msg;
            size_t len;
            struct msg mm;
            if (ipcx_peek(e[0], &msg, &len, 1000) < 0 || !check(msg, (long) len, &mm))
                _exit(3);
            (void) !write(pfd[1], &mm.seq, sizeof mm.seq);
            pause();
        }
        uint32_t held;
        T_EQ(read(pfd[0], &held, sizeof held), (long) sizeof held);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        int seen[10] = { 0 };
        long n;
        struct msg mm;
        ipcx_close(e[1]);
        while ((n = ipcx_recv(e[0], buf, sizeof buf, NULL, 1000)) > 0) {
            T_OK(check(buf, n, &mm) && mm.seq < 10);
            seen[mm.seq]++;
        }
        T_ERR(n, -EPIPE);
        for (int i = 0; i < 10; i++)
            T_EQ(seen[i], 1); /* the held one too: redelivered, exactly once */
        close(pfd[0]);
        close(pfd[1]);
        ipcx_close(e[0]);
    }
    return 0;
}

/* ---- mpmc 2 x 2: every message consumed exactly once -------------------- */

#define MP_N 50000
static int t_mpmc(void)
{
    const char *u = url("mpmc22", "mode=mpmc&maxmsg=256&size=16384");
    ipcx_chan *rx;
    T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    /* seen[]: how often each message was consumed; then the producers' start gate. */
    uint8_t *seen = mmap(NULL, 2 * MP_N + 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                         -1, 0);
    T_OK(seen != MAP_FAILED);
    uint32_t *gate = (uint32_t *) (seen + 2 * MP_N);
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k])
            continue;
        ipcx_chan *c;
        if (k < 2) { /* producers */
            int o = ipcx_open(&c, u, IPCX_SEND);
            /*
             * Neither producer sends before both are registered.  Without
             * the gate, one that registered only after the other had sent
             * its 50000 and was gone (about 0.1 s) met receivers that had
             * rightly ended with -EPIPE (every sender came and went, ring
             * empty: IPCX_CAP_EOF), filled the 32 slots nobody read any
             * more and timed out at "send 32": its messages sat at
             * positions 50000..50031.  The fenced runs made that likely:
             * each fork child waits for MEMBARRIER_CMD_GLOBAL in its
             * atfork handler (ring.c), so one producer could start late.
             * Counted whether the open worked or not: nobody waits for good.
             */
            __atomic_fetch_add(gate, 1, __ATOMIC_SEQ_CST);
            if (o < 0)
                _exit(3);
            while (__atomic_load_n(gate, __ATOMIC_SEQ_CST) < 2)
                usleep(1000);
            uint8_t buf[256];
            for (uint32_t i = 0; i < MP_N; i++) {
                uint32_t n = msg_len(i, 256);
                fill(buf, i, n, (uint32_t) k);
                int r = ipcx_send(c, buf, n, 0, 5000);
                if (r < 0) {
                    fprintf(stderr, "producer %d: send %u: %s [%s]\n", k, i, ipcx_strerror(r),
                            ipcx_errdetail());
                    _exit(4);
                }
            }
            ipcx_close(c);
            _exit(0);
        }
        ipcx_close(rx); /* the second consumer */
        if (ipcx_open(&c, u, IPCX_RECV) < 0)
            _exit(3);
        rx = c;
        break;
    }
    /* Both consumers (the parent, and kid 2 which fell through) run this. */
    int am_kid = kids[2] == 0;
    uint8_t buf[256];
    long n;
    struct msg mm;
    uint32_t last[2] = { 0, 0 };
    int have[2] = { 0, 0 };
    while ((n = ipcx_recv(rx, buf, sizeof buf, NULL, 5000)) > 0) {
        if (!check(buf, n, &mm) || mm.from > 1 || mm.seq >= MP_N)
            T_FAIL("torn message");
        /* Per producer, one consumer sees increasing numbers. */
        if (have[mm.from] && mm.seq <= last[mm.from])
            T_FAIL("reordered: %u after %u", mm.seq, last[mm.from]);
        have[mm.from] = 1;
        last[mm.from] = mm.seq;
        __atomic_fetch_add(&seen[mm.from * MP_N + mm.seq], 1, __ATOMIC_RELAXED);
    }
    if (am_kid) {
        if (n != -EPIPE)
            fprintf(stderr, "second consumer: last receive %ld (%s) [%s]\n", n,
                    ipcx_strerror((int) n), ipcx_errdetail());
        _exit(n == -EPIPE ? 0 : 5);
    }
    T_ERR(n, -EPIPE);
    for (int k = 0; k < 3; k++) {
        /* Exit 3: open failed, 4: a send failed, 5: the second consumer's
         * last receive was not -EPIPE. */
        int st;
        T_OK(waitpid(kids[k], &st, 0) == kids[k]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            T_FAIL("%s %d: %s %d", k < 2 ? "producer" : "consumer", k,
                   WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    }
    for (int i = 0; i < 2 * MP_N; i++)
        if (seen[i] != 1)
            T_FAIL("message %d of producer %d consumed %d times", i % MP_N, i / MP_N, seen[i]);
    ipcx_close(rx);
    return 0;
}

/* ---- bcast: 3 receivers get everything; drop counts exactly -------------- */

static int t_bcast(void)
{
    const char *u = url("bc", "mode=bcast&maxmsg=256&size=8192");
    ipcx_chan *tx, *rx[3];
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    for (int i = 0; i < 3; i++)
        T_SUCCESS(ipcx_open(&rx[i], u, IPCX_RECV));
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            ipcx_close(tx);
            for (int j = 0; j < 3; j++) /* like descriptors: close the copies not used */
                if (j != k)
                    ipcx_close(rx[j]);
            uint8_t buf[256];
            long n;
            struct msg mm;
            uint32_t next = 0;
            while ((n = ipcx_recv(rx[k], buf, sizeof buf, NULL, 5000)) > 0) {
                if (!check(buf, n, &mm) || mm.seq != next)
                    _exit(6);
                next++;
            }
            _exit(n == -EPIPE && next == 20000 ? 0 : 7);
        }
    }
    for (int k = 0; k < 3; k++)
        ipcx_close(rx[k]);
    uint8_t buf[256];
    for (uint32_t i = 0; i < 20000; i++) {
        fill(buf, i, msg_len(i, 256), 0);
        T_SUCCESS(ipcx_send(tx, buf, msg_len(i, 256), 0, 5000));
    }
    ipcx_close(tx);
    for (int k = 0; k < 3; k++) {
        int st;
        T_OK(waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st));
        T_EQ(WEXITSTATUS(st), 0);
    }
    ipcx_unlink(u);

    /* overflow=drop: a receiver that sleeps loses the oldest and is told how many. */
    u = url("bcd", "mode=bcast&overflow=drop&maxmsg=48&size=4096");
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    T_SUCCESS(ipcx_open(&rx[0], u, IPCX_RECV));
    T_SUCCESS(ipcx_open(&rx[1], u, IPCX_RECV));
    for (uint32_t i = 0; i < 1000; i++) { /* 64-byte records: the ring keeps 64 */
        fill(buf, i, 48, 0);
        T_SUCCESS(ipcx_send(tx, buf, 48, 0, 0));
    }
    long n;
    struct msg mm;
    T_ERR(ipcx_recv(rx[0], buf, sizeof buf, NULL, 0), -ENOBUFS);
    long long lost = ipcx_lost(rx[0]);
    T_OK(lost > 0);
    uint32_t next = (uint32_t) lost, got = 0;
    while ((n = ipcx_recv(rx[0], buf, sizeof buf, NULL, 0)) > 0) {
        T_OK(check(buf, n, &mm));
        T_EQ(mm.seq, next);
        next++, got++;
    }
    T_ERR(n, -EAGAIN);
    T_EQ(lost + got, 1000); /* exactly: nothing lost is uncounted */
    T_EQ(ipcx_lost(rx[1]), 0);
    T_ERR(ipcx_recv(rx[1], buf, sizeof buf, NULL, 0), -ENOBUFS);
    T_EQ(ipcx_lost(rx[1]), lost);
    ipcx_close(rx[0]);
    ipcx_close(rx[1]);
    ipcx_close(tx);
    ipcx_unlink(u);
    return 0;
}

/* ---- a hostile third process scribbles on the segment -------------------- */

static int t_hostile(void)
{
    for (int m = 0; m < 4; m++) {
        char q[96];
        snprintf(q, sizeof q, "mode=%s&maxmsg=512&size=16384", modes[m]);
        const char *u = url(modes[m], q);
        ipcx_chan *rx, *tx;
        T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
        T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));
        pid_t kids[2];
        for (int k = 0; k < 2; k++) {
            kids[k] = fork();
            if (kids[k])
                continue;
            /* Whatever happens: no crash, no hang, only the documented errors. */
            uint8_t buf[512];
            int64_t until = now_ms() + 1500;
            while (now_ms() < until) {
                long r = k == 0 ? ipcx_send(tx, buf, msg_len((uint32_t) rand(), 512), 0, 50)
                                : ipcx_recv(rx, buf, sizeof buf, NULL, 50);
                if (r < 0 && r != -ETIMEDOUT && r != -EAGAIN && r != -EPROTO &&
                    r != -EBADMSG && r != -EPIPE && r != -ENOBUFS && r != -EBUSY)
                    _exit(8);
            }
            _exit(0);
        }
        /*
         * The hostile process gets the segment from us before the name can
         * go (our close below removes it): opened here, inherited.
         */
        char name[96];
        snprintf(name, sizeof name, "/ipcx-t-%d-%s", (int) getpid(), modes[m]);
        int efd = shm_open(name, O_RDWR, 0);
        T_OK(efd >= 0);
        pid_t evil = fork();
        if (evil == 0) {
            struct stat st;
            if (fstat(efd, &st) < 0)
                _exit(9);
            uint8_t *p = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, efd, 0);
            if (p == MAP_FAILED)
                _exit(10);
            srand((unsigned) getpid());
            for (int i = 0; i < 3000; i++) {
                size_t off = (size_t) rand() % (size_t) st.st_size;
                if (i % 4 == 0) /* aim at the header and the participant table */
                    off = (size_t) rand() % 16384;
                p[off] = (uint8_t) rand();
                if (i % 8 == 0)
                    *(uint64_t *) (p + (off & ~(size_t) 7)) = (uint64_t) rand() << 20;
                usleep(300);
            }
            _exit(0);
        }
        close(efd);
        ipcx_close(tx);
        ipcx_close(rx);
        int64_t t0 = now_ms();
        for (int k = 0; k < 2; k++) {
            int st;
            T_OK(waitpid(kids[k], &st, 0) == kids[k]);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                T_FAIL("mode %s: %s %d", modes[m], WIFSIGNALED(st) ? "signal" : "exit",
                       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        }
        T_OK(now_ms() - t0 < 30000);
        kill(evil, SIGKILL);
        int est;
        T_OK(waitpid(evil, &est, 0) == evil);
        /* It scribbled: it ran to its end or was still at it. */
        T_OK((WIFEXITED(est) && WEXITSTATUS(est) == 0) ||
             (WIFSIGNALED(est) && WTERMSIG(est) == SIGKILL));
        ipcx_unlink(u);
    }
    /* A scribbled header is refused at attach. */
    const char *u = url("badhdr", NULL);
    ipcx_chan *rx, *tx;
    T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    char name[96];
    snprintf(name, sizeof name, "/ipcx-t-%d-badhdr", (int) getpid());
    int fd = shm_open(name, O_RDWR, 0);
    uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    p[20] ^= 1; /* a field of the fixed part: the checksum catches it */
    T_ERR(ipcx_open(&tx, u, IPCX_SEND), -EPROTO);
    p[20] ^= 1;
    p[0] ^= 1; /* the magic */
    T_ERR(ipcx_open(&tx, u, IPCX_SEND), -EPROTO);
    p[0] ^= 1;
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));
    munmap(p, 4096);
    ipcx_close(tx);
    ipcx_close(rx);
    return 0;
}

/*
 * Loans of 1 KiB and more are 64-byte aligned (payloads start on a cache
 * line), and a commit may be shorter than its loan, also across that
 * size: the receiver must get exactly the committed bytes.  Sizes vary so
 * that records land at every offset and wrap with padding, in spsc and
 * bcast (the byte rings) and mpmc (slots).
 */
static int t_align(void)
{
    static const size_t sizes[][2] = { { 2000, 100 }, { 2000, 1500 }, { 100, 50 },
                                       { 4096, 4096 }, { 1024, 1023 }, { 1023, 1023 },
                                       { 1030, 0 }, { 48, 48 }, { 3000, 1024 } };
    const char *ms[] = { "spsc", "bcast", "mpmc" };
    unsigned char out[4096];
    for (int m = 0; m < 3; m++) {
        ipcx_chan *e[2];
        char u[96];
        snprintf(u, sizeof u, "shm:?mode=%s&maxmsg=4096&size=32768", ms[m]);
        T_SUCCESS(ipcx_pair(u, e));
        for (int i = 0; i < 500; i++) {
            size_t loan = sizes[i % 9][0], len = sizes[i % 9][1];
            void *buf;
            T_SUCCESS(ipcx_loan(e[1], loan, &buf));
            if (loan >= 1024 && m != 2)
                T_EQ((uintptr_t) buf % 64, 0u);
            for (size_t k = 0; k < len; k++)
                ((unsigned char *) buf)[k] = (unsigned char) (i * 7 + k);
            T_SUCCESS(ipcx_commit(e[1], buf, len, 0));
            long n = ipcx_recv(e[0], out, sizeof out, NULL, 0);
            T_EQ(n, (long) len);
            for (size_t k = 0; k < len; k++)
                if (out[k] != (unsigned char) (i * 7 + k))
                    T_FAIL("%s message %d byte %zu: %u, want %u", ms[m], i, k, out[k],
                           (unsigned char) (i * 7 + k));
        }
        ipcx_close(e[0]);
        ipcx_close(e[1]);
    }
    return 0;
}

/* ---- the sending end's descriptor; the doorbells of killed processes ------ */

#define BOUND_MS 10000 /* a wake-up that takes longer fails the case: no hang (no timing claim) */
#define TX_LEN   48    /* one 64-byte record, or one 128-byte slot: a freed one fits the next */

/* The start time the ring names doorbells by (the library's one reader of
 * /proc/PID/stat, ipcx/admin.h); 0 if unknown. */
static unsigned long long proc_start(pid_t pid)
{
    struct ipcx_proc_info info;
    return ipcx_proc_read(pid, &info, sizeof info) == 0 ? info.start : 0;
}

/* The doorbell FIFO of process (pid, start) into out: 1 if there is one (start 0: any). */
static int bell_of(pid_t pid, unsigned long long start, char *out, size_t cap)
{
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    int found = 0;
    if (!d)
        return 0;
    while (!found && (e = readdir(d))) {
        char id[17];
        unsigned idx;
        int p, end = 0;
        unsigned long long st;
        if (sscanf(e->d_name, "ipcx-bell-%16[0-9a-f]-%u-%d-%llu%n", id, &idx, &p, &st, &end) == 4 &&
            !e->d_name[end] && p == (int) pid && (start == 0 || st == start)) {
            snprintf(out, cap, "/dev/shm/%s", e->d_name);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

static void bells_remove(pid_t pid, unsigned long long start)
{
    char path[300];
    for (int i = 0; i < 64 && bell_of(pid, start, path, sizeof path); i++)
        (void) unlink(path);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* fork, remembering the child (killed on failure); a child's failure cleans up nothing. */
static pid_t kid_fork(void)
{
    T_OK(nkids < (int) (sizeof forked / sizeof forked[0]));
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        t_cleanup = NULL;
        nkids = 0;
        return 0;
    }
    forked[nkids].pid = pid;
    forked[nkids].start = proc_start(pid);
    forked[nkids].reaped = 0;
    nkids++;
    return pid;
}

static unsigned long long kid_start(pid_t pid)
{
    for (int i = 0; i < nkids; i++)
        if (forked[i].pid == pid)
            return forked[i].start;
    return 0;
}

/* Wait for a child: its exit status, or 128 + the signal that killed it. */
static int kid_wait(pid_t pid)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    for (int i = 0; i < nkids; i++)
        if (forked[i].pid == pid)
            forked[i].reaped = 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void kid_kill(pid_t pid)
{
    T_OK(kill(pid, SIGKILL) == 0);
    T_EQ(kid_wait(pid), 128 + SIGKILL);
}

/* One byte from fd within timeout_ms (0..255), or -1. */
static int hear(int fd, int timeout_ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    int n;
    unsigned char c;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    return n == 1 && read(fd, &c, 1) == 1 ? c : -1;
}

static void say(int fd, int c)
{
    unsigned char b = (unsigned char) c;
    if (write(fd, &b, 1) != 1)
        T_FAIL("cannot write to the control pipe");
}

/* Is fd writable right now (poll, timeout 0)? */
static int writable(int fd)
{
    struct pollfd p = { fd, POLLOUT, 0 };
    int n = poll(&p, 1, 0);
    T_OK(n >= 0);
    return n == 1 && (p.revents & POLLOUT);
}

/* An epoll set that waits for fd to turn writable. */
static int epoll_out(int fd)
{
    struct epoll_event ev = { .events = EPOLLOUT, .data.fd = fd };
    int ep = epoll_create1(EPOLL_CLOEXEC);
    T_OK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    return ep;
}

/* epoll_wait for EPOLLOUT, at most timeout_ms: 1 woken, 0 not. */
static int wait_out(int ep, int timeout_ms)
{
    struct epoll_event ev;
    int n;
    do
        n = epoll_wait(ep, &ev, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    T_OK(n >= 0);
    return n == 1 && (ev.events & EPOLLOUT);
}

static int send_seq(ipcx_chan *tx, uint32_t seq, int timeout_ms)
{
    uint8_t buf[TX_LEN];
    fill(buf, seq, TX_LEN, 0);
    return ipcx_send(tx, buf, TX_LEN, 0, timeout_ms);
}

/* Send (timeout 0) until the ring is full; returns how many went in. */
static uint32_t fill_up(ipcx_chan *tx, uint32_t *seq)
{
    uint32_t n = 0;
    int r;
    while ((r = send_seq(tx, *seq, 0)) == 0)
        ++*seq, ++n;
    T_ERR(r, -EAGAIN);
    T_OK(n > 0 && n < 1000);
    return n;
}

/*
 * A receiver in its own process, which waits on its own descriptor (the
 * receiving end's doorbell) only: each byte on ctl is a number of messages
 * to take, in order (0: close and exit); each batch is answered on ack.
 * Exits 0, or with the number of what went wrong.
 */
static void rx_child(ipcx_chan *rx, int ctl, int ack)
{
    uint8_t buf[64];
    uint32_t next = 0;
    struct msg mm;
    int fd = ipcx_fd(rx);
    if (fd < 0)
        _exit(10);
    (void) !write(ack, "r", 1);
    for (;;) {
        int n = hear(ctl, 60000);
        if (n < 0)
            _exit(11);
        if (n == 0) {
            ipcx_close(rx);
            _exit(0);
        }
        for (int i = 0; i < n; i++) {
            long r;
            while ((r = ipcx_recv(rx, buf, sizeof buf, NULL, 0)) == -EAGAIN) {
                struct pollfd p = { fd, POLLIN, 0 };
                if (poll(&p, 1, BOUND_MS) != 1)
                    _exit(13); /* the doorbell never rang */
            }
            if (r != TX_LEN || !check(buf, r, &mm) || mm.seq != next++)
                _exit(12);
        }
        (void) !write(ack, "a", 1);
    }
}

/*
 * A sender in an epoll loop on a full ring is woken when a receiver in
 * another process frees room: kind 0 an anonymous pair, 1 POSIX, 2 System V.
 */
static void fd_tx_one(int m, int kind)
{
    char u[160];
    ipcx_chan *tx, *rx = NULL, *e[2];
    int ctl[2], ack[2];

    T_OK(pipe(ctl) == 0 && pipe(ack) == 0);
    if (kind == 0) {
        snprintf(u, sizeof u, "shm:?mode=%s&maxmsg=%d&size=4096", modes[m], TX_LEN);
        T_SUCCESS(ipcx_pair(u, e));
        rx = e[0];
        tx = e[1];
    } else if (kind == 1) {
        char tag[32], q[96];
        snprintf(tag, sizeof tag, "fdtx-%s", modes[m]);
        snprintf(q, sizeof q, "mode=%s&maxmsg=%d&size=4096", modes[m], TX_LEN);
        snprintf(u, sizeof u, "%s", url(tag, q));
        T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    } else {
        sysv_key = 0x1d000000 | (getpid() & 0xffff) << 4 | m;
        snprintf(u, sizeof u, "sysvshm:%d?mode=%s&maxmsg=%d&size=4096", sysv_key, modes[m],
                 TX_LEN);
        T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    }
    pid_t pid = kid_fork();
    if (pid == 0) {
        close(ctl[1]);
        close(ack[0]);
        ipcx_close(tx); /* this process only receives */
        if (kind != 0 && ipcx_open(&rx, u, IPCX_RECV) < 0)
            _exit(9);
        rx_child(rx, ctl[0], ack[1]);
    }
    close(ctl[0]);
    close(ack[1]);
    if (kind == 0)
        ipcx_close(rx);
    T_EQ(hear(ack[0], BOUND_MS), 'r'); /* registered: a bcast receiver gets all from here */

    int fd = ipcx_fd(tx);
    T_SUCCESS(fd);
    T_EQ(ipcx_fd(tx), fd);
    T_EQ(writable(fd), 1); /* an empty ring: a send may succeed */
    int ep = epoll_out(fd);
    uint32_t seq = 0, full = fill_up(tx, &seq);
    T_EQ(writable(fd), 0); /* full: not writable */
    T_EQ(wait_out(ep, 0), 0);
    T_ERR(send_seq(tx, seq, 0), -EAGAIN);
    T_EQ(writable(fd), 0);

    /* The receiver frees one message in its own process: the epoll wakes. */
    say(ctl[1], 1);
    if (!wait_out(ep, BOUND_MS))
        T_FAIL("%s kind %d: no EPOLLOUT after the receiver freed room", modes[m], kind);
    T_EQ(hear(ack[0], BOUND_MS), 'a');
    T_SUCCESS(send_seq(tx, seq, 0)); /* the room it freed */
    seq++;
    T_ERR(send_seq(tx, seq, 0), -EAGAIN);
    T_EQ(writable(fd), 0);

    /*
     * An event loop: the receiver takes all that was sent and four
     * ring-fulls more, and we send with timeout 0 only, waiting in
     * epoll_wait whenever the ring is full.
     */
    uint32_t total = seq + 4 * full, left = total - 1, batches = 0;
    while (left) {
        uint32_t b = left > 255 ? 255 : left;
        say(ctl[1], (int) b);
        left -= b;
        batches++;
    }
    while (seq < total) {
        int r = send_seq(tx, seq, 0);
        if (r == 0) {
            seq++;
            continue;
        }
        T_ERR(r, -EAGAIN);
        if (!wait_out(ep, BOUND_MS))
            T_FAIL("%s kind %d: no EPOLLOUT with %u of %u sent", modes[m], kind, seq, total);
    }
    for (uint32_t i = 0; i < batches; i++)
        T_EQ(hear(ack[0], BOUND_MS), 'a');
    say(ctl[1], 0);
    T_EQ(kid_wait(pid), 0);

    char path[300];
    T_OK(bell_of(getpid(), proc_start(getpid()), path, sizeof path));
    ipcx_close(tx);
    T_OK(!exists(path)); /* closing removes the sender's doorbell */
    if (kind == 2) {
        T_OK(shmget(sysv_key, 0, 0) < 0); /* the creating sender left last */
        sysv_key = 0;
    }
    close(ep);
    close(ctl[1]);
    close(ack[0]);
}

/*
 * Byte rings: a sender that finds txlock held by another sender (a loan
 * in another process) is not writable until that one commits.
 */
static void fd_tx_lock(int m)
{
    char tag[32], q[96];
    ipcx_chan *tx;
    int ctl[2], ack[2];

    T_OK(pipe(ctl) == 0 && pipe(ack) == 0);
    snprintf(tag, sizeof tag, "fdlock-%s", modes[m]);
    snprintf(q, sizeof q, "mode=%s&maxmsg=%d&size=4096", modes[m], TX_LEN);
    const char *u = url(tag, q);
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    pid_t pid = kid_fork();
    if (pid == 0) {
        ipcx_chan *t2;
        void *l;
        ipcx_close(tx);
        if (ipcx_open(&t2, u, IPCX_SEND) < 0 || ipcx_loan(t2, TX_LEN, &l) < 0)
            _exit(9);
        fill(l, 0, TX_LEN, 1);
        (void) !write(ack[1], "l", 1); /* holding txlock */
        if (hear(ctl[0], 60000) < 0 || ipcx_commit(t2, l, TX_LEN, 0) < 0)
            _exit(10);
        ipcx_close(t2);
        _exit(0);
    }
    T_EQ(hear(ack[0], BOUND_MS), 'l');
    int fd = ipcx_fd(tx);
    T_SUCCESS(fd);
    int ep = epoll_out(fd);
    T_EQ(writable(fd), 1);
    T_ERR(send_seq(tx, 1, 0), -EAGAIN); /* room, but the other sender has the ring */
    T_EQ(writable(fd), 0);
    say(ctl[1], 1);
    if (!wait_out(ep, BOUND_MS))
        T_FAIL("%s: no EPOLLOUT after the other sender committed", modes[m]);
    T_SUCCESS(send_seq(tx, 1, 0));
    T_EQ(kid_wait(pid), 0);
    T_EQ(writable(fd), 1);
    ipcx_close(tx);
    close(ep);
    close(ctl[0]), close(ctl[1]), close(ack[0]), close(ack[1]);
    ipcx_unlink(u);
}

static int t_fd_tx(void)
{
    for (int kind = 0; kind < 3; kind++)
        for (int m = 0; m < 4; m++)
            fd_tx_one(m, kind);
    fd_tx_lock(0);
    fd_tx_lock(3);
    return 0;
}

/*
 * A receiver killed while its doorbell is armed, after a sender (in
 * another process, with the default SIGPIPE action) has rung it once: the
 * sender's next message rings it again, and must not raise SIGPIPE.
 */
static void fd_rx_killed(void)
{
    int ctl[2], ack[2];
    ipcx_chan *e[2];
    T_OK(pipe(ctl) == 0 && pipe(ack) == 0);
    T_SUCCESS(ipcx_pair("shm:?mode=spsc&maxmsg=48", e));
    pid_t rx = kid_fork();
    if (rx == 0) {
        uint8_t buf[64];
        ipcx_close(e[1]);
        int fd = ipcx_fd(e[0]);
        struct pollfd p = { fd, POLLIN, 0 };
        if (fd < 0)
            _exit(9);
        (void) !write(ack[1], "r", 1);
        long r;
        /* Readable means a receive may succeed: a ring for nothing (a peer left) is fine. */
        while ((r = ipcx_recv(e[0], buf, sizeof buf, NULL, 0)) == -EAGAIN)
            if (poll(&p, 1, BOUND_MS) != 1)
                _exit(10);
        if (r != TX_LEN || ipcx_recv(e[0], buf, sizeof buf, NULL, 0) != -EAGAIN)
            _exit(11);
        (void) !write(ack[1], "a", 1); /* found the ring empty again: armed */
        for (;;)
            pause();
    }
    pid_t tx = kid_fork();
    if (tx == 0) {
        ipcx_close(e[0]);
        signal(SIGPIPE, SIG_DFL);
        for (int i = 0; i < 2; i++)
            if (hear(ctl[0], 60000) != 'g' || send_seq(e[1], (uint32_t) i, 0) < 0)
                _exit(9);
        ipcx_close(e[1]);
        _exit(0);
    }
    ipcx_close(e[0]);
    ipcx_close(e[1]);
    T_EQ(hear(ack[0], BOUND_MS), 'r');
    say(ctl[1], 'g'); /* rings the receiver: the sender keeps its FIFO open */
    T_EQ(hear(ack[0], BOUND_MS), 'a');
    kid_kill(rx);
    say(ctl[1], 'g'); /* rings the dead receiver's FIFO */
    T_EQ(kid_wait(tx), 0);
    close(ctl[0]), close(ctl[1]), close(ack[0]), close(ack[1]);
}

/* A receiver child that registers, says so, and waits to be killed or told to close. */
static pid_t rx_idle(const char *u, ipcx_chan *copy_tx, ipcx_chan *rx, int ctl, int ack,
                     int with_fd)
{
    pid_t pid = kid_fork();
    if (pid)
        return pid;
    if (copy_tx)
        ipcx_close(copy_tx);
    if (!rx && ipcx_open(&rx, u, IPCX_RECV) < 0)
        _exit(9);
    if (with_fd && ipcx_fd(rx) < 0)
        _exit(10);
    (void) !write(ack, "r", 1);
    if (hear(ctl, 60000) < 0)
        _exit(11);
    ipcx_close(rx); /* the last receiver leaves: the sender gets -EPIPE */
    _exit(0);
}

/*
 * An anonymous pair of mode m (one record of TX_LEN in 4 KiB) whose
 * receiving end lives in an idle child (with a doorbell if with_fd); the parent keeps
 * e[1].  Returns the child, registered.
 */
static pid_t pair_rx_idle(int m, ipcx_chan *e[2], int ctl[2], int ack[2], int with_fd)
{
    char q[96];
    snprintf(q, sizeof q, "shm:?mode=%s&maxmsg=%d&size=4096", modes[m], TX_LEN);
    T_SUCCESS(ipcx_pair(q, e));
    pid_t pid = rx_idle(NULL, e[1], e[0], ctl[0], ack[1], with_fd);
    ipcx_close(e[0]);
    T_EQ(hear(ack[0], BOUND_MS), 'r');
    return pid;
}

/*
 * The receivers go: the sender's descriptor turns writable and the next
 * send returns -EPIPE, whether a survivor reaps the killed receivers, the
 * sender's own send finds them dead, or the last one closes.
 */
static int t_fd_tx_gone(void)
{
    int ctl[2], ack[2];
    T_OK(pipe(ctl) == 0 && pipe(ack) == 0);

    /* A survivor (another sender, in its own process) finds the killed receivers. */
    const char *u = url("gone", "mode=mpmc&maxmsg=48&size=4096");
    ipcx_chan *tx;
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    pid_t r1 = rx_idle(u, tx, NULL, ctl[0], ack[1], 1);
    pid_t r2 = rx_idle(u, tx, NULL, ctl[0], ack[1], 0);
    pid_t s2 = kid_fork();
    if (s2 == 0) {
        ipcx_chan *t2;
        int r = 0;
        ipcx_close(tx);
        if (ipcx_open(&t2, u, IPCX_SEND) < 0)
            _exit(9);
        (void) !write(ack[1], "r", 1);
        if (hear(ctl[0], 60000) != 'g')
            _exit(10);
        for (int i = 0; i < 200 && (r = send_seq(t2, 0, 100)) != -EPIPE; i++)
            if (r != 0 && r != -ETIMEDOUT)
                _exit(11);
        _exit(r == -EPIPE ? 0 : 12);
    }
    for (int i = 0; i < 3; i++)
        T_EQ(hear(ack[0], BOUND_MS), 'r');
    int fd = ipcx_fd(tx);
    T_SUCCESS(fd);
    int ep = epoll_out(fd);
    uint32_t seq = 0;
    fill_up(tx, &seq);
    T_EQ(writable(fd), 0);
    kid_kill(r1);
    kid_kill(r2);
    T_EQ(writable(fd), 0); /* nobody has looked yet */
    say(ctl[1], 'g');
    if (!wait_out(ep, BOUND_MS))
        T_FAIL("no EPOLLOUT after a survivor found every receiver dead");
    T_ERR(send_seq(tx, seq, 0), -EPIPE);
    T_EQ(writable(fd), 1);
    T_EQ(kid_wait(s2), 0);
    ipcx_close(tx);
    close(ep);

    for (int m = 0; m < 4; m++) {
        ipcx_chan *e[2];
        /* The sender's own look: its sends find the receiver dead. */
        pid_t pid = pair_rx_idle(m, e, ctl, ack, 1);
        fd = ipcx_fd(e[1]);
        T_SUCCESS(fd);
        seq = 0;
        fill_up(e[1], &seq);
        T_EQ(writable(fd), 0);
        kid_kill(pid);
        T_EQ(writable(fd), 0);
        int r = 0;
        for (int i = 0; i < 400 && (r = send_seq(e[1], seq, 50)) != -EPIPE; i++)
            T_OK(r == -ETIMEDOUT);
        T_ERR(r, -EPIPE);
        T_EQ(writable(fd), 1);
        T_ERR(send_seq(e[1], seq, 0), -EPIPE);
        T_EQ(writable(fd), 1);
        ipcx_close(e[1]);

        /* The last receiver closes: the sender waiting in epoll is woken. */
        pid = pair_rx_idle(m, e, ctl, ack, 0);
        fd = ipcx_fd(e[1]);
        T_SUCCESS(fd);
        ep = epoll_out(fd);
        seq = 0;
        fill_up(e[1], &seq);
        T_EQ(writable(fd), 0);
        say(ctl[1], 'c');
        if (!wait_out(ep, BOUND_MS))
            T_FAIL("%s: no EPOLLOUT after the last receiver closed", modes[m]);
        T_ERR(send_seq(e[1], seq, 0), -EPIPE);
        T_EQ(kid_wait(pid), 0);
        ipcx_close(e[1]);
        close(ep);
    }
    close(ctl[0]), close(ctl[1]), close(ack[0]), close(ack[1]);
    return 0;
}

/* Run "ipcx gc [arg]"; its output into out.  Returns its exit status. */
static int run_gc(const char *ipcx, const char *arg, char *out, size_t cap)
{
    int p[2];
    T_OK(pipe(p) == 0);
    pid_t pid = kid_fork();
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        execl(ipcx, ipcx, "gc", arg, (char *) NULL);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t k;
    char tmp[4096];
    while ((k = read(p[0], tmp, sizeof tmp)) > 0)
        for (ssize_t i = 0; i < k && n < cap - 1; i++)
            out[n++] = tmp[i];
    out[n] = 0;
    close(p[0]);
    return kid_wait(pid);
}

/* A sender (which makes u) and a receiver, each in its own process, both with a descriptor. */
static void pair_of_kids(const char *u, const int ack[2], pid_t *s, pid_t *r)
{
    for (int k = 0; k < 2; k++) {
        pid_t pid = kid_fork();
        if (pid == 0) {
            ipcx_chan *c;
            if (ipcx_open(&c, u, k ? IPCX_RECV : IPCX_SEND | IPCX_CREATE | IPCX_EXCL) < 0 ||
                ipcx_fd(c) < 0)
                _exit(9);
            (void) !write(ack[1], "r", 1);
            for (;;)
                pause();
        }
        T_EQ(hear(ack[0], BOUND_MS), 'r');
        *(k ? r : s) = pid;
    }
}

/*
 * Doorbells of killed processes with no survivor: `ipcx gc` removes them,
 * from their names alone, and leaves live ones alone.
 */
static int t_bell_gc(const char *ipcx)
{
    if (!ipcx)
        T_FAIL("usage: shm_test bell_gc PATH/TO/ipcx");
    /* Nothing in the registry: gc must find the doorbells from their names alone. */
    setenv("IPCX_REGISTRY", "off", 1);
    static char out[65536];
    int ack[2];
    T_OK(pipe(ack) == 0);

    /* A live doorbell of ours, which gc must leave alone. */
    ipcx_chan *e[2];
    T_SUCCESS(ipcx_pair("shm:?mode=spsc&maxmsg=48", e));
    T_SUCCESS(ipcx_fd(e[0]));
    char live[300];
    T_OK(bell_of(getpid(), proc_start(getpid()), live, sizeof live));

    const char *u = url("gc", "mode=spsc&maxmsg=48&size=4096");
    pid_t s, r;
    pair_of_kids(u, ack, &s, &r);
    char sb[300], rb[300];
    T_OK(bell_of(s, kid_start(s), sb, sizeof sb));
    T_OK(bell_of(r, kid_start(r), rb, sizeof rb));
    kid_kill(s); /* no survivor: nobody reaps them */
    kid_kill(r);
    T_EQ(run_gc(ipcx, "--dry-run", out, sizeof out), 0);
    /* Still there (another test's gc may run meanwhile): then the dry run named it. */
    if (exists(sb) && !strstr(out, sb))
        T_FAIL("gc --dry-run does not name %s: %s", sb, out);
    T_EQ(run_gc(ipcx, NULL, out, sizeof out), 0);
    T_OK(!exists(sb));
    T_OK(!exists(rb));
    T_OK(exists(live));
    T_SUCCESS(ipcx_unlink(u));
    ipcx_close(e[0]);
    ipcx_close(e[1]);
    T_OK(!exists(live));
    close(ack[0]), close(ack[1]);
    return 0;
}

/*
 * The last survivor's close removes the doorbells of the killed: the one
 * its reaping finds, and any other FIFO of this segment with a dead owner.
 * So does ipcx_unlink of a segment whose participants were all killed,
 * sparing a live participant's.
 */
static int t_bell_close(void)
{
    int ctl[2], ack[2];
    T_OK(pipe(ctl) == 0 && pipe(ack) == 0);
    for (int m = 0; m < 4; m++) {
        char rb[300];
        ipcx_chan *e[2];
        pid_t pid = pair_rx_idle(m, e, ctl, ack, 1);
        T_OK(bell_of(pid, kid_start(pid), rb, sizeof rb));
        kid_kill(pid);
        /* A FIFO of this segment whose owner is dead and whose entry is long gone. */
        const char *id = strstr(rb, "ipcx-bell-") + 10;
        snprintf(planted, sizeof planted, "/dev/shm/ipcx-bell-%.16s-63-%d-1", id, (int) pid);
        T_OK(mkfifo(planted, 0600) == 0);
        ipcx_close(e[1]); /* no send, no look at the peers before: the close does it */
        T_OK(!exists(rb));
        T_OK(!exists(planted));
        planted[0] = 0;
    }

    /* ipcx_unlink: whoever removes the segment removes the dead owners' doorbells. */
    const char *u = url("unl", "mode=spsc&maxmsg=48&size=4096");
    pid_t s, r;
    char sb[300], rb[300], mine[300];
    pair_of_kids(u, ack, &s, &r);
    T_OK(bell_of(s, kid_start(s), sb, sizeof sb));
    T_OK(bell_of(r, kid_start(r), rb, sizeof rb));
    ipcx_chan *t2; /* a live participant of the same segment: its doorbell stays */
    T_SUCCESS(ipcx_open(&t2, u, IPCX_SEND));
    T_SUCCESS(ipcx_fd(t2));
    T_OK(bell_of(getpid(), proc_start(getpid()), mine, sizeof mine));
    kid_kill(s);
    kid_kill(r);
    T_SUCCESS(ipcx_unlink(u));
    T_OK(!exists(sb));
    T_OK(!exists(rb));
    T_OK(exists(mine));
    ipcx_close(t2);
    T_OK(!exists(mine));
    close(ctl[0]), close(ctl[1]), close(ack[0]), close(ack[1]);
    return 0;
}

/*
 * A sender whose large message found no room is armed (its descriptor not
 * writable); a small message that fits then goes through, and the
 * descriptor must say so (writable again), in both byte rings.
 */
static int t_fd_tx_small(void)
{
    static char big[1900], small[24];
    const char *ms[] = { "spsc", "bcast" };
    for (int m = 0; m < 2; m++) {
        ipcx_chan *e[2];
        char u[96];
        snprintf(u, sizeof u, "shm:?mode=%s&maxmsg=1900&size=4096", ms[m]);
        T_SUCCESS(ipcx_pair(u, e));
        int fd = ipcx_fd(e[1]);
        T_SUCCESS(fd);
        T_EQ(writable(fd), 1);
        int r = 0, n = 0;
        while (n < 10 && (r = ipcx_send(e[1], big, sizeof big, 0, 0)) == 0)
            n++;
        T_ERR(r, -EAGAIN); /* two fit, the third would need the ring's start */
        T_EQ(writable(fd), 0);
        T_SUCCESS(ipcx_send(e[1], small, sizeof small, 0, 0));
        T_EQ(writable(fd), 1); /* the send went through: a send may succeed */
        ipcx_close(e[0]);
        ipcx_close(e[1]);
    }
    return 0;
}

/* Descriptors open in this process (the one reading /proc/self/fd not counted). */
static int fd_count(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    T_OK(d != NULL);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

/*
 * A segment at the name that no ipcx creator made (another program's
 * shm_open): 0 bytes, or a ring's size of zeros (no magic).  An ipcx
 * creator names a segment only once the ring is laid out in it (seg.c), so
 * an attacher refuses these at once with -EPROTO, with one shm_open and no
 * descriptor left open; an IPCX_CREATE end (not IPCX_EXCL) finds the name
 * taken, discards its own and refuses the same, and the name stays the
 * other program's.  The old attacher took them for a creator still at
 * work and retried each millisecond for 2 s: about 2000 shm_opens.
 */
static int t_unsized(void)
{
    static const off_t sizes[] = { 0, 2 << 20 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const char *u = url(i ? "unsized-zeros" : "unsized", NULL);
        int fd = shm_open(u + 4, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        T_OK(fd >= 0);
        T_OK(ftruncate(fd, sizes[i]) == 0);
        struct stat st0, st1;
        T_OK(fstat(fd, &st0) == 0);
        int before = fd_count();
        ipcx_chan *ch = NULL;
        ipcx__fault_arm("shm_open", 0, 0, 0); /* count the tries, fail none */
        T_EQ(ipcx_open(&ch, u, IPCX_SEND), -EPROTO);
        unsigned long tries = ipcx__fault_calls();
        ipcx__fault_disarm();
        T_EQ(tries, 1UL);
        T_EQ(fd_count(), before);
        T_EQ(ipcx_open(&ch, u, IPCX_RECV | IPCX_CREATE), -EPROTO);
        T_EQ(fd_count(), before);
        T_EQ(ipcx_open(&ch, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL), -EEXIST);
        T_EQ(fd_count(), before);
        int fd2 = shm_open(u + 4, O_RDONLY | O_CLOEXEC, 0);
        T_OK(fd2 >= 0 && fstat(fd2, &st1) == 0);
        T_OK(st1.st_ino == st0.st_ino && st1.st_size == sizes[i]); /* still the other's */
        close(fd2);
        close(fd);
        T_EQ(ipcx_unlink(u), 0);
    }
    return 0;
}

/*
 * Publish after init: a child creates and removes a ring under one name
 * over and over (mpmc: the creator lays out 128 slots), while this process
 * opens whatever is at the name with plain shm_open and looks: a segment
 * of 0 bytes or without the ring's magic is a half-made one.  With the
 * segment named only once it is whole (seg.c), none is ever seen; the old
 * creator made it under its name and sized and laid it out afterwards.
 */
static int t_publish(void)
{
    const char *u = url("publish", "mode=mpmc");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int) (strchr(u, '?') - (u + 4)), u + 4);
    int go[2];
    T_OK(pipe(go) == 0);
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        close(go[0]);
        for (int i = 0; i < 400; i++) {
            ipcx_chan *ch = NULL;
            if (ipcx_open(&ch, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL) < 0 || ipcx_close(ch) < 0)
                _exit(1);
        }
        _exit(0);
    }
    forked[nkids++] = (struct kid) { pid, proc_start(pid), 0 };
    close(go[1]);
    long seen = 0, half = 0;
    struct pollfd pf = { go[0], POLLIN, 0 };
    while (poll(&pf, 1, 0) == 0) { /* until the child is done (its end of the pipe closes) */
        int fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
            continue;
        struct stat st;
        T_OK(fstat(fd, &st) == 0);
        seen++;
        if (st.st_size < 8) {
            half++;
        } else {
            /* The child may shrink nothing: it only ever unlinks; 8 bytes stay mapped. */
            void *p = mmap(NULL, 8, PROT_READ, MAP_SHARED, fd, 0);
            T_OK(p != MAP_FAILED);
            half += __atomic_load_n((uint64_t *) p, __ATOMIC_ACQUIRE) == 0;
            munmap(p, 8);
        }
        close(fd);
    }
    close(go[0]);
    int status;
    T_OK(waitpid(pid, &status, 0) == pid);
    forked[nkids - 1].reaped = 1;
    T_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("publish: looked at the segment %ld times, half-made %ld times\n", seen, half);
    T_EQ(half, 0L);
    return 0;
}

/* ---- prefault: no page faults in the message calls (docs/shm.md, Tail latency) ---- */

/* Sanitizers touch shadow memory for every access to the ring: up to one fault per 8 pages. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PF_SANITIZED 1
#endif
#endif
#ifndef PF_SANITIZED
#define PF_SANITIZED 0
#endif

#define PF_RING  (4L << 20)                /* 1024 pages */
#define PF_PAGES (PF_RING / 4096)
#define PF_MSGS  (2 * PF_RING / 80)        /* 64-byte messages (80-byte records): round it twice */

static long pf_faults(void)
{
    struct rusage ru;
    T_OK(getrusage(RUSAGE_SELF, &ru) == 0);
    return ru.ru_minflt + ru.ru_majflt;
}

/*
 * The page faults a sender (tx) or receiver takes in PF_MSGS messages of
 * 64 bytes after its first (a forked child's copy fills its page tables
 * in its first call); -1 if a call failed.
 */
static long pf_run(ipcx_chan *ch, int tx)
{
    uint8_t buf[64];
    long before = 0;
    memset(buf, 7, sizeof buf);
    for (long i = 0; i <= PF_MSGS; i++) {
        if (i == 1)
            before = pf_faults();
        long r = tx ? ipcx_send(ch, buf, 64, 0, 10000) : ipcx_recv(ch, buf, sizeof buf, NULL, 10000);
        if (r < 0 || (!tx && r != 64))
            return -1;
    }
    return pf_faults() - before;
}

/*
 * A 4 MiB spsc ring, named (the child attaches) and as a pair (the child
 * uses its forked copy), with the default and with prefault=no: the
 * faults of the sender (the child) and the receiver (us) while the ring
 * is gone round twice.  Without prefaulting the sender takes one per page
 * it writes first (1024), with it none beyond a few of its own.
 */
static int t_prefault(void)
{
    const long limit = 32 + (PF_SANITIZED ? PF_PAGES / 8 : 0);
    for (int k = 0; k < 4; k++) {
        int named = k < 2, off = k % 2;
        const char *q = off ? "mode=spsc&maxmsg=64&size=4M&prefault=no" : "mode=spsc&maxmsg=64&size=4M";
        char pq[96];
        const char *u = named ? url("pf", q) : (snprintf(pq, sizeof pq, "shm:?%s", q), pq);
        ipcx_chan *e[2] = { NULL, NULL };
        int pfd[2];
        if (named)
            T_SUCCESS(ipcx_open(&e[0], u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
        else
            T_SUCCESS(ipcx_pair(u, e));
        T_OK(pipe(pfd) == 0);
        pid_t pid = kid_fork();
        if (pid == 0) {
            ipcx_close(e[0]);
            if (named && ipcx_open(&e[1], u, IPCX_SEND) < 0)
                _exit(3);
            long f = pf_run(e[1], 1);
            _exit(write(pfd[1], &f, sizeof f) == (ssize_t) sizeof f && f >= 0 ? 0 : 4);
        }
        ipcx_close(e[1]);
        long rx = pf_run(e[0], 0), tx = -1;
        T_EQ(kid_wait(pid), 0);
        T_EQ(read(pfd[0], &tx, sizeof tx), (ssize_t) sizeof tx);
        close(pfd[0]);
        close(pfd[1]);
        ipcx_close(e[0]);
        printf("%s%s: %ld messages, page faults: sender %ld, receiver %ld (ring %ld pages)\n",
               named ? "named" : "pair", off ? ", prefault=no" : "", PF_MSGS, tx, rx, PF_PAGES);
        T_OK(rx >= 0);
        if (off) {
            T_OK(tx >= PF_PAGES / 2); /* the test can tell: without it, the faults are there */
        } else {
            T_OK(tx < limit);
            T_OK(rx < limit);
        }
    }
    /*
     * What is allocated at open (the segment file's blocks): the default
     * ring all of it; one above 64 MiB nothing of its data unless
     * prefault=yes; prefault=no nothing.
     */
    static const struct { const char *q; long long min, max; } alloc[] = {
        { "mode=spsc", 4LL << 20, -1 },
        { "mode=spsc&prefault=no", 0, 1LL << 20 },
        { "mode=spsc&size=128M", 0, 1LL << 20 },
        { "mode=spsc&size=128M&prefault=yes", 128LL << 20, -1 },
    };
    for (size_t i = 0; i < sizeof alloc / sizeof alloc[0]; i++) {
        ipcx_chan *c;
        char path[160];
        struct stat st;
        const char *u = url("pfa", alloc[i].q);
        T_SUCCESS(ipcx_open(&c, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
        snprintf(path, sizeof path, "/dev/shm/ipcx-t-%d-pfa", (int) getpid());
        T_OK(stat(path, &st) == 0);
        long long used = (long long) st.st_blocks * 512;
        printf("%s: %lld bytes allocated at open\n", alloc[i].q, used);
        T_OK(used >= alloc[i].min && (alloc[i].max < 0 || used <= alloc[i].max));
        ipcx_close(c);
    }
    ipcx_chan *c;
    T_ERR(ipcx_open(&c, url("pf", "prefault=maybe"), IPCX_RECV | IPCX_CREATE), -EINVAL);
    return 0;
}

/* ---- a peer killed while the other spins or sleeps: -EPIPE, never a hang ---- */

/* A process that kills pid after 0-30 ms (the other side is then waiting, spinning or asleep). */
static pid_t killer(pid_t pid)
{
    pid_t k = kid_fork();
    if (k == 0) {
        usleep((useconds_t) (rand() % 30000));
        (void) kill(pid, SIGKILL);
        _exit(0);
    }
    return k;
}

/*
 * Every mode, spin=0 (sleeps at once), the default, and spin=1000000 (spins
 * about 40 ms before it sleeps): a receiver that waits for a sender killed
 * meanwhile gets -EPIPE; a sender that waits on a full ring for a receiver
 * killed meanwhile gets -EPIPE.  The waits have no deadline of their own
 * that could end them: 20 s, and a timeout fails the case.
 */
static int t_kill_wait(void)
{
    static const char *const spins[] = { "&spin=0", "", "&spin=1000000" };
    srand((unsigned) getpid());
    for (int m = 0; m < 4; m++)
        for (int s = 0; s < 3; s++)
            for (int rx_dies = 0; rx_dies < 2; rx_dies++) {
                char q[128];
                ipcx_chan *e[2];
                uint8_t buf[64] = { 0 };
                long r;
                snprintf(q, sizeof q, "shm:?mode=%s&maxmsg=64&size=%s%s", modes[m],
                         m == 1 || m == 2 ? "8192" : "4096", spins[s]);
                T_SUCCESS(ipcx_pair(q, e));
                pid_t pid = kid_fork();
                if (pid == 0) {
                    /* The victim: a few messages, then nothing more, until killed. */
                    ipcx_close(e[rx_dies ? 1 : 0]);
                    for (int i = 0; i < 3; i++)
                        if ((rx_dies ? ipcx_recv(e[0], buf, sizeof buf, NULL, 10000)
                                     : ipcx_send(e[1], buf, 64, 0, 10000)) < 0)
                            _exit(3);
                    for (;;)
                        pause();
                }
                ipcx_close(e[rx_dies ? 0 : 1]);
                if (rx_dies) {
                    for (int i = 0; i < 3; i++)
                        T_SUCCESS(ipcx_send(e[1], buf, 64, 0, 10000));
                    while ((r = ipcx_send(e[1], buf, 64, 0, 0)) == 0)
                        ; /* fill the ring (the victim may still take its three) */
                    T_ERR(r, -EAGAIN);
                    pid_t k = killer(pid);
                    while ((r = ipcx_send(e[1], buf, 64, 0, 20000)) == 0)
                        ; /* room the victim freed before it died */
                    T_ERR(r, -EPIPE);
                    T_EQ(kid_wait(k), 0);
                } else {
                    for (int i = 0; i < 3; i++)
                        T_ERR(ipcx_recv(e[0], buf, sizeof buf, NULL, 10000), 64);
                    pid_t k = killer(pid);
                    T_ERR(ipcx_recv(e[0], buf, sizeof buf, NULL, 20000), -EPIPE);
                    T_EQ(kid_wait(k), 0);
                }
                T_EQ(kid_wait(pid), 128 + SIGKILL);
                ipcx_close(e[rx_dies ? 1 : 0]);
            }
    return 0;
}

int main(int argc, char **argv)
{
    t_cleanup = cleanup;
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return 1;
    int r = !strcmp(argv[1], "basic") ? t_basic()
          : !strcmp(argv[1], "fork") ? t_fork()
          : !strcmp(argv[1], "fd") ? t_fd()
          : !strcmp(argv[1], "kill_tx") ? t_kill_tx()
          : !strcmp(argv[1], "kill_rx") ? t_kill_rx()
          : !strcmp(argv[1], "redeliver") ? t_kill_redeliver()
          : !strcmp(argv[1], "mpmc") ? t_mpmc()
          : !strcmp(argv[1], "bcast") ? t_bcast()
          : !strcmp(argv[1], "hostile") ? t_hostile()
          : !strcmp(argv[1], "align") ? t_align()
          : !strcmp(argv[1], "fd_tx_small") ? t_fd_tx_small()
          : !strcmp(argv[1], "fd_tx") ? t_fd_tx()
          : !strcmp(argv[1], "fd_tx_gone") ? t_fd_tx_gone()
          : !strcmp(argv[1], "bell_gc") ? t_bell_gc(argc > 2 ? argv[2] : NULL)
          : !strcmp(argv[1], "bell_close") ? t_bell_close()
          : !strcmp(argv[1], "unsized") ? t_unsized()
          : !strcmp(argv[1], "publish") ? t_publish()
          : !strcmp(argv[1], "prefault") ? t_prefault()
          : !strcmp(argv[1], "kill_wait") ? t_kill_wait() : 1;
    cleanup();
    return r;
}
