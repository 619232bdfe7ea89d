/*
 * net.h - sockets: taking connections off a listening socket, and the spare
 * descriptor that lets a receiver refuse one when it has none left.
 */
#ifndef IPCX_SYS_NET_H
#define IPCX_SYS_NET_H

/* accept4 non-blocking and close-on-exec: the new descriptor, or -errno (EINTR retried). */
int ipcx__accept(int lfd);

/*
 * A spare descriptor (/dev/null), or -errno.  A receiver keeps one so that
 * when accept fails with EMFILE or ENFILE it can close the spare, accept
 * the pending connection, close that at once, and open the spare again:
 * the connection leaves the backlog instead of keeping the listener
 * readable for ever (the reserve-descriptor trick of libev and nginx).
 */
int ipcx__spare_fd(void);

/* Refuse one pending connection with the spare, as above; updates *spare. 1 refused, 0 none, -errno. */
int ipcx__accept_refuse(int lfd, int *spare);

#endif
