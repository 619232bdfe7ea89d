/*
 * sysv.c - -errno wrappers for System V IPC: ftok, message queues (msg*)
 * semaphore sets (sem*) and shared memory segments (shm*).  None retries on EINTR: the callers apply the
 * library's EINTR rule, because their waits have deadlines.
 */
#include "fault.h"
#include "sysv.h"

#include <errno.h>

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

int ipcx__shmget(key_t key, size_t size, int flags)
{
    IPCX_FAULT_POINT(shmget);
    int r = IPCX_FAILS(shmget) ? -1 : shmget(key, size, flags);
    return r < 0 ? -errno : r;
}

int ipcx__shmat(int id, void **out)
{
    IPCX_FAULT_POINT(shmat);
    void *p = IPCX_FAILS(shmat) ? (void *) -1 : shmat(id, NULL, 0);
    if (p == (void *) -1)
        return -errno;
    *out = p;
    return 0;
}

int ipcx__shmdt(const void *p)
{
    return shmdt(p) < 0 ? -errno : 0;
}

int ipcx__shmctl_stat(int id, struct shmid_ds *ds)
{
    IPCX_FAULT_POINT(shmctl_stat);
    return IPCX_FAILS(shmctl_stat) || shmctl(id, IPC_STAT, ds) < 0 ? -errno : 0;
}

int ipcx__shmctl_rmid(int id)
{
    IPCX_FAULT_POINT(shmctl_rmid);
    return IPCX_FAILS(shmctl_rmid) || shmctl(id, IPC_RMID, NULL) < 0 ? -errno : 0;
}
