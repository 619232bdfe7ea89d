/*
 * mq.c - -errno wrappers for POSIX message queues (mq_*).  None retries on
 * EINTR: mq.c of the transports applies the library's EINTR rule, because
 * its waits have deadlines.
 */
#include "fault.h"
#include "mq.h"

#include <errno.h>
#include <fcntl.h>

int ipcx__mq_open(const char *name, int oflag, mode_t mode, struct mq_attr *attr)
{
    IPCX_FAULT_POINT(mq_open);
    if (IPCX_FAILS(mq_open))
        return -errno;
    mqd_t q = (oflag & O_CREAT) ? mq_open(name, oflag, mode, attr) : mq_open(name, oflag);
    return q == (mqd_t) -1 ? -errno : (int) q;
}

int ipcx__mq_getattr(int q, struct mq_attr *attr)
{
    IPCX_FAULT_POINT(mq_getattr);
    return IPCX_FAILS(mq_getattr) || mq_getattr((mqd_t) q, attr) < 0 ? -errno : 0;
}

int ipcx__mq_timedsend(int q, const void *msg, size_t len, unsigned prio,
                       const struct timespec *abs)
{
    IPCX_FAULT_POINT(mq_timedsend);
    if (IPCX_FAILS(mq_timedsend))
        return -errno;
    int r = abs ? mq_timedsend((mqd_t) q, msg, len, prio, abs)
                : mq_send((mqd_t) q, msg, len, prio);
    return r < 0 ? -errno : 0;
}

ssize_t ipcx__mq_timedreceive(int q, void *buf, size_t cap, unsigned *prio,
                              const struct timespec *abs)
{
    IPCX_FAULT_POINT(mq_timedreceive);
    if (IPCX_FAILS(mq_timedreceive))
        return -errno;
    ssize_t r = abs ? mq_timedreceive((mqd_t) q, buf, cap, prio, abs)
                    : mq_receive((mqd_t) q, buf, cap, prio);
    return r < 0 ? -errno : r;
}

int ipcx__mq_unlink(const char *name)
{
    IPCX_FAULT_POINT(mq_unlink);
    return IPCX_FAILS(mq_unlink) || mq_unlink(name) < 0 ? -errno : 0;
}
