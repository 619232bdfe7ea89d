/*
 * stat_server.c - the statistics service of Werkstueck A as an ONC RPC
 * server (stat.x): registers program STAT_PROG version 1 over TCP with the
 * portmapper (rpcbind), folds every batch it is given into its running
 * figures, and unregisters when SIGINT or SIGTERM asks it to stop.
 * The dispatcher and the XDR routines are rpcgen's (stat_svc.c,
 * stat_xdr.c), the transport libtirpc's.
 */
#include "stat.h"

#include <poll.h>
#include <rpc/pmap_clnt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void stat_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

static stat_figures fig;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void) sig;
    stop = 1;
}

stat_figures *stat_add_1_svc(stat_values *v, struct svc_req *rq)
{
    (void) rq;
    for (u_int i = 0; i < v->stat_values_len; i++) {
        int x = v->stat_values_val[i];
        if (fig.count == 0 || x < fig.min)
            fig.min = x;
        if (fig.count == 0 || x > fig.max)
            fig.max = x;
        fig.count++;
        fig.sum += x;
    }
    fig.mean = fig.count ? (double) fig.sum / (double) fig.count : 0.0;
    return &fig;
}

stat_figures *stat_get_1_svc(void *unused, struct svc_req *rq)
{
    (void) unused;
    (void) rq;
    return &fig;
}

void *stat_reset_1_svc(void *unused, struct svc_req *rq)
{
    static char done;
    (void) unused;
    (void) rq;
    memset(&fig, 0, sizeof fig);
    return &done;
}

int main(int argc, char **argv)
{
    unsigned long prog = STAT_PROG;
    if (argc == 3 && strcmp(argv[1], "--prog") == 0) {
        prog = strtoul(argv[2], NULL, 0);
    } else if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fprintf(help ? stdout : stderr,
                "Usage: stat_server [--prog N]\n"
                "Serve the statistics of Werkstueck A (count, sum, mean, min, max) as ONC RPC\n"
                "program N (default 0x%x) version %d over TCP, registered with rpcbind (which\n"
                "must run).  Prints one line when ready; SIGINT or SIGTERM unregisters it and\n"
                "exits 0.\n",
                (unsigned) STAT_PROG, STAT_VERS);
        return help ? 0 : 2;
    }
    if (prog < 0x20000000 || prog > 0x3fffffff) {
        fprintf(stderr, "stat_server: --prog %lu: not in the user range 0x20000000-0x3fffffff\n",
                prog);
        return 2;
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    SVCXPRT *t = svctcp_create(RPC_ANYSOCK, 0, 0);
    if (!t) {
        fprintf(stderr, "stat_server: cannot make a TCP transport\n");
        return 1;
    }
    (void) pmap_unset(prog, STAT_VERS);
    if (!svc_register(t, prog, STAT_VERS, stat_prog_1, IPPROTO_TCP)) {
        fprintf(stderr, "stat_server: cannot register with rpcbind (is it running?)\n");
        svc_destroy(t);
        return 1;
    }
    printf("stat_server: ready: program 0x%lx version %d, tcp port %u\n", prog,
           STAT_VERS, (unsigned) t->xp_port);
    fflush(stdout);
    /* svc_run() never returns: poll with a timeout, so a signal can stop us
     * and the registration goes with us. */
    while (!stop) {
        int n = poll(svc_pollfd, (nfds_t) svc_max_pollfd, 500);
        if (n > 0)
            svc_getreq_poll(svc_pollfd, n);
    }
    svc_unregister(prog, STAT_VERS);
    svc_destroy(t);
    return 0;
}
