/*
 * mq_test.c - the kernel message queues beyond the conformance suite:
 * priority order, sysvmq type selection, timeouts and wake-ups, EINTR,
 * -EMSGSIZE keeping the message, kernel limits named in the error detail,
 * a System V queue removed under a waiting receiver, creation flags, modes
 * and URL forms.
 *
 *   mq_test mq | sysvmq | limits
 *
 * Names carry the pid (mq:/ipcx-t-PID-..., System V keys made from the
 * pid); every object is removed on success and on failure (t_cleanup).
 */
#include "t.h"

#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NOBODY 65534

static pid_t me;
static int scheme_sv;  /* 0 mq:, 1 sysvmq: */
static char ftok_file[64];

/* The URL of test object n: mq:/ipcx-t-PID-n or sysvmq:KEY with a key made from the pid. */
static void url_of(char *out, size_t cap, int n, const char *query)
{
    if (scheme_sv)
        snprintf(out, cap, "sysvmq:0x%08x%s%s", 0x40000000u | ((unsigned) me << 6) | (unsigned) n,
                 query ? "?" : "", query ? query : "");
    else
        snprintf(out, cap, "mq:/ipcx-t-%d-%d%s%s", (int) me, n, query ? "?" : "", query ? query : "");
}

static void cleanup(void)
{
    char u[128];
    int was = scheme_sv;
    for (scheme_sv = 0; scheme_sv < 2; scheme_sv++)
        for (int n = 0; n < 64; n++) {
            url_of(u, sizeof u, n, NULL);
            (void) ipcx_unlink(u);
        }
    scheme_sv = was;
    for (int n = 0; n < 300; n++) {
        snprintf(u, sizeof u, "/ipcx-t-%d-q%d", (int) me, n);
        (void) mq_unlink(u);
    }
    if (ftok_file[0])
        (void) unlink(ftok_file);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void pair(int n, const char *query, ipcx_chan **rx, ipcx_chan **tx)
{
    char u[128], a[128];
    url_of(u, sizeof u, n, query);
    T_SUCCESS(ipcx_open(rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    T_SUCCESS(ipcx_addr(*rx, a, sizeof a));
    T_SUCCESS(ipcx_open(tx, a, IPCX_SEND));
}

/* Wait for child pid; it must exit 0. */
static void reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        T_OK(errno == EINTR);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        T_FAIL("child %d ended with status %#x", (int) pid, st);
}

/* ---- priorities: higher first, FIFO within one ---------------------------- */

static void test_prio(void)
{
    static const struct { unsigned prio; char tag; } in[] = {
        { 3, 'a' }, { 1, 'b' }, { 3, 'c' }, { 0, 'd' }, { 7, 'e' }, { 1, 'f' }, { 32767, 'g' },
    };
    static const char want[] = "geacbfd";
    static const unsigned wantp[] = { 32767, 7, 3, 3, 1, 1, 0 };
    ipcx_chan *rx, *tx;
    char b[8], u[128];
    unsigned p;

    pair(1, NULL, &rx, &tx);
    T_OK(ipcx_caps(rx) & IPCX_CAP_PRIO);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        T_SUCCESS(ipcx_send(tx, &in[i].tag, 1, in[i].prio, 1000));
    T_ERR(ipcx_send(tx, "x", 1, 32768, 0), -EINVAL); /* beyond MQ_PRIO_MAX - 1 */
    for (size_t i = 0; i < sizeof wantp / sizeof wantp[0]; i++) {
        T_ERR(ipcx_recv(rx, b, sizeof b, &p, 1000), 1);
        T_EQ(b[0], want[i]);
        T_EQ(p, wantp[i]);
    }
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 0), -EAGAIN);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
    /* The receiver created it, so it is gone. */
    url_of(u, sizeof u, 1, NULL);
    T_ERR(ipcx_open(&tx, u, IPCX_SEND), -ENOENT);
}

/* ---- a buffer too small keeps the message ---------------------------------- */

static void test_small(void)
{
    ipcx_chan *rx, *tx;
    char m[100], b[100];
    unsigned p = 0;

    for (int i = 0; i < 100; i++)
        m[i] = (char) i;
    pair(2, NULL, &rx, &tx);
    T_SUCCESS(ipcx_send(tx, m, 100, 5, 1000));
    T_SUCCESS(ipcx_send(tx, m, 3, 1, 1000));
    T_ERR(ipcx_recv(rx, b, 10, NULL, 1000), -EMSGSIZE);
    T_ERR(ipcx_recv(rx, b, 99, NULL, 1000), -EMSGSIZE);
    T_ERR(ipcx_recv(rx, b, 100, &p, 1000), 100);
    T_OK(memcmp(b, m, 100) == 0);
    T_EQ(p, 5);
    T_ERR(ipcx_recv(rx, b, 3, &p, 1000), 3);
    T_EQ(p, 1);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
}

/* ---- timeouts, and waiters woken promptly ---------------------------------- */

static void test_timeouts(void)
{
    ipcx_chan *rx, *tx;
    char *b = malloc(1 << 16);
    int64_t t0;
    long n;

    T_OK(b != NULL);
    pair(3, scheme_sv ? NULL : "depth=2&maxmsg=64", &rx, &tx);
    const size_t big = (size_t) ipcx_maxmsg(tx);
    memset(b, 'z', big);
    T_ERR(ipcx_recv(rx, b, big, NULL, 0), -EAGAIN);
    t0 = now_ms();
    T_ERR(ipcx_recv(rx, b, big, NULL, 150), -ETIMEDOUT);
    T_OK(now_ms() - t0 >= 140); /* never early; how late is the machine's business */

    /* A receiver asleep with a timeout is woken by a send, not by its timeout. */
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        sleep_ms(200);
        T_SUCCESS(ipcx_send(tx, "w", 1, 0, 1000));
        _exit(0);
    }
    t0 = now_ms();
    T_ERR(ipcx_recv(rx, b, big, NULL, 5000), 1); /* the message, not -ETIMEDOUT */
    reap(pid);

    /* Fill the queue: then sends time out. */
    int sent = 0;
    while ((n = ipcx_send(tx, b, big, 0, 0)) == 0 && sent < 1000)
        sent++;
    T_ERR(n, -EAGAIN);
    T_OK(sent >= 1);
    t0 = now_ms();
    T_ERR(ipcx_send(tx, b, big, 0, 150), -ETIMEDOUT);
    T_OK(now_ms() - t0 >= 140); /* never early; how late is the machine's business */

    /* A sender asleep on a full queue is woken when a receive makes room. */
    pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        sleep_ms(200);
        T_ERR(ipcx_recv(rx, b, big, NULL, 1000), (long) big);
        _exit(0);
    }
    t0 = now_ms();
    T_SUCCESS(ipcx_send(tx, b, big, 0, 5000)); /* room came, not -ETIMEDOUT */
    reap(pid);
    for (int i = 0; i < sent; i++)
        T_ERR(ipcx_recv(rx, b, big, NULL, 1000), (long) big);
    T_ERR(ipcx_recv(rx, b, big, NULL, 0), -EAGAIN);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
    free(b);
}

/* ---- EINTR: returned when a handler without SA_RESTART ran, else resumed ---- */

static void on_usr1(int sig)
{
    (void) sig;
}

static void poke_later(pid_t target, int ms)
{
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        sleep_ms(ms);
        kill(target, SIGUSR1);
        _exit(0);
    }
}

static void test_eintr(void)
{
    struct sigaction sa;
    ipcx_chan *rx, *tx;
    char b[64];
    int64_t t0;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    T_OK(sigaction(SIGUSR1, &sa, NULL) == 0);
    pair(4, scheme_sv ? "maxmsg=4096" : "depth=1&maxmsg=64", &rx, &tx);

    poke_later(getpid(), 150);
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, IPCX_FOREVER), -EINTR);
    T_SUCCESS(wait(NULL));
    poke_later(getpid(), 150);
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 5000), -EINTR);
    T_SUCCESS(wait(NULL));

    /* A full queue: a waiting send is interrupted too. */
    char *m = calloc(1, 4096);
    T_OK(m != NULL);
    size_t len = (size_t) ipcx_maxmsg(tx);
    while (ipcx_send(tx, m, len, 0, 0) == 0)
        ;
    poke_later(getpid(), 150);
    T_ERR(ipcx_send(tx, m, len, 0, IPCX_FOREVER), -EINTR);
    T_SUCCESS(wait(NULL));
    poke_later(getpid(), 150);
    T_ERR(ipcx_send(tx, m, len, 0, 5000), -EINTR);
    T_SUCCESS(wait(NULL));
    while (ipcx_recv(rx, m, 4096, NULL, 0) >= 0)
        ;

    /* With SA_RESTART the wait resumes, for its remaining time only. */
    sa.sa_flags = SA_RESTART;
    T_OK(sigaction(SIGUSR1, &sa, NULL) == 0);
    poke_later(getpid(), 100);
    t0 = now_ms();
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 400), -ETIMEDOUT);
    T_OK(now_ms() - t0 >= 390);
    T_SUCCESS(wait(NULL));
    signal(SIGUSR1, SIG_DFL);
    free(m);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
}

/* ---- creation, modes, the descriptor, maxmsg of an existing queue ----------- */

static void test_create(void)
{
    ipcx_chan *rx, *tx, *rx2;
    char u[128], q[128];
    char b[8];

    url_of(u, sizeof u, 5, NULL);
    T_ERR(ipcx_open(&tx, u, IPCX_SEND), -ENOENT);
    T_OK(strstr(ipcx_errdetail(), "does not exist") != NULL);
    /* A sender may create the queue; it stays after the sender closes. */
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND | IPCX_CREATE));
    T_SUCCESS(ipcx_send(tx, "k", 1, 0, 0));
    T_SUCCESS(ipcx_close(tx));
    T_ERR(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL), -EEXIST);
    T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE));
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 1000), 1); /* the message waited for us */
    T_SUCCESS(ipcx_close(rx));
    /* This receiver did not create it: the queue is still there. */
    T_SUCCESS(ipcx_unlink(u));
    T_ERR(ipcx_unlink(u), -ENOENT);

    /* ?mode= is applied exactly, whatever the umask. */
    mode_t old = umask(077);
    url_of(q, sizeof q, 6, "mode=0640");
    T_SUCCESS(ipcx_open(&rx, q, IPCX_RECV | IPCX_CREATE));
    umask(old);
    if (scheme_sv) {
        struct msqid_ds ds;
        int id = msgget((key_t) (0x40000000u | ((unsigned) me << 6) | 6u), 0);
        T_OK(id >= 0 && msgctl(id, IPC_STAT, &ds) == 0);
        T_EQ(ds.msg_perm.mode & 0777, 0640);
        T_ERR(ipcx_fd(rx), -ENOTSUP);
    } else {
        char path[128];
        struct stat st;
        snprintf(path, sizeof path, "/dev/mqueue/ipcx-t-%d-6", (int) me);
        if (stat(path, &st) == 0) /* only where /dev/mqueue is mounted */
            T_EQ(st.st_mode & 0777, 0640);
        /* ipcx_fd: readable once a message is there.  The sender asks for
         * the queue's mode: with the default 0600 it is refused (owner.h). */
        url_of(u, sizeof u, 6, NULL);
        T_ERR(ipcx_open(&tx, u, IPCX_SEND), -EACCES);
        url_of(u, sizeof u, 6, "mode=0640");
        T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));
        int fd = ipcx_fd(rx);
        T_SUCCESS(fd);
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        T_EQ(poll(&pf, 1, 0), 0);
        T_SUCCESS(ipcx_send(tx, "p", 1, 0, 0));
        T_EQ(poll(&pf, 1, 1000), 1);
        T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 0), 1);
        T_SUCCESS(ipcx_close(tx));
        /* An existing queue keeps its size: more is refused, the default takes its size. */
        url_of(u, sizeof u, 7, "maxmsg=64");
        T_SUCCESS(ipcx_open(&rx2, u, IPCX_RECV | IPCX_CREATE));
        url_of(u, sizeof u, 7, "maxmsg=128");
        T_ERR(ipcx_open(&tx, u, IPCX_SEND), -EINVAL);
        url_of(u, sizeof u, 7, NULL);
        T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));
        T_EQ(ipcx_maxmsg(tx), 64);
        T_ERR(ipcx_send(tx, b, 65, 0, 0), -EMSGSIZE);
        T_SUCCESS(ipcx_close(tx));
        T_SUCCESS(ipcx_close(rx2));
    }
    T_SUCCESS(ipcx_close(rx));
}

/* ---- bad URLs create nothing ------------------------------------------------ */

static void test_badurls(void)
{
    static const char *const bad_mq[] = {
        "mq:", "mq:/", "mq:/a/b", "mq:name", "mq://host/x", "mq:/x?depth=0", "mq:/x?depth=abc",
        "mq:/x?type=1", "mq:/x?proj=1",
    };
    static const char *const bad_sv[] = {
        "sysvmq:", "sysvmq:0", "sysvmq:zz", "sysvmq:0x1ffffffff", "sysvmq:-5", "sysvmq:12?depth=3",
        "sysvmq:/tmp?proj=300", "sysvmq:/tmp?proj=0", "sysvmq:12?proj=1", "sysvmq:12?id=3",
        "sysvmq:12?type=x", "sysvmq:?id=-1",
    };
    ipcx_chan *ch;
    const char *const *v = scheme_sv ? bad_sv : bad_mq;
    size_t n = scheme_sv ? sizeof bad_sv / sizeof bad_sv[0] : sizeof bad_mq / sizeof bad_mq[0];
    for (size_t i = 0; i < n; i++) {
        int r = ipcx_open(&ch, v[i], IPCX_RECV | IPCX_CREATE);
        if (r != -EINVAL)
            T_FAIL("ipcx_open(%s) == %d (%s), want -EINVAL", v[i], r, ipcx_strerror(r));
        T_OK(ipcx_errdetail()[0] != '\0');
    }
    if (scheme_sv) {
        char u[128];
        url_of(u, sizeof u, 8, "type=1");
        T_ERR(ipcx_open(&ch, u, IPCX_SEND | IPCX_CREATE), -EINVAL); /* type= is for receivers */
        T_ERR(ipcx_open(&ch, "sysvmq:/nonexistent/ipcx-t?proj=1", IPCX_RECV | IPCX_CREATE), -ENOENT);
        url_of(u, sizeof u, 8, NULL);
        T_ERR(ipcx_unlink(u), -ENOENT); /* nothing was created */
    }
}

/* ---- sysvmq: type selection, key forms, removal under a waiting receiver ---- */

static void test_sv_type(void)
{
    ipcx_chan *rx, *tx, *sel;
    char u[128], b[8];
    unsigned p;

    pair(9, NULL, &rx, &tx);
    /* prio p travels as mtype 32768 - p. */
    T_SUCCESS(ipcx_send(tx, "a", 1, 0, 0));
    T_SUCCESS(ipcx_send(tx, "b", 1, 1, 0));
    T_SUCCESS(ipcx_send(tx, "c", 1, 2, 0));
    T_SUCCESS(ipcx_send(tx, "d", 1, 1, 0));
    T_SUCCESS(ipcx_send(tx, "e", 1, 0, 0));
    /* type=32767: exactly mtype 32767, i.e. priority 1, in FIFO order. */
    url_of(u, sizeof u, 9, "type=32767");
    T_SUCCESS(ipcx_open(&sel, u, IPCX_RECV));
    T_ERR(ipcx_recv(sel, b, sizeof b, &p, 0), 1);
    T_OK(b[0] == 'b' && p == 1);
    T_ERR(ipcx_recv(sel, b, sizeof b, &p, 0), 1);
    T_OK(b[0] == 'd' && p == 1);
    T_ERR(ipcx_recv(sel, b, sizeof b, NULL, 0), -EAGAIN);
    T_ERR(ipcx_recv(sel, b, sizeof b, NULL, 100), -ETIMEDOUT);
    T_SUCCESS(ipcx_close(sel));
    /* type=0: arrival order, whatever the priority. */
    url_of(u, sizeof u, 9, "type=0");
    T_SUCCESS(ipcx_open(&sel, u, IPCX_RECV));
    T_ERR(ipcx_recv(sel, b, sizeof b, &p, 0), 1);
    T_OK(b[0] == 'a' && p == 0);
    T_SUCCESS(ipcx_close(sel));
    /* type=-32767: the lowest mtype not above 32767: the highest priority >= 1. */
    T_SUCCESS(ipcx_send(tx, "f", 1, 1, 0));
    url_of(u, sizeof u, 9, "type=-32767");
    T_SUCCESS(ipcx_open(&sel, u, IPCX_RECV));
    T_ERR(ipcx_recv(sel, b, sizeof b, &p, 0), 1);
    T_OK(b[0] == 'c' && p == 2);
    T_ERR(ipcx_recv(sel, b, sizeof b, &p, 0), 1);
    T_OK(b[0] == 'f' && p == 1);
    T_ERR(ipcx_recv(sel, b, sizeof b, NULL, 0), -EAGAIN); /* only priority 0 is left */
    T_SUCCESS(ipcx_close(sel));
    T_ERR(ipcx_recv(rx, b, sizeof b, &p, 0), 1);
    T_OK(b[0] == 'e' && p == 0);
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 0), -EAGAIN);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
}

static void test_sv_forms(void)
{
    ipcx_chan *rx, *tx;
    char u[256], a[128], b[8];

    snprintf(ftok_file, sizeof ftok_file, "/tmp/ipcx-t-%d-ftok", (int) me);
    int fd = open(ftok_file, O_CREAT | O_WRONLY | O_EXCL, 0600);
    T_OK(fd >= 0);
    close(fd);
    snprintf(u, sizeof u, "sysvmq:%s?proj=7", ftok_file);
    T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    T_SUCCESS(ipcx_addr(rx, a, sizeof a));
    char want[64];
    snprintf(want, sizeof want, "sysvmq:0x%08x", (unsigned) ftok(ftok_file, 7));
    T_OK(strcmp(a, want) == 0);
    /* The same queue by its id. */
    int id = msgget(ftok(ftok_file, 7), 0);
    T_OK(id >= 0);
    snprintf(u, sizeof u, "sysvmq:?id=%d", id);
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));
    T_SUCCESS(ipcx_send(tx, "i", 1, 0, 0));
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 1000), 1);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
    T_OK(msgget(ftok(ftok_file, 7), 0) < 0 && errno == ENOENT);
    unlink(ftok_file);
    ftok_file[0] = '\0';
    /* Larger than the kernel's msgmax: refused with the limit named. */
    long msgmax = 8192;
    FILE *f = fopen("/proc/sys/kernel/msgmax", "r");
    if (f) {
        T_OK(fscanf(f, "%ld", &msgmax) == 1);
        fclose(f);
    }
    char q[64], num[32];
    snprintf(q, sizeof q, "maxmsg=%ld", msgmax + 1);
    url_of(u, sizeof u, 10, q);
    T_ERR(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE), -EINVAL);
    snprintf(num, sizeof num, "msgmax=%ld", msgmax);
    T_OK(strstr(ipcx_errdetail(), num) != NULL);
}

/* A receiver waiting when the queue is removed gets -EIDRM at once, no hang. */
static void test_sv_idrm(void)
{
    static const int timeouts[] = { IPCX_FOREVER, 5000 };
    char b[8], u[128];
    for (int how = 0; how < 3; how++) {
        ipcx_chan *rx, *tx;
        int timeout = timeouts[how % 2];
        pair(11, NULL, &rx, &tx);
        url_of(u, sizeof u, 11, NULL);
        pid_t pid = fork();
        T_OK(pid >= 0);
        if (pid == 0) {
            sleep_ms(200);
            if (how < 2) {
                T_SUCCESS(ipcx_unlink(u));
            } else {
                /* Someone else's ipcrm -q: the doorbell stays, the queue goes. */
                int id = msgget((key_t) (0x40000000u | ((unsigned) me << 6) | 11u), 0);
                T_OK(id >= 0 && msgctl(id, IPC_RMID, NULL) == 0);
            }
            _exit(0);
        }
        T_ERR(ipcx_recv(rx, b, sizeof b, NULL, timeout), -EIDRM); /* not -ETIMEDOUT */
        T_OK(strstr(ipcx_errdetail(), "removed") != NULL);
        T_ERR(ipcx_send(tx, "x", 1, 0, 0), -EIDRM);
        reap(pid);
        T_SUCCESS(ipcx_close(tx));
        T_SUCCESS(ipcx_close(rx));
        (void) ipcx_unlink(u); /* the doorbell of the third round */
    }
}

/* ---- limits of the kernel, named in the error -------------------------------- */

static long proc_long(const char *path)
{
    long v = -1;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static void expect_limit(const char *url, int want, const char *words)
{
    ipcx_chan *ch;
    int r = ipcx_open(&ch, url, IPCX_RECV | IPCX_CREATE);
    if (r >= 0)
        ipcx_close(ch);
    if (r != want || !strstr(ipcx_errdetail(), words))
        T_FAIL("ipcx_open(%s) == %d (%s) [%s], want %d with '%s' in the detail", url, r,
               ipcx_strerror(r), ipcx_errdetail(), want, words);
}

static void test_limits(void)
{
    char u[128], words[64];
    long msg_max = proc_long("/proc/sys/fs/mqueue/msg_max");
    long size_max = proc_long("/proc/sys/fs/mqueue/msgsize_max");
    long queues_max = proc_long("/proc/sys/fs/mqueue/queues_max");

    /* Even CAP_SYS_RESOURCE stops at the hard limit. */
    snprintf(u, sizeof u, "mq:/ipcx-t-%d-q0?depth=70000", (int) me);
    expect_limit(u, -EINVAL, "HARD_MSGMAX=65536");

    /* Without privileges: the sysctl limits and RLIMIT_MSGQUEUE, in a child as nobody. */
    if (geteuid() != 0) {
        printf("limits: not root, so the unprivileged checks run as this user\n");
    }
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0)
            T_OK(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
        snprintf(u, sizeof u, "mq:/ipcx-t-%d-q1?depth=%ld&maxmsg=16", (int) me, msg_max + 1);
        snprintf(words, sizeof words, "msg_max=%ld", msg_max);
        expect_limit(u, -EINVAL, words);
        snprintf(u, sizeof u, "mq:/ipcx-t-%d-q2?depth=1&maxmsg=%ld", (int) me, size_max + 1);
        snprintf(words, sizeof words, "msgsize_max=%ld", size_max);
        expect_limit(u, -EINVAL, words);

        struct rlimit old, rl;
        T_OK(getrlimit(RLIMIT_MSGQUEUE, &old) == 0);
        rl = (struct rlimit) { 4096, old.rlim_max };
        T_OK(setrlimit(RLIMIT_MSGQUEUE, &rl) == 0);
        snprintf(u, sizeof u, "mq:/ipcx-t-%d-q3?depth=8&maxmsg=1024", (int) me);
        expect_limit(u, -ENOSPC, "RLIMIT_MSGQUEUE=4096");
        T_OK(setrlimit(RLIMIT_MSGQUEUE, &old) == 0);

        /* queues_max: make tiny queues until the system is full (at most queues_max). */
        int made = 0, r = 0;
        for (int n = 10; n < 10 + queues_max + 1 && n < 290; n++) {
            ipcx_chan *ch;
            snprintf(u, sizeof u, "mq:/ipcx-t-%d-q%d?depth=1&maxmsg=1", (int) me, n);
            r = ipcx_open(&ch, u, IPCX_SEND | IPCX_CREATE);
            if (r < 0)
                break;
            ipcx_close(ch);
            made++;
        }
        if (r == -ENOSPC) {
            snprintf(words, sizeof words, "queues_max=%ld", queues_max);
            if (!strstr(ipcx_errdetail(), words))
                T_FAIL("queues_max: detail [%s] lacks '%s'", ipcx_errdetail(), words);
        } else if (r < 0) {
            /* RLIMIT_MSGQUEUE may end it first: that is named too. */
            if (!strstr(ipcx_errdetail(), "RLIMIT_MSGQUEUE") && !strstr(ipcx_errdetail(), "queues_max"))
                T_FAIL("after %d queues: %s [%s]", made, ipcx_strerror(r), ipcx_errdetail());
        }
        printf("limits: queue %d refused: %s [%s]\n", made + 1, ipcx_strerror(r), ipcx_errdetail());
        for (int n = 10; n < 10 + made; n++) {
            snprintf(u, sizeof u, "/ipcx-t-%d-q%d", (int) me, n);
            mq_unlink(u);
        }
        _exit(0);
    }
    reap(pid);
}

int main(int argc, char **argv)
{
    me = getpid();
    t_cleanup = cleanup;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: mq_test mq|sysvmq|limits\n");
        return 2;
    }
    /* Each object of these tests is ours alone: keep the registry out of the way. */
    setenv("IPCX_REGISTRY", "off", 1);
    if (strcmp(argv[1], "sysvmq") == 0)
        scheme_sv = 1;
    else if (strcmp(argv[1], "limits") == 0) {
        mqd_t q = mq_open("/ipcx-t-probe-nonexistent", O_RDONLY);
        if (q == (mqd_t) -1 && errno == ENOSYS) {
            printf("SKIP: no POSIX message queues in this kernel\n");
            return T_SKIP;
        }
        test_limits();
        cleanup();
        printf("limits ok\n");
        return 0;
    } else if (strcmp(argv[1], "mq") != 0) {
        fprintf(stderr, "usage: mq_test mq|sysvmq|limits\n");
        return 2;
    }
    ipcx_chan *probe;
    char u[128];
    url_of(u, sizeof u, 0, NULL);
    int r = ipcx_open(&probe, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
    if (r == -ENOTSUP) {
        printf("SKIP: %s: %s\n", u, ipcx_errdetail());
        return T_SKIP;
    }
    T_SUCCESS(r);
    T_SUCCESS(ipcx_close(probe));

    test_prio();
    printf("%s: priorities ok\n", argv[1]);
    test_small();
    printf("%s: small buffer ok\n", argv[1]);
    test_timeouts();
    printf("%s: timeouts ok\n", argv[1]);
    test_eintr();
    printf("%s: eintr ok\n", argv[1]);
    test_create();
    printf("%s: create ok\n", argv[1]);
    test_badurls();
    printf("%s: bad urls ok\n", argv[1]);
    if (scheme_sv) {
        test_sv_type();
        printf("sysvmq: type selection ok\n");
        test_sv_forms();
        printf("sysvmq: key forms ok\n");
        test_sv_idrm();
        printf("sysvmq: removed under a waiting receiver ok\n");
    }
    cleanup();
    printf("all ok\n");
    return 0;
}
