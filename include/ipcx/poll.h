/*
 * ipcx/poll.h - one event loop over channels of any scheme: ipcx_poll()
 * waits on many channels at once, level-triggered, built on ipcx_fd();
 * ipcx_loop() calls a handler per ready channel.  See docs/patterns.md for
 * the same program written with each.
 */
#ifndef IPCX_POLL_H
#define IPCX_POLL_H

#include <stddef.h>

#include <ipcx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Events of ipcx_poll. */
#define IPCX_POLLIN  0x1 /* receiving end: a receive with timeout 0 may return a message or -EPIPE */
#define IPCX_POLLOUT 0x2 /* sending end: a send with timeout 0 may succeed (or return -EPIPE) */
#define IPCX_POLLHUP 0x4 /* in revents only: the peer is gone (a send gives -EPIPE) */

struct ipcx_pollitem {
    ipcx_chan *ch;   /* NULL, or events 0: the item is skipped */
    short events;    /* IPCX_POLLIN on a receiving end, IPCX_POLLOUT on a sending end */
    short revents;   /* set by ipcx_poll */
};

/*
 * Wait until one of the n channels is ready.  Returns how many items have
 * revents, 0 on timeout, -EINVAL (an event the end cannot have), -ENOTSUP
 * (a channel without a descriptor: sysvmq:), -EINTR.  Level-triggered: a
 * channel that still holds a message is reported again by the next call.
 */
IPCX_API int ipcx_poll(struct ipcx_pollitem *set, size_t n, int timeout_ms);

/* A handler of ipcx_loop: 0 goes on, anything else ends the loop with that value. */
typedef int (*ipcx_handler)(ipcx_chan *ch, short revents, void *arg);

struct ipcx_loopitem {
    ipcx_chan   *ch;
    short        events;  /* as ipcx_pollitem; a handler may set it to 0 to stop watching */
    ipcx_handler fn;
    void        *arg;
};

/*
 * Call each ready item's handler until one returns non-zero (that value is
 * returned), nothing is watched any more (0), the timeout passes (0), or
 * ipcx_poll fails (its error).  timeout_ms bounds the whole loop.
 */
IPCX_API int ipcx_loop(struct ipcx_loopitem *set, size_t n, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
