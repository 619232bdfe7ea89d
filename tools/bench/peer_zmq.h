/*
 * peer_zmq.h - ZeroMQ as `ipcx bench` opens it (dlopen, peer_dl.h): the
 * table of its functions, shared by the PAIR and REQ/REP rows
 * (cand_peer.c, which owns the table) and the XPUB/SUB rows (pubsub.c).
 * Only with IPCX_HAVE_ZMQ.
 */
#ifndef IPCX_BENCH_PEER_ZMQ_H
#define IPCX_BENCH_PEER_ZMQ_H
#ifdef IPCX_HAVE_ZMQ

#include "peer_dl.h"

#include <zmq.h>

#define ZMQ_FUNCS(X) X(zmq_ctx_new) X(zmq_ctx_term) X(zmq_socket) X(zmq_close) \
    X(zmq_setsockopt) X(zmq_getsockopt) X(zmq_bind) X(zmq_connect) X(zmq_send) X(zmq_recv) \
    X(zmq_errno)
struct bench_zmq_lib { ZMQ_FUNCS(PEER_FN) };

/* The functions, once bench_zmq_load() returned 0. */
extern struct bench_zmq_lib zmq_lib;

/* Open libzmq and fill zmq_lib: 0, or -ENOENT with the loader's reason added to why. */
int bench_zmq_load(char *why, size_t cap);

#endif
#endif
