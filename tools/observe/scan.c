/*
 * scan.c - the objects on the machine and their users (see obs.h): one
 * reader per source, then every process's descriptors and mappings.
 * Nothing here reads the registry (join.c) or prints (out.c).
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "obs.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#define MQUEUE_MAGIC 0x19800202
#define DOORBELL_TAG 0x6970 /* sysvmq.c: the tag of a queue's doorbell semaphore set */

/* ---- the table of objects ------------------------------------------------ */

struct obj *obj_new(struct objs *o, enum kind k)
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
    b->nattch = b->times[0] = b->times[1] = b->times[2] = -1;
    b->id = -1;
    return b;
}

struct obj *obj_find(struct objs *o, const char *url)
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
struct obj *obj_find_reg(struct objs *o, const char *url)
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
    struct ipcx_proc_info p;
    int64_t start;
    if (!ipcx_proc_alive(pid, 0) || ipcx_proc_read(pid, &p, sizeof p) < 0)
        return 0;
    if (ipcx_proc_epoch(p.start, &start) < 0)
        return 1; /* cannot tell when it started: never declare it dead */
    return when <= 0 || start <= when + 1; /* +1: rounded down to seconds */
}

void user_add(struct obj *b, pid_t pid, unsigned role, int alive)
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

void set_owner_from_stat(struct obj *b, const struct stat *st)
{
    b->times[0] = (long long) st->st_mtime; /* files: modified, changed */
    b->times[1] = (long long) st->st_ctime;
    b->uid = st->st_uid;
    b->gid = st->st_gid;
    b->mode = st->st_mode & 07777;
    b->has_owner = 1;
    b->dev = st->st_dev;
    b->ino = st->st_ino;
}


/* ---- sources -------------------------------------------------------------- */

int mqueue_mounted(void)
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
struct obj *mq_probe(struct objs *o, const char *name)
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

/* The kernel's largest System V message (/proc/sys/kernel/msgmax), or -1. */
static long long msgmax(void)
{
    long long v = -1;
    FILE *f = fopen("/proc/sys/kernel/msgmax", "re");
    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
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
            b->times[0] = v[11], b->times[1] = v[12], b->times[2] = v[13];
            b->maxmsg = msgmax(); /* the kernel's limit on one message */
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
            b->nattch = v[6];
            b->times[0] = v[11], b->times[1] = v[12], b->times[2] = v[13];
            user_add(b, (pid_t) v[4], R_CREATOR, pid_alive_since((pid_t) v[4], v[13]));
            long long last = v[11] > v[12] ? v[11] : v[12];
            user_add(b, (pid_t) v[5], R_LASTOP, pid_alive_since((pid_t) v[5], last));
            snprintf(b->note, sizeof b->note, "%lld attached", v[6]);
        } else {
            /* key semid perms nsems uid gid cuid cgid otime ctime */
            b->size = v[3];
            b->uid = (uid_t) v[4];
            b->gid = (gid_t) v[5];
            b->times[0] = v[8], b->times[1] = v[9];
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
            /*
             * The kernel prints socket names unescaped, so anyone can bind an
             * abstract name holding a newline and forge a line for another
             * user's socket file (and two real sockets may be bound at one
             * path).  A path listed twice is not known to be dead: gc leaves
             * every object that names it.
             */
            for (size_t k = 0; k + 1 < o->n; k++)
                if (o->v[k].kind == K_UNIX && strcmp(o->v[k].path, b->path) == 0)
                    o->v[k].ambiguous = b->ambiguous = 1;
            if (lstat(name, &sb) == 0)
                set_owner_from_stat(b, &sb); /* dev/ino too: scan_procs matches unix: by sockino */
        }
        snprintf(b->note, sizeof b->note, "%s", listening ? "listening" : "bound datagram");
    }
    fclose(f);
}

/* Every source but the processes, in the order ls shows them. */
void scan_objects(struct objs *o)
{
    scan_mqueue(o);
    scan_shm(o);
    scan_sysv(o, "/proc/sysvipc/msg", K_SYSVMSG);
    scan_sysv(o, "/proc/sysvipc/shm", K_SYSVSHM);
    scan_sysv(o, "/proc/sysvipc/sem", K_SYSVSEM);
    scan_unix(o);
}

/* ---- users: descriptors and mappings of every process ------------------ */

void scan_procs(struct objs *o)
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
            unsigned major, minor;
            int pos = 0;
            if (sscanf(line, "%*s %*s %*s %x:%x %llu %n", &major, &minor, &ino, &pos) < 3 ||
                !pos || !ino)
                continue;
            const char *file = line + pos;
            /* A POSIX segment by its device and inode, not its name: a file
             * made under no name and linked later (O_TMPFILE, as sem: and
             * glibc's sem_open make theirs) is mapped as "/dev/shm/#INO
             * (deleted)" or a temporary name. */
            for (size_t i = 0; i < o->n; i++) {
                struct obj *b = &o->v[i];
                if (b->kind == K_SYSVSHM ? strncmp(file, "/SYSV", 5) == 0 && (long long) ino == b->id
                    : b->kind == K_SHM && ino == (unsigned long long) b->ino &&
                      makedev(major, minor) == b->dev)
                    user_add(b, pid, R_ATTACHED, 1);
            }
        }
        fclose(m);
    }
    closedir(proc);
}

