/*
 * reqrep_sp.h - the request/reply calls on the SP schemes (reqrep_sp.c),
 * for reqrep.c to dispatch to: an sp+tcp: / sp+unix: end carries a
 * request's route in nng's backtrace instead of a reply channel.
 */
#ifndef IPCX_REQREP_SP_H
#define IPCX_REQREP_SP_H

#include "ipcx/pattern.h"

struct ipcx_chan;

/* Is ch an SP end (its requests and replies go here)? */
int  ipcx__pat_is_sp(const struct ipcx_chan *ch);
long ipcx__pat_sp_request(struct ipcx_chan *ch, const void *req, size_t len, void *reply,
                          size_t cap, int timeout_ms);
long ipcx__pat_sp_serve(struct ipcx_chan *ch, void *buf, size_t cap, ipcx_req *req,
                        int timeout_ms);
int  ipcx__pat_sp_reply(struct ipcx_chan *ch, const ipcx_req *req, const void *reply,
                        size_t len, int timeout_ms);

#endif
