/*
 * sys.c - system call wrappers returning -errno, clocks, deadlines and the
 * EINTR rule.  No policy lives here: callers decide what an error means.
 */
#include "fault.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

int ipcx__errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

struct timespec ipcx__ts_rel(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    return ts;
}

int64_t ipcx__now_ns(void)
{
    struct timespec ts;
    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ipcx__now_ms(void)
{
    return ipcx__now_ns() / 1000000;
}

struct ipcx__deadline ipcx__deadline(int timeout_ms)
{
    struct ipcx__deadline d = { -1, 0 };
    if (timeout_ms == 0)
        d.zero = 1, d.at = 0;
    else if (timeout_ms > 0)
        d.at = ipcx__now_ms() + timeout_ms;
    return d;
}

int ipcx__remaining(const struct ipcx__deadline *d)
{
    if (d->zero)
        return 0;
    if (d->at < 0)
        return -1;
    int64_t left = d->at - ipcx__now_ms();
    if (left <= 0)
        return 0;
    return left > 0x7fffffff ? 0x7fffffff : (int) left;
}

int ipcx__expired(const struct ipcx__deadline *d)
{
    return d->zero ? -EAGAIN : -ETIMEDOUT;
}

int ipcx__intr_returns(void)
{
    sigset_t blocked;
    if (pthread_sigmask(SIG_BLOCK, NULL, &blocked) != 0)
        return 1;
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigismember(&blocked, sig) == 1)
            continue;
        /*
         * A fault signal is raised by the faulting instruction in its own
         * thread, never while that thread sleeps in poll: its handler (a
         * sanitizer's or a crash reporter's, rarely SA_RESTART) cannot be
         * what interrupted us.
         */
        if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
            sig == SIGTRAP || sig == SIGSYS)
            continue;
        if (sigaction(sig, NULL, &sa) != 0)
            continue; /* a signal number glibc reserves for itself */
        if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
            continue;
        if (!(sa.sa_flags & SA_RESTART))
            return 1;
    }
    return 0;
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

ssize_t ipcx__read(int fd, void *buf, size_t len)
{
    IPCX_FAULT_POINT(read);
    ssize_t r;
    do
        r = IPCX_FAILS(read) ? -1 : read(fd, buf, len);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

/*
 * A write on a pipe whose reader is gone raises SIGPIPE, and there is no
 * MSG_NOSIGNAL for pipes.  Block SIGPIPE in this thread for the write and,
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
        r = IPCX_FAILS(writev) ? -1 : writev(fd, iov, iovcnt);
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
    IPCX_FAULT_POINT(fcntl);
    int fl = IPCX_FAILS(fcntl) ? -1 : fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

int ipcx__close(int fd)
{
    if (fd < 0)
        return 0;
    /* Linux frees the descriptor even when close reports EINTR: never retry. */
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}
