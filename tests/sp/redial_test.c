/*
 * redial_test.c - a dialer whose listener is SIGKILLed and started again
 * reconnects when it has redial=MS (nng's reconnect), on sp+unix: (an
 * abstract name) and sp+tcp: (127.0.0.1, the port the first listener got):
 *   push0: a message sent while the listener is gone waits up to the
 *     timeout and fails with -ETIMEDOUT saying it is redialing; the first
 *     message after the new listener is up reaches it;
 *   req0: a request taken by a rep0 that is SIGKILLed before it answers is
 *     sent again to the rep0 that takes its place, and its reply returns;
 *   without redial= the send after the kill fails with -EPIPE at once.
 */
#include "t.h"
#include "ipcx/pattern.h"

#include <signal.h>
#include <sys/wait.h>

/* Open a listener on url (retrying while the old one's address is still taken). */
static ipcx_chan *listener(const char *url, int flags)
{
    ipcx_chan *ch = NULL;
    int r;
    for (int i = 0; i < 1000; i++) {
        if ((r = ipcx_open(&ch, url, flags)) != -EADDRINUSE)
            break;
        usleep(10000);
    }
    T_SUCCESS(r);
    return ch;
}

/*
 * A pull0 listener process on url: writes its address to fd `addr`, then
 * each message it receives, a line each, to fd `out`.
 */
static pid_t puller(const char *url, int addr, int out)
{
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        char a[256], m[64];
        ipcx_chan *ch = listener(url, IPCX_RECV | IPCX_CREATE);
        T_SUCCESS(ipcx_addr(ch, a, sizeof a));
        T_OK(write(addr, a, strlen(a) + 1) > 0);
        for (;;) {
            long n = ipcx_recv(ch, m, sizeof m - 1, NULL, -1);
            if (n < 0)
                _exit(3);
            m[n] = '\n';
            T_OK(write(out, m, (size_t) n + 1) == n + 1);
        }
    }
    return pid;
}

static void line(int fd, const char *want)
{
    char got[64];
    size_t n = 0;
    while (n < sizeof got - 1 && read(fd, got + n, 1) == 1 && got[n] != '\n')
        n++;
    got[n] = '\0';
    if (strcmp(got, want) != 0)
        T_FAIL("received '%s', want '%s'", got, want);
}

static void str0(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap - 1 && read(fd, buf + n, 1) == 1 && buf[n])
        n++;
    buf[n] = '\0';
    T_OK(n > 0);
}

static void killed(pid_t pid)
{
    int st;
    kill(pid, SIGKILL);
    T_OK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
}

static void push_case(const char *first)
{
    int ap[2], op[2];
    char url[300], a[256];
    ipcx_chan *tx, *plain;
    T_OK(pipe(ap) == 0 && pipe(op) == 0);

    pid_t l = puller(first, ap[1], op[1]);
    str0(ap[0], a, sizeof a); /* the address (tcp: with its port) the next listener takes too */
    snprintf(url, sizeof url, "%s&redial=20&redialmax=160", a);
    T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
    T_SUCCESS(ipcx_open(&plain, a, IPCX_SEND)); /* no redial= */
    T_SUCCESS(ipcx_send(tx, "one", 3, 0, 5000));
    line(op[0], "one");
    T_SUCCESS(ipcx_send(plain, "plain", 5, 0, 5000));
    line(op[0], "plain");

    killed(l);
    /* Without redial=: the peer is gone, at once. */
    T_ERR(ipcx_send(plain, "x", 1, 0, 5000), -EPIPE);
    T_OK(strstr(ipcx_errdetail(), "redial=") != NULL);
    T_SUCCESS(ipcx_close(plain));
    /* With it: the send waits for a connection until its timeout. */
    T_ERR(ipcx_send(tx, "two", 3, 0, 300), -ETIMEDOUT);
    if (!strstr(ipcx_errdetail(), "redialing"))
        T_FAIL("detail: %s", ipcx_errdetail());
    T_ERR(ipcx_send(tx, "two", 3, 0, 0), -EAGAIN);

    /* A new listener on the same address: the next message reaches it. */
    l = puller(a, ap[1], op[1]);
    str0(ap[0], a, sizeof a);
    T_SUCCESS(ipcx_send(tx, "three", 5, 0, 20000));
    line(op[0], "three");
    killed(l);
    T_SUCCESS(ipcx_close(tx));
    close(ap[0]), close(ap[1]), close(op[0]), close(op[1]);
}

static void req_case(const char *first)
{
    int ap[2], taken[2];
    char a[256], url[300], q[300], buf[64];
    T_OK(pipe(ap) == 0 && pipe(taken) == 0);
    snprintf(url, sizeof url, "%s", first);

    /* rep0 #1 takes one request and never answers; it is SIGKILLed. */
    pid_t r1 = fork();
    T_OK(r1 >= 0);
    if (r1 == 0) {
        ipcx_chan *rep = listener(url, IPCX_RECV | IPCX_CREATE);
        ipcx_req rq;
        T_SUCCESS(ipcx_addr(rep, a, sizeof a));
        T_OK(write(ap[1], a, strlen(a) + 1) > 0);
        T_SUCCESS(ipcx_serve(rep, buf, sizeof buf, &rq, 20000));
        T_OK(write(taken[1], "!", 1) == 1);
        pause();
        _exit(0);
    }
    str0(ap[0], a, sizeof a);
    /* The killer: when #1 has the request, SIGKILL it and become rep0 #2. */
    pid_t r2 = fork();
    T_OK(r2 >= 0);
    if (r2 == 0) {
        char c;
        ipcx_req rq;
        T_OK(read(taken[0], &c, 1) == 1);
        kill(r1, SIGKILL);
        ipcx_chan *rep = listener(a, IPCX_RECV | IPCX_CREATE);
        long n = ipcx_serve(rep, buf, sizeof buf, &rq, 20000);
        T_SUCCESS(n);
        char out[80];
        int m = snprintf(out, sizeof out, "re2:%.*s", (int) n, buf);
        T_SUCCESS(ipcx_reply(rep, &rq, out, (size_t) m, 5000));
        T_SUCCESS(ipcx_close(rep));
        _exit(0);
    }
    snprintf(q, sizeof q, "%s&redial=20&redialmax=160", a);
    memcpy(strstr(q, "proto=rep0"), "proto=req0", 10);
    ipcx_chan *req;
    T_SUCCESS(ipcx_open(&req, q, IPCX_SEND));
    long n = ipcx_request(req, "ask", 3, buf, sizeof buf, 20000);
    T_ERR(n, 7);
    T_OK(memcmp(buf, "re2:ask", 7) == 0);
    T_SUCCESS(ipcx_close(req));
    int st;
    T_OK(waitpid(r1, &st, 0) == r1 && WIFSIGNALED(st));
    T_OK(waitpid(r2, &st, 0) == r2 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(ap[0]), close(ap[1]), close(taken[0]), close(taken[1]);
}

int main(void)
{
    char u[128];
    snprintf(u, sizeof u, "sp+unix:@ipcx-t-%d-redial?proto=pull0", (int) getpid());
    push_case(u);
    push_case("sp+tcp://127.0.0.1:0?proto=pull0");
    snprintf(u, sizeof u, "sp+unix:@ipcx-t-%d-redial-rep?proto=rep0", (int) getpid());
    req_case(u);
    req_case("sp+tcp://127.0.0.1:0?proto=rep0");
    /* redialmax= alone is refused. */
    ipcx_chan *ch;
    T_ERR(ipcx_open(&ch, "sp+tcp://127.0.0.1:1?proto=push0&redialmax=10", IPCX_SEND), -EINVAL);
    printf("PASS: SP redial\n");
    return 0;
}
