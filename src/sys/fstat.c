/*
 * fstat.c - fstat(2) as a -errno wrapper: the identity, owner and mode of
 * an object by its descriptor (a POSIX queue, a shm file), so that a check
 * and the use that follows concern the same object.
 */
#include "sys.h"

#include <errno.h>
#include <sys/stat.h>

int ipcx__fstat(int fd, struct stat *st)
{
    return fstat(fd, st) < 0 ? -errno : 0;
}
