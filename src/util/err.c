/*
 * err.c - ipcx_strerror() from one static table, and the thread-local
 * detail of the last failure.  Nothing here allocates.
 */
#include "ipcx.h"
#include "err.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_detail[256];

int ipcx__fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(err_detail, sizeof err_detail, fmt, ap);
    va_end(ap);
    return err;
}

void ipcx__clear_detail(void)
{
    err_detail[0] = '\0';
}

IPCX_API const char *ipcx_errdetail(void)
{
    return err_detail;
}

IPCX_API const char *ipcx_version(void)
{
    return IPCX_VERSION_STRING;
}

/* The errors the API returns, in words that say what happened to a channel. */
static const struct {
    int         err;
    const char *text;
} err_table[] = {
    { 0,            "success" },
    { EINVAL,       "invalid argument or URL" },
    { EAGAIN,       "would block (nothing to receive, or no room to send)" },
    { ETIMEDOUT,    "timed out" },
    { EINTR,        "interrupted by a signal" },
    { EMSGSIZE,     "message too long (for the buffer or the channel's maxmsg)" },
    { EPIPE,        "the other side is gone" },
    { EBADMSG,      "malformed message from a peer" },
    { EPROTO,       "protocol error: corrupt shared state or frame" },
    { ECONNREFUSED, "nobody is receiving on that address" },
    { ECONNRESET,   "connection reset by the peer" },
    { ENOENT,       "no such object" },
    { EEXIST,       "the object already exists" },
    { EPERM,        "operation not permitted" },
    { EACCES,       "permission denied" },
    { ELOOP,        "the path is a symbolic link" },
    { ENOTSUP,      "not supported by this transport" },
    { EPROTONOSUPPORT, "unknown URL scheme" },
    { ENOMEM,       "out of memory" },
    { ENOSPC,       "no space left (buffer or system limit)" },
    { EADDRINUSE,   "address already in use" },
    { EADDRNOTAVAIL, "address not available" },
    { EBADF,        "bad channel or descriptor" },
    { EMFILE,       "too many open files" },
    { ENFILE,       "too many open files in the system" },
    { ENAMETOOLONG, "name too long" },
    { EHOSTUNREACH, "host unreachable" },
    { ENETUNREACH,  "network unreachable" },
    { EOWNERDEAD,   "the previous owner died" },
    { ENOTRECOVERABLE, "state not recoverable" },
    { ENOBUFS,      "messages were lost (a slow receiver was overrun)" },
    { EOVERFLOW,    "value too large" },
    { EIO,          "input/output error" },
    { EBUSY,        "resource busy" },
    { ENXIO,        "no such device or address" },
    { EISCONN,      "already connected" },
    { ENOTCONN,     "not connected" },
    { EDESTADDRREQ, "no destination address" },
    { EIDRM,        "the object was removed" },
    { ENOSYS,       "not implemented" },
    { EDEADLK,      "the call would wait for the caller itself (deadlock)" },
    { E2BIG,        "too many items at once" },
    { ERANGE,       "value out of range" },
    { ESRCH,        "no such process" },
    { ESTALE,       "the object changed under the caller (stale handle)" },
    { ENOMSG,       "no message of the wanted kind" },
    /* Passed up unchanged from opening and connecting. */
    { EPROTOTYPE,   "the other side has another socket type (?type=)" },
    { ENOTDIR,      "a component of the path is not a directory" },
    { EISDIR,       "the path is a directory" },
    { EROFS,        "read-only file system" },
    { EDQUOT,       "disk quota exceeded" },
    { ENOTSOCK,     "the path is not a socket" },
    { EAFNOSUPPORT, "address family not supported (e.g. no IPv6)" },
    { ECONNABORTED, "connection aborted" },
};

IPCX_API const char *ipcx_strerror(int err)
{
    /* Compare instead of negating: -INT_MIN would overflow. */
    for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
        if (err_table[i].err == err || -err_table[i].err == err)
            return err_table[i].text;
    /* Anything else passed up from the kernel: libc's words (a constant
     * string, unlike strerror's buffer), else the number is unknown. */
    const char *libc = err > 0 ? strerrordesc_np(err) : err > INT_MIN ? strerrordesc_np(-err) : NULL;
    return libc ? libc : "unknown error";
}
