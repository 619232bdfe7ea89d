/*
 * nng_test.c - sp+tcp: against Debian's libnng, for what nngcat cannot say.
 * Every nng peer is a forked child (nng's threads start after the fork),
 * the ipcx end is this process:
 *   maxmsg   an nng push0 sends a message of exactly maxmsg bytes: it
 *            arrives whole; one of maxmsg + 1 drops that connection only
 *            (ipcx_lost counts it) while another peer goes on
 *   oversize a raw peer announces 2^63 bytes: dropped, nothing allocated,
 *            the good peer's messages go on; one that never sends its
 *            handshake is dropped after 10 s (nng's deadline)
 *   many     100000 numbered messages nng -> ipcx and ipcx -> nng, in order;
 *            ipcx_fd polls readable before the first
 *   midway   a raw peer stops half way through a message and closes, and an
 *            nng peer is SIGKILLed while it sends large messages: neither
 *            half message is delivered, the next peer is heard
 *   bus      bus0: two nng peers, ipcx hears both and both hear ipcx
 *   resend   an ipcx req0 (listening, resend=100) whose first rep swallows
 *            the request: the request goes again, to the second rep
 *   backtrace an nng rep0 behind ipcx req0 and an nng req0 in front of an
 *            ipcx rep0 over sp+unix: (ipc://), replies matched by id
 * An argument runs only the case of that name.  Skips (77) without libnng (configure time: libnng-dev).
 */
#include "../t.h"

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <nng/protocol/bus0/bus.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define WAIT_MS 20000
#define MANY    100000

static char nurl[256];   /* the nng form of the ipcx listener's address */
static pid_t kids[8];
static char upath[64];

static void cleanup(void)
{
    for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
        if (kids[i] > 0)
            (void) kill(kids[i], SIGKILL);
    if (upath[0])
        (void) unlink(upath);
}

static void nng_die(const char *what, int rv)
{
    fprintf(stderr, "nng child: %s: %s\n", what, nng_strerror(rv));
    _exit(1);
}
#define N_OK(expr)                                                           \
    do {                                                                     \
        int n_rv_ = (expr);                                                  \
        if (n_rv_ != 0)                                                      \
            nng_die(#expr, n_rv_);                                           \
    } while (0)

static pid_t spawn(void (*fn)(long), long arg)
{
    pid_t p = fork();
    T_OK(p >= 0);
    if (p == 0) {
        t_cleanup = NULL;
        fn(arg);
        _exit(0);
    }
    /* A free slot: the cases reap their children before they make more. */
    for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
        if (kids[i] == 0) {
            kids[i] = p;
            return p;
        }
    (void) kill(p, SIGKILL);
    T_FAIL("more than %zu children at once", sizeof kids / sizeof kids[0]);
}

static int reap(pid_t p)
{
    int st;
    T_OK(waitpid(p, &st, 0) == p);
    for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
        if (kids[i] == p)
            kids[i] = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Open an ipcx listener on 127.0.0.1, port 0; nurl becomes its tcp:// address. */
static ipcx_chan *listen_on(const char *query, int flags)
{
    char url[256], addr[256];
    ipcx_chan *ch;
    snprintf(url, sizeof url, "sp+tcp://127.0.0.1:0?%s", query);
    T_SUCCESS(ipcx_open(&ch, url, flags));
    T_SUCCESS(ipcx_addr(ch, addr, sizeof addr));
    T_OK(strncmp(addr, "sp+tcp://", 9) == 0);
    snprintf(nurl, sizeof nurl, "%s", addr + 3);
    *strchr(nurl, '?') = '\0';
    return ch;
}

static void pattern(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t) (i * 31 + seed);
}

/* ---- children ------------------------------------------------------------ */

/* nng push0: arg bytes (pattern seed 7), then "after" and stay until killed. */
static void push_sized(long len)
{
    nng_socket s;
    uint8_t *b = malloc((size_t) len);
    N_OK(nng_push0_open(&s));
    N_OK(nng_dial(s, nurl, NULL, 0));
    pattern(b, (size_t) len, 7);
    N_OK(nng_send(s, b, (size_t) len, 0));
    N_OK(nng_send(s, "after", 5, 0));
    pause();
}

/* nng push0: "good N" every few ms, for ever. */
static void push_forever(long tag)
{
    nng_socket s;
    char b[32];
    N_OK(nng_push0_open(&s));
    N_OK(nng_dial(s, nurl, NULL, 0));
    for (long i = 0;; i++) {
        int n = snprintf(b, sizeof b, "good %ld %ld", tag, i);
        N_OK(nng_send(s, b, (size_t) n, 0));
        nng_msleep(5);
    }
}

/* nng push0: MANY numbered messages. */
static void push_many(long unused)
{
    nng_socket s;
    (void) unused;
    N_OK(nng_push0_open(&s));
    N_OK(nng_dial(s, nurl, NULL, 0));
    for (uint32_t i = 0; i < MANY; i++) {
        uint32_t be = htonl(i);
        N_OK(nng_send(s, &be, sizeof be, 0));
    }
    nng_msleep(200000); /* the parent kills us once it has them all */
}

/* nng pull0 listening; writes its port to fd arg, then expects MANY in order. */
static void pull_many(long fd)
{
    nng_socket s;
    nng_listener l;
    int port;
    N_OK(nng_pull0_open(&s));
    N_OK(nng_listener_create(&l, s, "tcp://127.0.0.1:0"));
    N_OK(nng_listener_start(l, 0));
    N_OK(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
    T_OK(write((int) fd, &port, sizeof port) == sizeof port);
    for (uint32_t i = 0; i < MANY; i++) {
        uint32_t be;
        size_t n = sizeof be;
        N_OK(nng_recv(s, &be, &n, 0));
        if (n != 4 || ntohl(be) != i) {
            fprintf(stderr, "nng pull: message %u is %u (%zu bytes)\n", i, ntohl(be), n);
            _exit(1);
        }
    }
    _exit(0);
}

/* A raw SP peer (push0): arg 0 announces 2^63 bytes, 1 stops half way, 2 never
 * sends its handshake. */
static void raw_peer(long how)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    const char *colon = strrchr(nurl, ':');
    uint8_t hs[8] = { 0, 'S', 'P', 0, 0, 0x50, 0, 0 }, hdr[8] = { 0 }, peer[8];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (how == 2) {
        sa.sin_port = htons((uint16_t) atoi(colon + 1));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
            _exit(1);
        pause();
    }
    sa.sin_port = htons((uint16_t) atoi(colon + 1));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || write(fd, hs, 8) != 8)
        _exit(1);
    /* Stopping half way, do not wait for the listener's handshake: it
     * comes only when the parent receives, after this child is gone. */
    if (how == 0 && read(fd, peer, 8) != 8)
        _exit(1);
    if (how == 0) {
        hdr[0] = 0x80; /* 2^63 */
        (void) write(fd, hdr, 8);
        pause();
    }
    static uint8_t half[500];
    hdr[6] = 1000 >> 8;
    hdr[7] = 1000 & 0xff;
    (void) write(fd, hdr, 8);
    (void) write(fd, half, sizeof half);
    _exit(0); /* closes half way */
}

/* nng push0: messages of 512 KiB for ever (killed half way through one). */
static void push_big(long unused)
{
    nng_socket s;
    static uint8_t b[512 * 1024];
    (void) unused;
    N_OK(nng_push0_open(&s));
    N_OK(nng_dial(s, nurl, NULL, 0));
    for (;;)
        N_OK(nng_send(s, b, sizeof b, 0));
}

/* nng bus0: says "hi N", expects "hello", answers "ack N". */
static void bus_peer(long tag)
{
    nng_socket s;
    char b[32], *m;
    size_t n;
    N_OK(nng_bus0_open(&s));
    N_OK(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, WAIT_MS));
    N_OK(nng_dial(s, nurl, NULL, 0));
    n = (size_t) snprintf(b, sizeof b, "hi %ld", tag);
    N_OK(nng_send(s, b, n, 0));
    N_OK(nng_recv(s, &m, &n, NNG_FLAG_ALLOC));
    if (n != 5 || memcmp(m, "hello", 5) != 0)
        _exit(1);
    nng_free(m, n);
    n = (size_t) snprintf(b, sizeof b, "ack %ld", tag);
    N_OK(nng_send(s, b, n, 0));
    nng_msleep(200000);
}

/*
 * nng rep0: arg 0 swallows every request (and writes a byte to fd 'swallow_fd'
 * for the first), arg 1 answers "re:" + the request.
 */
static int swallow_fd = -1;
static void rep_peer(long answers)
{
    nng_socket s;
    char *m, out[256];
    size_t n;
    N_OK(nng_rep0_open(&s));
    N_OK(nng_dial(s, nurl, NULL, 0));
    for (int first = 1;; first = 0) {
        N_OK(nng_recv(s, &m, &n, NNG_FLAG_ALLOC));
        if (!answers) {
            if (first)
                T_OK(write(swallow_fd, "x", 1) == 1);
            nng_free(m, n);
            continue;
        }
        if (n > sizeof out - 3)
            _exit(1);
        memcpy(out, "re:", 3);
        memcpy(out + 3, m, n);
        nng_free(m, n);
        N_OK(nng_send(s, out, n + 3, 0));
    }
}

/* nng req0 over ipc:// to upath: three requests, each reply must match. */
static void req_peer(long unused)
{
    nng_socket s;
    char url[96], b[32], *m;
    size_t n;
    (void) unused;
    snprintf(url, sizeof url, "ipc://%s", upath);
    N_OK(nng_req0_open(&s));
    N_OK(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, WAIT_MS));
    N_OK(nng_dial(s, url, NULL, 0));
    for (int i = 0; i < 3; i++) {
        int k = snprintf(b, sizeof b, "q%d", i);
        N_OK(nng_send(s, b, (size_t) k, 0));
        N_OK(nng_recv(s, &m, &n, NNG_FLAG_ALLOC));
        if (n != (size_t) k + 3 || memcmp(m, "re:", 3) != 0 || memcmp(m + 3, b, (size_t) k))
            _exit(1);
        nng_free(m, n);
    }
    _exit(0);
}

/* ---- the cases ----------------------------------------------------------- */

static long recv_into(ipcx_chan *ch, void *b, size_t cap)
{
    return ipcx_recv(ch, b, cap, NULL, WAIT_MS);
}

/* Receive until a message starting with "good" comes (others are skipped). */
static void expect_good(ipcx_chan *ch)
{
    char b[64];
    for (;;) {
        long n = recv_into(ch, b, sizeof b);
        T_SUCCESS(n);
        if (n >= 4 && memcmp(b, "good", 4) == 0)
            return;
    }
}

static void test_maxmsg(void)
{
    const size_t max = 256 * 1024;
    ipcx_chan *ch = listen_on("proto=pull0&maxmsg=262144", IPCX_RECV);
    uint8_t *b = malloc(max + 1), *want = malloc(max);
    pid_t p = spawn(push_sized, (long) max);
    long n = recv_into(ch, b, max + 1);
    T_EQ(n, (long) max);
    pattern(want, max, 7);
    T_OK(memcmp(b, want, max) == 0);
    T_EQ(recv_into(ch, b, max), 5);
    T_EQ(ipcx_lost(ch), 0);
    (void) kill(p, SIGKILL);
    reap(p);

    pid_t good = spawn(push_forever, 1);
    expect_good(ch);
    p = spawn(push_sized, (long) max + 1);
    /* The good peer goes on while the oversize one is dropped. */
    while (ipcx_lost(ch) == 0)
        expect_good(ch);
    T_EQ(ipcx_lost(ch), 1);
    expect_good(ch);
    (void) kill(p, SIGKILL);
    reap(p);
    (void) kill(good, SIGKILL);
    reap(good);
    T_SUCCESS(ipcx_close(ch));
    free(b);
    free(want);
    printf("ok: maxmsg\n");
}

static void test_oversize(void)
{
    ipcx_chan *ch = listen_on("proto=pull0", IPCX_RECV);
    pid_t good = spawn(push_forever, 2);
    expect_good(ch);
    pid_t raw = spawn(raw_peer, 0);
    while (ipcx_lost(ch) == 0)
        expect_good(ch);
    expect_good(ch);
    (void) kill(raw, SIGKILL);
    reap(raw);
    printf("ok: oversize length\n");
    /* A peer that never sends its handshake is dropped (after 10 s). */
    raw = spawn(raw_peer, 2);
    while (ipcx_lost(ch) == 1)
        expect_good(ch);
    T_EQ(ipcx_lost(ch), 2);
    expect_good(ch);
    (void) kill(raw, SIGKILL);
    reap(raw);
    (void) kill(good, SIGKILL);
    reap(good);
    T_SUCCESS(ipcx_close(ch));
    printf("ok: a peer without a handshake\n");
}

static void test_many(void)
{
    ipcx_chan *ch = listen_on("proto=pull0", IPCX_RECV);
    pid_t p = spawn(push_many, 0);
    struct pollfd pfd = { .fd = ipcx_fd(ch), .events = POLLIN };
    T_OK(pfd.fd >= 0);
    T_EQ(poll(&pfd, 1, WAIT_MS), 1);
    for (uint32_t i = 0; i < MANY; i++) {
        uint32_t be;
        T_EQ(recv_into(ch, &be, sizeof be), 4);
        if (ntohl(be) != i)
            T_FAIL("message %u is %u", i, ntohl(be));
    }
    (void) kill(p, SIGKILL);
    reap(p);
    T_SUCCESS(ipcx_close(ch));

    int fds[2], port;
    char url[128];
    T_OK(pipe(fds) == 0);
    p = spawn(pull_many, fds[1]);
    T_OK(read(fds[0], &port, sizeof port) == sizeof port);
    close(fds[0]);
    close(fds[1]);
    snprintf(url, sizeof url, "sp+tcp://127.0.0.1:%d?proto=push0", port);
    T_SUCCESS(ipcx_open(&ch, url, IPCX_SEND));
    for (uint32_t i = 0; i < MANY; i++) {
        uint32_t be = htonl(i);
        T_SUCCESS(ipcx_send(ch, &be, sizeof be, 0, WAIT_MS));
    }
    T_EQ(reap(p), 0);
    T_SUCCESS(ipcx_close(ch));
    printf("ok: many messages both ways\n");
}

static void test_midway(void)
{
    static uint8_t b[1 << 20];
    ipcx_chan *ch = listen_on("proto=pull0", IPCX_RECV);
    pid_t raw = spawn(raw_peer, 1);
    T_EQ(reap(raw), 0);
    pid_t big = spawn(push_big, 0);
    T_EQ(recv_into(ch, b, sizeof b), 512 * 1024);
    (void) kill(big, SIGKILL); /* likely in the middle of the next one */
    reap(big);
    pid_t good = spawn(push_forever, 3);
    for (;;) {
        long n = recv_into(ch, b, sizeof b);
        T_SUCCESS(n);
        if (n == 512 * 1024)
            continue; /* whole ones sent before the kill */
        T_OK(n >= 4 && memcmp(b, "good", 4) == 0);
        break;
    }
    (void) kill(good, SIGKILL);
    reap(good);
    T_SUCCESS(ipcx_close(ch));
    printf("ok: peers that stop mid-stream\n");
}

static void test_bus(void)
{
    char b[64];
    int seen = 0;
    ipcx_chan *ch = listen_on("proto=bus0", IPCX_SEND | IPCX_RECV);
    pid_t a = spawn(bus_peer, 1), c = spawn(bus_peer, 2);
    for (int i = 0; i < 2; i++) {
        long n = recv_into(ch, b, sizeof b - 1);
        T_EQ(n, 4);
        b[n] = '\0';
        seen |= strcmp(b, "hi 1") == 0 ? 1 : strcmp(b, "hi 2") == 0 ? 2 : 0;
    }
    T_EQ(seen, 3);
    T_SUCCESS(ipcx_send(ch, "hello", 5, 0, WAIT_MS));
    seen = 0;
    for (int i = 0; i < 2; i++) {
        long n = recv_into(ch, b, sizeof b - 1);
        T_EQ(n, 5);
        b[n] = '\0';
        seen |= strcmp(b, "ack 1") == 0 ? 1 : strcmp(b, "ack 2") == 0 ? 2 : 0;
    }
    T_EQ(seen, 3);
    (void) kill(a, SIGKILL);
    (void) kill(c, SIGKILL);
    reap(a);
    reap(c);
    T_SUCCESS(ipcx_close(ch));
    printf("ok: bus0\n");
}

static void test_resend(void)
{
    char b[64], x;
    int fds[2];
    ipcx_chan *ch = listen_on("proto=req0&role=listen&resend=100", IPCX_SEND | IPCX_RECV);
    T_OK(pipe(fds) == 0);
    swallow_fd = fds[1];
    pid_t a = spawn(rep_peer, 0);
    /* Only the swallower is there: the request goes to it. */
    T_SUCCESS(ipcx_send(ch, "job", 3, 0, WAIT_MS));
    T_OK(read(fds[0], &x, 1) == 1);
    pid_t c = spawn(rep_peer, 1);
    T_EQ(recv_into(ch, b, sizeof b), 6);
    T_OK(memcmp(b, "re:job", 6) == 0);
    /* The next request is matched by its own id. */
    T_SUCCESS(ipcx_send(ch, "two", 3, 0, WAIT_MS));
    T_EQ(recv_into(ch, b, sizeof b), 6);
    T_OK(memcmp(b, "re:two", 6) == 0);
    (void) kill(a, SIGKILL);
    (void) kill(c, SIGKILL);
    reap(a);
    reap(c);
    close(fds[0]);
    close(fds[1]);
    T_SUCCESS(ipcx_close(ch));
    printf("ok: req0 resends to another rep\n");
}

static void test_rep_ipc(void)
{
    char url[128], b[64];
    ipcx_chan *ch;
    snprintf(upath, sizeof upath, "/tmp/ipcx-t-%d-sprep", (int) getpid());
    snprintf(url, sizeof url, "sp+unix:%s?proto=rep0", upath);
    T_SUCCESS(ipcx_open(&ch, url, IPCX_SEND | IPCX_RECV));
    pid_t p = spawn(req_peer, 0);
    for (int i = 0; i < 3; i++) {
        long n = recv_into(ch, b + 3, sizeof b - 3);
        T_SUCCESS(n);
        memcpy(b, "re:", 3);
        T_SUCCESS(ipcx_send(ch, b, (size_t) n + 3, 0, WAIT_MS));
    }
    T_EQ(reap(p), 0);
    T_SUCCESS(ipcx_close(ch));
    T_OK(access(upath, F_OK) != 0);
    upath[0] = '\0';
    printf("ok: nng req0 -> ipcx rep0 over ipc\n");
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*fn)(void); } cases[] = {
        { "maxmsg", test_maxmsg }, { "oversize", test_oversize }, { "many", test_many },
        { "midway", test_midway }, { "bus", test_bus }, { "resend", test_resend },
        { "rep_ipc", test_rep_ipc },
    };
    t_cleanup = cleanup;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0)
            cases[i].fn();
    printf("PASS: sp against libnng\n");
    return 0;
}
