/*
 * mq.h - -errno wrappers for POSIX message queues (mq.c).  None retries on
 * EINTR: the caller applies the library's EINTR rule (ipcx__intr_returns).
 */
#ifndef IPCX_SYS_MQ_H
#define IPCX_SYS_MQ_H

#include <mqueue.h>
#include <stddef.h>
#include <time.h>
#include <sys/types.h>

/* POSIX queues.  abs is an absolute CLOCK_REALTIME time, NULL waits forever. */
int     ipcx__mq_open(const char *name, int oflag, mode_t mode, struct mq_attr *attr);
int     ipcx__mq_getattr(int q, struct mq_attr *attr);
int     ipcx__mq_timedsend(int q, const void *msg, size_t len, unsigned prio,
                           const struct timespec *abs);
ssize_t ipcx__mq_timedreceive(int q, void *buf, size_t cap, unsigned *prio,
                              const struct timespec *abs);
int     ipcx__mq_unlink(const char *name);

#endif
