/*
 * sock.h - what the socket transports (unix.c, tcp.c) share: turning a
 * bound socket into a receiver and a connected one into a sender.
 */
#ifndef IPCX_SOCK_H
#define IPCX_SOCK_H

#include "stream.h"
#include <sys/socket.h>

/* A bound socket (taken over) becomes ch's receiver: listening, or a datagram source. */
int ipcx__sock_rx(struct ipcx_chan *ch, int fd, int type);

/*
 * A record (seqpacket, dgram) is sent whole, so it must fit the sender's
 * socket buffer: size the buffer of fd for maxmsg, or -EINVAL when the
 * system does not allow a buffer that large.
 */
int ipcx__sock_record_buf(int fd, size_t maxmsg);

/* Connect a new socket of family/type to sa and make it ch's sender. */
int ipcx__sock_tx(struct ipcx_chan *ch, int family, int type,
                  const struct sockaddr *sa, socklen_t len, const char *what);

#endif
