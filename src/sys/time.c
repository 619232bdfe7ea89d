/*
 * time.c - clocks, the deadlines made from poll(2)-style timeouts, and a
 * sleep.  The EINTR rule that goes with the waits is signal.c's.
 */
#include "fault.h"
#include "sys.h"

#include <errno.h>
#include <time.h>

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

struct timespec ipcx__ts_abs(clockid_t clk, int ms)
{
    struct timespec ts;
    (void) clock_gettime(clk, &ts); /* a valid clock id cannot fail */
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long) (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int64_t ipcx__now_ms(void)
{
    return ipcx__now_ns() / 1000000;
}

int64_t ipcx__coarse_ms(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0)
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
    return ipcx__now_ms();
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

int ipcx__sleep_ms(int ms)
{
    IPCX_FAULT_POINT(nanosleep);
    struct timespec ts = ipcx__ts_rel(ms);
    return IPCX_FAILS(nanosleep) || nanosleep(&ts, NULL) < 0 ? -errno : 0;
}
