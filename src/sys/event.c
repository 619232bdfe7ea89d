/*
 * event.c - readiness (see event.h): epoll and eventfd as -errno
 * wrappers, each with a fault point.  No policy here.
 */
#include "event.h"
#include "fault.h"

#include <errno.h>
#include <unistd.h>
#include <sys/eventfd.h>

int ipcx__epoll_new(void)
{
    IPCX_FAULT_POINT(epoll_create1);
    int fd = IPCX_FAILS(epoll_create1) ? -1 : epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ipcx__epoll_add(int epfd, int fd, uint32_t events, void *tag)
{
    IPCX_FAULT_POINT(epoll_ctl);
    struct epoll_event ev = { .events = events, .data.ptr = tag };
    return IPCX_FAILS(epoll_ctl) || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int ipcx__epoll_mod(int epfd, int fd, uint32_t events, void *tag)
{
    IPCX_FAULT_POINT(epoll_ctl);
    struct epoll_event ev = { .events = events, .data.ptr = tag };
    return IPCX_FAILS(epoll_ctl) || epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int ipcx__epoll_del(int epfd, int fd)
{
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

int ipcx__epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout_ms)
{
    IPCX_FAULT_POINT(epoll_wait);
    int n = IPCX_FAILS(epoll_wait) ? -1 : epoll_wait(epfd, ev, max, timeout_ms);
    return n < 0 ? -errno : n;
}

int ipcx__eventfd(void)
{
    IPCX_FAULT_POINT(eventfd);
    int fd = IPCX_FAILS(eventfd) ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ipcx__eventfd_set(int fd)
{
    IPCX_FAULT_POINT(eventfd_write);
    uint64_t one = 1;
    ssize_t r = IPCX_FAILS(eventfd_write) ? -1 : write(fd, &one, sizeof one);
    return r < 0 ? -errno : r == (ssize_t) sizeof one ? 0 : -EIO;
}

int ipcx__eventfd_clear(int fd)
{
    IPCX_FAULT_POINT(eventfd_read);
    uint64_t v;
    ssize_t r = IPCX_FAILS(eventfd_read) ? -1 : read(fd, &v, sizeof v);
    return r < 0 ? -errno : r == (ssize_t) sizeof v ? 0 : -EIO;
}
