/*
 * reqrep_service.c - a request/reply service over any scheme that has a
 * reply path (unix:, shm:, fifo:, mq:), with the public headers only
 * (docs/patterns.md, "Request/reply").  The server answers each request
 * in upper case; the client prints the reply.
 *
 *   reqrep_service URL            serve until SIGINT or SIGTERM, then
 *                                 remove the channel
 *   reqrep_service URL MESSAGE    send MESSAGE, print the reply
 *
 *   cc docs/examples/reqrep_service.c $(pkg-config --cflags --libs ipcx)
 */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include <ipcx/pattern.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop;
static void on_stop(int sig) { stop = sig; }

static int fail(const char *url, long err)
{
    const char *detail = ipcx_errdetail();  /* "" when there is none */
    fprintf(stderr, "reqrep_service: %s: %s%s%s%s\n", url, ipcx_strerror((int) err),
            *detail ? " (" : "", detail, *detail ? ")" : "");
    return 1;
}

/* The service: the dozen lines of docs/patterns.md. */
static int serve(const char *url)
{
    ipcx_chan *srv, *self = NULL;
    char buf[256];
    ipcx_req rq;
    int r = ipcx_open(&srv, url, IPCX_RECV | IPCX_CREATE);
    if (r < 0)
        return fail(url, r);
    if (ipcx_caps(srv) & IPCX_CAP_EOF)   /* shm:, fifo: end with their last sender: */
        (void) ipcx_open(&self, url, IPCX_SEND); /* keep one of our own */
    printf("serving %s\n", url);
    fflush(stdout);
    while (!stop) {
        long n = ipcx_serve(srv, buf, sizeof buf, &rq, -1);
        if (n < 0)
            continue;                    /* a bad request was dropped, or a signal */
        for (long i = 0; i < n; i++)
            buf[i] = (char) toupper((unsigned char) buf[i]);
        (void) ipcx_reply(srv, &rq, buf, (size_t) n, 1000);
    }
    ipcx_close(self);
    return ipcx_close(srv) < 0;          /* removes what the server made */
}

/* The client: one request, its reply on standard output. */
static int ask(const char *url, const char *msg)
{
    ipcx_chan *c;
    char out[256];
    int r = ipcx_open(&c, url, IPCX_SEND);
    if (r < 0)
        return fail(url, r);
    long n = ipcx_request(c, msg, strlen(msg), out, sizeof out, 5000);
    ipcx_close(c);                       /* removes the reply channel */
    if (n < 0)
        return fail(url, n);
    printf("%.*s\n", (int) n, out);
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: -EINTR */
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: reqrep_service URL [MESSAGE]\n");
        return 2;
    }
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return argc == 2 ? serve(argv[1]) : ask(argv[1], argv[2]);
}
