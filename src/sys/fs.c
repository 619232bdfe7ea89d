/*
 * fs.c - checks on the filesystem objects ipcx creates (FIFOs and socket
 * files), so that it never takes over a symbolic link or another user's
 * object, and never removes a file of the wrong kind.
 */
#include "fault.h"
#include "sys.h"
#include "../err.h"

#include <errno.h>
#include <unistd.h>
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
