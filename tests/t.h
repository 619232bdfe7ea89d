/*
 * t.h - the assertions of the ipcx tests.  A test exits 0 on pass, 77 on
 * skip and 1 on fail; a failed assertion prints the expression, file:line
 * and both values (errors through ipcx_strerror) and exits 1 at once.
 */
#ifndef IPCX_T_H
#define IPCX_T_H

#include "ipcx.h"
#include "../common/tmpl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T_SKIP 77

#define T_FAIL(...)                                                          \
    do {                                                                     \
        fprintf(stderr, "%s:%d: FAIL [pid %d]: ", __FILE__, __LINE__,        \
                (int) getpid());                                             \
        fprintf(stderr, __VA_ARGS__);                                        \
        fprintf(stderr, "\n");                                               \
        t_on_fail();                                                         \
        exit(1);                                                             \
    } while (0)

/* A test may set this to clean up (remove its IPC objects) before exiting on failure. */
static void (*t_cleanup)(void);
static inline void t_on_fail(void)
{
    if (t_cleanup) {
        void (*f)(void) = t_cleanup;
        t_cleanup = NULL;
        f();
    }
}

/* expr must be true. */
#define T_OK(expr)                                                           \
    do {                                                                     \
        if (!(expr))                                                         \
            T_FAIL("%s", #expr);                                             \
    } while (0)

/* expr (an integer: a length, 0 or -errno) must equal want. */
#define T_ERR(expr, want)                                                    \
    do {                                                                     \
        long t_got_ = (long) (expr), t_want_ = (long) (want);               \
        if (t_got_ != t_want_)                                               \
            T_FAIL("%s == %ld (%s), want %ld (%s) [%s]", #expr, t_got_,      \
                   t_got_ < 0 ? ipcx_strerror((int) t_got_) : "",            \
                   t_want_, t_want_ < 0 ? ipcx_strerror((int) t_want_) : "", \
                   ipcx_errdetail());                                        \
    } while (0)

/* expr must be >= 0 (success). */
#define T_SUCCESS(expr)                                                      \
    do {                                                                     \
        long t_got_ = (long) (expr);                                         \
        if (t_got_ < 0)                                                      \
            T_FAIL("%s == %ld (%s) [%s]", #expr, t_got_,                     \
                   ipcx_strerror((int) t_got_), ipcx_errdetail());           \
    } while (0)

#define T_EQ(a, b)                                                           \
    do {                                                                     \
        long long t_a_ = (long long) (a), t_b_ = (long long) (b);            \
        if (t_a_ != t_b_)                                                    \
            T_FAIL("%s == %lld, want %s == %lld", #a, t_a_, #b, t_b_);       \
    } while (0)

#endif
