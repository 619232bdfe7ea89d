/*
 * sys.h - thin wrappers over system calls: the only code in libipcx that
 * reads errno.  Each returns what the call returns, or a negative errno.
 * Deadlines and the EINTR rule of the public API live here too.
 */
#ifndef IPCX_SYS_H
#define IPCX_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/socket.h>

/* A relative timeout of ms milliseconds (ms >= 0) as a timespec. */
struct timespec ipcx__ts_rel(int ms);

/* Sleep ms milliseconds: 0, or -EINTR when a signal handler ran. */
int ipcx__sleep_ms(int ms);

/* The monotonic clock, in nanoseconds and in milliseconds. */
int64_t ipcx__now_ns(void);
int64_t ipcx__now_ms(void);
/* Milliseconds of CLOCK_MONOTONIC_COARSE: behind by up to a kernel tick
 * (1-4 ms), a few ns instead of a hardware clock read; for bookkeeping
 * where ms precision is enough.  Not comparable with ipcx__now_ms. */
int64_t ipcx__coarse_ms(void);

/* The time ms milliseconds (ms >= 0) from now on clock clk, as an absolute
 * timespec (for mq_timedsend's CLOCK_REALTIME, sem_clockwait's MONOTONIC). */
struct timespec ipcx__ts_abs(clockid_t clk, int ms);

/*
 * A deadline made from a poll(2)-style timeout: -1 never expires, 0 has
 * already expired, >0 expires that many ms from now.
 */
struct ipcx__deadline {
    int64_t at;   /* monotonic ms, or -1 for never */
    int     zero; /* the caller asked never to wait */
};
struct ipcx__deadline ipcx__deadline(int timeout_ms);
/* Milliseconds left, for poll: -1 forever, 0 expired. */
int ipcx__remaining(const struct ipcx__deadline *d);
/* The error a wait ends with when its deadline passes: -EAGAIN for 0, else -ETIMEDOUT. */
int ipcx__expired(const struct ipcx__deadline *d);

/*
 * After a wait was interrupted by a signal: 1 if the API must return
 * -EINTR, 0 if it resumes.  It returns -EINTR when some unblocked signal has
 * a handler installed without SA_RESTART (the kernel cannot tell us which
 * signal arrived, so this is the conservative reading of that rule).
 */
int ipcx__intr_returns(void);

/* poll one descriptor; returns revents (>= 0), 0 on timeout, or -errno. */
int ipcx__poll1(int fd, short events, int timeout_ms);

/* poll(2) over n descriptors: the count with events, 0 on timeout, or -errno (-EINTR too). */
struct pollfd;
int ipcx__poll(struct pollfd *p, size_t n, int timeout_ms);
/* len random bytes (getrandom(2)); 0 or -errno. */
int ipcx__random(void *buf, size_t len);

ssize_t ipcx__read(int fd, void *buf, size_t len);
/* writev on a pipe without ever raising SIGPIPE: -EPIPE instead. */
ssize_t ipcx__writev_nosigpipe(int fd, const struct iovec *iov, int iovcnt);
/* plain writev, for a process whose SIGPIPE is ignored (see io.c). */
ssize_t ipcx__writev_sigign(int fd, const struct iovec *iov, int iovcnt);
/* 1 if SIGPIPE's disposition is SIG_IGN now, 0 if not, or -errno. */
int ipcx__sigpipe_ignored(void);
/* sendmsg with MSG_NOSIGNAL|MSG_DONTWAIT. */
ssize_t ipcx__sendv(int fd, const struct iovec *iov, int iovcnt);
/*
 * sendmmsg(2) with MSG_NOSIGNAL|MSG_DONTWAIT: how many of the n records
 * went (at least 1), or -errno when the first did not (batched sends).
 */
struct mmsghdr;
int ipcx__sendmmsg(int fd, struct mmsghdr *v, unsigned n);
/* recv with MSG_DONTWAIT|MSG_TRUNC|extra: the real length of a record. */
ssize_t ipcx__recv(int fd, void *buf, size_t len, int extra_flags);

int ipcx__set_nonblock(int fd);
/* The pipe receiver's wait (io.c): O_NONBLOCK on (1) or off (0), and a
 * read that may sleep and passes -EINTR up. */
int ipcx__fd_nonblock(int fd, int on);
ssize_t ipcx__read_wait(int fd, void *buf, size_t len);
/* fcntl(F_SETPIPE_SZ): the pipe's new size, or -errno. */
int ipcx__pipe_resize(int fd, int size);
/* fcntl(F_GETFL): the status flags (O_ACCMODE, O_NONBLOCK, ...) or -errno. */
int ipcx__fd_flags(int fd);
/* pipe2(O_NONBLOCK | O_CLOEXEC): fds[0] reads, fds[1] writes; 0 or -errno. */
int ipcx__pipe(int fds[2]);
int ipcx__close(int fd);


/* errno as a negative value: for the few wrappers written elsewhere in sys/. */
int ipcx__errno(void);

#endif
