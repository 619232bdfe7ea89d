/*
 * sp.h - the SP socket engine (sp.c) that sp_tcp.c and sp_unix.c hand their
 * descriptors to: many connections with the SP handshake and framing
 * (sp_wire.h), and the rules of each protocol on ipcx_send / ipcx_recv.
 * The carriers only resolve, bind or connect.
 */
#ifndef IPCX_SP_H
#define IPCX_SP_H

#include "transport.h"
#include "sp_wire.h"

#include <limits.h>
#include <sys/socket.h>

/* The URL keys of both carriers, besides maxmsg. */
#define IPCX_SP_KEYS "proto role subscribe resend redial redialmax"

/* Read the URL's SP keys and make ch->impl; ipc: IPC framing (a type byte). */
int ipcx__sp_new(struct ipcx_chan *ch, const struct ipcx_url *u, int ipc);
/* Does this end listen (role=, or the default for its protocol and flags)? */
int ipcx__sp_listens(const struct ipcx_chan *ch);
/* The address ipcx_addr tells, without the query (sp.c appends ?proto=). */
char *ipcx__sp_addrbuf(struct ipcx_chan *ch, size_t *cap);
/* A bound socket (taken over): listen and accept peers. */
int ipcx__sp_listen(struct ipcx_chan *ch, int lfd);
/* A socket file this end bound, removed on close while it is the same. */
int ipcx__sp_own_path(struct ipcx_chan *ch, const char *path);
/*
 * A connected socket (taken over): the one peer of a dialer, connected to
 * sa, where it dials again when it has redial= and the peer goes.
 */
int ipcx__sp_dialed(struct ipcx_chan *ch, int fd, const struct sockaddr *sa, socklen_t len);

int  ipcx__sp_send(struct ipcx_chan *ch, const void *msg, size_t len, unsigned prio,
                   int timeout_ms);
long ipcx__sp_recv(struct ipcx_chan *ch, void *buf, size_t cap, unsigned *prio,
                   int timeout_ms);
int  ipcx__sp_fd(struct ipcx_chan *ch);
int  ipcx__sp_addr(const struct ipcx_chan *ch, char *buf, size_t cap);
int  ipcx__sp_close(struct ipcx_chan *ch);
long long ipcx__sp_lost(const struct ipcx_chan *ch);

/*
 * The request/reply calls of include/ipcx/pattern.h on these schemes
 * (reqrep_sp.c): the route of a request is the connection it came on and
 * its backtrace, which the reply carries back; no reply channel is made.
 */
struct ipcx__sp_route {
    uint32_t pipe;                /* the connection (sp.c's id) */
    size_t   len;                 /* of bt: 4 to IPCX_SP_BT_MAX */
    uint8_t  bt[IPCX_SP_BT_MAX];  /* hop ids, then the request id */
};
/* Is ch an sp+tcp: or sp+unix: end? */
int  ipcx__sp_chan(const struct ipcx_chan *ch);
/* req0: send msg as a request and wait for its reply (one deadline for both). */
long ipcx__sp_request(struct ipcx_chan *ch, const void *msg, size_t len, void *reply,
                      size_t cap, int timeout_ms);
/* rep0, respondent0: the next request into buf, its route into *rt. */
long ipcx__sp_serve(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx__sp_route *rt,
                    int timeout_ms);
/* Reply along rt: 0, -EPIPE (the asker's connection is gone), -EINVAL (a bad route). */
int  ipcx__sp_reply(struct ipcx_chan *ch, const struct ipcx__sp_route *rt, const void *msg,
                    size_t len, int timeout_ms);

#define IPCX_SP_OPS                                                          \
    .send = ipcx__sp_send, .recv = ipcx__sp_recv, .fd = ipcx__sp_fd,        \
    .addr = ipcx__sp_addr, .close = ipcx__sp_close, .lost = ipcx__sp_lost,  \
    .fd_in_for_out = 1

#endif
