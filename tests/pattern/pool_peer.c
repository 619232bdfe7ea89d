/*
 * pool_peer.c - one end of a worker pool, for shell tests that put the
 * ends in different processes or hosts (tests/pattern/pool_netns_test.sh):
 *
 *   pool_peer submit URL N   submit jobs 0..N-1 (decimal text), run the
 *                            dispatcher until every one is done, then print
 *                            "done N redelivered R" and close
 *   pool_peer work URL US    connect (waiting up to 20 s for the
 *                            dispatcher), then for each job: print its
 *                            number on a line, sleep US microseconds,
 *                            ipcx_pool_done; exit 0 when the dispatcher is
 *                            gone (-EPIPE)
 *
 * A worker prints before done, so a worker killed between the two leaves a
 * line for a job that another worker does again: the test counts those.
 */
#include "ipcx/pubsub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what, long rc)
{
    fprintf(stderr, "pool_peer: %s: %s (%s)\n", what, ipcx_strerror((int) rc), ipcx_errdetail());
    return 1;
}

static void pause_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    (void) nanosleep(&ts, NULL);
}

static int submit(const char *url, long n)
{
    ipcx_pool *p = NULL;
    int rc = ipcx_pool_open(&p, url, IPCX_SEND | IPCX_CREATE);
    if (rc < 0)
        return die(url, rc);
    for (long i = 0; i < n; i++) {
        char job[24];
        int len = snprintf(job, sizeof job, "%ld", i);
        if ((rc = ipcx_pool_submit(p, job, (size_t) len, 60000)) < 0)
            return die("submit", rc);
    }
    if ((rc = ipcx_pool_dispatch(p, 120000)) < 0)
        return die("dispatch", rc);
    printf("done %ld redelivered %lld\n", n, ipcx_pool_redelivered(p));
    fflush(stdout);
    return ipcx_pool_close(p) < 0;
}

static int work(const char *url, long us)
{
    ipcx_pool *w = NULL;
    int rc;
    for (int tries = 0; (rc = ipcx_pool_open(&w, url, IPCX_RECV)) < 0; tries++) {
        if (tries == 400 || (rc != -ECONNREFUSED && rc != -ENOENT))
            return die(url, rc);
        pause_us(50000);
    }
    for (;;) {
        char job[32];
        long n = ipcx_pool_take(w, job, sizeof job - 1, -1);
        if (n == -EPIPE)
            break;
        if (n < 0)
            return die("take", n);
        job[n] = '\n';
        if (write(1, job, (size_t) n + 1) != n + 1)
            return die("write", -EIO);
        pause_us(us);
        if ((rc = ipcx_pool_done(w)) < 0 && rc != -EPIPE)
            return die("done", rc);
    }
    return ipcx_pool_close(w) < 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "submit"))
        return submit(argv[2], atol(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "work"))
        return work(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: pool_peer submit URL N | pool_peer work URL MICROSECONDS\n");
    return 2;
}
