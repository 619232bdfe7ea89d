/*
 * children.c - the calling thread's children from /proc (children.h).
 * The file lists the pids of the children that this thread forked,
 * separated by spaces; it is read in pieces, so any number up to cap fits.
 */
#include "children.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

int ipcx__children(pid_t *out, size_t cap)
{
    char path[64], buf[512];
    size_t n = 0;
    long cur = -1; /* the number being read, -1 between numbers */
    ssize_t got;

    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long) syscall(SYS_gettid));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    while ((got = ipcx__read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            char c = buf[i];
            if (c >= '0' && c <= '9') {
                cur = (cur < 0 ? 0 : cur) * 10 + (c - '0');
                if (cur > 0x7fffffff) {
                    (void) close(fd);
                    return -EIO;
                }
                continue;
            }
            if (cur >= 0) {
                if (n == cap) {
                    (void) close(fd);
                    return -ENOSPC;
                }
                out[n++] = (pid_t) cur;
            }
            cur = -1;
        }
    }
    (void) close(fd);
    if (got < 0)
        return (int) got;
    if (cur >= 0) {
        if (n == cap)
            return -ENOSPC;
        out[n++] = (pid_t) cur;
    }
    return (int) n;
}
