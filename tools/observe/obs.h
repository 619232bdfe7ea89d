/*
 * obs.h - what the rooms of ipcx ls, ipcx stat and ipcx gc share: the
 * objects found on the machine and their users (scan.c), the registry's
 * entries joined to them (join.c), their output as a table, text or JSON
 * (out.c), and the commands (ls.c, stat.c, gc.c).
 *
 * Sources: /dev/mqueue (POSIX queues; it must be mounted to list them),
 * /dev/shm (POSIX shared memory), /proc/sysvipc/{msg,shm,sem} (System V),
 * /proc/net/unix (listening and bound datagram Unix sockets), and the ipcx
 * user registry (ipcx/admin.h) for the FIFOs and sockets ipcx made and for
 * the processes that have an object open through ipcx.  Users are found in
 * the registry, in the kernel's own records (creator, last sender/receiver,
 * last semop), in every /proc/PID/fd and in every /proc/PID/maps.  A pid
 * the kernel recorded counts as alive only if that process started before
 * the recorded event, so a reused pid is not taken for the dead one.
 *
 * The command uses libipcx only through its installed headers (ipcx.h,
 * ipcx/admin.h), as any program could.  What it does not do: change
 * anything but in gc, or trust the registry for an object of another owner.
 */
#ifndef IPCX_OBS_H
#define IPCX_OBS_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ipcx/admin.h"

#define MQUEUE_DIR   "/dev/mqueue"
#define SHM_DIR      "/dev/shm"
#define URL_LEN      4200
#define MAX_USERS    64

enum kind { K_MQ, K_SHM, K_SYSVMSG, K_SYSVSHM, K_SYSVSEM, K_UNIX, K_FIFO };
extern const char *const kind_name[];
/* The names of obj.times[] per kind, as ipcs -t shows them (NULL: not kept). */
extern const char *const time_names[][3];

/* Roles, as bits: one user may have several (role_name[bit] names each). */
#define R_CREATOR  0x001
#define R_RECV     0x002 /* registry: a receiving end */
#define R_SEND     0x004 /* registry: a sending end */
#define R_LASTSEND 0x008
#define R_LASTRECV 0x010
#define R_ATTACHED 0x020 /* mapped (shm) */
#define R_FD       0x040 /* has a descriptor open */
#define R_LASTOP   0x080 /* last semop / shmat / shmdt */
#define R_NOTIFY   0x100 /* mq_notify registration */
#define R_COUNT    9

struct user {
    pid_t    pid;
    unsigned roles;
    int      alive;
};

struct obj {
    enum kind kind;
    char      url[URL_LEN];
    char      path[PATH_MAX]; /* a file to stat, "" if none */
    uid_t     uid;
    gid_t     gid;
    unsigned  mode;
    int       has_owner;
    long long size;           /* shm bytes, sem count; -1 unknown */
    long long msgs, bytes;    /* queued; -1 unknown */
    long long depth, maxmsg;  /* mq capacity; -1 unknown */
    long long qbytes;         /* sysv msg capacity; -1 unknown */
    long      id;             /* System V id, -1 */
    dev_t     dev;            /* for matching descriptors */
    ino_t     ino;
    unsigned long sockino;
    int       ipcx;           /* the registry says ipcx created it (gc: 2, removed) */
    int       ambiguous;      /* one path listed twice: never removed (see scan.c) */
    long long nattch;         /* System V shm: attached; -1 unknown */
    long long times[3];       /* epoch seconds (0 never; -1 unknown), named by time_names */
    char      note[160];
    /* stat only: the ring of a shm object (ipcx_ring_stat), or why there is none. */
    const struct ipcx_ring_info *ring;
    int       ring_err;
    char      ring_why[200];
    struct user users[MAX_USERS];
    int       nusers;
};

struct objs {
    struct obj *v;
    size_t n, cap;
    int mq_mounted;
};

/*
 * A registry entry, copied out of the walk (ipcx_reg_next): untrusted text
 * from a file of user uid.  It counts for an object only if uid is the
 * object's kernel owner and the entry names it consistently (rec_trusted).
 */
struct rec {
    char    *obj;     /* as ipcx_reg_object spells it */
    char    *name;    /* the entry's file name, for ipcx_reg_remove */
    uid_t    uid;     /* whose registry */
    pid_t    pid;
    uint64_t start;
    int      recv, created, consistent;
    int      alive;   /* the process (pid, start) still runs */
};

struct recs {
    struct rec *v;
    size_t n, cap;
    int on;           /* the registry is on */
    char **warn;      /* what was refused or skipped, one line each */
    size_t nwarn;
};

/* scan.c: the objects and their users. */
struct obj *obj_new(struct objs *o, enum kind k);
struct obj *obj_find(struct objs *o, const char *url);
struct obj *obj_find_reg(struct objs *o, const char *url);
void user_add(struct obj *b, pid_t pid, unsigned role, int alive);
void set_owner_from_stat(struct obj *b, const struct stat *st);
int mqueue_mounted(void);
struct obj *mq_probe(struct objs *o, const char *name);
void scan_objects(struct objs *o);   /* every source but the processes */
void scan_procs(struct objs *o);     /* descriptors and mappings of every process */

/*
 * find.c: the object of a user's URL (in any form the library reads, a
 * System V id, sem:/posixsem:, a FIFO or socket file ls does not list), or
 * NULL with *err -ENOENT or the URL's error.  It may leave o holding only
 * that object.
 */
struct obj *obj_lookup(struct objs *o, const struct recs *rs, const char *url, int *err);

/*
 * remove.c: remove object b on behalf of uid, its owner, acting on exactly
 * the object looked at (ipcx/admin.h); with dry only say whether it could.
 * A sysvmq queue's doorbell set goes with it.  0, -ENOENT gone already,
 * -EPERM refused (ipcx_errdetail says why), -ENOTSUP nothing to remove.
 */
int obj_remove(struct objs *o, const struct obj *b, uid_t uid, int dry);

/* join.c: the registry, joined to the objects. */
void collect(struct objs *o, struct recs *rs);
void recs_apply(struct objs *o, const struct recs *rs);
int rec_trusted(const struct rec *r, const struct obj *b);
int obj_any_alive(const struct obj *b);
void objs_free(struct objs *o, struct recs *rs);

/* limits.c: ipcx ls --limits, as text or JSON; the exit status. */
int limits_print(int json);

/* out.c: what is printed. */
extern const char mq_unmounted[];
void obj_json(FILE *f, const struct obj *b);
void obj_line(FILE *f, const struct obj *b, int times); /* times: ipcs -t columns, not users */
void obj_header(FILE *f, int times);
void obj_text(FILE *f, const struct obj *b);
void warnings_text(const char *cmd, const struct recs *rs);


#endif
