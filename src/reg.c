/*
 * reg.c - the user registry (see reg.h): write an entry when a named
 * channel opens, remove it when it closes, and read entries back for the
 * adopt path and the ipcx command.  Nothing here fails an open: a registry
 * that cannot be used (read-only, refused directory) is skipped silently.
 *
 * Trust: each user writes only into a directory of their own
 * (BASE/.ipcx-registry-UID, 0700).  The directory is opened with
 * O_NOFOLLOW|O_DIRECTORY and checked (owner UID, no group or other bits)
 * every time, and from then on used only through that descriptor (openat,
 * renameat, unlinkat), so a symbolic link or another directory swapped in
 * later cannot redirect us.  A directory that someone else made under our
 * name is refused, never used.  Entries are looked at with fstatat before
 * they are opened (only regular files of the registry's user, at most
 * IPCX_REG_FILE_MAX bytes; so never a FIFO, which would block an open, or
 * a device), opened with O_NOFOLLOW|O_NONBLOCK, checked again by fstat,
 * and parsed strictly: the magic line, then exactly the six known keys
 * once each with valid values, or the entry is skipped.
 */
#include "reg.h"
#include "ipcx.h"
#include "transport/transport.h"
#include "sys/sys.h"
#include "sys/proc.h"
#include "sys/fs.h"

#include <fcntl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define REG_MAGIC "ipcx-reg 1"
#define WHY_MAX   512

struct ipcx__reg {
    pid_t pid;              /* the process that wrote the entry */
    uid_t uid;              /* whose registry holds it */
    char  name[64];         /* its file name there */
};

static atomic_uint reg_seq;

static void why_set(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_set(char *why, const char *fmt, ...)
{
    if (!why)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(why, WHY_MAX, fmt, ap);
    va_end(ap);
}

int ipcx__reg_base(char *buf, size_t cap)
{
    /* secure_getenv: a set-user-ID program must not be pointed elsewhere. */
    const char *d = secure_getenv("IPCX_REGISTRY");
    if (!d || !*d)
        d = IPCX_REG_BASE_DEFAULT;
    if (strcmp(d, "off") == 0)
        return -ENOENT;
    int n = snprintf(buf, cap, "%s", d);
    return n < 0 || (size_t) n >= cap ? -ENAMETOOLONG : 0;
}

int ipcx__reg_dir(uid_t uid, char *buf, size_t cap)
{
    char base[1024];
    int r = ipcx__reg_base(base, sizeof base);
    if (r < 0)
        return r;
    int n = snprintf(buf, cap, "%s/" IPCX_REG_PREFIX "%u", base, (unsigned) uid);
    return n < 0 || (size_t) n >= cap ? -ENAMETOOLONG : 0;
}

/*
 * Open uid's registry directory and check it: a descriptor, -ENOENT (there
 * is none, or the registry is off), -EPERM (refused: *why says why) or
 * another -errno.  create: make it first (for our own uid only).
 */
static int reg_open(uid_t uid, int create, char *why)
{
    char base[1024], name[40];
    struct stat st;
    int r = ipcx__reg_base(base, sizeof base);
    if (r < 0)
        return r;
    snprintf(name, sizeof name, IPCX_REG_PREFIX "%u", (unsigned) uid);
    int bfd = ipcx__dir_open(AT_FDCWD, base, 0);
    if (bfd == -ENOENT && create) {
        (void) ipcx__mkdirat(AT_FDCWD, base, 0700);
        bfd = ipcx__dir_open(AT_FDCWD, base, 0);
    }
    if (bfd < 0) {
        why_set(why, "%s: cannot open it: %s", base, ipcx_strerror(bfd));
        return bfd;
    }
    if (create)
        (void) ipcx__mkdirat(bfd, name, 0700); /* EEXIST: look at what is there */
    int fd = ipcx__dir_open(bfd, name, O_NOFOLLOW | O_NONBLOCK);
    (void) ipcx__close(bfd);
    if (fd == -ELOOP || fd == -ENOTDIR) {
        why_set(why, "%s/%s is not a directory (a symbolic link or another file): refusing it",
                base, name);
        return -EPERM;
    }
    if (fd < 0) {
        why_set(why, "%s/%s: cannot open it: %s", base, name, ipcx_strerror(fd));
        return fd;
    }
    if ((r = ipcx__fstat(fd, &st)) < 0) {
        (void) ipcx__close(fd);
        return r;
    }
    if (st.st_uid != uid) {
        why_set(why, "%s/%s belongs to uid %u, not to uid %u (made by another user?): "
                "refusing it", base, name, (unsigned) st.st_uid, (unsigned) uid);
        (void) ipcx__close(fd);
        return -EPERM;
    }
    if (st.st_mode & 077) {
        why_set(why, "%s/%s has mode %04o (group or others may use it): refusing it", base,
                name, (unsigned) (st.st_mode & 07777));
        (void) ipcx__close(fd);
        return -EPERM;
    }
    /* Ours but made under an odd umask (mkdirat cannot add bits): we need rwx. */
    if (create && (st.st_mode & 0700) != 0700 && ipcx__fchmod(fd, 0700) < 0) {
        (void) ipcx__close(fd);
        return -EPERM;
    }
    return fd;
}

int ipcx__reg_object(const char *url, char *out, size_t cap)
{
    const char *colon = strchr(url, ':');
    if (!colon || colon == url || (colon[1] == '/' && colon[2] == '/'))
        return -EINVAL;
    const char *path = colon + 1, *q = strchr(path, '?');
    size_t slen = (size_t) (colon - url) + 1, plen = q ? (size_t) (q - path) : strlen(path);
    char cwd[4096] = "";
    int n;

    if (plen == 0) /* sysvmq:?id=N is all query */
        n = snprintf(out, cap, "%s", url);
    else {
        if (path[0] != '/' && path[0] != '@' &&
            (strncmp(url, "fifo:", 5) == 0 || strncmp(url, "unix:", 5) == 0)) {
            if (!getcwd(cwd, sizeof cwd - 1))
                return -ENAMETOOLONG;
            strcat(cwd, "/");
        }
        n = snprintf(out, cap, "%.*s%s%.*s", (int) slen, url, cwd, (int) plen, path);
    }
    return n < 0 || (size_t) n >= cap ? -ENAMETOOLONG : 0;
}

struct ipcx__reg *ipcx__reg_chan(const struct ipcx_chan *ch)
{
    char url[IPCX_REG_OBJ_MAX], obj[IPCX_REG_OBJ_MAX], abs_url[IPCX_REG_OBJ_MAX], tmp[64];
    char text[IPCX_REG_FILE_MAX];
    const pid_t pid = getpid();
    const uid_t uid = geteuid();
    struct ipcx__reg *r;
    uint64_t start = 0;

    if (!ch->tp->addr || ch->tp->addr(ch, url, sizeof url) < 0)
        return NULL;
    if (ipcx__reg_object(url, obj, sizeof obj) < 0 || strpbrk(url, "\n\r"))
        return NULL; /* a name with a line break cannot be written as one line */
    /* A relative path: write the URL absolute too, so that readers can
     * check that url and obj name the same object without our cwd. */
    size_t olen = strlen(obj);
    if (strncmp(url, obj, olen) != 0 || (url[olen] && url[olen] != '?')) {
        const char *q = strchr(strchr(url, ':'), '?');
        if ((size_t) snprintf(abs_url, sizeof abs_url, "%s%s", obj, q ? q : "") >= sizeof abs_url)
            return NULL;
        memcpy(url, abs_url, sizeof url);
    }
    /* Transports that do not say whether they created the object: a
     * receiver asked to create is the one that makes FIFOs and sockets. */
    int created = ch->created >= 0 ? ch->created
                : (ch->flags & IPCX_RECV) && (ch->flags & IPCX_CREATE);
    (void) ipcx__proc_start(pid, &start);
    unsigned seq = atomic_fetch_add(&reg_seq, 1);
    int len = snprintf(text, sizeof text, REG_MAGIC "\nobj %s\nurl %s\npid %d\nstart %llu\n"
                       "role %s\ncreated %d\n", obj, url, (int) pid, (unsigned long long) start,
                       (ch->flags & IPCX_RECV) ? "recv" : "send", created);
    if (len < 0 || (size_t) len >= sizeof text)
        return NULL;
    r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->pid = pid;
    r->uid = uid;
    snprintf(r->name, sizeof r->name, "%d-%llu-%u", (int) pid, (unsigned long long) start, seq);
    snprintf(tmp, sizeof tmp, ".tmp-%d-%u", (int) pid, seq);
    int dfd = reg_open(uid, 1, NULL);
    if (dfd < 0)
        goto fail;
    int fd = ipcx__openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd < 0)
        goto fail_dir;
    ssize_t w = ipcx__write_all(fd, text, (size_t) len);
    (void) ipcx__close(fd);
    if (w != len || ipcx__renameat(dfd, tmp, r->name) < 0) {
        (void) ipcx__unlinkat(dfd, tmp, 0);
        goto fail_dir;
    }
    (void) ipcx__close(dfd);
    return r;
fail_dir:
    (void) ipcx__close(dfd);
fail:
    free(r);
    return NULL;
}

void ipcx__reg_del(struct ipcx__reg *r)
{
    if (!r)
        return;
    if (r->pid == getpid()) {
        int dfd = reg_open(r->uid, 0, NULL);
        if (dfd >= 0) {
            (void) ipcx__unlinkat(dfd, r->name, 0);
            (void) ipcx__close(dfd);
        }
    }
    free(r);
}

/* ---- reading entries: untrusted text ------------------------------------ */

enum { K_OBJ = 1, K_URL = 2, K_PID = 4, K_START = 8, K_ROLE = 16, K_CREATED = 32, K_ALL = 63 };

/* A whole value that is a decimal number <= max. */
static int reg_num(const char *v, uint64_t max, uint64_t *out)
{
    return ipcx__dec_u64(&v, max, out) == 0 && *v == '\0' ? 0 : -1;
}

/* Parse the text of an entry (len bytes, NUL-terminated at buf[len]): 0 or -EBADMSG with *why. */
static int reg_parse(char *buf, size_t len, struct ipcx__reg_rec *rec, char *why)
{
    static const char *const keys[] = { "obj", "url", "pid", "start", "role", "created" };
    unsigned seen = 0;
    uint64_t v;

    if (len == 0 || buf[len - 1] != '\n' || memchr(buf, '\0', len)) {
        why_set(why, "not a text entry ending in a newline");
        return -EBADMSG;
    }
    buf[len - 1] = '\0';
    char *line = buf, *next;
    next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    if (strcmp(line, REG_MAGIC) != 0) {
        why_set(why, "its first line is not '" REG_MAGIC "'");
        return -EBADMSG;
    }
    while ((line = next)) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *val = strchr(line, ' ');
        unsigned k = 0;
        if (val) {
            *val++ = '\0';
            for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
                if (strcmp(line, keys[i]) == 0)
                    k = 1u << i;
        }
        if (!k) {
            why_set(why, "unknown line '%.32s'", line);
            return -EBADMSG;
        }
        if (seen & k) {
            why_set(why, "'%s' given twice", line);
            return -EBADMSG;
        }
        seen |= k;
        int ok = 1;
        switch (k) {
        case K_OBJ:
        case K_URL:
            ok = strlen(val) < IPCX_REG_OBJ_MAX && val[0];
            if (ok)
                strcpy(k == K_OBJ ? rec->obj : rec->url, val);
            break;
        case K_PID:
            ok = reg_num(val, INT32_MAX, &v) == 0 && v > 0;
            rec->pid = (pid_t) v;
            break;
        case K_START:
            ok = reg_num(val, UINT64_MAX, &rec->start) == 0;
            break;
        case K_ROLE:
            ok = strcmp(val, "recv") == 0 || strcmp(val, "send") == 0;
            rec->recv = val[0] == 'r';
            break;
        case K_CREATED:
            ok = (val[0] == '0' || val[0] == '1') && !val[1];
            rec->created = val[0] == '1';
            break;
        }
        if (!ok) {
            why_set(why, "bad value for '%s'", line);
            return -EBADMSG;
        }
    }
    if (seen != K_ALL) {
        for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (!(seen & (1u << i))) {
                why_set(why, "no '%s' line", keys[i]);
                break;
            }
        return -EBADMSG;
    }
    char canon[IPCX_REG_OBJ_MAX];
    rec->consistent = ipcx__reg_object(rec->url, canon, sizeof canon) == 0 &&
                      strcmp(canon, rec->obj) == 0;
    return 0;
}

/*
 * Read entry name of registry dfd (the registry of uid).  0, -ENOENT (gone
 * meanwhile) or -EBADMSG (skipped: *why says why).
 */
static int reg_read_at(int dfd, uid_t uid, const char *name, struct ipcx__reg_rec *rec,
                       char *why)
{
    char buf[IPCX_REG_FILE_MAX + 1];
    struct stat st, st2;
    size_t len = 0;

    /* Look before opening: a FIFO would block an open, a device would act on it. */
    int r = ipcx__fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
    if (r == -ENOENT)
        return -ENOENT;
    if (r < 0 || !S_ISREG(st.st_mode)) {
        why_set(why, "not a regular file but %s", r < 0 ? "unreadable" : S_ISLNK(st.st_mode) ?
                "a symbolic link" : S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ?
                "a directory" : "a special file");
        return -EBADMSG;
    }
    int fd = ipcx__openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
    if (fd == -ENOENT)
        return -ENOENT;
    if (fd < 0) {
        why_set(why, "cannot open it: %s", ipcx_strerror(fd));
        return -EBADMSG;
    }
    /* What we opened is what we looked at? (it may have been swapped) */
    if (ipcx__fstat(fd, &st2) < 0 || !S_ISREG(st2.st_mode) || st2.st_ino != st.st_ino ||
        st2.st_dev != st.st_dev) {
        why_set(why, "not a regular file");
        goto bad;
    }
    if (st2.st_uid != uid) {
        why_set(why, "owned by uid %u, not by the registry's uid %u", (unsigned) st2.st_uid,
                (unsigned) uid);
        goto bad;
    }
    if (st2.st_size > IPCX_REG_FILE_MAX) {
        why_set(why, "longer than %d bytes", IPCX_REG_FILE_MAX);
        goto bad;
    }
    while (len < sizeof buf - 1) {
        ssize_t n = ipcx__read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0) {
            why_set(why, "cannot read it: %s", ipcx_strerror((int) n));
            goto bad;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    (void) ipcx__close(fd);
    if (len > IPCX_REG_FILE_MAX) {
        why_set(why, "longer than %d bytes", IPCX_REG_FILE_MAX);
        return -EBADMSG;
    }
    buf[len] = '\0';
    memset(rec, 0, sizeof *rec);
    rec->uid = uid;
    snprintf(rec->name, sizeof rec->name, "%s", name);
    return reg_parse(buf, len, rec, why);
bad:
    (void) ipcx__close(fd);
    return -EBADMSG;
}

/* ---- walking registries -------------------------------------------------- */

struct reg_walk {
    void (*entry)(void *arg, const struct ipcx__reg_rec *rec);
    void (*warn)(void *arg, const char *msg);
    void *arg;
    int   dfd;
    uid_t uid;
    char  dir[1100];
    struct ipcx__reg_rec rec;
};

static int walk_entry(void *arg, const char *name)
{
    struct reg_walk *w = arg;
    char why[WHY_MAX] = "";
    if (name[0] == '.')
        return 0; /* a temporary file being written: never opened */
    int r = reg_read_at(w->dfd, w->uid, name, &w->rec, why);
    if (r == 0)
        w->entry(w->arg, &w->rec);
    else if (r == -EBADMSG && w->warn) {
        char msg[WHY_MAX + 1400];
        snprintf(msg, sizeof msg, "registry entry %s/%s skipped: %s", w->dir, name, why);
        w->warn(w->arg, msg);
    }
    return 0;
}

static void walk_one(struct reg_walk *w, uid_t uid)
{
    char why[WHY_MAX] = "";
    w->uid = uid;
    if (ipcx__reg_dir(uid, w->dir, sizeof w->dir) < 0)
        return;
    w->dfd = reg_open(uid, 0, why);
    if (w->dfd < 0) {
        if (w->dfd != -ENOENT && w->warn && why[0])
            w->warn(w->arg, why);
        return;
    }
    (void) ipcx__dir_each(w->dfd, walk_entry, w);
    (void) ipcx__close(w->dfd);
}

/* A name in the base directory: a registry if it is PREFIX and a uid, written canonically. */
static int walk_base(void *arg, const char *name)
{
    struct reg_walk *w = arg;
    const size_t plen = sizeof IPCX_REG_PREFIX - 1;
    uint64_t uid;
    char canon[40];
    if (strncmp(name, IPCX_REG_PREFIX, plen) != 0 || reg_num(name + plen, UINT32_MAX - 1, &uid) < 0)
        return 0;
    snprintf(canon, sizeof canon, IPCX_REG_PREFIX "%llu", (unsigned long long) uid);
    if (strcmp(canon, name) == 0)
        walk_one(w, (uid_t) uid);
    return 0;
}

int ipcx__reg_walk(int all, void (*entry)(void *arg, const struct ipcx__reg_rec *rec),
                   void (*warn)(void *arg, const char *msg), void *arg)
{
    char base[1024];
    int r = ipcx__reg_base(base, sizeof base);
    if (r < 0)
        return r;
    struct reg_walk *w = malloc(sizeof *w);
    if (!w)
        return -ENOMEM;
    w->entry = entry;
    w->warn = warn;
    w->arg = arg;
    if (!all) {
        walk_one(w, geteuid());
    } else {
        int bfd = ipcx__dir_open(AT_FDCWD, base, 0);
        r = bfd;
        if (bfd >= 0) {
            r = ipcx__dir_each(bfd, walk_base, w);
            (void) ipcx__close(bfd);
        }
    }
    free(w);
    return r == -ENOENT ? 0 : r < 0 ? r : 0;
}

int ipcx__reg_remove(const struct ipcx__reg_rec *rec)
{
    if (!rec->name[0] || rec->name[0] == '.' || strchr(rec->name, '/'))
        return -EINVAL;
    int dfd = reg_open(rec->uid, 0, NULL);
    if (dfd < 0)
        return dfd;
    int r = ipcx__unlinkat(dfd, rec->name, 0);
    (void) ipcx__close(dfd);
    return r;
}

/* ---- adopting the object of a dead receiver ------------------------------ */

struct reg_adopt {
    const char *obj;
    int dfd, pass, dead_creator, live_recv;
    struct ipcx__reg_rec rec;
};

static int adopt_entry(void *arg, const char *name)
{
    struct reg_adopt *a = arg;
    if (name[0] == '.' || reg_read_at(a->dfd, geteuid(), name, &a->rec, NULL) < 0 ||
        strcmp(a->rec.obj, a->obj) != 0)
        return 0;
    int alive = ipcx__proc_alive(a->rec.pid, a->rec.start);
    if (a->pass == 0) {
        a->dead_creator |= a->rec.created && a->rec.recv && !alive;
        a->live_recv |= a->rec.recv && alive;
    } else if (a->rec.created && !alive) {
        (void) ipcx__unlinkat(a->dfd, name, 0);
    }
    return 0;
}

int ipcx__reg_adopt(const char *obj)
{
    struct reg_adopt *a = calloc(1, sizeof *a);
    if (!a)
        return 0;
    a->obj = obj;
    a->dfd = reg_open(geteuid(), 0, NULL);
    if (a->dfd < 0) {
        free(a);
        return 0;
    }
    /* Two passes: decide, then (only if adopting) remove the dead creator's entries. */
    (void) ipcx__dir_each(a->dfd, adopt_entry, a);
    int yes = a->dead_creator && !a->live_recv;
    if (yes) {
        a->pass = 1;
        (void) ipcx__dir_each(a->dfd, adopt_entry, a);
    }
    (void) ipcx__close(a->dfd);
    free(a);
    return yes;
}
