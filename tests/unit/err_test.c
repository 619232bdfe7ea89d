/*
 * err_test.c - unit tests of ipcx_strerror and ipcx_errdetail (src/err.c):
 * every error the library can return has its own text, either sign works,
 * and no value, however odd, is a crash or a NULL.
 */
#include "t.h"
#include "util/err.h"

#include <limits.h>

int main(void)
{
    /* What src/ returns itself, and what it passes up from the kernel. */
    static const int errs[] = {
        EINVAL, EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE, EPIPE, EBADMSG, EPROTO,
        ECONNREFUSED, ECONNRESET, ENOENT, EEXIST, EPERM, EACCES, ELOOP, ENOTSUP,
        EPROTONOSUPPORT, ENOMEM, ENOSPC, EADDRINUSE, EADDRNOTAVAIL, EBADF, EMFILE,
        ENFILE, ENAMETOOLONG, ENOTCONN, EIO, EPROTOTYPE, ENOTDIR, EISDIR, EROFS,
        ENOTSOCK, EAFNOSUPPORT, EHOSTUNREACH, ENETUNREACH, EDEADLK, E2BIG, ERANGE,
        ESRCH, ESTALE, ENOMSG,
    };
    const char *unknown = ipcx_strerror(1 << 20);

    T_OK(strcmp(unknown, "unknown error") == 0);
    T_OK(strcmp(ipcx_strerror(0), "success") == 0);
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        const char *a = ipcx_strerror(-errs[i]), *b = ipcx_strerror(errs[i]);
        if (a != b || a == unknown || !*a)
            T_FAIL("ipcx_strerror(%d): \"%s\" / \"%s\"", errs[i], a, b);
        for (size_t j = 0; j < i; j++)
            if (errs[j] != errs[i] && ipcx_strerror(errs[j]) == a)
                T_FAIL("errors %d and %d share a text", errs[i], errs[j]);
    }
    /* An errno of the kernel's outside the table: libc's words, not "unknown". */
    T_OK(strcmp(ipcx_strerror(-ECHILD), "unknown error") != 0);
    T_OK(ipcx_strerror(-ECHILD) == ipcx_strerror(ECHILD));
    const int odd[] = { INT_MIN, INT_MIN + 1, INT_MAX, -1000000, 4095, -4096 };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        T_OK(ipcx_strerror(odd[i]) != NULL);

    /* The detail: set by a failure, cleared by the next call, cut to fit. */
    T_ERR(ipcx__fail(-EINVAL, "bad %s %d", "thing", 42), -EINVAL);
    T_OK(strcmp(ipcx_errdetail(), "bad thing 42") == 0);
    ipcx__clear_detail();
    T_OK(strcmp(ipcx_errdetail(), "") == 0);
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    T_ERR(ipcx__fail(-ENOMEM, "%s", big), -ENOMEM);
    T_OK(strlen(ipcx_errdetail()) > 100 && strlen(ipcx_errdetail()) < sizeof big);
    T_OK(strcmp(ipcx_version(), IPCX_VERSION_STRING) == 0);
    printf("err_test: ok\n");
    return 0;
}
