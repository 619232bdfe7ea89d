/*
 * fifo.c - named pipes (fifo.h): mkfifo and F_SETPIPE_SZ.  -errno
 * wrappers with fault points, no policy.
 */
#include "fault.h"
#include "fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

int ipcx__mkfifo(const char *path, mode_t mode)
{
    IPCX_FAULT_POINT(mkfifo);
    return IPCX_FAILS(mkfifo) || mkfifo(path, mode) < 0 ? -errno : 0;
}

int ipcx__pipe_resize(int fd, int size)
{
    IPCX_FAULT_POINT(pipe_resize);
    int r = IPCX_FAILS(pipe_resize) ? -1 : fcntl(fd, F_SETPIPE_SZ, size);
    return r < 0 ? -errno : r;
}
