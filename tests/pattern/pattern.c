/*
 * pattern.c - the pattern suite: request/reply, rendezvous, ipcx_poll and
 * ipcx_loop, run once per scheme like the conformance suite.
 *
 *   pattern URL-TEMPLATE               e.g. pattern 'mq:/ipcx-t-%p-%n'
 *   pattern --second-user URL-TEMPLATE the hostile requester runs as nobody
 *
 * %p becomes the pid and %n the name of a check.  The suite never looks at
 * the scheme: whether request/reply applies is what ipcx_request() says on
 * a fresh channel (-ENOTSUP: only the poll checks run, and the suite checks
 * that rendezvous says -ENOTSUP too); whether a sending end may report a
 * gone receiver is IPCX_CAP_RXGONE.  Every peer is a forked process; every
 * wait is bounded (receives with timeouts, alarm() in children, a watchdog
 * per check), and no check fails on a time: timeouts only bound waits.
 */
#include "t.h"
#include "ipcx/pattern.h"
#include "ipcx/poll.h"
#include "ipcx/admin.h"
#include "../../src/pattern/pattern_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define WAIT_MS     20000 /* a wait that must succeed */
#define CHECK_ALARM 240   /* seconds: the watchdog of one check */
#define SERVERS     2
#define CLIENTS     4
#define PER_CLIENT  300
#define KILL_ROUNDS 100
#define MAX_URLS    (KILL_ROUNDS + 32)

static const char *tmpl;
static pid_t main_pid;
static unsigned caps;
static int pairs;          /* the template names nothing: ends come from ipcx_pair */
static int second_user;    /* --second-user: the hostile requester is uid 65534 */
static const char *check_name = "setup";
static char urls[MAX_URLS][512]; /* named objects this run may leave (killed servers) */
static int nurls;

/* The template with %p and %n replaced (common/tmpl.h). */
static void expand(char *out, size_t cap, const char *name)
{
    T_OK(ipcx_tmpl_expand(out, cap, tmpl, (int) main_pid, name, NULL) == 0);
}

static void note_url(const char *url)
{
    T_OK(nurls < MAX_URLS);
    snprintf(urls[nurls++], sizeof urls[0], "%s", url);
}

static void cleanup(void)
{
    for (int i = 0; i < nurls; i++)
        (void) ipcx_unlink(urls[i]);
    nurls = 0;
}

static void watchdog(int sig)
{
    (void) sig;
    fprintf(stderr, "pattern: FAIL: check '%s' hung (watchdog)\n", check_name);
    (void) kill(0, SIGKILL); /* the children are in our process group */
    cleanup();
    _exit(1);
}

static void gate(int fds[2])
{
    T_OK(pipe(fds) == 0);
}

static void gate_post(int fd)
{
    T_OK(write(fd, "x", 1) == 1);
}

static void gate_wait(int fd)
{
    char c;
    ssize_t r;
    while ((r = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    if (r != 1)
        T_FAIL("gate: the other side is gone");
}

static pid_t child(void)
{
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        t_cleanup = NULL; /* the parent cleans up */
        alarm(CHECK_ALARM);
    }
    return pid;
}

/* Reap pid; it must have exited 0. */
static void reap(pid_t pid)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        T_FAIL("child %d ended with status %#x", (int) pid, st);
}

static ipcx_chan *open_rx(const char *url)
{
    ipcx_chan *ch;
    T_SUCCESS(ipcx_open(&ch, url, IPCX_RECV | IPCX_CREATE));
    note_url(url);
    return ch;
}

static ipcx_chan *open_tx(ipcx_chan *rx)
{
    char addr[512];
    ipcx_chan *ch;
    T_SUCCESS(ipcx_addr(rx, addr, sizeof addr));
    T_SUCCESS(ipcx_open(&ch, addr, IPCX_SEND));
    return ch;
}

/* ---- a server ---------------------------------------------------------- */

/*
 * Serve on rx until stop (a pipe: pair) is readable: each request gets
 * "<payload>|s<tag>".  Waits on both with ipcx_poll: two schemes at once.
 */
static void serve_until_stopped(ipcx_chan *rx, ipcx_chan *stop, int tag)
{
    struct ipcx_pollitem it[2] = { { rx, IPCX_POLLIN, 0 }, { stop, IPCX_POLLIN, 0 } };
    char buf[256], out[300];
    ipcx_req req;

    for (;;) {
        int n = ipcx_poll(it, 2, WAIT_MS);
        T_OK(n > 0);
        if (it[1].revents)
            return;
        for (;;) {
            long len = ipcx_serve(rx, buf, sizeof buf - 1, &req, 0);
            if (len == -EAGAIN)
                break;
            if (len == -EPIPE) {
                /* IPCX_CAP_EOF: no requester is connected just now, and
                 * the channel stays readable until one is: idle on the
                 * stop channel alone for a moment. */
                if (ipcx_poll(&it[1], 1, 5) > 0)
                    return;
                break;
            }
            T_SUCCESS(len);
            buf[len] = '\0';
            int m = snprintf(out, sizeof out, "%s|s%d", buf, tag);
            T_SUCCESS(ipcx_reply(rx, &req, out, (size_t) m, WAIT_MS));
        }
    }
}

/* ---- checks ------------------------------------------------------------ */

/*
 * Many clients x several servers: every reply is the one for its request
 * (the payload names client and request), nothing late, nothing lost.
 */
static void check_many(void)
{
    char url[SERVERS][512];
    ipcx_chan *stop[SERVERS][2];
    pid_t srv[SERVERS], cli[CLIENTS];
    int ready[2];

    gate(ready);
    for (int s = 0; s < SERVERS; s++) {
        char name[32];
        snprintf(name, sizeof name, "many-s%d", s);
        expand(url[s], sizeof url[s], name);
        note_url(url[s]);
        T_SUCCESS(ipcx_pipe(stop[s]));
        if ((srv[s] = child()) == 0) {
            ipcx_chan *rx = open_rx(url[s]);
            (void) ipcx_close(stop[s][1]);
            gate_post(ready[1]);
            serve_until_stopped(rx, stop[s][0], s);
            T_SUCCESS(ipcx_close(rx));
            exit(0);
        }
        (void) ipcx_close(stop[s][0]);
        gate_wait(ready[0]);
    }
    for (int c = 0; c < CLIENTS; c++) {
        if ((cli[c] = child()) == 0) {
            ipcx_chan *tx;
            int s = c % SERVERS;
            T_SUCCESS(ipcx_open(&tx, url[s], IPCX_SEND));
            for (int k = 0; k < PER_CLIENT; k++) {
                char msg[64], want[96], got[128];
                int m = snprintf(msg, sizeof msg, "c%d-%d", c, k);
                snprintf(want, sizeof want, "%s|s%d", msg, s);
                long n = ipcx_request(tx, msg, (size_t) m, got, sizeof got - 1, WAIT_MS);
                T_SUCCESS(n);
                got[n] = '\0';
                if (strcmp(got, want) != 0)
                    T_FAIL("request '%s' got reply '%s'", msg, got);
            }
            struct ipcx_pattern_stats st;
            T_SUCCESS(ipcx_pattern_stats(tx, &st));
            T_EQ(st.late, 0);
            T_EQ(st.malformed, 0);
            T_SUCCESS(ipcx_close(tx));
            exit(0);
        }
    }
    for (int c = 0; c < CLIENTS; c++)
        reap(cli[c]);
    for (int s = 0; s < SERVERS; s++) {
        T_SUCCESS(ipcx_send(stop[s][1], "q", 1, 0, WAIT_MS));
        reap(srv[s]);
        (void) ipcx_close(stop[s][1]);
    }
    close(ready[0]);
    close(ready[1]);
}

/*
 * A reply that comes after its request timed out is discarded and counted,
 * and the next request gets its own reply.  The order is forced with gates:
 * the late reply is sent before the second request.
 */
static void check_late(void)
{
    char url[512], got[64];
    int ready[2], timed_out[2], answered[2];
    ipcx_chan *tx;
    pid_t srv;

    gate(ready);
    gate(timed_out);
    gate(answered);
    expand(url, sizeof url, "late");
    if ((srv = child()) == 0) {
        ipcx_chan *rx = open_rx(url);
        char buf[64];
        ipcx_req req;
        gate_post(ready[1]);
        T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), 5);
        gate_wait(timed_out[0]);
        T_SUCCESS(ipcx_reply(rx, &req, "first", 5, WAIT_MS));
        gate_post(answered[1]);
        T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), 6);
        T_SUCCESS(ipcx_reply(rx, &req, "second", 6, WAIT_MS));
        T_SUCCESS(ipcx_close(rx));
        exit(0);
    }
    gate_wait(ready[0]);
    T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
    T_ERR(ipcx_request(tx, "slow!", 5, got, sizeof got, 100), -ETIMEDOUT);
    gate_post(timed_out[1]);
    gate_wait(answered[0]);
    long n = ipcx_request(tx, "quick!", 6, got, sizeof got, WAIT_MS);
    T_ERR(n, 6);
    T_OK(memcmp(got, "second", 6) == 0);
    struct ipcx_pattern_stats st;
    T_SUCCESS(ipcx_pattern_stats(tx, &st));
    T_EQ(st.late, 1);
    T_SUCCESS(ipcx_close(tx));
    reap(srv);
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(timed_out[i]);
        close(answered[i]);
    }
}

/*
 * A server that takes a request and is SIGKILLed before it answers: the
 * client returns -ETIMEDOUT or -EPIPE (never a reply, never a hang),
 * KILL_ROUNDS times, each with a fresh object.
 */
static void check_kill(void)
{
    int epipe = 0, timedout = 0;

    for (int i = 0; i < KILL_ROUNDS; i++) {
        char url[512], name[32], got[16];
        int ready[2];
        ipcx_chan *tx;
        pid_t srv;

        snprintf(name, sizeof name, "kill%d", i);
        expand(url, sizeof url, name);
        note_url(url);
        gate(ready);
        if ((srv = child()) == 0) {
            ipcx_chan *rx = open_rx(url);
            char buf[16];
            ipcx_req req;
            gate_post(ready[1]);
            T_SUCCESS(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS));
            raise(SIGKILL); /* the worst moment: the request is taken, no reply yet */
            exit(1);
        }
        gate_wait(ready[0]);
        T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
        long n = ipcx_request(tx, "hello", 5, got, sizeof got, 200);
        if (n == -EPIPE)
            epipe++;
        else if (n == -ETIMEDOUT)
            timedout++;
        else
            T_FAIL("round %d: a request to a killed server returned %ld (%s)", i, n,
                   n < 0 ? ipcx_strerror((int) n) : "a reply");
        T_SUCCESS(ipcx_close(tx));
        int st;
        T_OK(waitpid(srv, &st, 0) == srv);
        T_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        (void) ipcx_unlink(url); /* what the killed server left */
        nurls--;
        close(ready[0]);
        close(ready[1]);
    }
    printf("  kill: %d rounds, %d -EPIPE, %d -ETIMEDOUT\n", KILL_ROUNDS, epipe, timedout);
}

/*
 * Rendezvous: a synchronous send returns only once the receiver took the
 * message.  With nobody taking it, it must time out; with a receiver that
 * takes it only when released, the sender must still be waiting before
 * the release, and return 0 after it.
 */
static void check_rendezvous(void)
{
    char url[512];
    int ready[2], go[2], sending[2];
    ipcx_chan *tx;
    pid_t rcv, snd;
    volatile int *taken = mmap(NULL, sizeof *taken, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    T_OK(taken != MAP_FAILED);
    *taken = 0;

    gate(ready);
    gate(go);
    gate(sending);
    expand(url, sizeof url, "sync");
    if ((rcv = child()) == 0) {
        ipcx_chan *rx = open_rx(url);
        char buf[16];
        ipcx_req req;
        gate_post(ready[1]);
        gate_wait(go[0]); /* first message: never taken in time */
        T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), 3);
        T_OK(req.sync == 1 && memcmp(buf, "one", 3) == 0);
        T_ERR(ipcx_reply(rx, &req, "x", 1, 0), -EINVAL);
        gate_wait(go[0]);
        *taken = 1; /* from here on the receiver is taking "two" */
        T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), 3);
        T_OK(memcmp(buf, "two", 3) == 0);
        T_SUCCESS(ipcx_close(rx));
        exit(0);
    }
    gate_wait(ready[0]);
    T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
    /* IPCX_MORE would queue the message while the call waits for its ack. */
    T_ERR(ipcx_send_sync(tx, "one", 3, IPCX_MORE, 100), -EINVAL);
    T_ERR(ipcx_send_sync(tx, "one", 3, 0, 100), -ETIMEDOUT);
    T_SUCCESS(ipcx_close(tx));
    gate_post(go[1]); /* the receiver takes "one" now: its ack finds nobody */

    if ((snd = child()) == 0) {
        ipcx_chan *t;
        T_SUCCESS(ipcx_open(&t, url, IPCX_SEND));
        gate_post(sending[1]);
        T_SUCCESS(ipcx_send_sync(t, "two", 3, 0, WAIT_MS));
        T_EQ(*taken, 1);
        T_SUCCESS(ipcx_close(t));
        exit(0);
    }
    gate_wait(sending[0]);
    struct timespec ts = { 0, 50 * 1000000L }; /* a broken send would return meanwhile */
    nanosleep(&ts, NULL);
    T_EQ(waitpid(snd, NULL, WNOHANG), 0);
    gate_post(go[1]);
    reap(snd);
    reap(rcv);
    (void) munmap((void *) taken, sizeof *taken);
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(go[i]);
        close(sending[i]);
    }
}

/*
 * Hostile requests: a reply address that is not the requester's own, a
 * truncated header, a reply sent to a server.  Each is refused with its
 * error and counted; the object the address names gets nothing; a good
 * request from the same requester is then served.  With --second-user
 * the requester is uid 65534 and the server root.
 */
static void send_raw(ipcx_chan *tx, unsigned kind, const char *addr, uint32_t pid,
                     uint64_t token, size_t cut)
{
    unsigned char buf[1024];
    struct ipcx__pat_hdr h = { .kind = kind, .id = 7, .pid = pid, .token = token,
                               .addr = addr, .addrlen = addr ? strlen(addr) : 0 };
    size_t n = ipcx__pat_encode(&h, buf, sizeof buf);
    T_OK(n > 0);
    memcpy(buf + n, "evil", 4);
    T_SUCCESS(ipcx_send(tx, buf, n + 4 - cut, 0, WAIT_MS));
}

/*
 * A listening abstract socket at a forged reply address (unix:@NAME...):
 * whether the server ever connected to it is read back with accept.
 */
static int decoy_listen(const char *addr, int type)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *name = strchr(addr, '@');
    size_t n = strcspn(name + 1, "?");
    int fd = socket(AF_UNIX, type | SOCK_NONBLOCK, 0);
    T_OK(fd >= 0 && n < sizeof sa.sun_path - 1);
    memcpy(sa.sun_path + 1, name + 1, n);
    T_OK(bind(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0);
    T_OK(type == SOCK_DGRAM || listen(fd, 4) == 0);
    return fd;
}

static void check_hostile(void)
{
    char url[512], victim[256], vurl[300], own[512], forged[600];
    char claimed[600];
    int ready[2], done[2], conn, dgram, decoy = -1, decoy2 = -1;
    ipcx_chan *rx;
    pid_t cli;

    snprintf(victim, sizeof victim, "/tmp/ipcx-t-%d-victim", (int) main_pid);
    snprintf(vurl, sizeof vurl, "fifo:%s", victim);
    T_OK(mkfifo(victim, 0600) == 0);
    int vfd = open(victim, O_RDONLY | O_NONBLOCK);
    T_OK(vfd >= 0);
    expand(url, sizeof url, "hostile");
    rx = open_rx(url);
    T_SUCCESS(ipcx_addr(rx, own, sizeof own));
    /* Another requester's address: the right form, but for pid 1. */
    T_OK(ipcx__pat_reply_url(own, 1, 42, forged, sizeof forged) > 0);
    conn = strcmp(forged, IPCX_PAT_CONN) == 0;
    if (conn) {
        /* Replies go back on the connection: every address is forged, the
         * old per-requester form too.  A root socket listens there. */
        snprintf(forged, sizeof forged, "unix:@ipcx-t-%d-r-1-%016x", (int) main_pid, 42);
        decoy = decoy_listen(forged, SOCK_STREAM);
    }
    /* A unix datagram server knows each request's sender from the kernel:
     * a request in root's name, for root's (right-form) reply socket, is
     * refused, and root's socket there gets nothing. */
    dgram = strncmp(own, "unix:", 5) == 0 && strstr(own, "type=dgram") != NULL;
    if (dgram) {
        T_OK(ipcx__pat_reply_url(own, (uint32_t) main_pid, 42, claimed, sizeof claimed) > 0);
        decoy2 = decoy_listen(claimed, SOCK_DGRAM);
    }
    gate(ready);
    gate(done);
    if ((cli = child()) == 0) {
        ipcx_chan *tx;
        char got[64];
        if (second_user) {
            T_OK(setgroups(0, NULL) == 0);
            T_OK(setgid(65534) == 0 && setuid(65534) == 0);
        }
        T_SUCCESS(ipcx_open(&tx, own, IPCX_SEND));
        send_raw(tx, IPCX_PAT_REQUEST, vurl, (uint32_t) getpid(), 1, 0);
        send_raw(tx, IPCX_PAT_REQUEST, forged, (uint32_t) getpid(), 42, 0);
        send_raw(tx, IPCX_PAT_REQUEST, "unix:@x", (uint32_t) getpid(), 1, 4 + 7 + 20);
        send_raw(tx, IPCX_PAT_REPLY, NULL, 0, 0, 0);
        if (conn) /* naming root's pid: the server reports the kernel's */
            send_raw(tx, IPCX_PAT_REQUEST, IPCX_PAT_CONN, (uint32_t) main_pid, 1, 0);
        if (dgram)
            send_raw(tx, IPCX_PAT_REQUEST, claimed, (uint32_t) main_pid, 42, 0);
        gate_post(ready[1]);
        long n = ipcx_request(tx, "good", 4, got, sizeof got, WAIT_MS);
        T_ERR(n, 9);
        T_OK(memcmp(got, "good|s99!", 9) == 0);
        if (conn) { /* the answer to the raw one came here, and was put aside */
            struct ipcx_pattern_stats cst;
            T_SUCCESS(ipcx_pattern_stats(tx, &cst));
            T_EQ(cst.late, 1);
        }
        T_SUCCESS(ipcx_close(tx));
        gate_wait(done[0]);
        exit(0);
    }
    gate_wait(ready[0]);
    char buf[64];
    ipcx_req req;
    T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), -EACCES);
    T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), -EACCES);
    T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), -EBADMSG);
    T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), -EBADMSG);
    if (dgram)
        T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), -EACCES);
    if (conn) {
        T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), 4);
        T_EQ(req.pid, cli); /* SO_PEERCRED, not the header's main_pid */
        T_OK(strncmp(req.reply_to, IPCX_PAT_CONN, strlen(IPCX_PAT_CONN)) == 0);
        T_SUCCESS(ipcx_reply(rx, &req, "raw", 3, WAIT_MS));
    }
    T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), 4);
    T_EQ(req.pid, cli);
    T_SUCCESS(ipcx_reply(rx, &req, "good|s99!", 9, WAIT_MS));
    struct ipcx_pattern_stats st;
    T_SUCCESS(ipcx_pattern_stats(rx, &st));
    T_EQ(st.refused, 2 + dgram);
    T_EQ(st.malformed, 2);
    char vb[8];
    T_EQ(read(vfd, vb, sizeof vb), 0); /* no writer ever opened the victim FIFO */
    if (decoy >= 0) {
        T_EQ(accept(decoy, NULL, NULL), -1); /* nobody connected to the forged address */
        T_EQ(errno, EAGAIN);
        close(decoy);
    }
    if (decoy2 >= 0) {
        T_EQ(recv(decoy2, vb, sizeof vb, MSG_DONTWAIT), -1); /* the server sent root nothing */
        T_EQ(errno, EAGAIN);
        close(decoy2);
    }
    gate_post(done[1]);
    reap(cli);
    T_SUCCESS(ipcx_close(rx));
    close(vfd);
    unlink(victim);
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(done[i]);
    }
}

/* Does name (a directory entry) belong to a reply channel of pid? */
static int names_pid(const char *name, pid_t pid)
{
    char a[48], b[48];
    snprintf(a, sizeof a, ".r%d-", (int) pid);       /* fifo:, mq:, shm: */
    snprintf(b, sizeof b, "ipcx-r-%d-", (int) pid);  /* unix:@ (dgram) */
    return strstr(name, a) || strstr(name, b);
}

/* What a dead requester left: reply channels anywhere, registry entries. 0 for nothing. */
static int left_by(pid_t pid)
{
    static const char *const dirs[] = { "/dev/shm", "/dev/mqueue", "/tmp" };
    int left = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (names_pid(e->d_name, pid)) {
                printf("  left: %s/%s\n", dirs[i], e->d_name);
                left++;
            }
        if (d)
            closedir(d);
    }
    FILE *f = fopen("/proc/net/unix", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (names_pid(line, pid)) {
            printf("  left: socket %s", line);
            left++;
        }
    if (f)
        fclose(f);
    ipcx_reg_iter *it;
    const struct ipcx_reg_entry *e;
    if (ipcx_reg_open(&it, IPCX_REG_ALL) == 0) {
        while (ipcx_reg_next(it, &e) == 1)
            if (e->verdict == IPCX_REG_ENTRY && e->pid == pid) {
                printf("  left: registry entry %s/%s (%s)\n", e->dir, e->name, e->obj);
                left++;
            }
        ipcx_reg_close(it);
    }
    return left;
}

/*
 * Requesters SIGKILLed mid-request, KILL_ROUNDS times (the server took the
 * request; even rounds kill at once, odd ones after a random pause): once
 * the server has answered, nothing of the dead requester is left: no reply
 * channel in /dev/shm, /dev/mqueue, /tmp or the abstract namespace, no
 * entry in any registry.  The server goes on serving.
 */
static void check_rqkill(void)
{
    char url[512], buf[16], got[16];
    ipcx_chan *rx, *keep;
    unsigned seed = (unsigned) main_pid;
    int replied = 0, refused = 0;

    expand(url, sizeof url, "rqkill");
    rx = open_rx(url);
    note_url(url);
    keep = open_tx(rx); /* fifo:, shm: report every sender's end otherwise */
    for (int i = 0; i < KILL_ROUNDS; i++) {
        ipcx_req req;
        pid_t cli;
        int st;
        if ((cli = child()) == 0) {
            ipcx_chan *tx;
            T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
            long n = ipcx_request(tx, "die", 3, got, sizeof got, WAIT_MS);
            T_FAIL("a requester about to be killed returned %ld", n);
        }
        T_ERR(ipcx_serve(rx, buf, sizeof buf, &req, WAIT_MS), 3);
        if (i % 2) {
            struct timespec ts = { 0, (long) (rand_r(&seed) % 200) * 1000L };
            nanosleep(&ts, NULL);
        }
        T_OK(kill(cli, SIGKILL) == 0);
        T_OK(waitpid(cli, &st, 0) == cli);
        T_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        int r = ipcx_reply(rx, &req, "late", 4, WAIT_MS);
        if (r == 0)
            replied++; /* taken by a queue nobody reads any more */
        else if (r == -EPIPE || r == -ECONNREFUSED || r == -ENOENT || r == -ENXIO)
            refused++;
        else
            T_FAIL("round %d: a reply to a killed requester returned %d (%s)", i, r,
                   ipcx_strerror(r));
        T_EQ(left_by(cli), 0);
    }
    printf("  rqkill: %d rounds, %d replies taken by a dead queue, %d refused\n",
           KILL_ROUNDS, replied, refused);
    T_SUCCESS(ipcx_close(keep));
    T_SUCCESS(ipcx_close(rx));
}

/* ---- poll and loop (every scheme) ------------------------------------- */

/* The two ends of this scheme's channel: by name or as a pair. */
static void ends(const char *name, ipcx_chan **rx, ipcx_chan **tx)
{
    if (pairs) {
        ipcx_chan *e[2];
        char url[512];
        expand(url, sizeof url, name);
        T_SUCCESS(ipcx_pair(url, e));
        *rx = e[0];
        *tx = e[1];
        return;
    }
    char url[512];
    expand(url, sizeof url, name);
    *rx = open_rx(url);
    *tx = open_tx(*rx);
}

/*
 * Level-triggered readiness on two schemes at once (this one and pipe:):
 * readable while a message waits, again and again until it is taken;
 * writable until the channel is full, writable again once drained.
 */
static void check_poll(void)
{
    ipcx_chan *rx, *tx, *p[2];
    char buf[256];
    pid_t snd;

    ends("poll", &rx, &tx);
    T_SUCCESS(ipcx_pipe(p));
    struct ipcx_pollitem it[2] = { { rx, IPCX_POLLIN, 0 }, { p[0], IPCX_POLLIN, 0 } };
    int r = ipcx_poll(it, 2, 0);
    if (r == -ENOTSUP) {
        printf("  poll: -ENOTSUP (%s)\n", ipcx_errdetail());
        T_OK(ipcx_fd(rx) == -ENOTSUP);
        goto out;
    }
    if (r == 1) {
        /* "May": a receiving end may be readable with no message (a sender
         * connected).  One receive with timeout 0 finds nothing and clears it. */
        T_EQ(it[0].revents, IPCX_POLLIN);
        T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 0), -EAGAIN);
        r = ipcx_poll(it, 2, 0);
    }
    T_ERR(r, 0);
    if ((snd = child()) == 0) {
        T_SUCCESS(ipcx_send(tx, "ping", 4, 0, WAIT_MS));
        exit(0);
    }
    reap(snd);
    T_ERR(ipcx_poll(it, 2, WAIT_MS), 1);
    T_EQ(it[0].revents, IPCX_POLLIN);
    T_EQ(it[1].revents, 0);
    T_ERR(ipcx_poll(it, 2, 0), 1); /* level: still there, still readable */
    T_EQ(it[0].revents, IPCX_POLLIN);
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 0), 4);
    T_SUCCESS(ipcx_send(p[1], "x", 1, 0, WAIT_MS));
    T_ERR(ipcx_poll(it, 2, WAIT_MS), 1);
    T_EQ(it[0].revents, 0);
    T_EQ(it[1].revents, IPCX_POLLIN);
    T_ERR(ipcx_recv(p[0], buf, sizeof buf, NULL, 0), 1);
    T_ERR(ipcx_poll(it, 2, 0), 0);

    /* Writable until full. */
    struct ipcx_pollitem w = { tx, IPCX_POLLOUT, 0 };
    T_ERR(ipcx_poll(&w, 1, WAIT_MS), 1);
    T_EQ(w.revents, IPCX_POLLOUT);
    long sent = 0;
    memset(buf, 'w', sizeof buf);
    for (;;) {
        int s = ipcx_send(tx, buf, 100, 0, 0);
        if (s == -EAGAIN)
            break;
        T_SUCCESS(s);
        T_OK(++sent < 10000000);
    }
    T_ERR(ipcx_poll(&w, 1, 0), 0);
    /* Drain what has arrived (a stream sender may still hold the rest of
     * its last message, to go with its next send). */
    for (;;) {
        long n = ipcx_recv(rx, buf, sizeof buf, NULL, 0);
        if (n == -EAGAIN)
            break;
        T_ERR(n, 100);
    }
    T_ERR(ipcx_poll(&w, 1, WAIT_MS), 1);
    T_EQ(w.revents & IPCX_POLLOUT, IPCX_POLLOUT);
    /* Wrong events are refused. */
    struct ipcx_pollitem bad = { rx, IPCX_POLLOUT, 0 };
    T_ERR(ipcx_poll(&bad, 1, 0), -EINVAL);
out:
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
    T_SUCCESS(ipcx_close(p[0]));
    T_SUCCESS(ipcx_close(p[1]));
}

struct tally {
    int got, want;
};

static int on_msg(ipcx_chan *ch, short revents, void *arg)
{
    struct tally *t = arg;
    char buf[64];
    (void) revents;
    for (;;) {
        long n = ipcx_recv(ch, buf, sizeof buf, NULL, 0);
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int) n;
        if (++t->got == t->want)
            return 1; /* ends the loop */
    }
}

/* ipcx_loop over this scheme and a pipe: a child sends 3 on each; the handlers count 6. */
static void check_loop(void)
{
    ipcx_chan *rx, *tx, *p[2];
    pid_t snd;

    ends("loop", &rx, &tx);
    if (ipcx_fd(rx) == -ENOTSUP) {
        T_SUCCESS(ipcx_close(tx));
        T_SUCCESS(ipcx_close(rx));
        return;
    }
    T_SUCCESS(ipcx_pipe(p));
    struct tally t = { 0, 6 };
    struct ipcx_loopitem it[2] = { { rx, IPCX_POLLIN, on_msg, &t },
                                   { p[0], IPCX_POLLIN, on_msg, &t } };
    if ((snd = child()) == 0) {
        for (int i = 0; i < 3; i++) {
            T_SUCCESS(ipcx_send(tx, "a", 1, 0, WAIT_MS));
            T_SUCCESS(ipcx_send(p[1], "b", 1, 0, WAIT_MS));
        }
        exit(0);
    }
    T_ERR(ipcx_loop(it, 2, WAIT_MS), 1);
    T_EQ(t.got, 6);
    reap(snd);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
    T_SUCCESS(ipcx_close(p[0]));
    T_SUCCESS(ipcx_close(p[1]));
}

/* ---- main -------------------------------------------------------------- */

/* Does request/reply apply here?  Learns caps and how ends are made too. */
static int probe(void)
{
    char url[512], got[8];
    ipcx_chan *rx, *tx;
    int r;

    expand(url, sizeof url, "probe");
    r = ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE);
    if (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL) {
        printf("SKIP: %s: %s\n", url, ipcx_strerror(r));
        exit(T_SKIP);
    }
    if (r < 0) {
        pairs = 1;
        ipcx_chan *e[2];
        T_SUCCESS(ipcx_pair(url, e));
        rx = e[0];
        tx = e[1];
    } else {
        note_url(url);
        tx = open_tx(rx);
    }
    caps = ipcx_caps(rx);
    r = (int) ipcx_request(tx, "?", 1, got, sizeof got, 0);
    if (r == -ENOTSUP)
        T_ERR(ipcx_send_sync(tx, "?", 1, 0, 0), -ENOTSUP);
    else
        T_ERR(r, -EAGAIN); /* nobody serves the probe */
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
    return r != -ENOTSUP;
}

struct check {
    const char *name;
    void (*run)(void);
    int reqrep; /* needs request/reply */
};

static const struct check checks[] = {
    { "poll", check_poll, 0 },
    { "loop", check_loop, 0 },
    { "many", check_many, 1 },
    { "late", check_late, 1 },
    { "rendezvous", check_rendezvous, 1 },
    { "hostile", check_hostile, 1 },
    { "kill", check_kill, 1 },
    { "rqkill", check_rqkill, 1 },
};

int main(int argc, char **argv)
{
    struct sigaction sa;

    if (argc == 3 && strcmp(argv[1], "--second-user") == 0) {
        second_user = 1;
        argv++;
        argc--;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s [--second-user] URL-TEMPLATE   (%%p: pid, %%n: check)\n",
                argv[0]);
        return 2;
    }
    if (second_user && geteuid() != 0) {
        printf("SKIP: --second-user needs root\n");
        return T_SKIP;
    }
    tmpl = argv[1];
    main_pid = getpid();
    setvbuf(stdout, NULL, _IOLBF, 0);
    t_cleanup = cleanup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    T_OK(sigaction(SIGALRM, &sa, NULL) == 0);

    int rr = probe();
    printf("pattern %s: caps %#x, request/reply %s\n", tmpl, caps, rr ? "yes" : "-ENOTSUP");
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        const struct check *c = &checks[i];
        if ((c->reqrep && !rr) || (second_user && strcmp(c->name, "hostile") != 0))
            continue;
        check_name = c->name;
        alarm(CHECK_ALARM);
        c->run();
        alarm(0);
        printf("%-12s ok\n", c->name);
    }
    cleanup();
    printf("all checks passed\n");
    return 0;
}
