/*
 * pool_int.h - the worker pool's backends behind one ops table: pool.c
 * checks the arguments of the public calls (include/ipcx/pubsub.h), keeps
 * the one-job-held rule, and calls the backend the URL's scheme picks:
 *
 *   pool.c       shm:, sysvshm:  the mpmc slot ring
 *   pool_sock.c  unix:, tcp:     a dispatcher (the submitter) and workers
 *                                that connect to it
 *   pool_mq.c    mq:             the kernel queue and a table of held jobs
 *
 * A member left NULL is -ENOTSUP for that backend.
 */
#ifndef IPCX_PATTERN_POOL_INT_H
#define IPCX_PATTERN_POOL_INT_H

#include <stddef.h>

struct ipcx_url;

struct ipcx__pool_ops {
    /* Open one end (flags: IPCX_SEND submitter, IPCX_RECV worker) into *impl. */
    int  (*open)(void **impl, const char *url, const struct ipcx_url *u, int flags);
    int  (*submit)(void *impl, const void *job, size_t len, int timeout_ms);
    /* Take the next job (it is held until done); its length or -errno. */
    long (*take)(void *impl, void *buf, size_t cap, int timeout_ms);
    int  (*done)(void *impl);
    /* Submitter: move jobs until none is left undone, or the timeout. */
    int  (*dispatch)(void *impl, int timeout_ms);
    int  (*addr)(void *impl, char *buf, size_t cap);
    long long (*redelivered)(void *impl);
    /* Submitter: the workers there now. */
    int  (*workers)(void *impl);
    int  (*close)(void *impl);
    int  (*unlink)(const char *url, const struct ipcx_url *u);
};

extern const struct ipcx__pool_ops ipcx__pool_ring, ipcx__pool_sock, ipcx__pool_mq;

#endif
