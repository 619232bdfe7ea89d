/*
 * observe.c - ipcx ls, ipcx stat and ipcx gc: every IPC object on the
 * machine, whoever made it, with the processes that use it.
 *
 * Sources: /dev/mqueue (POSIX queues; it must be mounted to list them),
 * /dev/shm (POSIX shared memory), /proc/sysvipc/{msg,shm,sem} (System V),
 * /proc/net/unix (listening and bound datagram Unix sockets), and the ipcx
 * user registry (src/reg.h) for the FIFOs and sockets ipcx made and for the
 * processes that have an object open through ipcx.  Users are found in the
 * registry, in the kernel's own records (creator, last sender/receiver, last
 * semop), in every /proc/PID/fd and in every /proc/PID/maps.  A pid the
 * kernel recorded counts as alive only if that process started before the
 * recorded event, so a reused pid is not taken for the dead one.
 *
 * What it does not do: change anything but in gc, or trust the registry for
 * an object of another owner (see reg.c).
 */
#include "ipcx.h"
#include "cmd.h"
#include "../src/reg.h"
#include "../src/shm/bell.h"
#include "../src/sys/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <mqueue.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#define MQUEUE_DIR   "/dev/mqueue"
#define SHM_DIR      "/dev/shm"
#define MQUEUE_MAGIC 0x19800202
#define URL_LEN      4200
#define MAX_USERS    64
#define DOORBELL_TAG 0x6970 /* sysvmq.c: the tag of a queue's doorbell semaphore set */

enum kind { K_MQ, K_SHM, K_SYSVMSG, K_SYSVSHM, K_SYSVSEM, K_UNIX, K_FIFO };
static const char *const kind_name[] = {
    "posix-mq", "posix-shm", "sysv-msg", "sysv-shm", "sysv-sem", "unix-socket", "fifo",
};

/* Roles, as bits: one user may have several. */
#define R_CREATOR  0x001
#define R_RECV     0x002 /* registry: a receiving end */
#define R_SEND     0x004 /* registry: a sending end */
#define R_LASTSEND 0x008
#define R_LASTRECV 0x010
#define R_ATTACHED 0x020 /* mapped (shm) */
#define R_FD       0x040 /* has a descriptor open */
#define R_LASTOP   0x080 /* last semop / shmat / shmdt */
#define R_NOTIFY   0x100 /* mq_notify registration */
static const char *const role_name[] = {
    "creator", "recv", "send", "last-send", "last-recv", "attached", "fd", "last-op", "notify",
};

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
    int       ipcx;           /* the registry says ipcx created it */
    char      note[160];
    struct user users[MAX_USERS];
    int       nusers;
};

struct objs {
    struct obj *v;
    size_t n, cap;
    int mq_mounted;
};

/* ---- small helpers ------------------------------------------------------ */

static struct obj *obj_new(struct objs *o, enum kind k)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        struct obj *v = realloc(o->v, cap * sizeof *v);
        if (!v)
            return NULL;
        o->v = v;
        o->cap = cap;
    }
    struct obj *b = &o->v[o->n++];
    memset(b, 0, sizeof *b);
    b->kind = k;
    b->size = b->msgs = b->bytes = b->depth = b->maxmsg = b->qbytes = -1;
    b->id = -1;
    return b;
}

static struct obj *obj_find(struct objs *o, const char *url)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->v[i].url, url) == 0)
            return &o->v[i];
    return NULL;
}

/*
 * The object a registry entry names: by its URL, or a unix: object, which
 * is listed with its type ("unix:/path?type=..."): the URL then "?" or its end.
 */
static struct obj *obj_find_reg(struct objs *o, const char *url)
{
    struct obj *b = obj_find(o, url);
    size_t n = strlen(url);
    for (size_t j = 0; j < o->n && !b; j++)
        if (o->v[j].kind == K_UNIX && strncmp(o->v[j].url, url, n) == 0 &&
            (o->v[j].url[n] == '?' || !o->v[j].url[n]))
            b = &o->v[j];
    return b;
}

/* Alive and the same process that did something at epoch time when (0: unknown). */
static int pid_alive_since(pid_t pid, long long when)
{
    struct ipcx__proc p;
    if (!ipcx__proc_alive(pid, 0) || ipcx__proc_read(pid, &p) < 0)
        return 0;
    long long start = ipcx__proc_epoch(p.start);
    return when <= 0 || start < 0 || start <= when + 1; /* +1: rounded down to seconds */
}

static void user_add(struct obj *b, pid_t pid, unsigned role, int alive)
{
    if (pid <= 0)
        return;
    for (int i = 0; i < b->nusers; i++)
        if (b->users[i].pid == pid) {
            b->users[i].roles |= role;
            b->users[i].alive |= alive;
            return;
        }
    if (b->nusers == MAX_USERS)
        return;
    b->users[b->nusers++] = (struct user) { pid, role, alive };
}

/* The command name of pid (anything its process chose: print it escaped), "" if gone. */
static void comm_of(pid_t pid, char *out, size_t cap)
{
    struct ipcx__proc p;
    out[0] = '\0';
    if (ipcx__proc_read(pid, &p) == 0)
        snprintf(out, cap, "%s", p.comm);
}

static const char *owner_name(uid_t uid, char *buf, size_t cap)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, cap, "%s", pw->pw_name);
    else
        snprintf(buf, cap, "%u", (unsigned) uid);
    return buf;
}

static void set_owner_from_stat(struct obj *b, const struct stat *st)
{
    b->uid = st->st_uid;
    b->gid = st->st_gid;
    b->mode = st->st_mode & 07777;
    b->has_owner = 1;
    b->dev = st->st_dev;
    b->ino = st->st_ino;
}

/* ---- sources -------------------------------------------------------------- */

static int mqueue_mounted(void)
{
    struct statfs sf;
    return statfs(MQUEUE_DIR, &sf) == 0 && (unsigned long) sf.f_type == MQUEUE_MAGIC;
}

/* mq_getattr for the depth and message count; opening needs read permission. */
static void mq_attrs(struct obj *b, const char *name)
{
    mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK);
    if (q == (mqd_t) -1)
        return;
    struct mq_attr a;
    struct stat st;
    if (mq_getattr(q, &a) == 0) {
        b->msgs = a.mq_curmsgs;
        b->depth = a.mq_maxmsg;
        b->maxmsg = a.mq_msgsize;
    }
    if (!b->has_owner && fstat((int) q, &st) == 0)
        set_owner_from_stat(b, &st);
    mq_close(q);
}

static void mq_one(struct objs *o, const char *name)
{
    char path[PATH_MAX], line[256];
    struct stat st;
    struct obj *b = obj_new(o, K_MQ);
    if (!b)
        return;
    snprintf(b->url, sizeof b->url, "mq:/%s", name);
    snprintf(path, sizeof path, MQUEUE_DIR "/%s", name);
    if (stat(path, &st) == 0)
        set_owner_from_stat(b, &st);
    /* The file itself says "QSIZE:n NOTIFY:n SIGNO:n NOTIFY_PID:n". */
    FILE *f = fopen(path, "re");
    if (f) {
        if (fgets(line, sizeof line, f)) {
            const char *q = strstr(line, "QSIZE:"), *np = strstr(line, "NOTIFY_PID:");
            if (q)
                b->bytes = strtoll(q + 6, NULL, 10);
            if (np)
                user_add(b, (pid_t) atoi(np + 11), R_NOTIFY, pid_alive_since(atoi(np + 11), 0));
        }
        fclose(f);
    }
    char qname[NAME_MAX + 2];
    snprintf(qname, sizeof qname, "/%s", name);
    mq_attrs(b, qname);
}

static void scan_mqueue(struct objs *o)
{
    o->mq_mounted = mqueue_mounted();
    if (!o->mq_mounted)
        return;
    DIR *d = opendir(MQUEUE_DIR);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            mq_one(o, e->d_name);
    closedir(d);
}

/* A queue known by name when /dev/mqueue is not mounted: ask the queue itself. */
static struct obj *mq_probe(struct objs *o, const char *name)
{
    mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK);
    if (q == (mqd_t) -1)
        return NULL;
    mq_close(q);
    struct obj *b = obj_new(o, K_MQ);
    if (!b)
        return NULL;
    snprintf(b->url, sizeof b->url, "mq:%s", name);
    mq_attrs(b, name);
    return b;
}

static void scan_shm(struct objs *o)
{
    DIR *d = opendir(SHM_DIR);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        struct stat st;
        char path[PATH_MAX];
        if (e->d_name[0] == '.') /* also the registry, .ipcx-registry */
            continue;
        snprintf(path, sizeof path, SHM_DIR "/%s", e->d_name);
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        struct obj *b = obj_new(o, K_SHM);
        if (!b)
            break;
        snprintf(b->url, sizeof b->url, "shm:/%s", e->d_name);
        snprintf(b->path, sizeof b->path, "%s", path);
        set_owner_from_stat(b, &st);
        b->size = (long long) st.st_size;
    }
    closedir(d);
}

/* Each data line of a /proc/sysvipc file, split into numbers. */
static void scan_sysv(struct objs *o, const char *file, enum kind k)
{
    char line[512];
    FILE *f = fopen(file, "re");
    if (!f)
        return;
    if (!fgets(line, sizeof line, f)) { /* the header */
        fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        long long v[20] = { 0 };
        int n = 0;
        char *p = line, *end;
        while (n < 20) {
            /* The third column (perms) is octal ("%4o" in the kernel's ipc/msg.c and its siblings). */
            long long x = strtoll(p, &end, n == 2 ? 8 : 10);
            if (end == p)
                break;
            v[n++] = x;
            p = end;
        }
        if (n < 8)
            continue;
        struct obj *b = obj_new(o, k);
        if (!b)
            break;
        unsigned key = (unsigned) (int) v[0];
        b->id = (long) v[1];
        b->mode = (unsigned) v[2] & 0777;
        b->has_owner = 1;
        const char *scheme = k == K_SYSVMSG ? "sysvmq" : k == K_SYSVSHM ? "sysvshm" : "sysvsem";
        if (key)
            snprintf(b->url, sizeof b->url, "%s:0x%08x", scheme, key);
        else
            snprintf(b->url, sizeof b->url, "%s:?id=%ld", scheme, b->id);
        if (k == K_SYSVMSG) {
            /* key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime */
            b->bytes = v[3];
            b->msgs = v[4];
            b->uid = (uid_t) v[7];
            b->gid = (gid_t) v[8];
            user_add(b, (pid_t) v[5], R_LASTSEND, pid_alive_since((pid_t) v[5], v[11]));
            user_add(b, (pid_t) v[6], R_LASTRECV, pid_alive_since((pid_t) v[6], v[12]));
            struct msqid_ds ds;
            if (msgctl((int) b->id, IPC_STAT, &ds) == 0)
                b->qbytes = (long long) ds.msg_qbytes;
        } else if (k == K_SYSVSHM) {
            /* key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime */
            b->size = v[3];
            b->uid = (uid_t) v[7];
            b->gid = (gid_t) v[8];
            user_add(b, (pid_t) v[4], R_CREATOR, pid_alive_since((pid_t) v[4], v[13]));
            long long last = v[11] > v[12] ? v[11] : v[12];
            user_add(b, (pid_t) v[5], R_LASTOP, pid_alive_since((pid_t) v[5], last));
            snprintf(b->note, sizeof b->note, "%lld attached", v[6]);
        } else {
            /* key semid perms nsems uid gid cuid cgid otime ctime */
            b->size = v[3];
            b->uid = (uid_t) v[4];
            b->gid = (gid_t) v[5];
            for (long long s = 0; s < v[3] && s < 64; s++) {
                int pid = semctl((int) b->id, (int) s, GETPID);
                if (pid > 0)
                    user_add(b, pid, R_LASTOP, pid_alive_since(pid, v[8]));
            }
            if (v[3] == 3 && semctl((int) b->id, 2, GETVAL) == DOORBELL_TAG)
                snprintf(b->note, sizeof b->note, "doorbell of sysvmq:0x%08x (ipcx)", key);
        }
    }
    fclose(f);
}

/* Listening sockets and bound datagram sockets that have a name. */
static void scan_unix(struct objs *o)
{
    char line[PATH_MAX + 128];
    FILE *f = fopen("/proc/net/unix", "re");
    if (!f)
        return;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        unsigned long refs, proto, flags, ino;
        unsigned type, st;
        int pos = 0;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%*s %lx %lx %lx %x %x %lu %n", &refs, &proto, &flags, &type, &st,
                   &ino, &pos) < 6 || pos == 0 || !line[pos])
            continue;
        const char *name = line + pos;
        int listening = (flags & 0x10000) != 0; /* __SO_ACCEPTCON */
        if (!listening && !(type == 2 && st == 1)) /* SOCK_DGRAM, unconnected */
            continue;
        struct obj *b = obj_new(o, K_UNIX);
        if (!b)
            break;
        /* An abstract name starts with a NUL, shown as '@'. */
        snprintf(b->url, sizeof b->url, "unix:%s%s", name,
                 type == 5 ? "?type=seqpacket" : type == 2 ? "?type=dgram" : "");
        b->sockino = ino;
        if (name[0] == '/') {
            struct stat sb;
            snprintf(b->path, sizeof b->path, "%s", name);
            if (lstat(name, &sb) == 0)
                set_owner_from_stat(b, &sb); /* dev/ino too: scan_procs matches unix: by sockino */
        }
        snprintf(b->note, sizeof b->note, "%s", listening ? "listening" : "bound datagram");
    }
    fclose(f);
}

/* ---- users: descriptors and mappings of every process ------------------ */

static void scan_procs(struct objs *o)
{
    DIR *proc = opendir("/proc");
    struct dirent *pe;
    if (!proc)
        return;
    while ((pe = readdir(proc))) {
        if (!isdigit((unsigned char) pe->d_name[0]))
            continue;
        pid_t pid = (pid_t) atoi(pe->d_name);
        char path[PATH_MAX], link[PATH_MAX];
        snprintf(path, sizeof path, "/proc/%d/fd", (int) pid);
        DIR *fdd = opendir(path);
        if (fdd) {
            struct dirent *fe;
            while ((fe = readdir(fdd))) {
                if (fe->d_name[0] == '.')
                    continue;
                char fdp[PATH_MAX + 300];
                snprintf(fdp, sizeof fdp, "%s/%s", path, fe->d_name);
                ssize_t n = readlink(fdp, link, sizeof link - 1);
                if (n <= 0)
                    continue;
                link[n] = '\0';
                unsigned long sino;
                if (sscanf(link, "socket:[%lu]", &sino) == 1) {
                    for (size_t i = 0; i < o->n; i++)
                        if (o->v[i].kind == K_UNIX && o->v[i].sockino == sino)
                            user_add(&o->v[i], pid, R_FD, 1);
                    continue;
                }
                struct stat st;
                if (stat(fdp, &st) < 0)
                    continue;
                for (size_t i = 0; i < o->n; i++) {
                    struct obj *b = &o->v[i];
                    if (b->kind != K_UNIX && b->kind != K_SYSVMSG && b->kind != K_SYSVSEM &&
                        b->kind != K_SYSVSHM && b->ino && b->dev == st.st_dev && b->ino == st.st_ino)
                        user_add(b, pid, R_FD, 1);
                }
            }
            closedir(fdd);
        }
        snprintf(path, sizeof path, "/proc/%d/maps", (int) pid);
        FILE *m = fopen(path, "re");
        if (!m)
            continue;
        char line[PATH_MAX + 128];
        while (fgets(line, sizeof line, m)) {
            unsigned long long ino;
            int pos = 0;
            if (sscanf(line, "%*s %*s %*s %*s %llu %n", &ino, &pos) < 1 || !pos || !ino)
                continue;
            const char *file = line + pos;
            for (size_t i = 0; i < o->n; i++) {
                struct obj *b = &o->v[i];
                if (b->kind == K_SYSVSHM ? strncmp(file, "/SYSV", 5) == 0 && (long long) ino == b->id
                    : b->kind == K_SHM && b->path[0] && strncmp(file, b->path, strlen(b->path)) == 0 &&
                      (file[strlen(b->path)] == '\n' || file[strlen(b->path)] == ' ') &&
                      ino == (unsigned long long) b->ino)
                    user_add(b, pid, R_ATTACHED, 1);
            }
        }
        fclose(m);
    }
    closedir(proc);
}

/* ---- the registry ---------------------------------------------------------- */

/*
 * Entries come from registries of users (every user's when we are root):
 * untrusted text.  An entry counts for an object only if the registry's
 * user is the object's kernel owner and the entry names it consistently
 * (obj and url the same object); see rec_trusted.
 */
struct rec {
    struct ipcx__reg_rec r;
    int  alive;
};

struct recs {
    struct rec *v;
    size_t n, cap;
    int on;
    char **warn;     /* what was refused or skipped, one line each */
    size_t nwarn;
};

static void recs_warn(void *arg, const char *msg)
{
    struct recs *rs = arg;
    char **w = realloc(rs->warn, (rs->nwarn + 1) * sizeof *w);
    if (!w)
        return;
    rs->warn = w;
    if ((w[rs->nwarn] = strdup(msg)))
        rs->nwarn++;
}

static void recs_add(void *arg, const struct ipcx__reg_rec *rec)
{
    struct recs *rs = arg;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 32;
        struct rec *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            return;
        rs->v = v;
        rs->cap = cap;
    }
    struct rec *r = &rs->v[rs->n++];
    r->r = *rec;
    /* The same process as the one that wrote it: pid and start time (proc.h). */
    r->alive = ipcx__proc_alive(rec->pid, rec->start);
}

static void recs_load(struct recs *rs)
{
    memset(rs, 0, sizeof *rs);
    /* Root reads every user's registry; anyone else can read only their own. */
    int r = ipcx__reg_walk(geteuid() == 0, recs_add, recs_warn, rs);
    rs->on = r != -ENOENT;
    if (r < 0 && r != -ENOENT) {
        char base[1024] = "", msg[1200];
        (void) ipcx__reg_base(base, sizeof base);
        snprintf(msg, sizeof msg, "cannot read the registry in %s: %s", base, ipcx_strerror(r));
        recs_warn(rs, msg);
    }
}

/*
 * Believe an entry about object b only if the registry's user owns b (the
 * kernel says so) and the entry's obj and url name the same object.  So a
 * user's entries can speak about that user's objects only.  An abstract
 * socket has no owner to compare and nothing gc could remove: its entries
 * are shown (users, "ipcx"), which is all they can do.
 */
static int rec_trusted(const struct rec *r, const struct obj *b)
{
    if (!r->r.consistent)
        return 0;
    if (!b->has_owner)
        return b->kind == K_UNIX && !b->path[0];
    return r->r.uid == b->uid;
}

/* Objects only the registry knows: ipcx's FIFOs, queues while /dev/mqueue is unmounted. */
static void recs_objects(struct objs *o, const struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct rec *r = &rs->v[i];
        const char *obj = r->r.obj;
        if (!r->r.consistent || obj_find(o, obj))
            continue;
        int fifo = strncmp(obj, "fifo:/", 6) == 0;
        if (fifo || strncmp(obj, "unix:/", 6) == 0) {
            /* A FIFO, or a socket file whose socket is gone (its receiver was
             * killed).  lstat only: a FIFO is never opened here. */
            struct stat st;
            if (lstat(obj + 5, &st) < 0 || !(fifo ? S_ISFIFO(st.st_mode) : S_ISSOCK(st.st_mode)) ||
                st.st_uid != r->r.uid)
                continue;
            struct obj *b = obj_new(o, fifo ? K_FIFO : K_UNIX);
            if (!b)
                return;
            snprintf(b->url, sizeof b->url, "%s", obj);
            snprintf(b->path, sizeof b->path, "%s", obj + 5);
            set_owner_from_stat(b, &st);
            if (!fifo)
                snprintf(b->note, sizeof b->note, "socket file with no socket bound");
        } else if (strncmp(obj, "mq:/", 4) == 0 && !o->mq_mounted) {
            mq_probe(o, obj + 3);
        }
    }
}

/* Join the registry entries to the objects: users, roles, "ipcx created". */
static void recs_apply(struct objs *o, const struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct rec *r = &rs->v[i];
        struct obj *b = obj_find_reg(o, r->r.obj);
        if (!b || !rec_trusted(r, b))
            continue;
        unsigned role = (r->r.recv ? R_RECV : R_SEND) | (r->r.created ? R_CREATOR : 0);
        user_add(b, r->r.pid, role, r->alive);
        if (r->r.created)
            b->ipcx = 1;
    }
}

static int collect(struct objs *o, struct recs *rs)
{
    memset(o, 0, sizeof *o);
    recs_load(rs);
    scan_mqueue(o);
    scan_shm(o);
    scan_sysv(o, "/proc/sysvipc/msg", K_SYSVMSG);
    scan_sysv(o, "/proc/sysvipc/shm", K_SYSVSHM);
    scan_sysv(o, "/proc/sysvipc/sem", K_SYSVSEM);
    scan_unix(o);
    recs_objects(o, rs);
    scan_procs(o);
    recs_apply(o, rs);
    return 0;
}

static int obj_any_alive(const struct obj *b)
{
    for (int i = 0; i < b->nusers; i++)
        if (b->users[i].alive)
            return 1;
    return 0;
}

/* ---- output ---------------------------------------------------------------- */

static void json_num(FILE *f, const char *key, long long v)
{
    fprintf(f, ", \"%s\": ", key);
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%lld", v);
}

static void obj_json(FILE *f, const struct obj *b)
{
    char name[64];
    fputs("{\"url\": ", f);
    out_json(f, b->url);
    fprintf(f, ", \"type\": \"%s\"", kind_name[b->kind]);
    if (b->has_owner) {
        fputs(", \"owner\": ", f);
        out_json(f, owner_name(b->uid, name, sizeof name));
        fprintf(f, ", \"uid\": %u, \"gid\": %u, \"mode\": \"%04o\"", (unsigned) b->uid,
                (unsigned) b->gid, b->mode);
    }
    if (b->id >= 0)
        fprintf(f, ", \"id\": %ld", b->id);
    json_num(f, "size", b->size);
    json_num(f, "messages", b->msgs);
    json_num(f, "bytes", b->bytes);
    json_num(f, "depth", b->depth);
    json_num(f, "maxmsg", b->maxmsg);
    json_num(f, "qbytes", b->qbytes);
    fprintf(f, ", \"ipcx\": %s, \"alive\": %s", b->ipcx ? "true" : "false",
            obj_any_alive(b) ? "true" : "false");
    if (b->note[0]) {
        fputs(", \"note\": ", f);
        out_json(f, b->note);
    }
    fputs(", \"users\": [", f);
    for (int i = 0; i < b->nusers; i++) {
        const struct user *u = &b->users[i];
        comm_of(u->pid, name, sizeof name);
        fprintf(f, "%s{\"pid\": %d, \"comm\": ", i ? ", " : "", (int) u->pid);
        out_json(f, u->alive ? name : "");
        fputs(", \"roles\": [", f);
        int first = 1;
        for (unsigned r = 0; r < sizeof role_name / sizeof role_name[0]; r++)
            if (u->roles & (1u << r)) {
                fprintf(f, "%s\"%s\"", first ? "" : ", ", role_name[r]);
                first = 0;
            }
        fprintf(f, "], \"alive\": %s}", u->alive ? "true" : "false");
    }
    fputs("]}", f);
}

static void users_text(FILE *f, const struct obj *b)
{
    if (!b->nusers) {
        fputs("-", f);
        return;
    }
    for (int i = 0; i < b->nusers; i++) {
        const struct user *u = &b->users[i];
        char comm[64];
        comm_of(u->pid, comm, sizeof comm);
        fprintf(f, "%s%d%s", i ? " " : "", (int) u->pid, u->alive && comm[0] ? "/" : "");
        if (u->alive)
            out_str(f, comm); /* the process chose it: escaped on a terminal */
        fputc('(', f);
        int first = 1;
        for (unsigned r = 0; r < sizeof role_name / sizeof role_name[0]; r++)
            if (u->roles & (1u << r)) {
                fprintf(f, "%s%s", first ? "" : ",", role_name[r]);
                first = 0;
            }
        fprintf(f, ")%s", u->alive ? "" : ":dead");
    }
}

static void size_text(char *out, size_t cap, const struct obj *b)
{
    switch (b->kind) {
    case K_MQ:
        snprintf(out, cap, "%lld/%lld msgs %lldB", b->msgs, b->depth, b->bytes);
        break;
    case K_SYSVMSG:
        snprintf(out, cap, "%lld msgs %lld/%lldB", b->msgs, b->bytes, b->qbytes);
        break;
    case K_SHM:
    case K_SYSVSHM:
        snprintf(out, cap, "%lldB", b->size);
        break;
    case K_SYSVSEM:
        snprintf(out, cap, "%lld sems", b->size);
        break;
    default:
        snprintf(out, cap, "-");
    }
}

static void obj_line(FILE *f, const struct obj *b)
{
    char owner[64] = "-", mode[8] = "-", size[64];
    if (b->has_owner) {
        owner_name(b->uid, owner, sizeof owner);
        snprintf(mode, sizeof mode, "%04o", b->mode);
    }
    char url[4 * URL_LEN], own[4 * sizeof owner];
    size_text(size, sizeof size, b);
    fprintf(f, "%-36s %-11s %-8s %-5s %-20s %s ", esc_str(f, b->url, url, sizeof url),
            kind_name[b->kind], esc_str(f, owner, own, sizeof own), mode, size,
            b->ipcx ? "ipcx" : "-");
    users_text(f, b);
    fputc('\n', f);
}

static const char mq_unmounted[] =
    "/dev/mqueue is not mounted: POSIX message queues cannot be listed "
    "(mount -t mqueue none /dev/mqueue); only those ipcx knows are shown";

static void objs_free(struct objs *o, struct recs *rs)
{
    free(o->v);
    free(rs->v);
    for (size_t i = 0; i < rs->nwarn; i++)
        free(rs->warn[i]);
    free(rs->warn);
}

/* The registry's warnings (refused directories, skipped entries), to stderr or as JSON. */
static void warnings_text(const char *cmd, const struct recs *rs)
{
    for (size_t i = 0; i < rs->nwarn; i++) {
        fprintf(stderr, "ipcx %s: ", cmd);
        out_str(stderr, rs->warn[i]);
        fputc('\n', stderr);
    }
}

/* ---- ipcx ls ------------------------------------------------------------- */

static const char ls_help[] =
    "Usage: ipcx ls [--json]\n"
    "List every IPC object visible on this machine, whoever made it: POSIX\n"
    "message queues (/dev/mqueue) and shared memory (/dev/shm), System V\n"
    "queues, segments and semaphore sets, listening Unix sockets, and the\n"
    "FIFOs and socket files ipcx made.  For each: its URL, type, owner, mode,\n"
    "size or queued messages, whether ipcx created it, and its users as\n"
    "PID/COMMAND(ROLES), ':dead' for a process that is gone.\n"
    "\n"
    "  --json      one JSON document: {\"objects\": [...], \"warnings\": [...]}\n"
    "  -h, --help  show this help\n";

/* --json, --dry-run style flags; returns 1 if json, 0 if not, -1 help shown, -2 error. */
static int parse_flag(int argc, char **argv, const char *cmd, const char *help,
                      const char *flag, int *nargs)
{
    int set = 0;
    *nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return -1;
        }
        if (strcmp(argv[i], flag) == 0)
            set = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            (void) cmd_usage_error(cmd, "unknown option '%s'", argv[i]);
            return -2;
        } else
            argv[1 + (*nargs)++] = argv[i];
    }
    return set;
}

int cmd_ls(int argc, char **argv)
{
    struct objs o;
    struct recs rs;
    int nargs, json = parse_flag(argc, argv, "ls", ls_help, "--json", &nargs);
    if (json == -1)
        return 0;
    if (json < -1)
        return EXIT_USAGE;
    if (nargs)
        return cmd_usage_error("ls", "%s", "no arguments expected (see ipcx stat URL)");
    collect(&o, &rs);
    if (json) {
        fputs("{\"objects\": [", stdout);
        for (size_t i = 0; i < o.n; i++) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            obj_json(stdout, &o.v[i]);
        }
        fputs("\n], \"warnings\": [", stdout);
        int nw = 0;
        if (!o.mq_mounted) {
            out_json(stdout, mq_unmounted);
            nw++;
        }
        for (size_t i = 0; i < rs.nwarn; i++, nw++) {
            fputs(nw ? ", " : "", stdout);
            out_json(stdout, rs.warn[i]);
        }
        fputs("]}\n", stdout);
    } else {
        if (!o.mq_mounted)
            fprintf(stderr, "ipcx ls: %s\n", mq_unmounted);
        warnings_text("ls", &rs);
        printf("%-36s %-11s %-8s %-5s %-20s %s %s\n", "URL", "TYPE", "OWNER", "MODE", "SIZE",
               "IPCX", "USERS");
        for (size_t i = 0; i < o.n; i++)
            obj_line(stdout, &o.v[i]);
    }
    objs_free(&o, &rs);
    return 0;
}

/* ---- ipcx stat ---------------------------------------------------------- */

static const char stat_help[] =
    "Usage: ipcx stat [--json] URL\n"
    "Everything known about the IPC object of URL (mq:/name, sysvmq:KEY,\n"
    "sysvmq:/path?proj=N, shm:/name, sysvshm:KEY, sysvsem:KEY, fifo:/path,\n"
    "unix:/path, unix:@name): type, owner, mode, size, queued messages and\n"
    "bytes, capacity, and every process known to use it, alive or dead.\n"
    "Exit status: 0 found, 1 no such object, 2 bad usage.\n";

/* The URL as `ipcx ls` spells it. */
static int stat_canon(const char *url, char *out, size_t cap)
{
    if (strncmp(url, "sysvmq:/", 8) == 0) {
        /* The ftok form: the key is what ls shows. */
        char path[PATH_MAX];
        const char *q = strchr(url, '?'), *pj = q ? strstr(q, "proj=") : NULL;
        int proj = pj ? atoi(pj + 5) : 1;
        snprintf(path, sizeof path, "%.*s", q ? (int) (q - url - 7) : (int) strlen(url + 7), url + 7);
        key_t k = ftok(path, proj);
        if (k == (key_t) -1)
            return -ENOENT;
        snprintf(out, cap, "sysvmq:0x%08x", (unsigned) k);
        return 0;
    }
    if (strncmp(url, "sysvmq:", 7) == 0 || strncmp(url, "sysvshm:", 8) == 0 ||
        strncmp(url, "sysvsem:", 8) == 0) {
        const char *colon = strchr(url, ':');
        char *end;
        if (colon[1] == '?') {
            snprintf(out, cap, "%s", url);
            return 0;
        }
        unsigned long long k = strtoull(colon + 1, &end, 0);
        if (end == colon + 1 || (*end && *end != '?') || k > 0xffffffffull)
            return -EINVAL;
        snprintf(out, cap, "%.*s0x%08llx", (int) (colon - url + 1), url, k);
        return 0;
    }
    return ipcx__reg_object(url, out, cap);
}

static void obj_text(FILE *f, const struct obj *b)
{
    char name[64];
    fputs("url:      ", f);
    out_str(f, b->url);
    fprintf(f, "\ntype:     %s\n", kind_name[b->kind]);
    if (b->has_owner) {
        fputs("owner:    ", f);
        out_str(f, owner_name(b->uid, name, sizeof name));
        fprintf(f, " (uid %u, gid %u)\nmode:     %04o\n", (unsigned) b->uid, (unsigned) b->gid,
                b->mode);
    }
    if (b->id >= 0)
        fprintf(f, "id:       %ld\n", b->id);
    if (b->path[0]) {
        fputs("path:     ", f);
        out_str(f, b->path);
        fputc('\n', f);
    }
    if (b->size >= 0)
        fprintf(f, "size:     %lld%s\n", b->size, b->kind == K_SYSVSEM ? " semaphores" : " bytes");
    if (b->msgs >= 0)
        fprintf(f, "messages: %lld\n", b->msgs);
    if (b->bytes >= 0)
        fprintf(f, "bytes:    %lld\n", b->bytes);
    if (b->depth >= 0)
        fprintf(f, "depth:    %lld messages\n", b->depth);
    if (b->maxmsg >= 0)
        fprintf(f, "maxmsg:   %lld bytes\n", b->maxmsg);
    if (b->qbytes >= 0)
        fprintf(f, "qbytes:   %lld bytes\n", b->qbytes);
    fprintf(f, "ipcx:     %s\n", b->ipcx ? "created by ipcx" : "not known to have been created by ipcx");
    if (b->note[0]) {
        fputs("note:     ", f);
        out_str(f, b->note);
        fputc('\n', f);
    }
    fprintf(f, "users:    ");
    users_text(f, b);
    fputc('\n', f);
}

int cmd_stat(int argc, char **argv)
{
    struct objs o;
    struct recs rs;
    char canon[URL_LEN];
    int nargs, json = parse_flag(argc, argv, "stat", stat_help, "--json", &nargs);
    if (json == -1)
        return 0;
    if (json < -1)
        return EXIT_USAGE;
    if (nargs != 1)
        return cmd_usage_error("stat", "%s", nargs ? "one URL only" : "no URL");
    const char *url = argv[1];
    if (stat_canon(url, canon, sizeof canon) < 0)
        return cmd_fail(url, -EINVAL);
    collect(&o, &rs);
    warnings_text("stat", &rs);
    struct obj *b = obj_find(&o, canon);
    if (!b && strncmp(canon, "mq:/", 4) == 0 && !o.mq_mounted) {
        if ((b = mq_probe(&o, canon + 3))) {
            /* Scan again: the descriptors are matched by the queue's inode. */
            struct obj one = *b;
            o.n = 0;
            *obj_new(&o, K_MQ) = one;
            scan_procs(&o);
            recs_apply(&o, &rs);
            b = &o.v[0];
        }
    }
    if (!b)
        b = obj_find_reg(&o, canon);
    int rc = 0;
    if (!b) {
        fprintf(stderr, "ipcx: %s: no such object%s\n", url,
                strncmp(canon, "mq:", 3) == 0 && !o.mq_mounted ? " (and /dev/mqueue is not mounted)" : "");
        rc = EXIT_RUNTIME;
    } else if (json) {
        obj_json(stdout, b);
        fputc('\n', stdout);
    } else {
        obj_text(stdout, b);
    }
    objs_free(&o, &rs);
    return rc;
}

/* ---- ipcx gc -------------------------------------------------------------- */

static const char gc_help[] =
    "Usage: ipcx gc [--dry-run]\n"
    "Remove the IPC objects that ipcx created and whose every user process is\n"
    "dead: the creator and every process that opened it through ipcx (from\n"
    "the ipcx registry, pid and start time, so a reused pid does not count),\n"
    "every process with a descriptor or a mapping of it, and the last\n"
    "sender/receiver the kernel recorded.  Also removes registry entries of\n"
    "dead processes, leftover doorbells of removed sysvmq queues, and the\n"
    "doorbell FIFOs of shm rings whose owner is dead\n"
    "(/dev/shm/ipcx-bell-SEGMENT-INDEX-PID-START: pid and start time name\n"
    "the owner).  Says what it removed.  Objects ipcx did not create are\n"
    "never touched.  Run by root it reads every user's registry, and believes\n"
    "an entry only about objects of that entry's user.\n"
    "\n"
    "  -n, --dry-run  only say what would be removed\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 done, 1 something could not be removed, 2 bad usage.\n";

struct gc_bells {
    const char *verb;
    int done, failed;
};

static void gc_bell_seen(void *arg, const char *path, pid_t pid, int err)
{
    struct gc_bells *g = arg;
    if (err < 0) {
        fprintf(stderr, "ipcx: %s: %s\n", path, ipcx_strerror(err));
        g->failed = 1;
        return;
    }
    printf("%s %s (a shm ring's doorbell; its owner pid %d is dead)\n", g->verb, path, (int) pid);
    g->done++;
}

/* Split an absolute path into its directory (opened) and last name; -errno. */
static int gc_parent(const char *path, char *dir, size_t cap, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (path[0] != '/' || !slash || !slash[1] || strcmp(slash + 1, "..") == 0 ||
        strcmp(slash + 1, ".") == 0)
        return -EINVAL;
    size_t n = slash == path ? 1 : (size_t) (slash - path);
    if (n >= cap)
        return -ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    *base = slash + 1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* Could uid remove a name in the directory st describes?  (groups: not counted, so no) */
static int gc_dir_lets(const struct stat *st, uid_t uid)
{
    if (uid == 0)
        return 1;
    return st->st_uid == uid ? (st->st_mode & 0300) == 0300 : (st->st_mode & 0003) == 0003;
}

/*
 * Remove object b on behalf of uid, its owner as the registry said: look
 * at the object once more and act on exactly what was looked at.  System V
 * objects by the id checked (a new object under the same key has another
 * id); files by their inode through the directory descriptor that was
 * checked, in a directory where uid may remove names.  0 (removed, or
 * would be with dry), -ENOENT gone already, -EPERM refused (*why), -errno.
 */
static int gc_remove(const struct obj *b, uid_t uid, int dry, char *why, size_t cap)
{
    struct stat st;
    int r = 0, dfd = -1;
    const char *base = NULL;
    char dir[PATH_MAX];

    switch (b->kind) {
    case K_SYSVMSG: {
        struct msqid_ds ds;
        if (msgctl((int) b->id, IPC_STAT, &ds) < 0)
            return errno == EINVAL || errno == EIDRM ? -ENOENT : -errno;
        if (ds.msg_perm.uid != uid) {
            snprintf(why, cap, "its owner is now uid %u", (unsigned) ds.msg_perm.uid);
            return -EPERM;
        }
        return dry || msgctl((int) b->id, IPC_RMID, NULL) == 0 ? 0 : -errno;
    }
    case K_SYSVSHM: {
        struct shmid_ds ds;
        if (shmctl((int) b->id, IPC_STAT, &ds) < 0)
            return errno == EINVAL || errno == EIDRM ? -ENOENT : -errno;
        if (ds.shm_perm.uid != uid) {
            snprintf(why, cap, "its owner is now uid %u", (unsigned) ds.shm_perm.uid);
            return -EPERM;
        }
        return dry || shmctl((int) b->id, IPC_RMID, NULL) == 0 ? 0 : -errno;
    }
    case K_MQ:
    case K_SHM:
        base = b->url + (b->kind == K_MQ ? 4 : 5); /* "mq:/NAME", "shm:/NAME" */
        if (!*base || strchr(base, '/'))
            return -EINVAL;
        if (b->kind == K_MQ && !mqueue_mounted()) {
            /* Without the file system, only by name: look, then remove. */
            char name[NAME_MAX + 2];
            snprintf(name, sizeof name, "/%s", base);
            mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK);
            if (q == (mqd_t) -1)
                return errno == ENOENT ? -ENOENT : -errno;
            r = fstat((int) q, &st) < 0 ? -errno : 0;
            mq_close(q);
            if (r == 0 && (st.st_uid != uid || (b->ino && st.st_ino != b->ino))) {
                snprintf(why, cap, "it is not the queue of uid %u that was looked at", (unsigned) uid);
                return -EPERM;
            }
            return r < 0 || dry ? r : mq_unlink(name) == 0 ? 0 : -errno;
        }
        dfd = open(b->kind == K_MQ ? MQUEUE_DIR : SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return -errno;
        break;
    case K_FIFO:
    case K_UNIX:
        if (!b->path[0])
            return -ENOENT; /* an abstract socket: nothing to remove */
        dfd = gc_parent(b->path, dir, sizeof dir, &base);
        if (dfd < 0)
            return dfd;
        if (fstat(dfd, &st) < 0 || !gc_dir_lets(&st, uid)) {
            snprintf(why, cap, "uid %u may not remove names in %s", (unsigned) uid, dir);
            (void) close(dfd);
            return -EPERM;
        }
        break;
    default:
        return -ENOTSUP;
    }
    /* A name in the directory dfd: it must still be the object looked at. */
    unsigned type = b->kind == K_FIFO ? S_IFIFO : b->kind == K_UNIX ? S_IFSOCK : S_IFREG;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        r = -errno;
    else if ((st.st_mode & S_IFMT) != type || st.st_uid != uid ||
             (b->ino && (st.st_ino != b->ino || st.st_dev != b->dev))) {
        snprintf(why, cap, "it is no longer the %s of uid %u that was looked at",
                 kind_name[b->kind], (unsigned) uid);
        r = -EPERM;
    } else if (!dry && unlinkat(dfd, base, 0) < 0)
        r = -errno;
    (void) close(dfd);
    return r;
}

/* Say on stderr why URL was not removed (names from outside: escaped). */
static int gc_refused(const char *url, int err, const char *why)
{
    fputs("ipcx gc: not removing ", stderr);
    out_str(stderr, url);
    fprintf(stderr, ": %s", why[0] ? "" : ipcx_strerror(err));
    out_str(stderr, why);
    fputc('\n', stderr);
    return EXIT_RUNTIME;
}

int cmd_gc(int argc, char **argv)
{
    struct objs o;
    struct recs rs;
    int nargs, rc = 0, removed = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-n") == 0)
            argv[i] = (char *) "--dry-run";
    int dry = parse_flag(argc, argv, "gc", gc_help, "--dry-run", &nargs);
    if (dry == -1)
        return 0;
    if (dry < -1)
        return EXIT_USAGE;
    if (nargs)
        return cmd_usage_error("gc", "%s", "no arguments expected");
    collect(&o, &rs);
    if (!rs.on)
        fprintf(stderr, "ipcx gc: the registry is off (IPCX_REGISTRY=off): nothing is known "
                        "to be ipcx's\n");
    if (!o.mq_mounted)
        fprintf(stderr, "ipcx gc: %s\n", mq_unmounted);
    warnings_text("gc", &rs);
    const char *verb = dry ? "would remove" : "removed";

    /*
     * Objects ipcx created with no live user.  b->ipcx is set only by
     * entries of the object's own owner (rec_trusted); the removal acts on
     * the object scanned, never on a URL an entry wrote.
     */
    for (size_t i = 0; i < o.n; i++) {
        struct obj *b = &o.v[i];
        if (b->ipcx != 1 || obj_any_alive(b))
            continue;
        pid_t creator = 0;
        for (size_t k = 0; k < rs.n; k++)
            if (rs.v[k].r.created && obj_find_reg(&o, rs.v[k].r.obj) == b &&
                rec_trusted(&rs.v[k], b))
                creator = rs.v[k].r.pid;
        char why[PATH_MAX + 100] = "";
        int r = gc_remove(b, b->uid, dry, why, sizeof why);
        if (r == -ENOENT || r == -ENOTSUP)
            continue;
        if (r < 0) {
            rc = gc_refused(b->url, r, why);
            continue;
        }
        printf("%s ", verb);
        out_str(stdout, b->url);
        printf(" (creator pid %d is dead and nobody uses it)\n", (int) creator);
        removed++;
        b->ipcx = 2; /* its entries go below */
    }

    /* Doorbells of sysvmq queues that are gone (removed by ipcrm -q, or above). */
    for (size_t i = 0; i < o.n; i++) {
        struct obj *b = &o.v[i];
        unsigned key;
        if (b->kind != K_SYSVSEM || !b->note[0] || sscanf(b->url, "sysvsem:0x%x", &key) != 1)
            continue;
        char qurl[40];
        snprintf(qurl, sizeof qurl, "sysvmq:0x%08x", key);
        struct obj *q = obj_find(&o, qurl);
        if (q && q->ipcx != 2)
            continue;
        /* By the id that was looked at: a new set under the key is not touched. */
        if (!dry && semctl((int) b->id, 0, IPC_RMID) < 0) {
            if (errno != EINVAL && errno != EIDRM)
                rc = gc_refused(b->url, -errno, "");
            continue;
        }
        printf("%s %s (the doorbell of %s, which is gone)\n", verb, b->url, qurl);
        removed++;
    }

    /* Doorbell FIFOs of shm rings whose owner died: the name says who (src/shm/bell.h). */
    struct gc_bells gb = { verb, 0, 0 };
    int nb = ipcx__bell_sweep(NULL, dry, gc_bell_seen, &gb);
    if (nb < 0 && nb != -ENOENT)
        rc = cmd_fail(IPCX_BELL_DIR, nb);
    removed += gb.done;
    if (gb.failed)
        rc = EXIT_RUNTIME;

    /* Registry entries: of dead processes, and of every object removed above. */
    int stale = 0;
    for (size_t k = 0; k < rs.n; k++) {
        struct rec *r = &rs.v[k];
        struct obj *b = obj_find_reg(&o, r->r.obj);
        int drop = (b && b->ipcx == 2 && rec_trusted(r, b)) || (!r->alive && (!b || !r->r.created));
        if (!drop)
            continue;
        if (!dry && ipcx__reg_remove(&r->r) < 0)
            continue;
        stale++;
    }
    if (stale)
        printf("%s %d registry entr%s of dead processes or removed objects\n", verb, stale,
               stale == 1 ? "y" : "ies");
    if (!removed && !stale)
        printf("nothing to remove\n");
    objs_free(&o, &rs);
    return rc;
}
