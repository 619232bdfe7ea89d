/*
 * sysv.h - -errno wrappers for System V IPC (sysv.c): ftok, message queues,
 * semaphore sets, shared memory segments.  None retries on EINTR: the callers apply the library's
 * EINTR rule (ipcx__intr_returns), because their waits have deadlines.
 */
#ifndef IPCX_SYS_SYSV_H
#define IPCX_SYS_SYSV_H

#include <stddef.h>
#include <time.h>
#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

/* ftok(3): *out is the key (any int, also negative); 0 or -errno. */
int     ipcx__ftok(const char *path, int proj, key_t *out);
int     ipcx__msgget(key_t key, int flags);
int     ipcx__msgsnd(int id, const void *msg, size_t len, int flags);
ssize_t ipcx__msgrcv(int id, void *msg, size_t cap, long type, int flags);
int     ipcx__msgctl(int id, int cmd, struct msqid_ds *ds);
int     ipcx__semget(key_t key, int nsems, int flags);
/* rel is a relative timeout; NULL waits without one. */
int     ipcx__semtimedop(int id, struct sembuf *ops, size_t nops, const struct timespec *rel);
/* semctl for the commands taking an int (GETVAL, SETVAL, GETNCNT, GETPID, IPC_RMID). */
int     ipcx__semctl_int(int id, int num, int cmd, int val);
int     ipcx__semctl_stat(int id, struct semid_ds *ds);
int     ipcx__semctl_setall(int id, unsigned short *vals);
/* Shared memory segments (src/shm/seg.c). */
int     ipcx__shmget(key_t key, size_t size, int flags);
/* shmat(id, NULL, 0): *out is the mapping. */
int     ipcx__shmat(int id, void **out);
int     ipcx__shmdt(const void *p);
int     ipcx__shmctl_stat(int id, struct shmid_ds *ds);
int     ipcx__shmctl_rmid(int id);

#endif
