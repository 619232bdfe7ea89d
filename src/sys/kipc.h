/*
 * kipc.h - -errno wrappers for the kernel message queues (POSIX mq_*, System V
 * msg* and sem*), and small readers of /proc (process identity is proc.h's).
 * None of these retry on EINTR: the callers apply the library's EINTR rule
 * (ipcx__intr_returns) themselves, because their waits have deadlines.
 */
#ifndef IPCX_SYS_KIPC_H
#define IPCX_SYS_KIPC_H

#include <mqueue.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

/* POSIX queues.  abs is an absolute CLOCK_REALTIME time, NULL waits forever. */
int     ipcx__mq_open(const char *name, int oflag, mode_t mode, struct mq_attr *attr);
int     ipcx__mq_getattr(int q, struct mq_attr *attr);
int     ipcx__mq_timedsend(int q, const void *msg, size_t len, unsigned prio,
                           const struct timespec *abs);
ssize_t ipcx__mq_timedreceive(int q, void *buf, size_t cap, unsigned *prio,
                              const struct timespec *abs);
int     ipcx__mq_unlink(const char *name);

/* System V queues and semaphores. */
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

/* Sleep ms milliseconds: 0, or -EINTR when a signal handler ran. */
int     ipcx__sleep_ms(int ms);

/* A number read from a /proc file such as /proc/sys/fs/mqueue/msg_max; def if unreadable. */
long    ipcx__proc_long(const char *path, long def);

/* Does this process hold the capability (e.g. CAP_SYS_RESOURCE = 24) in its effective set? */
int     ipcx__has_cap(int cap);

#endif
