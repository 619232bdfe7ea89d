/*
 * fifo.h - named pipes (fifo.c): making one, and the size of a pipe's
 * buffer.  -errno wrappers, no policy.
 */
#ifndef IPCX_SYS_FIFO_H
#define IPCX_SYS_FIFO_H

#include <sys/types.h>

/* mkfifo(path, mode): 0 or -errno (-EEXIST if the name is taken). */
int ipcx__mkfifo(const char *path, mode_t mode);
/* fcntl(fd, F_SETPIPE_SZ, size): the size the pipe got, or -errno. */
int ipcx__pipe_resize(int fd, int size);

#endif
