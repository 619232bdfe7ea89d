/*
 * bench.h - what the rooms of `ipcx bench` share.  An endpoint is one side
 * of a two-way link (send to the peer, receive from it), whatever carries
 * it: an ipcx channel pair, a raw descriptor, a kernel queue, or a peer
 * library (ZeroMQ, nng).  A candidate (one row of the table) makes the link
 * across fork.  The rooms:
 *   bench.c      the command: options, which rows run, the order of things
 *   cand_ipcx.c  the ipcx rows (a channel pair per link)
 *   cand_raw.c   the raw rows: pipes, socket pairs, loopback TCP, mq, sysvmq
 *   cand_peer.c  the peer libraries, opened with dlopen() when bench runs
 *   cand_iox.c   iceoryx, the shared-memory peer, with a private iox-roudi
 *   run.c        the runner: message format, the two pinned processes,
 *                round trips and floods, the hardware floor
 *   report.c     the table, JSON, CSV and the gnuplot chart
 *   pubsub.c     `ipcx bench pubsub`: one publisher to 1, 4, 16 subscribers,
 *                a runner and a table of its own
 *   sweep.c      `ipcx bench --sweep`: curves against size, senders,
 *                subscribers, producers and consumers, their tables and plots
 * The clock, pinning and percentiles are common/bench_util.h, shared with
 * the standalone benchmarks in bench/ (which include nothing from here).
 */
#ifndef IPCX_BENCH_H
#define IPCX_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define BENCH_HDR_BYTES     16   /* op, seq, len, checksum: the smallest message */
#define BENCH_QUEUE_MSGSIZE 8192 /* the kernel's default message limit of mq and sysvmq */

struct bench_ep;

struct bench_ep_ops {
    /* Send len bytes as one message; 0 or -errno. */
    int (*send)(struct bench_ep *ep, const void *buf, size_t len);
    /* Receive one message; its length or -errno. */
    long (*recv)(struct bench_ep *ep, void *buf, size_t cap);
    void (*close)(struct bench_ep *ep);
    /* Optional (NULL: not used), zero copy: the runner builds a message in
     * a loaned buffer and commits it, and checks a received one in place
     * (peek) before it gives it back (release). */
    int (*loan)(struct bench_ep *ep, size_t len, void **buf);
    int (*commit)(struct bench_ep *ep, void *buf, size_t len);
    long (*peek)(struct bench_ep *ep, const void **msg);
    void (*release)(struct bench_ep *ep);
};

struct bench_ep {
    const struct bench_ep_ops *ops;
    void *a, *b;   /* the mechanism's handles (send side, receive side) */
    int fa, fb;    /* or descriptors */
    int exact;     /* a byte stream without frames: recv reads exactly cap bytes */
};

/*
 * A candidate builds the link in three steps around fork: prepare (in the
 * parent, before fork; NULL when there is nothing to prepare), then child()
 * in the child and parent() in the parent; fini (NULL: nothing) releases
 * what state holds.  state is one block from malloc (or NULL), which the
 * runner frees after fini.  ctl is a pipe on which the child may tell the parent an address
 * (write in the child, read in the parent).  Each returns 0 or -errno.
 */
struct bench_cand {
    const char *name;     /* row label, e.g. "ipcx unix" */
    const char *kind;     /* "ipcx", "raw", "peer" */
    const char *group;    /* what it is compared with: "pipe", "unix", "tcp", ... */
    const char *url;      /* ipcx: the URL template; peers: the endpoint template */
    int  (*prepare)(struct bench_cand *c, void **state);
    int  (*child)(struct bench_cand *c, void *state, int ctl_w, struct bench_ep *ep);
    int  (*parent)(struct bench_cand *c, void *state, int ctl_r, struct bench_ep *ep);
    void (*fini)(struct bench_cand *c, void *state); /* in the parent, after the child exited */
    size_t maxsize;       /* the largest message it carries (0: any) */
};

/* ---- the rows (cand_*.c), in the order the table lists them ---- */

extern const struct bench_cand bench_ipcx_rows[];
extern const size_t bench_ipcx_nrows;
extern const struct bench_cand bench_raw_rows[];
extern const size_t bench_raw_nrows;

/* An ipcx row for a URL given on the command line (url must outlive it). */
struct bench_cand bench_url_cand(const char *url);
/* The same, sending with ipcx_loan/ipcx_commit and receiving with ipcx_peek/ipcx_release. */
struct bench_cand bench_loan_cand(const char *url);

/*
 * Peer libraries: append their rows to out (at most max); return how many.
 * A library built in but not loadable now leaves its rows out and says why
 * in why (empty when nothing was left out).
 */
int bench_peer_cands(struct bench_cand *out, int max, char *why, size_t why_cap);

/* iceoryx (cand_iox.c), as bench_peer_cands and called by it: why is added to, not cleared. */
int bench_iox_cands(struct bench_cand *out, int max, char *why, size_t why_cap);

/* ---- the runner (run.c) ---- */

struct bench_lat {
    double p50, p99, p999; /* ns; negative: not measured */
};

struct bench_result {
    const struct bench_cand *c;
    struct bench_lat rtt[2]; /* small, medium message */
    double mps;              /* one-way small messages per second */
    double gbps;             /* one-way large messages, GB/s */
    long errors;             /* messages that failed verification */
    int failed;              /* the link could not be made or broke */
    char why[160];
};

struct bench_params {
    size_t small, medium, large;
    long rtts, flood_small, flood_large;
    int quiet;
    int progress;    /* a progress line: not quiet, and stderr is a terminal */
    int row, nrows;  /* the row being measured (1-based) of how many, for the counter */
};

/* The hardware floor: a cache-line round trip between the two CPUs, memcpy on one. */
struct bench_floor {
    struct bench_lat rtt;
    double memcpy_gbps;    /* negative: not measured */
};

/* Measure one candidate in a process of its own; res says what came of it. */
void bench_run(const struct bench_cand *c, const struct bench_params *p, struct bench_result *res);

/* Two pinned processes bounce one cache line n times (negative figures: could not). */
struct bench_lat bench_floor_rtt(long n);

/* Single-core memcpy bandwidth for n blocks of size bytes, GB/s. */
double bench_floor_memcpy(size_t size, long n);

/* The progress line on stderr, "[row/nrows] name: what ..." (only when p->progress). */
void bench_progress(const struct bench_params *p, const char *what, const char *name);

/*
 * Request/reply rows (group "reqrep") carry the runner's messages as
 * requests: one that expects no answer (a flood or size message) is answered with
 * an empty acknowledgement by the serving side's endpoint itself, so a
 * flood there measures requests per second.  1 if the runner answers m.
 */
int bench_msg_answered(const void *m, size_t len);

/* The runner's message format for other runners: stamp len bytes (>= 16) with seq; 0 if m is that. */
void bench_msg_stamp(void *m, size_t len, uint32_t seq);
int bench_msg_verify(const void *m, long len, uint32_t seq);

/*
 * A process of the bench that must not outlive the one that forked it
 * (whose pid was parent): sig (SIGKILL, or SIGTERM for one that cleans up
 * first) when that dies (PR_SET_PDEATHSIG).  0, or -ECHILD when it is
 * gone already.
 */
int bench_die_with(int parent, int sig);

/* Expand %p (pid), %n (tag) and %k (a System V key of both) in a template. */
void bench_expand(char *out, size_t cap, const char *tmpl, const char *tag);

/* Line-oriented address exchange over the ctl pipe. */
int bench_ctl_put(int fd, const char *s);
int bench_ctl_get(int fd, char *buf, size_t cap);

/*
 * `ipcx bench pubsub` (pubsub.c): measure its rows and print their table
 * on f (norefs: no ZeroMQ rows).  0, or -1 when a row failed.
 */
int bench_pubsub(const struct bench_params *p, FILE *f, int norefs);
/* ---- the pieces of the runner the sweep reuses (run.c, sweep.c) ---- */

/* One candidate's link: the parent's end and the pinned echo process. */
struct bench_link {
    struct bench_cand c;
    struct bench_ep ep;
    void *state;
    pid_t pid;       /* the echo process, -1 when none */
    size_t cur;      /* the size the echo process expects next (raw streams) */
};

/* Make the link (messages up to cap bytes); 0 or -errno with why.  Close it in any case. */
int bench_link_open(struct bench_link *l, const struct bench_cand *c, size_t cap, char *why, size_t whycap);
/* n round trips of size bytes (after a warm-up); 0 or -errno. */
int bench_link_rtt(struct bench_link *l, size_t size, long n, struct bench_lat *out, long *errors);
/* n messages of size bytes one way, then the echo process's tally; *secs the time taken. */
int bench_link_flood(struct bench_link *l, size_t size, long n, long *errors, double *secs);
/* End it after rc (0 or the measuring's -errno): 0, or -1 with why (rc's why is kept). */
int bench_link_close(struct bench_link *l, int rc, char *why, size_t whycap);

/* fn(arg, out) in a forked process, out (size bytes) brought back; 0, or -1 with why. */
int bench_isolate(void (*fn)(void *arg, void *out), void *arg, void *out, size_t size, char *why,
                  size_t cap);

/* `ipcx bench --sweep` (sweep.c): its tables and plots into dir, every figure or only
 * the one named; 0, EXIT_RUNTIME, or EXIT_USAGE for an unknown figure. */
int bench_sweep(const struct bench_params *p, const char *dir, const char *only);

/* ---- the report (report.c); each write_* returns 0 or -errno ---- */

void bench_print_table(FILE *f, const struct bench_result *rs, int n, const struct bench_params *p,
                       const struct bench_floor *fl);
int bench_write_json(const char *path, const struct bench_result *rs, int n,
                     const struct bench_params *p, const struct bench_floor *fl);
int bench_write_csv(const char *path, const struct bench_result *rs, int n);
int bench_write_plot(const char *path, const struct bench_result *rs, int n,
                     const struct bench_params *p, const struct bench_floor *fl);

#endif
