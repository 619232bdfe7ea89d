/*
 * fs.h - the filesystem (fs.c): checks on the FIFOs and socket files ipcx
 * creates, and -errno wrappers for working relative to a directory
 * descriptor (openat, mkdirat, renameat, unlinkat, fstat, listing): code
 * that has checked a directory once (owner, mode, not a symbolic link)
 * keeps using that descriptor, so a rename or a symbolic link swapped in
 * afterwards cannot redirect it.  The user registry (reg.c) is built on
 * these.
 */
#ifndef IPCX_SYS_FS_H
#define IPCX_SYS_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* openat(at, name, O_RDONLY|O_DIRECTORY|O_CLOEXEC|flags): a descriptor or -errno. */
int ipcx__dir_open(int at, const char *name, int flags);
/* openat(at, name, flags|O_CLOEXEC, mode): a descriptor or -errno. */
int ipcx__openat(int at, const char *name, int flags, mode_t mode);
int ipcx__mkdirat(int at, const char *name, mode_t mode);
int ipcx__renameat(int at, const char *from, const char *to);
int ipcx__unlinkat(int at, const char *name, int flags);
int ipcx__fstat(int fd, struct stat *st);
int ipcx__fstatat(int at, const char *name, struct stat *st, int flags);
/*
 * Remove path (relative to the working directory) only while it is the
 * object dev/ino that its creator recorded: 0 when removed or already
 * gone; otherwise the failure, with "cannot remove PATH: left it" as the
 * detail (a failed look counts as one: the file may be left).
 */
int ipcx__fs_unlink_same(const char *path, dev_t dev, ino_t ino);
int ipcx__fchmod(int fd, mode_t mode);
/* write(2) of len bytes, retried on EINTR and short writes: len or -errno. */
ssize_t ipcx__write_all(int fd, const void *buf, size_t len);

/*
 * Call fn for each name in the directory dirfd (not "." and ".."), on a
 * copy of the descriptor; fn returning non-zero stops the walk with that
 * value.  0, fn's value, or -errno.
 */
int ipcx__dir_each(int dirfd, int (*fn)(void *arg, const char *name), void *arg);

/* getcwd(3) into buf: 0 or -errno (-ERANGE when cap is too small). */
int ipcx__getcwd(char *buf, size_t cap);

/*
 * Filesystem objects (FIFOs, socket files) that ipcx creates.
 * ipcx__fs_reusable: 0 when path is an object of type (S_IFIFO, S_IFSOCK)
 * owned by us and not a symbolic link, so a non-exclusive create may take
 * it over; -ELOOP, -EEXIST (another type) or -EPERM (another owner) if not,
 * -ENOENT if there is nothing.
 */
int ipcx__fs_reusable(const char *path, unsigned type);
/* Remove path if it is an object of that type; -EINVAL if it is something else. */
int ipcx__fs_unlink(const char *path, unsigned type);

/* mkfifo(2), chmod(2): 0 or -errno.  A path relative to the working
 * directory is AT_FDCWD for the *at wrappers above (open, lstat, unlink). */
int ipcx__mkfifo(const char *path, mode_t mode);
int ipcx__chmod(const char *path, mode_t mode);
/* flock(2): 0 or -errno (-EWOULDBLOCK with LOCK_NB when another holds it). */
int ipcx__flock(int fd, int op);

#endif
