/*
 * example.c - a parent and a forked child exchange messages with ipcx:
 * first over an anonymous pipe pair (ipcx_pipe), then over a channel named
 * by a URL (default: a Unix socket under /tmp; any URL a receiver can open,
 * e.g. "fifo:/tmp/x" or "tcp://127.0.0.1:0").
 *
 * Build and run from the top of the source tree:
 *   cc -Iinclude docs/example.c build/libipcx.a -lpthread -lrt -o example
 *   ./example [URL]
 */
#include <ipcx.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define COUNT 3

/* Report a failed ipcx call: the cause and, if known, the detail. */
static int fail(const char *what, long err)
{
    const char *detail = ipcx_errdetail(); /* "" when there is none */
    fprintf(stderr, "example: %s: %s%s%s%s\n", what, ipcx_strerror((int) err),
            *detail ? " (" : "", detail, *detail ? ")" : "");
    return 1;
}

/* The child's part: send COUNT messages on tx and return an exit status. */
static int send_some(ipcx_chan *tx)
{
    char msg[64];
    for (int i = 1; i <= COUNT; i++) {
        int n = snprintf(msg, sizeof msg, "message %d from pid %ld", i, (long) getpid());
        int r = ipcx_send(tx, msg, (size_t) n, 0, IPCX_FOREVER);
        if (r < 0)
            return fail("send", r);
    }
    return 0;
}

/* Receive until COUNT messages arrived or, with IPCX_CAP_EOF, every sender left. */
static int receive_some(ipcx_chan *rx)
{
    char buf[256];
    int got = 0;
    while (got < COUNT || (ipcx_caps(rx) & IPCX_CAP_EOF)) {
        long n = ipcx_recv(rx, buf, sizeof buf, NULL, 5000);
        if (n == -EPIPE)
            break; /* the pipe: every sender closed its end */
        if (n < 0)
            return fail("recv", n);
        printf("parent %ld got %ld bytes: %.*s\n", (long) getpid(), n, (int) n, buf);
        got++;
    }
    return got == COUNT ? 0 : fail("recv", -EPIPE);
}

/* Wait for the child and fold its exit status into ours. */
static int reap(pid_t pid, int rc)
{
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 1;
    return rc;
}

/* 1. An anonymous pipe: made before fork, one end in each process. */
static int over_pipe(void)
{
    ipcx_chan *ends[2]; /* ends[0] receives, ends[1] sends */
    int r = ipcx_pipe(ends);
    if (r < 0)
        return fail("ipcx_pipe", r);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        ipcx_close(ends[0]);      /* the child only sends */
        r = send_some(ends[1]);
        ipcx_close(ends[1]);      /* flushes, then the parent sees -EPIPE */
        _exit(r);
    }
    ipcx_close(ends[1]);          /* else the parent never sees -EPIPE */
    r = receive_some(ends[0]);
    ipcx_close(ends[0]);
    return reap(pid, r);
}

/* 2. A named channel: the parent receives, the child opens the URL to send. */
static int over_url(const char *url)
{
    ipcx_chan *rx, *tx;
    char addr[512];
    int r = ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE);
    if (r < 0)
        return fail(url, r);
    /* The address a sender opens: for tcp://host:0 it names the port given. */
    if ((r = ipcx_addr(rx, addr, sizeof addr)) < 0) {
        ipcx_close(rx);
        return fail("ipcx_addr", r);
    }
    pid_t pid = fork();
    if (pid < 0) {
        ipcx_close(rx);
        return 1;
    }
    if (pid == 0) {
        /* The child's copy of the receiver is closed without removing the
         * FIFO or socket file: only the process that created it does that. */
        ipcx_close(rx);
        r = ipcx_open(&tx, addr, IPCX_SEND);
        if (r < 0)
            _exit(fail(addr, r));
        r = send_some(tx);
        ipcx_close(tx);
        _exit(r);
    }
    printf("parent %ld receives on %s\n", (long) getpid(), addr);
    r = receive_some(rx);
    ipcx_close(rx);               /* removes the socket file or FIFO */
    return reap(pid, r);
}

int main(int argc, char **argv)
{
    char url[128];
    if (argc > 1)
        snprintf(url, sizeof url, "%s", argv[1]);
    else
        snprintf(url, sizeof url, "unix:/tmp/ipcx-example-%ld.sock", (long) getpid());
    fflush(stdout);
    if (over_pipe() != 0)
        return 1;
    fflush(stdout);               /* so the child does not print our buffer again */
    return over_url(url);
}
