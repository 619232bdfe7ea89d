/*
 * sp_peer.c - the ipcx end of the interop tests (nngcat_test.sh): one SP
 * role through the public API only, driven by arguments.
 *
 *   sp_peer req URL MSG...        send each MSG as a request, print each reply
 *   sp_peer rep URL N             answer N requests with "re:" + the request
 *   sp_peer survey URL MSG N      send one survey, print N answers
 *   sp_peer respond URL N         answer N surveys with "re:" + the survey
 *   sp_peer pair URL N MSG        pair0 (both directions): send MSG, print N messages
 *
 * Every receive waits at most 20 s (the test fails rather than hangs).
 * Exit 0 done, 1 an error (on stderr, with ipcx_errdetail), 2 bad usage.
 */
#include "ipcx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000

static int die(const char *what, int r)
{
    fprintf(stderr, "sp_peer: %s: %s (%s)\n", what, ipcx_strerror(r), ipcx_errdetail());
    return 1;
}

static int print_one(ipcx_chan *ch, char *buf, size_t cap)
{
    long n = ipcx_recv(ch, buf, cap - 1, NULL, WAIT_MS);
    if (n < 0)
        return (int) n;
    buf[n] = '\0';
    printf("%s\n", buf);
    fflush(stdout);
    return 0;
}

/* Answer n requests (or surveys) with "re:" and what was asked. */
static int answer(ipcx_chan *ch, long n)
{
    static char buf[1 << 16], out[(1 << 16) + 3];
    for (long i = 0; i < n; i++) {
        long len = ipcx_recv(ch, buf, sizeof buf, NULL, WAIT_MS);
        if (len < 0)
            return die("recv", (int) len);
        memcpy(out, "re:", 3);
        memcpy(out + 3, buf, (size_t) len);
        int r = ipcx_send(ch, out, (size_t) len + 3, 0, WAIT_MS);
        if (r < 0)
            return die("send", r);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[1 << 16];
    ipcx_chan *ch;
    int r;

    if (argc < 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: sp_peer req|rep|survey|respond|pair URL ARGS...\n");
        return 2;
    }
    const char *role = argv[1], *url = argv[2];
    if ((r = ipcx_open(&ch, url, IPCX_SEND | IPCX_RECV)) < 0)
        return die(url, r);
    if (strcmp(role, "req") == 0) {
        for (int i = 3; i < argc && r == 0; i++)
            if ((r = ipcx_send(ch, argv[i], strlen(argv[i]), 0, WAIT_MS)) == 0)
                r = print_one(ch, buf, sizeof buf);
    } else if ((strcmp(role, "rep") == 0 || strcmp(role, "respond") == 0) && argc == 4) {
        r = answer(ch, atol(argv[3])) ? -1 : 0;
    } else if (strcmp(role, "survey") == 0 && argc == 5) {
        r = ipcx_send(ch, argv[3], strlen(argv[3]), 0, WAIT_MS);
        for (long i = 0; r == 0 && i < atol(argv[4]); i++)
            r = print_one(ch, buf, sizeof buf);
    } else if (strcmp(role, "pair") == 0 && argc == 5) {
        r = ipcx_send(ch, argv[4], strlen(argv[4]), 0, WAIT_MS);
        for (long i = 0; r == 0 && i < atol(argv[3]); i++)
            r = print_one(ch, buf, sizeof buf);
    } else {
        fprintf(stderr, "sp_peer: bad arguments for %s\n", role);
        return 2;
    }
    if (r < -1)
        return die(role, r);
    int c = ipcx_close(ch);
    if (c < 0)
        return die("close", c);
    return r < 0;
}
