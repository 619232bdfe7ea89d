/*
 * fs.c - the filesystem (see fs.h): checks on the objects ipcx creates
 * (FIFOs and socket files), so that it never takes over a symbolic link or
 * another user's object and never removes a file of the wrong kind;
 * system calls relative to a directory descriptor; making FIFOs, setting
 * modes and taking file locks.
 */
#include "fault.h"
#include "fs.h"
#include "sys.h"
#include "../util/err.h"

#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <fcntl.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

static const char *fs_kind(unsigned type)
{
    return type == S_IFIFO ? "FIFO" : type == S_IFSOCK ? "socket" : "file";
}

int ipcx__fs_reusable(const char *path, unsigned type)
{
    IPCX_FAULT_POINT(lstat);
    struct stat st;
    if (IPCX_FAILS(lstat) || lstat(path, &st) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode))
        return ipcx__fail(-ELOOP, "%s is a symbolic link: refusing to use it", path);
    if ((st.st_mode & S_IFMT) != type)
        return ipcx__fail(-EEXIST, "%s exists and is not a %s", path, fs_kind(type));
    if (st.st_uid != geteuid())
        return ipcx__fail(-EPERM, "%s belongs to another user (uid %u)", path,
                          (unsigned) st.st_uid);
    return 0;
}

int ipcx__fs_unlink(const char *path, unsigned type)
{
    IPCX_FAULT_POINT(unlink);
    struct stat st;
    if (lstat(path, &st) < 0)
        return ipcx__fail(-errno, "%s: cannot look at it", path);
    if ((st.st_mode & S_IFMT) != type)
        return ipcx__fail(-EINVAL, "%s is not a %s: not removing it", path, fs_kind(type));
    if (IPCX_FAILS(unlink) || unlink(path) < 0)
        return ipcx__fail(-errno, "%s: cannot remove it", path);
    return 0;
}

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

int ipcx__getcwd(char *buf, size_t cap)
{
    IPCX_FAULT_POINT(getcwd);
    return IPCX_FAILS(getcwd) || !getcwd(buf, cap) ? -errno : 0;
}

/* ---- FIFOs, modes and locks by path or descriptor ---------------------- */

int ipcx__mkfifo(const char *path, mode_t mode)
{
    IPCX_FAULT_POINT(mkfifo);
    return IPCX_FAILS(mkfifo) || mkfifo(path, mode) < 0 ? -errno : 0;
}

int ipcx__chmod(const char *path, mode_t mode)
{
    IPCX_FAULT_POINT(chmod);
    return IPCX_FAILS(chmod) || chmod(path, mode) < 0 ? -errno : 0;
}

int ipcx__flock(int fd, int op)
{
    IPCX_FAULT_POINT(flock);
    return IPCX_FAILS(flock) || flock(fd, op) < 0 ? -errno : 0;
}

int ipcx__fs_unlink_same(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;
    int r = ipcx__fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
    if (r == 0 && st.st_dev == dev && st.st_ino == ino)
        r = ipcx__unlinkat(AT_FDCWD, path, 0);
    return r < 0 && r != -ENOENT ? ipcx__fail(r, "cannot remove %s: left it", path) : 0;
}
