/*
 * reqrep_test.c - ipcx_request / ipcx_serve / ipcx_reply on the SP schemes
 * (sp+unix: abstract and sp+tcp: on 127.0.0.1), across real processes:
 * two requesters whose requests are answered in the reverse order, each
 * getting its own reply (the backtrace is the route); a reply too long for
 * the buffer fails alone and the next request works; a tampered route is
 * refused; a requester SIGKILLed before its reply makes ipcx_reply -EPIPE;
 * a server SIGKILLed under a waiting request makes ipcx_request -EPIPE;
 * the calls on the wrong end or protocol fail clearly.
 */
#include "t.h"
#include "ipcx/pattern.h"

#include <signal.h>
#include <sys/wait.h>

static char url_rep[256], url_req[256];

/* A requester process: asks msg, expects "re:" msg, exits 0 when so. */
static pid_t asker(const char *msg, int wait_forever)
{
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        ipcx_chan *q;
        char buf[64], want[64];
        T_SUCCESS(ipcx_open(&q, url_req, IPCX_SEND));
        long n = ipcx_request(q, msg, strlen(msg), buf, sizeof buf, wait_forever ? -1 : 20000);
        if (wait_forever) /* the server was killed under us */
            _exit(n == -EPIPE ? 0 : 3);
        snprintf(want, sizeof want, "re:%s", msg);
        T_ERR(n, (long) strlen(want));
        T_OK(memcmp(buf, want, (size_t) n) == 0);
        T_SUCCESS(ipcx_close(q));
        _exit(0);
    }
    return pid;
}

static void reap(pid_t pid, int want)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    if (want < 0)
        T_OK(WIFSIGNALED(st) && WTERMSIG(st) == -want);
    else
        T_OK(WIFEXITED(st) && WEXITSTATUS(st) == want);
}

static void answer(ipcx_chan *rep, const ipcx_req *rq, const char *msg)
{
    char out[64];
    int n = snprintf(out, sizeof out, "re:%s", msg);
    T_SUCCESS(ipcx_reply(rep, rq, out, (size_t) n, 5000));
}

static void one(const char *listen)
{
    ipcx_chan *rep, *q;
    ipcx_req r1, r2, bad;
    char b1[64], b2[64], small[2];
    memset(url_rep, 0, sizeof url_rep);

    T_SUCCESS(ipcx_open(&rep, listen, IPCX_RECV | IPCX_CREATE));
    T_SUCCESS(ipcx_addr(rep, url_rep, sizeof url_rep)); /* the port the kernel gave */
    snprintf(url_req, sizeof url_req, "%.200s", url_rep);
    memcpy(strstr(url_req, "proto=rep0"), "proto=req0", 10);

    /* Two requesters; the second is answered first: each gets its own reply. */
    pid_t a = asker("alpha", 0), b = asker("beta", 0);
    long n1 = ipcx_serve(rep, b1, sizeof b1, &r1, 20000);
    T_SUCCESS(n1);
    long n2 = ipcx_serve(rep, b2, sizeof b2, &r2, 20000);
    T_SUCCESS(n2);
    b1[n1] = b2[n2] = '\0';
    T_OK(strncmp(r1.reply_to, "sp:", 3) == 0);
    T_OK(strcmp(r1.reply_to, r2.reply_to) != 0);
    /* A tampered route: not hex, a backtrace without the request id's high bit, junk. */
    bad = r1;
    memcpy(strchr(bad.reply_to, '/') + 1, "zz", 2);
    T_ERR(ipcx_reply(rep, &bad, "x", 1, 1000), -EINVAL);
    bad = r1;
    snprintf(bad.reply_to, sizeof bad.reply_to, "sp:1/00000001");
    T_ERR(ipcx_reply(rep, &bad, "x", 1, 1000), -EINVAL);
    snprintf(bad.reply_to, sizeof bad.reply_to, "unix:/etc/passwd");
    T_ERR(ipcx_reply(rep, &bad, "x", 1, 1000), -EINVAL);
    answer(rep, &r2, b2);
    answer(rep, &r1, b1);
    reap(a, 0);
    reap(b, 0);

    /* A reply longer than the buffer fails alone; the next request works. */
    pid_t s = fork();
    T_OK(s >= 0);
    if (s == 0) {
        T_SUCCESS(ipcx_open(&q, url_req, IPCX_SEND));
        T_ERR(ipcx_request(q, "long", 4, small, sizeof small, 20000), -EMSGSIZE);
        T_ERR(ipcx_request(q, "ok", 2, b1, sizeof b1, 20000), 5);
        T_OK(memcmp(b1, "re:ok", 5) == 0);
        /* Wrong end, wrong protocol. */
        T_ERR(ipcx_serve(q, b1, sizeof b1, &r1, 0), -EBADF);
        T_SUCCESS(ipcx_close(q));
        _exit(0);
    }
    for (int i = 0; i < 2; i++) {
        long n = ipcx_serve(rep, b1, sizeof b1, &r1, 20000);
        T_SUCCESS(n);
        b1[n] = '\0';
        answer(rep, &r1, b1);
    }
    reap(s, 0);
    T_ERR(ipcx_request(rep, "x", 1, b1, sizeof b1, 0), -EBADF);

    /* The requester is SIGKILLed after its request was taken: the reply has nowhere to go. */
    pid_t k = asker("gone", 0);
    T_SUCCESS(ipcx_serve(rep, b1, sizeof b1, &r1, 20000));
    kill(k, SIGKILL);
    reap(k, -SIGKILL);
    T_ERR(ipcx_reply(rep, &r1, "late", 4, 1000), -EPIPE);
    T_SUCCESS(ipcx_close(rep));

    /* The server (a child with a listener of its own) is SIGKILLed under a
     * waiting request: the requester fails with -EPIPE, it does not hang. */
    int ready[2];
    T_OK(pipe(ready) == 0);
    s = fork();
    T_OK(s >= 0);
    if (s == 0) {
        ipcx_req rq;
        char in[64];
        close(ready[0]);
        T_SUCCESS(ipcx_open(&rep, listen, IPCX_RECV | IPCX_CREATE));
        T_SUCCESS(ipcx_addr(rep, url_rep, sizeof url_rep));
        T_OK(write(ready[1], url_rep, strlen(url_rep)) > 0);
        T_SUCCESS(ipcx_serve(rep, in, sizeof in, &rq, 20000));
        T_OK(write(ready[1], "!", 1) == 1); /* taken, never answered */
        pause();
        _exit(0);
    }
    close(ready[1]);
    long got = read(ready[0], url_rep, sizeof url_rep - 1);
    T_OK(got > 0);
    url_rep[got] = '\0';
    snprintf(url_req, sizeof url_req, "%.200s", url_rep);
    memcpy(strstr(url_req, "proto=rep0"), "proto=req0", 10);
    k = asker("stuck", 1);
    char bang;
    T_OK(read(ready[0], &bang, 1) == 1);
    close(ready[0]);
    kill(s, SIGKILL);
    reap(s, -SIGKILL);
    reap(k, 0);
}

int main(void)
{
    char tcp[128], unx[128];
    snprintf(unx, sizeof unx, "sp+unix:@ipcx-t-%d-rr?proto=rep0", (int) getpid());
    snprintf(tcp, sizeof tcp, "sp+tcp://127.0.0.1:0?proto=rep0");
    one(unx);
    one(tcp);
    printf("PASS: SP request/reply calls\n");
    return 0;
}
