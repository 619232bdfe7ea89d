/*
 * psem.h - -errno wrappers for POSIX named semaphores (psem.c).  None
 * retries on EINTR: the caller applies the library's EINTR rule.
 */
#ifndef IPCX_SYS_PSEM_H
#define IPCX_SYS_PSEM_H

#include <semaphore.h>
#include <sys/types.h>

/* POSIX named semaphores.  timeout_ms: -1 sem_wait, 0 sem_trywait, >0 at
 * most that long on CLOCK_MONOTONIC. */
int ipcx__psem_open(const char *name, int oflag, mode_t mode, unsigned value,
                    sem_t **out);
int ipcx__psem_wait(sem_t *s, int timeout_ms);
int ipcx__psem_post(sem_t *s);
int ipcx__psem_getvalue(sem_t *s, int *value);
int ipcx__psem_close(sem_t *s);
int ipcx__psem_unlink(const char *name);

#endif
