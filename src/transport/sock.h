/*
 * sock.h - what the socket transports (unix.c, tcp.c) share: turning a
 * bound socket into a receiver and a connected one into a sender.
 */
#ifndef IPCX_SOCK_H
#define IPCX_SOCK_H

#include "stream.h"
#include <sys/socket.h>
#include <sys/un.h>

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

/* tcp.c, for sp_tcp.c too: resolve u's host:port (passive: to bind; host *
 * is every address), and spell an address as tcp://host:port. */
struct addrinfo;
int  ipcx__tcp_resolve(const struct ipcx_url *u, int passive, struct addrinfo **res);
void ipcx__tcp_format(const struct sockaddr *sa, char *buf, size_t cap);

/* unix.c, for sp_unix.c too: a unix: path or @name, and ?type=. */
struct unix_addr {
    struct sockaddr_un sa;
    socklen_t len;
    int type, typeidx;
    int abstract;
};
int ipcx__unix_parse(const struct ipcx_url *u, struct unix_addr *a);
/* Make room to bind at a filesystem path: take over only our own stale socket. */
int ipcx__unix_clear(const struct ipcx_chan *ch, const struct unix_addr *a);
/* Remove the socket file of a unix: (or sp+unix:) URL: the .unlink op. */
int ipcx__unix_unlink(const struct ipcx_url *u);

#endif
