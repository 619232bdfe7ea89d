/*
 * net.c - sockets: accept4 with the EINTR rule, the reserve-descriptor trick
 * for a receiver that ran out of descriptors, and -errno wrappers for making,
 * binding, listening, connecting, options, local addresses and name
 * resolution.  The policy (which peer to drop, when to back off, what an
 * error means to the user) is the transports' (stream.c, sock.c, unix.c,
 * tcp.c).
 */
#include "net.h"
#include "fault.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
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

/* ---- sockets: make, bind, listen, connect, options, addresses --------- */

int ipcx__socket(int family, int type)
{
    IPCX_FAULT_POINT(socket);
    int fd = IPCX_FAILS(socket) ? -1 : socket(family, type | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

int ipcx__bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    IPCX_FAULT_POINT(bind);
    return IPCX_FAILS(bind) || bind(fd, sa, len) < 0 ? -errno : 0;
}

int ipcx__listen(int fd)
{
    IPCX_FAULT_POINT(listen);
    return IPCX_FAILS(listen) || listen(fd, SOMAXCONN) < 0 ? -errno : 0;
}

/*
 * A connect that a signal interrupted goes on in the kernel (connect(2)):
 * calling connect again only says EALREADY, or EISCONN.  So wait until the
 * socket is writable and ask how it ended (SO_ERROR); if it is not
 * connected after all (the call never reached the kernel), connect again.
 */
int ipcx__connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    IPCX_FAULT_POINT(connect);
    for (int tries = 0;; tries++) {
        if (!IPCX_FAILS(connect) && connect(fd, sa, len) == 0)
            return 0;
        if (errno != EINTR || tries == 16)
            return -errno;
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        while (poll(&p, 1, -1) < 0)
            if (errno != EINTR)
                return -errno;
        int err = 0;
        socklen_t n = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) < 0)
            return -errno;
        if (err)
            return -err;
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        if (getpeername(fd, (struct sockaddr *) &peer, &plen) == 0)
            return 0;
        if (errno != ENOTCONN)
            return -errno;
    }
}

int ipcx__setsockopt_int(int fd, int level, int opt, int val)
{
    IPCX_FAULT_POINT(setsockopt);
    return IPCX_FAILS(setsockopt) || setsockopt(fd, level, opt, &val, sizeof val) < 0 ? -errno
                                                                                     : 0;
}

int ipcx__getsockopt_int(int fd, int level, int opt, int *val)
{
    IPCX_FAULT_POINT(getsockopt);
    int v = 0;
    socklen_t len = sizeof v;
    if (IPCX_FAILS(getsockopt) || getsockopt(fd, level, opt, &v, &len) < 0)
        return -errno;
    *val = v;
    return 0;
}

int ipcx__peercred(int fd, pid_t *pid, uid_t *uid, gid_t *gid)
{
    IPCX_FAULT_POINT(peercred);
    struct ucred c;
    socklen_t len = sizeof c;
    if (IPCX_FAILS(peercred) || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0)
        return -errno;
    if (pid)
        *pid = c.pid;
    if (uid)
        *uid = c.uid;
    if (gid)
        *gid = c.gid;
    return 0;
}

ssize_t ipcx__recv_cred(int fd, void *buf, size_t len, pid_t *pid)
{
    IPCX_FAULT_POINT(recvmsg);
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } c;
    struct iovec iov = { buf, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = c.b, .msg_controllen = sizeof c.b };
    ssize_t r;
    do
        r = IPCX_FAILS(recvmsg) ? -1 : recvmsg(fd, &m, MSG_DONTWAIT | MSG_TRUNC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    *pid = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS &&
            h->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred u;
            memcpy(&u, CMSG_DATA(h), sizeof u);
            *pid = u.pid;
        }
    return r;
}

int ipcx__getsockname(int fd, struct sockaddr_storage *ss)
{
    IPCX_FAULT_POINT(getsockname);
    socklen_t len = sizeof *ss;
    return IPCX_FAILS(getsockname) || getsockname(fd, (struct sockaddr *) ss, &len) < 0 ? -errno
                                                                                      : 0;
}

int ipcx__getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
                      struct addrinfo **res, const char **why)
{
    IPCX_FAULT_POINT(getaddrinfo);
    /* A failure injected here is a failing system call inside the resolver. */
    int e = IPCX_FAILS(getaddrinfo) ? EAI_SYSTEM : getaddrinfo(host, port, hints, res);
    if (e == 0)
        return 0;
    if (e == EAI_SYSTEM)
        return errno > 0 ? -errno : -EIO;
    if (e == EAI_MEMORY)
        return -ENOMEM;
    *why = gai_strerror(e);
    return -EADDRNOTAVAIL;
}
