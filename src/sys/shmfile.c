/*
 * shmfile.c - POSIX shared-memory files: made under no name (O_TMPFILE in
 * /dev/shm) and published under their name only once initialised, opened,
 * mapped, removed (the one create path of the sem: semaphores and the
 * POSIX shm: rings); and the calls under the rings' segments (src/shm/seg.c):
 * memfd, sealing, anonymous and second mappings.  -errno wrappers, no policy.
 */
#include "fault.h"
#include "shmfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* glibc's shm_open works in /dev/shm; the publish step needs the path. */
#define SHM_DIR "/dev/shm"

int ipcx__shmfile_anon(mode_t mode, size_t size)
{
    IPCX_FAULT_POINT(open_tmpfile);
    IPCX_FAULT_POINT(fchmod);
    IPCX_FAULT_POINT(ftruncate);
    int fd = IPCX_FAILS(open_tmpfile) ? -1 : open(SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    /* The umask must not narrow what the URL asked for. */
    if (IPCX_FAILS(fchmod) || fchmod(fd, mode) < 0 || IPCX_FAILS(ftruncate) ||
        ftruncate(fd, (off_t) size) < 0) {
        int err = -errno;
        (void) close(fd);
        return err;
    }
    return fd;
}

int ipcx__shmfile_publish(int fd, const char *name)
{
    IPCX_FAULT_POINT(linkat);
    char from[64], to[sizeof SHM_DIR + 256];
    if (name[0] != '/' || snprintf(to, sizeof to, SHM_DIR "%s", name) >= (int) sizeof to)
        return -ENAMETOOLONG;
    (void) snprintf(from, sizeof from, "/proc/self/fd/%d", fd);
    /* linkat of an O_TMPFILE file through /proc needs no privilege (unlike
     * AT_EMPTY_PATH) and fails with EEXIST instead of replacing a name. */
    return IPCX_FAILS(linkat) || linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

int ipcx__shmfile_open(const char *name, size_t *size)
{
    IPCX_FAULT_POINT(shm_open);
    struct stat st;
    int fd = IPCX_FAILS(shm_open) ? -1 : shm_open(name, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        int err = -errno;
        (void) close(fd);
        return err;
    }
    if (!S_ISREG(st.st_mode)) {
        (void) close(fd);
        return -EPROTO;
    }
    *size = (size_t) st.st_size;
    return fd;
}

int ipcx__shmfile_unlink(const char *name)
{
    IPCX_FAULT_POINT(shm_unlink);
    return IPCX_FAILS(shm_unlink) || shm_unlink(name) < 0 ? -errno : 0;
}

int ipcx__shmfile_map(int fd, size_t size, void **out)
{
    IPCX_FAULT_POINT(mmap);
    void *p = IPCX_FAILS(mmap) ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    *out = p;
    return 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older headers lack the name */
#endif

int ipcx__shmfile_populate(void *p, size_t size)
{
    IPCX_FAULT_POINT(madvise_populate);
    return IPCX_FAILS(madvise_populate) || madvise(p, size, MADV_POPULATE_WRITE) < 0 ? -errno : 0;
}

int ipcx__shmfile_unmap(void *p, size_t size)
{
    return munmap(p, size) < 0 ? -errno : 0;
}

int ipcx__shm_open(const char *name, int flags, mode_t mode)
{
    IPCX_FAULT_POINT(shm_open);
    int fd = IPCX_FAILS(shm_open) ? -1 : shm_open(name, flags | O_CLOEXEC | O_NOFOLLOW, mode);
    return fd < 0 ? -errno : fd;
}

int ipcx__shmfile_truncate(int fd, size_t size)
{
    IPCX_FAULT_POINT(ftruncate);
    return IPCX_FAILS(ftruncate) || ftruncate(fd, (off_t) size) < 0 ? -errno : 0;
}

int ipcx__memfd(const char *name, unsigned flags)
{
    IPCX_FAULT_POINT(memfd_create);
    int fd = IPCX_FAILS(memfd_create) ? -1 : memfd_create(name, flags | MFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ipcx__shmfile_seal(int fd, int seals)
{
    IPCX_FAULT_POINT(add_seals);
    return IPCX_FAILS(add_seals) || fcntl(fd, F_ADD_SEALS, seals) < 0 ? -errno : 0;
}

int ipcx__shmfile_dup(int fd)
{
    IPCX_FAULT_POINT(dup);
    int r = IPCX_FAILS(dup) ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return r < 0 ? -errno : r;
}

int ipcx__shmfile_map_anon(size_t size, void **out)
{
    IPCX_FAULT_POINT(mmap_anon);
    void *p = IPCX_FAILS(mmap_anon) ? MAP_FAILED
            : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    *out = p;
    return 0;
}

int ipcx__shmfile_remap(void *p, size_t size, void **out)
{
    IPCX_FAULT_POINT(mremap);
    void *q = IPCX_FAILS(mremap) ? MAP_FAILED : mremap(p, 0, size, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        return -errno;
    *out = q;
    return 0;
}
