/*
 * net.h - sockets (net.c): taking connections off a listening socket, the
 * spare descriptor that lets a receiver refuse one when it has none left,
 * and -errno wrappers for the rest of a socket's life.
 */
#ifndef IPCX_SYS_NET_H
#define IPCX_SYS_NET_H

#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>

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

/* socket(family, type | SOCK_CLOEXEC, 0): a descriptor or -errno. */
int ipcx__socket(int family, int type);
int ipcx__bind(int fd, const struct sockaddr *sa, socklen_t len);
/* listen(fd, SOMAXCONN). */
int ipcx__listen(int fd);
/* connect(2), retried on EINTR as the transports always did: 0 or -errno. */
int ipcx__connect(int fd, const struct sockaddr *sa, socklen_t len);
/* setsockopt / getsockopt of an int option: 0 or -errno (*val set on success). */
int ipcx__setsockopt_int(int fd, int level, int opt, int val);
int ipcx__getsockopt_int(int fd, int level, int opt, int *val);
/* SO_PEERCRED of a connected unix socket: the pid, uid and gid of the
 * process that connected (or listened), as the kernel recorded them (each
 * out pointer may be NULL).  0 or -errno. */
int ipcx__peercred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);
/*
 * recv of one datagram as ipcx__recv (MSG_DONTWAIT | MSG_TRUNC: its real
 * length), with the sender's pid from SCM_CREDENTIALS (the socket has
 * SO_PASSCRED; the kernel fills them, a sender cannot choose them unless
 * privileged).  *pid 0 when none came.
 */
ssize_t ipcx__recv_cred(int fd, void *buf, size_t len, pid_t *pid);
/* getsockname(2) into *ss: 0 or -errno. */
int ipcx__getsockname(int fd, struct sockaddr_storage *ss);

/*
 * getaddrinfo(3): 0 with *res to free with freeaddrinfo; -errno for a
 * failing system call (EAI_SYSTEM), -ENOMEM, or -EADDRNOTAVAIL for a name
 * that does not resolve, with *why the resolver's reason (gai_strerror).
 */
int ipcx__getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
                      struct addrinfo **res, const char **why);

#endif
