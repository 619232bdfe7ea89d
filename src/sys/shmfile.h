/*
 * shmfile.h - POSIX shared-memory files (shmfile.c), made whole before
 * anyone can open them.
 */
#ifndef IPCX_SYS_SHMFILE_H
#define IPCX_SYS_SHMFILE_H

#include <stddef.h>
#include <sys/types.h>

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
