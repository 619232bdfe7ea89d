/*
 * bound_test.c - a receiver's memory and descriptors under hostile peers
 * (issue 13, item 6).  Every case runs the receiver, the attacker and,
 * where it matters, a legitimate sender in separate processes; the
 * attacker is uid nobody when we are root (a remote or local peer may be
 * any user), which abstract Unix sockets and TCP on 127.0.0.1 admit.
 *
 *   bound_test rss tcp|unix  300 connections each announce a 2 MiB
 *       message and trickle its bytes; the receiver's peak RSS (VmHWM)
 *       stays under budget= plus a base buffer per connection plus a
 *       generous constant, partial messages are counted lost, and a
 *       legitimate sender's messages (small and 256 KiB ones) all arrive
 *       while the attack goes on.
 *   bound_test fifo          the same through a FIFO: 16 writer ids each
 *       announce 16 MiB in split chunks (pipe reassembly) and send 15 MiB,
 *       against budget=17M.
 *   bound_test idle          1100 idle connections; a legitimate sender
 *       still gets in and its messages arrive.
 *   bound_test emfile        the receiver has no descriptor left
 *       (RLIMIT_NOFILE) and connections wait in the backlog: a receive
 *       with a 2 s timeout ends in -ETIMEDOUT having used less than half
 *       of that in CPU time (it spun at 100% before).
 *   bound_test stall         a peer that sends half a frame and waits is
 *       disconnected after stall=300 (the peer waits up to 30 s to see it).
 *   bound_test keys          budget= and stall= are checked at open.
 *
 * RSS is not asserted under AddressSanitizer, whose quarantine keeps
 * freed memory resident by design; the rest is.
 */
#include "t.h"
#include "transport/frame.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif
#ifndef T_ASAN
#define T_ASAN 0
#endif

#define NOBODY 65534
#define MIB (1024L * 1024)

static char scheme[16];
static pid_t main_pid, kids[8];
static int nkids;
static pid_t track(pid_t pid);
static char rx_url[256], tx_url[600];
static char fifo_path[128];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Become uid nobody if we are root (the attacker is any user). */
static void become_nobody(void)
{
    if (geteuid() != 0)
        return;
    if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0)
        T_FAIL("cannot become uid nobody");
}

static void raise_nofile(rlim_t want)
{
    struct rlimit rl;
    T_OK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur >= want)
        return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        fprintf(stderr, "SKIP: RLIMIT_NOFILE hard limit %lu < %lu\n",
                (unsigned long) rl.rlim_max, (unsigned long) want);
        exit(T_SKIP);
    }
    rl.rlim_cur = want;
    T_OK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

/* ---- raw peers ------------------------------------------------------------ */

/* A raw connection to the receiver, as an attacker makes it; -1 on failure. */
static int raw_connect(void)
{
    int fd;
    if (strcmp(scheme, "tcp") == 0) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        const char *colon = strrchr(tx_url, ':');
        sa.sin_port = htons((uint16_t) atoi(colon + 1));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0)
            return fd;
    } else {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *name = strchr(tx_url, '@') + 1;
        size_t n = strcspn(name, "?");
        memcpy(sa.sun_path + 1, name, n);
        int type = strcmp(scheme, "seqpacket") == 0 ? SOCK_SEQPACKET : SOCK_STREAM;
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa,
                               (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0)
            return fd;
    }
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Write all of it, or -1 (the receiver dropped us). */
static int raw_write(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t) w;
    }
    return 0;
}

static void frame_hdr(uint8_t *h, unsigned flags, uint32_t writer, uint32_t total, uint32_t len)
{
    struct ipcx__frame f = { flags, 0, writer, total, len };
    ipcx__frame_encode(h, &f);
}

/* A connection that announced total bytes, and how many it has sent of them. */
struct conn {
    int fd;
    size_t sent;
};

static int conn_open(struct conn *c, size_t total)
{
    uint8_t h[IPCX_FRAME_HDR];
    c->fd = raw_connect();
    c->sent = 0;
    if (c->fd < 0)
        return -1;
    frame_hdr(h, IPCX_FRAME_WHOLE, 0, (uint32_t) total, (uint32_t) total);
    return raw_write(c->fd, h, sizeof h);
}

/*
 * The trickling attacker: nconn connections, each announcing total bytes
 * and sending step bytes per round, never the last one.  Dropped
 * connections are made anew.  After push bytes in all it writes one byte
 * to ready, then goes on trickling until killed.
 */
static void attack_trickle(int nconn, size_t total, size_t step, size_t push, int ready)
{
    static uint8_t junk[64 * 1024];
    struct conn *c = calloc((size_t) nconn, sizeof *c);
    size_t pushed = 0;
    int told = 0;

    become_nobody();
    memset(junk, 'A', sizeof junk);
    for (int i = 0; i < nconn; i++)
        if (conn_open(&c[i], total) < 0)
            T_FAIL("attacker: connect %d", i);
    for (;;) {
        for (int i = 0; i < nconn; i++) {
            size_t n = step;
            if (c[i].sent + n >= total) {
                (void) close(c[i].fd); /* never complete a message: start another */
                if (conn_open(&c[i], total) < 0)
                    continue;
            }
            if (raw_write(c[i].fd, junk, n) < 0) {
                (void) close(c[i].fd);
                if (conn_open(&c[i], total) < 0)
                    T_FAIL("attacker: reconnect");
                continue;
            }
            c[i].sent += n;
            pushed += n;
        }
        if (!told && pushed >= push) {
            T_OK(write(ready, "x", 1) == 1);
            told = 1;
            step = 1024; /* from now on a trickle */
        }
        if (told)
            usleep(20000);
    }
}

/* ---- the receiver process ----------------------------------------------------- */

#define LEGIT_TAG "LEGIT-"
#define NLEGIT 40

static int legit_len(int i)
{
    return i % 2 ? 256 * 1024 : 100;
}

/*
 * Receive until NLEGIT legitimate messages came (in order, byte for byte),
 * then write "hwm_kb lost" to out.  Anything else received is a failure.
 */
static void receiver_legit(ipcx_chan *rx, int out, int nlegit)
{
    static char buf[2 * 1024 * 1024 + 64];
    int64_t until = now_ms() + 180000;
    int got = 0;

    while (got < nlegit) {
        T_OK(now_ms() < until);
        long n = ipcx_recv(rx, buf, sizeof buf, NULL, 5000);
        if (n == -ETIMEDOUT)
            continue;
        /* On a pipe, the later chunks of an evicted split message are
         * reported (and skipped) one by one; a socket peer never errs here. */
        if (n == -EBADMSG && strncmp(rx_url, "fifo:", 5) == 0)
            continue;
        T_SUCCESS(n);
        T_OK(n >= 16 && memcmp(buf, LEGIT_TAG, strlen(LEGIT_TAG)) == 0);
        T_EQ(atoi(buf + strlen(LEGIT_TAG)), got);
        T_EQ(n, legit_len(got));
        for (long k = 16; k < n; k++)
            if (buf[k] != (char) ('a' + got % 26))
                T_FAIL("message %d byte %ld", got, k);
        got++;
    }
    dprintf(out, "%ld %lld\n", vm_hwm_kb(), ipcx_lost(rx));
}

/* Fork a receiver on rx_url; its address goes to tx_url; it runs body. */
static pid_t spawn_receiver(void (*body)(ipcx_chan *, int, int), int arg, int *result)
{
    int ap[2], rp[2];
    T_OK(pipe(ap) == 0 && pipe(rp) == 0);
    pid_t pid = track(fork());
    T_OK(pid >= 0);
    if (pid == 0) {
        ipcx_chan *rx;
        char addr[256];
        close(ap[0]);
        close(rp[0]);
        T_SUCCESS(ipcx_open(&rx, rx_url, IPCX_RECV | IPCX_CREATE));
        T_SUCCESS(ipcx_addr(rx, addr, sizeof addr));
        dprintf(ap[1], "%s\n", addr);
        close(ap[1]);
        body(rx, rp[1], arg);
        ipcx_close(rx);
        _exit(0);
    }
    close(ap[1]);
    close(rp[1]);
    FILE *f = fdopen(ap[0], "r");
    char line[256];
    T_OK(fgets(line, sizeof line, f) != NULL);
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    /* Both ends agree on maxmsg (ipcx_addr leaves it out). */
    const char *mm = strstr(rx_url, "maxmsg=");
    snprintf(tx_url, sizeof tx_url, "%s%s%.*s", line, !mm ? "" : strchr(line, '?') ? "&" : "?",
             mm ? (int) strcspn(mm, "&") : 0, mm ? mm : "");
    *result = rp[0];
    return pid;
}

static void legit_sender(int first, int count)
{
    static char msg[256 * 1024];
    ipcx_chan *tx;
    T_SUCCESS(ipcx_open(&tx, tx_url, IPCX_SEND));
    for (int i = first; i < first + count; i++) {
        int n = legit_len(i);
        memset(msg, 'a' + i % 26, (size_t) n);
        snprintf(msg, 16, LEGIT_TAG "%d", i % 1000);
        T_SUCCESS(ipcx_send(tx, msg, (size_t) n, 0, 60000));
    }
    T_SUCCESS(ipcx_close(tx));
}

static pid_t spawn(void (*fn)(void *), void *arg)
{
    pid_t pid = track(fork());
    T_OK(pid >= 0);
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    return pid;
}

static int wait_ok(pid_t pid)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void kill_wait(pid_t pid)
{
    if (pid <= 0)
        return;
    (void) kill(pid, SIGKILL);
    (void) waitpid(pid, NULL, 0);
}

static void fifo_cleanup(void);

/* On failure the main process kills every child it started (an attacker
 * would otherwise wait for ever) and removes the FIFO. */
static void cleanup(void)
{
    if (getpid() != main_pid)
        return;
    for (int i = 0; i < nkids; i++)
        kill_wait(kids[i]);
    fifo_cleanup();
}

static pid_t track(pid_t pid)
{
    if (pid > 0 && nkids < 8)
        kids[nkids++] = pid;
    return pid;
}

static void read_result(int fd, long *hwm_kb, long long *lost)
{
    char line[128] = "";
    FILE *f = fdopen(fd, "r");
    T_OK(fgets(line, sizeof line, f) != NULL);
    fclose(f);
    T_OK(sscanf(line, "%ld %lld", hwm_kb, lost) == 2);
}

static void check_hwm(long hwm_kb, long limit_bytes)
{
    fprintf(stderr, "receiver VmHWM %ld KiB, limit %ld KiB%s\n", hwm_kb, limit_bytes / 1024,
            T_ASAN ? " (not checked under ASan)" : "");
    if (!T_ASAN)
        T_OK(hwm_kb * 1024 < limit_bytes);
}

/* ---- cases ------------------------------------------------------------------- */

static void legit_all(void *arg)
{
    (void) arg;
    legit_sender(0, NLEGIT);
}

#define RSS_CONNS 300
#define RSS_BUDGET (16 * MIB)
#define RSS_SLACK (48 * MIB) /* the process, libc arenas, fragmentation: generous */

static void run_receiver_legit(ipcx_chan *rx, int out, int n)
{
    receiver_legit(rx, out, n);
}

/*
 * The receiver rxp (spawned with run_receiver_legit) under attack: attack
 * runs in a child and writes a byte to ready once it is under way; then a
 * legitimate sender sends its NLEGIT messages, the receiver reports (hwm,
 * lost) and both children are reaped.
 */
static void under_attack(void (*attack)(int ready), pid_t rxp, int result, long *hwm,
                         long long *lost)
{
    int ready[2];
    T_OK(pipe(ready) == 0);
    pid_t atk = track(fork());
    T_OK(atk >= 0);
    if (atk == 0) {
        close(ready[0]);
        attack(ready[1]);
        _exit(0);
    }
    close(ready[1]);
    char x;
    T_OK(read(ready[0], &x, 1) == 1);
    close(ready[0]);
    pid_t snd = spawn(legit_all, NULL);
    T_OK(wait_ok(snd));
    read_result(result, hwm, lost);
    kill_wait(atk);
    T_OK(wait_ok(rxp));
}

/* 1.5 MiB of each 2 MiB message: 450 MB in all before the sender starts. */
static void rss_attacker(int ready)
{
    attack_trickle(RSS_CONNS, 2 * MIB, 64 * 1024, (size_t) RSS_CONNS * 3 * MIB / 2, ready);
}

static int case_rss(void)
{
    int result;
    long hwm;
    long long lost;

    if (strcmp(scheme, "tcp") == 0)
        snprintf(rx_url, sizeof rx_url, "tcp://127.0.0.1:0?maxmsg=2M&budget=16M");
    else
        snprintf(rx_url, sizeof rx_url, "unix:@ipcx-t-%d-bound?maxmsg=2M&budget=16M",
                 (int) getpid());
    raise_nofile(RSS_CONNS + 64);
    pid_t rxp = spawn_receiver(run_receiver_legit, NLEGIT, &result);
    under_attack(rss_attacker, rxp, result, &hwm, &lost);
    fprintf(stderr, "partial messages dropped (ipcx_lost): %lld\n", lost);
    check_hwm(hwm, RSS_BUDGET + RSS_CONNS * 64 * 1024 + RSS_SLACK);
    T_OK(lost > 0);
    return 0;
}

/* FIFO: 16 writer ids, each announcing 16 MiB in chunks and sending 15 MiB. */
static void fifo_attacker(void *arg)
{
    static uint8_t chunk[IPCX_FRAME_HDR + 4000];
    const uint32_t total = 16u << 20, step = 4000, send = 15u << 20;
    int fd = open(fifo_path, O_WRONLY | O_CLOEXEC);
    (void) arg;
    T_OK(fd >= 0);
    memset(chunk + IPCX_FRAME_HDR, 'F', step);
    for (uint32_t off = 0; off < send; off += step)
        for (uint32_t w = 1; w <= 16; w++) {
            frame_hdr(chunk, off == 0 ? IPCX_FRAME_FIRST : 0, 0x40000000u + w, total, step);
            T_OK(write(fd, chunk, sizeof chunk) == (ssize_t) sizeof chunk);
        }
    close(fd);
}

static void fifo_cleanup(void)
{
    if (fifo_path[0])
        (void) unlink(fifo_path);
}

static int case_fifo(void)
{
    int result;
    long hwm;
    long long lost;

    snprintf(fifo_path, sizeof fifo_path, "/tmp/ipcx-t-%d-bound", (int) getpid());
    snprintf(rx_url, sizeof rx_url, "fifo:%s?maxmsg=16M&budget=17M", fifo_path);
    pid_t rxp = spawn_receiver(run_receiver_legit, 2, &result);
    /* The legitimate sender opens first: the receiver never sees every writer gone. */
    ipcx_chan *tx;
    static char msg[256 * 1024];
    T_SUCCESS(ipcx_open(&tx, tx_url, IPCX_SEND));
    pid_t atk = spawn(fifo_attacker, NULL);
    T_OK(wait_ok(atk));
    for (int i = 0; i < 2; i++) {
        memset(msg, 'a' + i % 26, (size_t) legit_len(i));
        snprintf(msg, 16, LEGIT_TAG "%d", i % 1000);
        T_SUCCESS(ipcx_send(tx, msg, (size_t) legit_len(i), 0, 60000));
    }
    read_result(result, &hwm, &lost);
    T_SUCCESS(ipcx_close(tx));
    T_OK(wait_ok(rxp));
    fprintf(stderr, "split messages evicted (ipcx_lost): %lld\n", lost);
    check_hwm(hwm, 17 * MIB + 64 * 1024 + RSS_SLACK);
    T_OK(lost > 0);
    fifo_cleanup();
    return 0;
}

#define IDLE_CONNS 1100

static void idle_attacker(int ready)
{
    int *fds = calloc(IDLE_CONNS, sizeof *fds);
    raise_nofile(IDLE_CONNS + 64);
    become_nobody();
    for (int i = 0; i < IDLE_CONNS; i++) {
        fds[i] = raw_connect();
        if (fds[i] < 0)
            T_FAIL("attacker: connect %d: %s", i, strerror(errno));
    }
    T_OK(write(ready, "x", 1) == 1);
    pause();
}

/* tcp, or (seq) a unix:?type=seqpacket receiver, whose record connections
 * are shed at the limit too. */
static int case_idle(int seq)
{
    int result;
    long hwm;
    long long lost;

    if (seq) {
        snprintf(scheme, sizeof scheme, "seqpacket");
        snprintf(rx_url, sizeof rx_url, "unix:@ipcx-t-%d-idle?type=seqpacket&maxmsg=512k",
                 (int) getpid());
    } else {
        snprintf(scheme, sizeof scheme, "tcp");
        snprintf(rx_url, sizeof rx_url, "tcp://127.0.0.1:0");
    }
    raise_nofile(IDLE_CONNS + 64); /* checked here too, so a skip happens before forking */
    pid_t rxp = spawn_receiver(run_receiver_legit, NLEGIT, &result);
    under_attack(idle_attacker, rxp, result, &hwm, &lost);
    return 0;
}

/* The receiver has no descriptor left: a receive must sleep, not spin. */
static void receiver_emfile(ipcx_chan *rx, int out, int arg)
{
    struct rusage r0, r1;
    char buf[64];
    (void) arg;
    /* Let the attacker's connections wait in the backlog first. */
    usleep(300000);
    /* Fill the table: the limit just above the highest descriptor, every
     * hole below it taken, so no new descriptor can be made. */
    int high = 0;
    for (int fd = 0; fd < 256; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            high = fd;
    struct rlimit rl;
    T_OK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = (rlim_t) high + 1;
    T_OK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    while (open("/dev/null", O_RDONLY) >= 0)
        ;
    T_EQ(errno, EMFILE);
    T_OK(getrusage(RUSAGE_SELF, &r0) == 0);
    int64_t t0 = now_ms();
    long n = ipcx_recv(rx, buf, sizeof buf, NULL, 2000);
    int64_t wall = now_ms() - t0;
    T_OK(getrusage(RUSAGE_SELF, &r1) == 0);
    long cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000 +
               (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1000 +
               (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000 +
               (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1000;
    dprintf(out, "%ld %ld %ld\n", n, cpu, (long) wall);
}

static int case_emfile(void)
{
    int result;
    snprintf(scheme, sizeof scheme, "tcp");
    snprintf(rx_url, sizeof rx_url, "tcp://127.0.0.1:0");
    pid_t rxp = spawn_receiver(receiver_emfile, 0, &result);
    pid_t atk = track(fork());
    T_OK(atk >= 0);
    if (atk == 0) {
        int fds[8];
        become_nobody();
        for (int i = 0; i < 8; i++)
            T_OK((fds[i] = raw_connect()) >= 0);
        pause();
        _exit(0);
    }
    char line[128] = "";
    FILE *f = fdopen(result, "r");
    T_OK(fgets(line, sizeof line, f) != NULL);
    fclose(f);
    long n, cpu, wall;
    T_OK(sscanf(line, "%ld %ld %ld", &n, &cpu, &wall) == 3);
    kill_wait(atk);
    T_OK(wait_ok(rxp));
    fprintf(stderr, "receive with no descriptors left: %ld (%s), %ld ms CPU in %ld ms\n",
            n, ipcx_strerror((int) n), cpu, wall);
    T_EQ(n, -ETIMEDOUT);
    T_OK(cpu * 2 < wall);
    return 0;
}

/* Receive until "STOP", then report ipcx_lost. */
static void receiver_stop(ipcx_chan *rx, int out, int arg)
{
    char buf[64];
    int64_t until = now_ms() + 120000;
    (void) arg;
    for (;;) {
        T_OK(now_ms() < until);
        long n = ipcx_recv(rx, buf, sizeof buf, NULL, 1000);
        if (n == -ETIMEDOUT)
            continue;
        T_SUCCESS(n);
        if (n == 4 && memcmp(buf, "STOP", 4) == 0)
            break;
    }
    dprintf(out, "0 %lld\n", ipcx_lost(rx));
}

static int case_stall(void)
{
    int result;
    long hwm;
    long long lost;

    snprintf(scheme, sizeof scheme, "unix");
    snprintf(rx_url, sizeof rx_url, "unix:@ipcx-t-%d-bound?stall=300", (int) getpid());
    pid_t rxp = spawn_receiver(receiver_stop, 0, &result);
    pid_t atk = track(fork());
    T_OK(atk >= 0);
    if (atk == 0) {
        uint8_t h[IPCX_FRAME_HDR + 10];
        become_nobody();
        int fd = raw_connect();
        T_OK(fd >= 0);
        frame_hdr(h, IPCX_FRAME_WHOLE, 0, 1000, 1000);
        memset(h + IPCX_FRAME_HDR, 'S', 10);
        T_OK(raw_write(fd, h, sizeof h) == 0);
        /* Wait for the receiver to hang up on us: 30 s is a hundred stalls. */
        struct pollfd p = { fd, POLLIN | POLLRDHUP, 0 };
        int r = poll(&p, 1, 30000);
        char c;
        _exit(r == 1 && read(fd, &c, 1) <= 0 ? 0 : 1);
    }
    int dropped = wait_ok(atk);
    ipcx_chan *tx;
    T_SUCCESS(ipcx_open(&tx, tx_url, IPCX_SEND));
    T_SUCCESS(ipcx_send(tx, "STOP", 4, 0, 10000));
    T_SUCCESS(ipcx_close(tx));
    read_result(result, &hwm, &lost);
    T_OK(wait_ok(rxp));
    if (!dropped)
        T_FAIL("the slow-loris peer was never disconnected");
    T_OK(lost >= 1);
    return 0;
}

/* The keys: checked before anything is made, the budget holds one message. */
static int case_keys(void)
{
    ipcx_chan *rx;
    char url[128];
    T_ERR(ipcx_open(&rx, "tcp://127.0.0.1:0?maxmsg=2M&budget=1M", IPCX_RECV), -EINVAL);
    T_ERR(ipcx_open(&rx, "tcp://127.0.0.1:0?stall=soon", IPCX_RECV), -EINVAL);
    T_ERR(ipcx_open(&rx, "pipe:?fd=0&budget=-1", IPCX_RECV), -EINVAL);
    snprintf(url, sizeof url, "unix:@ipcx-t-%d-keys?budget=64M&stall=0", (int) getpid());
    T_SUCCESS(ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE));
    T_EQ(ipcx_lost(rx), 0);
    T_SUCCESS(ipcx_close(rx));
    snprintf(url, sizeof url, "fifo:/tmp/ipcx-t-%d-keys?budget=2M&maxmsg=2M", (int) getpid());
    T_ERR(ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE), -EINVAL); /* 2M < 2M + a header */
    url[strcspn(url, "?")] = '\0';
    T_OK(access(url + 5, F_OK) < 0); /* and nothing was created */
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        T_FAIL("usage: bound_test rss tcp|unix | fifo | idle [seqpacket] | emfile | stall");
    signal(SIGPIPE, SIG_IGN);
    main_pid = getpid();
    t_cleanup = cleanup;
    if (argc > 2)
        snprintf(scheme, sizeof scheme, "%s", argv[2]);
    if (strcmp(argv[1], "rss") == 0)
        return case_rss();
    if (strcmp(argv[1], "fifo") == 0)
        return case_fifo();
    if (strcmp(argv[1], "idle") == 0)
        return case_idle(argc > 2 && strcmp(argv[2], "seqpacket") == 0);
    if (strcmp(argv[1], "emfile") == 0)
        return case_emfile();
    if (strcmp(argv[1], "stall") == 0)
        return case_stall();
    if (strcmp(argv[1], "keys") == 0)
        return case_keys();
    T_FAIL("unknown case %s", argv[1]);
}
