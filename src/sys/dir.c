/*
 * dir.c - system calls relative to a directory descriptor (see dir.h).
 * Thin: every function returns what the call returns or -errno.
 */
#include "dir.h"
#include "fault.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ipcx__dir_open(int at, const char *name, int flags)
{
    IPCX_FAULT_POINT(openat_dir);
    int fd = IPCX_FAILS(openat_dir) ? -1 : openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
    return fd < 0 ? -errno : fd;
}

int ipcx__openat(int at, const char *name, int flags, mode_t mode)
{
    IPCX_FAULT_POINT(openat);
    int fd = IPCX_FAILS(openat) ? -1 : openat(at, name, flags | O_CLOEXEC, mode);
    return fd < 0 ? -errno : fd;
}

int ipcx__mkdirat(int at, const char *name, mode_t mode)
{
    IPCX_FAULT_POINT(mkdirat);
    return IPCX_FAILS(mkdirat) || mkdirat(at, name, mode) < 0 ? -errno : 0;
}

int ipcx__renameat(int at, const char *from, const char *to)
{
    IPCX_FAULT_POINT(renameat);
    return IPCX_FAILS(renameat) || renameat(at, from, at, to) < 0 ? -errno : 0;
}

int ipcx__unlinkat(int at, const char *name, int flags)
{
    IPCX_FAULT_POINT(unlinkat);
    return IPCX_FAILS(unlinkat) || unlinkat(at, name, flags) < 0 ? -errno : 0;
}

int ipcx__fstat(int fd, struct stat *st)
{
    IPCX_FAULT_POINT(fstat);
    return IPCX_FAILS(fstat) || fstat(fd, st) < 0 ? -errno : 0;
}

int ipcx__fstatat(int at, const char *name, struct stat *st, int flags)
{
    IPCX_FAULT_POINT(fstatat);
    return IPCX_FAILS(fstatat) || fstatat(at, name, st, flags) < 0 ? -errno : 0;
}

int ipcx__fchmod(int fd, mode_t mode)
{
    IPCX_FAULT_POINT(fchmod);
    return IPCX_FAILS(fchmod) || fchmod(fd, mode) < 0 ? -errno : 0;
}

ssize_t ipcx__write_all(int fd, const void *buf, size_t len)
{
    IPCX_FAULT_POINT(write_all);
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t w = IPCX_FAILS(write_all) ? -1 : write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        if (w == 0)
            return -EIO;
        done += (size_t) w;
    }
    return (ssize_t) len;
}

int ipcx__dir_each(int dirfd, int (*fn)(void *arg, const char *name), void *arg)
{
    /* fdopendir takes the descriptor over: give it a copy, rewound. */
    IPCX_FAULT_POINT(dir_each);
    int fd = IPCX_FAILS(dir_each) ? -1 : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = -errno;
        (void) close(fd);
        return e;
    }
    rewinddir(d);
    struct dirent *e;
    int r = 0;
    while (r == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            r = fn(arg, e->d_name);
    (void) closedir(d);
    return r;
}
