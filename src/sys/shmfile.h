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
 * shm name ("/x").  The one create path of POSIX shm in libipcx: the sem:
 * semaphores (src/sync/sem.c) and the shm: rings (src/shm/seg.c).
 */
int ipcx__shmfile_anon(mode_t mode, size_t size);
int ipcx__shmfile_publish(int fd, const char *name);
/* shm_open(name, O_RDWR) and the size of what it opened. */
int ipcx__shmfile_open(const char *name, size_t *size);
int ipcx__shmfile_unlink(const char *name);
/* mmap(size, PROT_READ|PROT_WRITE, MAP_SHARED, fd). */
int ipcx__shmfile_map(int fd, size_t size, void **out);
int ipcx__shmfile_unmap(void *p, size_t size);
/*
 * madvise(p, size, MADV_POPULATE_WRITE): fault every page of a shared
 * mapping in now, writable, as a write would (allocating what is not there
 * yet), so that later accesses take no page fault.  -EINVAL before Linux
 * 5.14; -EFAULT or -ENOMEM when the pages cannot be had (tmpfs full).
 */
int ipcx__shmfile_populate(void *p, size_t size);

/* The raw calls under the shared-memory segments (src/shm/seg.c). */
/* shm_open(name, flags | O_CLOEXEC | O_NOFOLLOW, mode): a descriptor or -errno. */
int ipcx__shm_open(const char *name, int flags, mode_t mode);
/* ftruncate(fd, size). */
int ipcx__shmfile_truncate(int fd, size_t size);
/* memfd_create(name, flags | MFD_CLOEXEC): a descriptor or -errno. */
int ipcx__memfd(const char *name, unsigned flags);
/* fcntl(fd, F_ADD_SEALS, seals). */
int ipcx__shmfile_seal(int fd, int seals);
/* fcntl(fd, F_DUPFD_CLOEXEC): a second descriptor of the same file. */
int ipcx__shmfile_dup(int fd);
/* mmap(size, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS): shared with fork children. */
int ipcx__shmfile_map_anon(size_t size, void **out);
/* mremap(p, 0, size, MREMAP_MAYMOVE): a second mapping of the shared pages at p. */
int ipcx__shmfile_remap(void *p, size_t size, void **out);

#endif
