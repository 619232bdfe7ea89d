/*
 * net.c - sockets: accept4 with the EINTR rule, and the reserve-descriptor trick
 * for a receiver that ran out of descriptors.  The policy (which peer to
 * drop, when to back off) is stream.c's.
 */
#include "net.h"
#include "fault.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

int ipcx__accept(int lfd)
{
    int fd;
    IPCX_FAULT_POINT(accept4);
    do
        fd = IPCX_FAILS(accept4) ? -1 : accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int ipcx__spare_fd(void)
{
    IPCX_FAULT_POINT(open);
    int fd = IPCX_FAILS(open) ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ipcx__accept_refuse(int lfd, int *spare)
{
    int fd;
    if (*spare < 0)
        return -EMFILE;
    (void) close(*spare);
    *spare = -1;
    fd = ipcx__accept(lfd);
    if (fd >= 0)
        (void) close(fd); /* the peer sees its connection closed */
    *spare = ipcx__spare_fd();
    if (fd >= 0)
        return 1;
    return fd == -EAGAIN ? 0 : fd;
}
