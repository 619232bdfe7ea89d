/*
 * rendezvous.c - the synchronous send (include/ipcx/pattern.h): a message
 * that carries a reply address like a request, and that the receiver's
 * ipcx_serve() acknowledges when it takes it.  The sender returns only
 * then, or at its timeout, or with -EPIPE when the transport sees the
 * receiver go.  The requester's machinery is reqrep.c's.
 */
#include "pattern_int.h"
#include "ipcx/pattern.h"
#include "../util/err.h"

IPCX_API int ipcx_send_sync(ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                            int timeout_ms)
{
    ipcx__clear_detail();
    long r = ipcx__pat_call(ch, IPCX_PAT_SYNC, msg, len, prio, NULL, 0, timeout_ms);
    return r < 0 ? (int) r : 0;
}
