/*
 * werkstueck.h - what the rooms of Werkstück A share: the options, the
 * mechanisms (--via), one end of a link (an ipcx channel or the textbook
 * bounded buffer), the four roles (roles.c), the launcher (launch.c) and
 * the result a role hands back when it is done.  main, the options and one
 * role run alone for several hosts are in werkstueck.c.
 */
#ifndef WERKSTUECK_H
#define WERKSTUECK_H

#include "ipcx.h"
#include "ipcx/sync.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_RUNTIME  1
#define EXIT_USAGE    2
#define MSG_MAX       128
#define URL_MAX       512
#define STOP_GRACE_MS 1000 /* children get this long to finish after a stop */

enum role { CONV, LOG, STAT, REPORT, NROLES };
extern const char *const role_names[NROLES];

/* The three links, by the process that receives on them. */
enum link { L_LOG, L_STAT, L_REPORT, NLINKS };
extern const char *const link_names[NLINKS];

/*
 * --via: the URL template of every link (%p the launcher's pid, %n the
 * link, %k a System V key made of both) and what the banner says of it.
 */
struct via {
    const char *name, *tmpl, *what;
};
extern const struct via vias[];
extern const size_t nvias;

struct opts {
    const struct via *via;
    long count;        /* -1: until stopped */
    long interval_ms;
    uint64_t seed;
    const char *log_path;
    int quiet;
    int role;          /* -1: launcher; else run that role alone */
    const char *listen;
    const char *connect[2];
    int nconnect;
};

/*
 * The textbook bounded buffer ("shared memory with semaphores"): one per
 * link, in one POSIX shared segment that the launcher creates before it
 * forks and removes when everyone is done.  empty counts free slots, full
 * counts messages, mutex (a binary semaphore) guards head and tail.
 */
#define SRING_SLOTS 64
struct sring {
    ipcx_semaphore empty, full, mutex;
    unsigned head, tail;
    char slot[SRING_SLOTS][MSG_MAX];
};

/* One end of a link: an ipcx channel, or a bounded buffer for shmsem. */
typedef struct wlink {
    ipcx_chan *ch;
    struct sring *ring;
} wlink;

/*
 * What a role did, for the summary: report fills the statistics and the
 * time from its first value to its last, log the lines it wrote, every
 * receiver what became of its object when it closed it.
 */
struct result {
    long values, sum, min, max;
    int64_t span_us;
    long lines;
    char url[URL_MAX];  /* the receiving end's address, "" for none */
    int removed;        /* 1 this role removed its object, 0 none to remove, <0 close's error */
};

extern volatile sig_atomic_t stop_sig;
void catch_stop(void);
int die(const char *who, const char *what, int err);
int64_t now_us(void);

/* roles.c */
int run_role(const struct opts *o, enum role role, wlink *in, wlink out[2], struct result *res);
int open_in(const char *role, wlink *in, const char *url, int flags, struct result *res);
int open_out(const char *role, wlink *out, const char *url);
void close_ends(wlink *in, wlink out[2], struct result *res);
void print_stats(FILE *f, const struct result *res);
void print_throughput(FILE *f, long paced_ms, const struct result *res);
void print_removed(FILE *f, const struct result *res);

/* launch.c */
int launch(const struct opts *o);
void set_name(const char *name);

#endif
