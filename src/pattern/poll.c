/*
 * poll.c - one event loop over channels of mixed schemes
 * (include/ipcx/poll.h): ipcx_poll() is poll(2) over the channels'
 * ipcx_fd() descriptors, so it is level-triggered as they are; ipcx_loop()
 * calls a handler per ready channel.  A channel without a descriptor
 * (sysvmq:) is refused with -ENOTSUP rather than polled in a sleep loop.
 */
#include "ipcx/poll.h"
#include "../transport/transport.h"
#include "../util/err.h"
#include "../sys/sys.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#define POLL_STACK 32 /* items polled without an allocation */

/* The poll(2) events of one item, or -errno. */
static int poll_events(const struct ipcx_pollitem *it, size_t i)
{
    int rx = (it->ch->flags & IPCX_RECV) != 0;
    int in_for_out = it->ch->tp->fd_in_for_out; /* an epoll set: writable shows as readable */
    if (it->events & ~(IPCX_POLLIN | IPCX_POLLOUT))
        return ipcx__fail(-EINVAL, "item %zu: unknown events 0x%x", i, (unsigned) it->events);
    if ((it->events & IPCX_POLLIN && !rx) || (it->events & IPCX_POLLOUT && rx))
        return ipcx__fail(-EINVAL, "item %zu: %s on a %s end", i,
                          rx ? "IPCX_POLLOUT" : "IPCX_POLLIN", rx ? "receiving" : "sending");
    return (it->events & IPCX_POLLIN ? POLLIN : 0) |
           (it->events & IPCX_POLLOUT ? (in_for_out ? POLLIN : POLLOUT) : 0);
}

/*
 * What poll(2) said, as the channel's events.  A hang-up or error on a
 * receiving end means a receive ends at once (-EPIPE or the error), so it
 * is readable; on a sending end a send fails at once, so it is writable,
 * and IPCX_POLLHUP says why.
 */
static short poll_revents(const struct ipcx_pollitem *it, short re)
{
    short out = 0;
    if (re & (POLLHUP | POLLERR))
        out |= IPCX_POLLHUP | it->events;
    if (re & POLLIN)
        out |= it->events & IPCX_POLLOUT && it->ch->tp->fd_in_for_out ? IPCX_POLLOUT : IPCX_POLLIN;
    if (re & POLLOUT)
        out |= IPCX_POLLOUT;
    return (short) (out & (it->events | IPCX_POLLHUP));
}

IPCX_API int ipcx_poll(struct ipcx_pollitem *set, size_t n, int timeout_ms)
{
    struct pollfd stack[POLL_STACK], *pf = stack;
    struct ipcx__deadline d;
    int r;

    ipcx__clear_detail();
    if (!set && n)
        return ipcx__fail(-EINVAL, "no items");
    if (n > POLL_STACK && !(pf = calloc(n, sizeof *pf)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        set[i].revents = 0;
        pf[i] = (struct pollfd) { .fd = -1 };
        if (!set[i].ch || !set[i].events)
            continue;
        if ((r = poll_events(&set[i], i)) < 0)
            goto out;
        pf[i].events = (short) r;
        if ((pf[i].fd = ipcx_fd(set[i].ch)) < 0) {
            r = pf[i].fd == -ENOTSUP
                ? ipcx__fail(-ENOTSUP, "item %zu: %s: has no descriptor to poll", i,
                             set[i].ch->tp->scheme)
                : pf[i].fd;
            goto out;
        }
    }
    d = ipcx__deadline(timeout_ms < 0 ? -1 : timeout_ms);
    for (;;) {
        r = ipcx__poll(pf, n, ipcx__remaining(&d));
        if (r != -EINTR)
            break;
        if (ipcx__intr_returns())
            goto out;
    }
    if (r > 0) {
        r = 0;
        for (size_t i = 0; i < n; i++)
            if (pf[i].fd >= 0 && (set[i].revents = poll_revents(&set[i], pf[i].revents)))
                r++;
    }
out:
    if (pf != stack)
        free(pf);
    return r;
}

IPCX_API int ipcx_loop(struct ipcx_loopitem *set, size_t n, int timeout_ms)
{
    struct ipcx_pollitem stack[POLL_STACK], *it = stack;
    struct ipcx__deadline d = ipcx__deadline(timeout_ms < 0 ? -1 : timeout_ms);
    int r;

    ipcx__clear_detail();
    if ((!set && n))
        return ipcx__fail(-EINVAL, "no items");
    for (size_t i = 0; i < n; i++)
        if (set[i].events && !set[i].fn)
            return ipcx__fail(-EINVAL, "item %zu: no handler", i);
    if (n > POLL_STACK && !(it = calloc(n, sizeof *it)))
        return -ENOMEM;
    for (;;) {
        size_t watched = 0;
        for (size_t i = 0; i < n; i++) {
            it[i] = (struct ipcx_pollitem) { .ch = set[i].ch, .events = set[i].events };
            watched += set[i].ch && set[i].events;
        }
        if (watched == 0) {
            r = 0;
            break;
        }
        if ((r = ipcx_poll(it, n, ipcx__remaining(&d))) <= 0)
            break; /* 0: the timeout passed */
        r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
            if (it[i].revents && set[i].events)
                r = set[i].fn(set[i].ch, it[i].revents, set[i].arg);
        if (r != 0)
            break;
    }
    if (it != stack)
        free(it);
    return r;
}
