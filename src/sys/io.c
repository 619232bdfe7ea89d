/*
 * io.c - descriptor I/O as -errno wrappers: poll, read, SIGPIPE-free pipe
 * writes, socket send and receive, random bytes, non-blocking mode and status flags,
 * pipes, close.  The EINTR
 * retries here are those of calls without a deadline of their own.
 */
#include "fault.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

int ipcx__errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

int ipcx__poll1(int fd, short events, int timeout_ms)
{
    IPCX_FAULT_POINT(poll);
    struct pollfd p = { .fd = fd, .events = events };
    int r = IPCX_FAILS(poll) ? -1 : poll(&p, 1, timeout_ms);
    if (r < 0)
        return -errno;
    return r == 0 ? 0 : (p.revents ? p.revents : events);
}

/* poll(2) over n descriptors: how many have events (0 on timeout) or -errno;
 * -EINTR is passed up (the caller applies the EINTR rule with its deadline). */
int ipcx__poll(struct pollfd *p, size_t n, int timeout_ms)
{
    IPCX_FAULT_POINT(poll_many);
    int r = IPCX_FAILS(poll_many) ? -1 : poll(p, (nfds_t) n, timeout_ms);
    return r < 0 ? -errno : r;
}

/* len random bytes from the kernel (getrandom, never blocking once the pool
 * is ready at boot); 0 or -errno. */
int ipcx__random(void *buf, size_t len)
{
    IPCX_FAULT_POINT(getrandom);
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = IPCX_FAILS(getrandom) ? -1 : getrandom(p, len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        p += r;
        len -= (size_t) r;
    }
    return 0;
}

ssize_t ipcx__read(int fd, void *buf, size_t len)
{
    IPCX_FAULT_POINT(read);
    ssize_t r;
    do
        r = IPCX_FAILS(read) ? -1 : read(fd, buf, len);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

/* ---- the pipe receiver's blocking wait (stream_src.c) -------------------- */

/*
 * read(2) that may sleep, on a descriptor in blocking mode: the wait of a
 * pipe receiver with no deadline, which must never poll the pipe (see
 * stream_src.c: once polled, every later write of the senders costs more).
 * -EINTR is passed up: the caller applies the EINTR rule.
 */
ssize_t ipcx__read_wait(int fd, void *buf, size_t len)
{
    IPCX_FAULT_POINT(read_wait);
    ssize_t r = IPCX_FAILS(read_wait) ? -1 : read(fd, buf, len);
    return r < 0 ? -errno : r;
}

int ipcx__fd_nonblock(int fd, int on)
{
    IPCX_FAULT_POINT(fcntl);
    int fl = IPCX_FAILS(fcntl) ? -1 : fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

/* ---- end of the pipe receiver's wait ------------------------------------ */

/*
 * A small message's header and payload copied into one buffer, so the
 * pipe gets one write(2) instead of a writev(2): the kernel's iovec import
 * costs more than copying a hundred bytes (perf on the pipe flood).  n is
 * the gathered length, or 0 when the iovecs are too large for it.
 */
#define IO_GATHER_MAX 256

static size_t io_gather(unsigned char *buf, const struct iovec *iov, int iovcnt)
{
    size_t n = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > IO_GATHER_MAX - n)
            return 0;
        memcpy(buf + n, iov[i].iov_base, iov[i].iov_len);
        n += iov[i].iov_len;
    }
    return n;
}

static ssize_t io_writev(int fd, const struct iovec *iov, int iovcnt)
{
    unsigned char buf[IO_GATHER_MAX];
    size_t n = iovcnt > 1 ? io_gather(buf, iov, iovcnt) : 0;
    return n ? write(fd, buf, n) : writev(fd, iov, iovcnt);
}

/*
 * A write on a pipe whose reader is gone raises SIGPIPE, and there is no
 * MSG_NOSIGNAL for pipes (nor a pipe flag, nor an fcntl that says so).  Block SIGPIPE in this thread for the write and,
 * if the write failed with EPIPE, take the signal it queued, so the caller
 * sees -EPIPE and nothing else.  If the caller already had SIGPIPE blocked,
 * a SIGPIPE pending from before must stay pending: check first.
 */
ssize_t ipcx__writev_nosigpipe(int fd, const struct iovec *iov, int iovcnt)
{
    IPCX_FAULT_POINT(writev);
    sigset_t pipeset, old;
    int was_blocked, pending_before = 0;
    ssize_t r;

    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipeset, &old) != 0)
        return -EINVAL;
    was_blocked = sigismember(&old, SIGPIPE) == 1;
    if (was_blocked) {
        sigset_t pend;
        if (sigpending(&pend) == 0)
            pending_before = sigismember(&pend, SIGPIPE) == 1;
    }
    do
        r = IPCX_FAILS(writev) ? -1 : io_writev(fd, iov, iovcnt);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        int err = errno;
        if (err == EPIPE && !pending_before) {
            struct timespec zero = { 0, 0 };
            while (sigtimedwait(&pipeset, NULL, &zero) < 0 && errno == EINTR)
                ;
        }
        r = -err;
    }
    if (!was_blocked)
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

/*
 * The sender of a pipe opened with sigpipe=ignored (docs/decisions.md,
 * "SIGPIPE on pipes"): the application promised, and ipcx__sigpipe_ignored
 * checked at open, that SIGPIPE is ignored in this process.  Then the
 * kernel discards the SIGPIPE of a failed write at once (an ignored signal
 * that is not blocked is never queued), so a plain writev gives -EPIPE and
 * nothing else, without the two rt_sigprocmask calls of the dance above.
 * Why not decide per write without a promise: the disposition is the
 * process's, and another thread may install a handler between any check
 * and the write; no check is cheaper than a system call (sigaction(2)
 * reads it from the kernel) and still valid when the write happens.  What
 * the promise leaves: a thread that blocks SIGPIPE gets one pending after
 * an -EPIPE (Linux queues a blocked signal even if ignored); it is
 * discarded when unblocked, and seen only by sigpending and sigwait.
 */
ssize_t ipcx__writev_sigign(int fd, const struct iovec *iov, int iovcnt)
{
    IPCX_FAULT_POINT(writev);
    ssize_t r;
    do
        r = IPCX_FAILS(writev) ? -1 : io_writev(fd, iov, iovcnt);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int ipcx__sigpipe_ignored(void)
{
    IPCX_FAULT_POINT(sigaction);
    struct sigaction sa;
    if (IPCX_FAILS(sigaction) || sigaction(SIGPIPE, NULL, &sa) != 0)
        return -errno;
    return sa.sa_handler == SIG_IGN;
}

ssize_t ipcx__sendv(int fd, const struct iovec *iov, int iovcnt)
{
    IPCX_FAULT_POINT(sendmsg);
    struct msghdr mh = { .msg_iov = (struct iovec *) iov, .msg_iovlen = (size_t) iovcnt };
    ssize_t r;
    do
        r = IPCX_FAILS(sendmsg) ? -1 : sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

/* batched sends: many records in one call (stream_tx.c) */
int ipcx__sendmmsg(int fd, struct mmsghdr *v, unsigned n)
{
    IPCX_FAULT_POINT(sendmmsg);
    int r;
    do
        r = IPCX_FAILS(sendmmsg) ? -1 : sendmmsg(fd, v, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

ssize_t ipcx__recv(int fd, void *buf, size_t len, int extra_flags)
{
    IPCX_FAULT_POINT(recv);
    ssize_t r;
    do
        r = IPCX_FAILS(recv) ? -1 : recv(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC | extra_flags);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int ipcx__set_nonblock(int fd)
{
    return ipcx__fd_nonblock(fd, 1);
}

int ipcx__close(int fd)
{
    if (fd < 0)
        return 0;
    /* Linux frees the descriptor even when close reports EINTR: never retry. */
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

int ipcx__pipe(int fds[2])
{
    IPCX_FAULT_POINT(pipe2);
    return IPCX_FAILS(pipe2) || pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0 ? -errno : 0;
}

int ipcx__fd_flags(int fd)
{
    IPCX_FAULT_POINT(fcntl_getfl);
    int fl = IPCX_FAILS(fcntl_getfl) ? -1 : fcntl(fd, F_GETFL);
    return fl < 0 ? -errno : fl;
}

int ipcx__pipe_resize(int fd, int size)
{
    IPCX_FAULT_POINT(pipe_resize);
    int r = IPCX_FAILS(pipe_resize) ? -1 : fcntl(fd, F_SETPIPE_SZ, size);
    return r < 0 ? -errno : r;
}
