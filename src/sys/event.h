/*
 * event.h - readiness (event.c): -errno wrappers for an epoll set and for
 * the eventfd doorbell a receiver keeps readable while a message waits.
 * Which descriptors to watch and what a wake-up means is stream.c's.
 */
#ifndef IPCX_SYS_EVENT_H
#define IPCX_SYS_EVENT_H

#include <stdint.h>
#include <sys/epoll.h>

/* epoll_create1(EPOLL_CLOEXEC): a descriptor or -errno. */
int ipcx__epoll_new(void);
/* Watch fd for events, reported with tag (data.ptr): 0 or -errno. */
int ipcx__epoll_add(int epfd, int fd, uint32_t events, void *tag);
/* Watch fd for other events (EPOLL_CTL_MOD): 0 or -errno. */
int ipcx__epoll_mod(int epfd, int fd, uint32_t events, void *tag);
/* Stop watching fd.  No fault point: every caller ignores the result (a
 * descriptor leaves the set anyway when its last copy is closed). */
int ipcx__epoll_del(int epfd, int fd);
/* epoll_wait(2): how many events (0 on timeout) or -errno; -EINTR is not
 * retried, the caller applies the library's EINTR rule. */
int ipcx__epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout_ms);

/* eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC): a descriptor or -errno. */
int ipcx__eventfd(void);
/* Make the eventfd readable (add 1) / drain it (read the count): 0 or -errno. */
int ipcx__eventfd_set(int fd);
int ipcx__eventfd_clear(int fd);

#endif
