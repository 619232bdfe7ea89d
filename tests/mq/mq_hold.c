/*
 * mq_hold.c - a test peer for the observer: create URL as a receiver, queue
 * COUNT messages through a sender of its own, print "ready", then hold both
 * ends until standard input ends (then close cleanly, which removes the
 * queue) or until it is killed (which leaves the queue behind).
 *
 *   mq_hold URL COUNT
 */
#include "ipcx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    ipcx_chan *rx, *tx;
    char addr[512], m[32];
    int r;

    if (argc != 3) {
        fprintf(stderr, "usage: mq_hold URL COUNT\n");
        return 2;
    }
    if ((r = ipcx_open(&rx, argv[1], IPCX_RECV | IPCX_CREATE | IPCX_EXCL)) < 0 ||
        (r = ipcx_addr(rx, addr, sizeof addr)) < 0 || (r = ipcx_open(&tx, addr, IPCX_SEND)) < 0) {
        fprintf(stderr, "mq_hold: %s: %s (%s)\n", argv[1], ipcx_strerror(r), ipcx_errdetail());
        return 1;
    }
    for (int i = 0, n = atoi(argv[2]); i < n; i++) {
        int len = snprintf(m, sizeof m, "m%d", i);
        if ((r = ipcx_send(tx, m, (size_t) len, (unsigned) i, 1000)) < 0) {
            fprintf(stderr, "mq_hold: send: %s\n", ipcx_strerror(r));
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    while (read(0, m, sizeof m) > 0)
        ;
    ipcx_close(tx);
    ipcx_close(rx);
    return 0;
}
