/*
 * kipc.c - -errno wrappers for POSIX and System V message queues and System V
 * semaphores, and /proc readers.  No policy and no EINTR
 * retries here: mq.c and sysvmq.c decide what an error means.
 */
#include "fault.h"
#include "kipc.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int ipcx__ftok(const char *path, int proj, key_t *out)
{
    IPCX_FAULT_POINT(ftok);
    if (IPCX_FAILS(ftok))
        return -errno;
    /* A valid key may be -1 as well (0xffffffff): only errno tells. */
    errno = 0;
    key_t k = ftok(path, proj);
    if (k == (key_t) -1 && errno)
        return -errno;
    *out = k;
    return 0;
}

int ipcx__msgget(key_t key, int flags)
{
    IPCX_FAULT_POINT(msgget);
    int r = IPCX_FAILS(msgget) ? -1 : msgget(key, flags);
    return r < 0 ? -errno : r;
}

int ipcx__msgsnd(int id, const void *msg, size_t len, int flags)
{
    IPCX_FAULT_POINT(msgsnd);
    return IPCX_FAILS(msgsnd) || msgsnd(id, msg, len, flags) < 0 ? -errno : 0;
}

ssize_t ipcx__msgrcv(int id, void *msg, size_t cap, long type, int flags)
{
    IPCX_FAULT_POINT(msgrcv);
    ssize_t r = IPCX_FAILS(msgrcv) ? -1 : msgrcv(id, msg, cap, type, flags);
    return r < 0 ? -errno : r;
}

int ipcx__msgctl(int id, int cmd, struct msqid_ds *ds)
{
    IPCX_FAULT_POINT(msgctl);
    int r = IPCX_FAILS(msgctl) ? -1 : msgctl(id, cmd, ds);
    return r < 0 ? -errno : r;
}

int ipcx__semget(key_t key, int nsems, int flags)
{
    IPCX_FAULT_POINT(semget);
    int r = IPCX_FAILS(semget) ? -1 : semget(key, nsems, flags);
    return r < 0 ? -errno : r;
}

int ipcx__semtimedop(int id, struct sembuf *ops, size_t nops, const struct timespec *rel)
{
    IPCX_FAULT_POINT(semtimedop);
    return IPCX_FAILS(semtimedop) || semtimedop(id, ops, nops, rel) < 0 ? -errno : 0;
}

int ipcx__semctl_int(int id, int num, int cmd, int val)
{
    IPCX_FAULT_POINT(semctl);
    int r = IPCX_FAILS(semctl) ? -1 : semctl(id, num, cmd, val);
    return r < 0 ? -errno : r;
}

int ipcx__semctl_stat(int id, struct semid_ds *ds)
{
    IPCX_FAULT_POINT(semctl_stat);
    int r = IPCX_FAILS(semctl_stat) ? -1 : semctl(id, 0, IPC_STAT, ds);
    return r < 0 ? -errno : r;
}

int ipcx__semctl_setall(int id, unsigned short *vals)
{
    IPCX_FAULT_POINT(semctl_setall);
    int r = IPCX_FAILS(semctl_setall) ? -1 : semctl(id, 0, SETALL, vals);
    return r < 0 ? -errno : r;
}

int ipcx__sleep_ms(int ms)
{
    IPCX_FAULT_POINT(nanosleep);
    struct timespec ts = ipcx__ts_rel(ms);
    return IPCX_FAILS(nanosleep) || nanosleep(&ts, NULL) < 0 ? -errno : 0;
}

long ipcx__proc_long(const char *path, long def)
{
    char buf[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return def;
    ssize_t n = ipcx__read(fd, buf, sizeof buf - 1);
    (void) ipcx__close(fd);
    if (n <= 0)
        return def;
    buf[n] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    return errno || end == buf ? def : v;
}

int ipcx__has_cap(int cap)
{
    char line[256];
    int has = 0;
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "CapEff:", 7) == 0) {
            unsigned long long bits = strtoull(line + 7, NULL, 16);
            has = cap >= 0 && cap < 64 && (bits >> cap) & 1;
            break;
        }
    }
    (void) fclose(f);
    return has;
}
