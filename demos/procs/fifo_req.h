/*
 * fifo_req.h - the fifoserver demo's request and reply lines, and the check
 * of the reply address a request names.  Requests come from any process
 * that can write the server's FIFO: every field is untrusted.
 *
 *     request  "req C N X PATH"   client C (1..FIFO_MAXC), request N,
 *                                 argument X, reply FIFO PATH
 *     reply    "rep C N Y"        Y = fifo_answer(C, X)
 */
#ifndef IPCX_DEMO_FIFO_REQ_H
#define IPCX_DEMO_FIFO_REQ_H

#include <stddef.h>

#define FIFO_MAXC    64
#define FIFO_NAMEMAX 64 /* the reply FIFO's file name inside the directory */
#define FIFO_MSGMAX  512

struct fifo_req {
    int client;
    long n, x;
    char name[FIFO_NAMEMAX + 1]; /* the file name, checked: no '/', no leading '.' */
};

/*
 * Parse a request of len bytes (not NUL-terminated) and check that its
 * reply PATH is dir "/" NAME with NAME a plain file name of [A-Za-z0-9_-]
 * (so no "..", no '/', nothing outside dir).  0 and *r filled, or -EBADMSG
 * for a malformed line, -EPERM for an address outside dir.
 */
int fifo_req_parse(const char *msg, size_t len, const char *dir, struct fifo_req *r);

/* The reply to request n of client c with argument x, into buf; its length. */
int fifo_reply_format(char *buf, size_t cap, int c, long n, long x);

/* Parse a reply; 0 if it answers exactly (c, n, x), else -EBADMSG. */
int fifo_reply_check(const char *msg, size_t len, int c, long n, long x);

#endif
