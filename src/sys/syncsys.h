/*
 * syncsys.h - the system calls behind src/sync/: the caller's kernel thread
 * id, POSIX named semaphores, System V semaphore sets and small POSIX shm
 * files that are published only once initialised.  Each returns what the
 * call returns or a negative errno; none retries on EINTR (the callers
 * apply the library's EINTR rule, because their waits have deadlines).
 * The futex itself is in futex.h.
 */
#ifndef IPCX_SYNCSYS_H
#define IPCX_SYNCSYS_H

#include <stddef.h>
#include <stdint.h>
#include <semaphore.h>
#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/sem.h>

/* The kernel thread id of the caller, cached per thread (and renewed in a
 * fork child, whose only thread has a new id). */
uint32_t ipcx__self_tid(void);

/* POSIX named semaphores.  timeout_ms: -1 sem_wait, 0 sem_trywait, >0 at
 * most that long on CLOCK_MONOTONIC. */
int ipcx__psem_open(const char *name, int oflag, mode_t mode, unsigned value,
                    sem_t **out);
int ipcx__psem_wait(sem_t *s, int timeout_ms);
int ipcx__psem_post(sem_t *s);
int ipcx__psem_getvalue(sem_t *s, int *value);
int ipcx__psem_close(sem_t *s);
int ipcx__psem_unlink(const char *name);

/* System V semaphore sets: the wrappers of kipc.h (ipcx__ftok, ipcx__semget ...). */

/*
 * A POSIX shm file created under no name (O_TMPFILE in /dev/shm), so that
 * it can be initialised before anyone can open it; shmfile_publish gives
 * it its name atomically (-EEXIST if the name is taken).  name is a POSIX
 * shm name ("/x").
 */
int ipcx__shmfile_anon(mode_t mode, size_t size);
int ipcx__shmfile_publish(int fd, const char *name);
/* shm_open(name, O_RDWR) and the size of what it opened. */
int ipcx__shmfile_open(const char *name, size_t *size);
int ipcx__shmfile_unlink(const char *name);
/* mmap(size, PROT_READ|PROT_WRITE, MAP_SHARED, fd). */
int ipcx__shmfile_map(int fd, size_t size, void **out);
int ipcx__shmfile_unmap(void *p, size_t size);

#endif
