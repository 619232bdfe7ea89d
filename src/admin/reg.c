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
#include "ipcx/admin.h"
#include "../util/err.h"
#include "../util/addr.h"   /* ipcx__addr_sysv: System V names */
#include "../transport/transport.h" /* ipcx__transport_find: caps by scheme */
#include "../sys/sys.h"
#include "../sys/proc.h"
#include "../sys/fs.h"

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

/* One entry as read back.  Every field came from a file: untrusted. */
struct reg_rec {
    char     obj[IPCX_REG_OBJ_MAX];
    char     url[IPCX_REG_OBJ_MAX];
    pid_t    pid;
    uint64_t start;      /* the process's start time, ticks since boot (0: unknown) */
    int      recv;       /* 1 receiving end, 0 sending end */
    int      created;    /* 1 if that process created the object */
    int      consistent; /* obj is the object url names (reg_canon(url) == obj) */
    uid_t    uid;        /* the registry's user, who owns the entry */
    char     name[NAME_MAX + 1]; /* the entry's file name in that registry */
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

static int reg_base(char *buf, size_t cap)
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

IPCX_API int ipcx_reg_base(char *buf, size_t cap)
{
    ipcx__clear_detail();
    if (!buf)
        return -EINVAL;
    int r = reg_base(buf, cap);
    return r < 0 ? r : (int) strlen(buf);
}

static int reg_dir(uid_t uid, char *buf, size_t cap)
{
    char base[1024];
    int r = reg_base(base, sizeof base);
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
    int r = reg_base(base, sizeof base);
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

/*
 * The System V schemes and the proj= each takes by default for an ftok
 * path (0: proj= required), as their opens do (sysvmq.c, shm.c,
 * sysvsem.c; admin_test checks that an open by path without proj= makes
 * the object named here, or fails as here).  sysvsem: is
 * no channel, but `ipcx stat` names its sets the same way.
 */
static const struct {
    const char *scheme;
    int         proj_default;
} reg_sysv[] = {
    { "sysvmq", IPCX_SYSV_PROJ_DEFAULT }, { "sysvshm", IPCX_SYSV_PROJ_DEFAULT }, { "sysvsem", IPCX_SYSV_PROJ_REQUIRED },
};

/*
 * A System V object as `ipcx ls` spells it, parsed by ipcx__addr_sysv:
 * "SCHEME:0xKEY" (8 hex digits) for a key, a decimal one or an ftok path
 * (only when local: the key of a path is this process's file system's
 * answer, so a URL read back from an entry must name its key itself), or
 * "SCHEME:?id=N".  Its length or -errno.
 */
static int reg_sysv_canon(const char *url, int proj_default, char *out, size_t cap, int local)
{
    struct ipcx__sysv_addr a;
    struct ipcx_url *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    int r = ipcx__url_parse(url, u);
    if (r >= 0 && !local && u->path[0] == '/')
        r = -EINVAL;
    if (r >= 0)
        r = ipcx__addr_sysv(u, proj_default, &a);
    free(u);
    if (r < 0)
        return r;
    int n = snprintf(out, cap, "%s", a.name);
    return n < 0 || (size_t) n >= cap ? -ENAMETOOLONG : n;
}

/*
 * The object url names (see ipcx_reg_object).  System V objects by key or
 * id (reg_sysv_canon).  Which other URLs name a file is the transport's
 * caps: a named object outside a kernel namespace (IPCX_CAP_NAMED without
 * IPCX_CAP_KNAME) is a path in the filesystem, whose relative form is made
 * absolute with our working directory when local is set, and refused
 * (-EINVAL) when not: an entry read back must name its object by itself,
 * never by the reader's directory or files.  A path that starts with '@'
 * is a name in the abstract namespace (unix(7)), in no directory.  *file
 * (when not NULL) tells whether the object is a file.  Its length or -errno.
 */
static int reg_canon(const char *url, char *out, size_t cap, int local, int *file)
{
    const char *colon = strchr(url, ':');
    char scheme[32], plain[IPCX_REG_OBJ_MAX];
    if (file)
        *file = 0;
    if (colon && strncmp(colon + 1, "///", 3) == 0) {
        /* scheme:///path is scheme:/path (an empty authority), as the URL parser reads it */
        int n = snprintf(plain, sizeof plain, "%.*s%s", (int) (colon - url) + 1, url, colon + 3);
        if (n < 0 || (size_t) n >= sizeof plain)
            return -ENAMETOOLONG;
        url = plain;
        colon = strchr(url, ':');
    }
    if (!colon || colon == url || (size_t) (colon - url) >= sizeof scheme ||
        (colon[1] == '/' && colon[2] == '/'))
        return -EINVAL; /* an authority (a host): not a named object */
    memcpy(scheme, url, (size_t) (colon - url));
    scheme[colon - url] = '\0';
    for (size_t i = 0; i < sizeof reg_sysv / sizeof reg_sysv[0]; i++)
        if (strcmp(scheme, reg_sysv[i].scheme) == 0)
            return reg_sysv_canon(url, reg_sysv[i].proj_default, out, cap, local);
    if (strcmp(scheme, "sem") == 0 || strcmp(scheme, "posixsem") == 0) {
        /* A named semaphore is its file, as `ipcx ls` lists it: sem:/NAME is
         * shm:/NAME, posixsem:/NAME glibc's and musl's shm:/sem.NAME. */
        const char *name = colon + 1;
        size_t len = strcspn(name, "?");
        if (len < 2 || name[0] != '/' || memchr(name + 1, '/', len - 1))
            return -EINVAL;
        int m = snprintf(out, cap, "shm:/%s%.*s", scheme[0] == 'p' ? "sem." : "", (int) len - 1,
                         name + 1);
        return m < 0 || (size_t) m >= cap ? -ENAMETOOLONG : m;
    }
    const struct ipcx_transport *tp = ipcx__transport_find(scheme);
    if (!tp)
        return -EPROTONOSUPPORT;
    if (!(tp->caps & IPCX_CAP_NAMED))
        return -EINVAL;
    const char *path = colon + 1, *q = strchr(path, '?');
    size_t slen = (size_t) (colon - url) + 1, plen = q ? (size_t) (q - path) : strlen(path);
    char cwd[4096] = "";
    int n;

    if (plen == 0)
        return -EINVAL;
    if (!(tp->caps & IPCX_CAP_KNAME)) {
        if (file)
            *file = 1;
        if (path[0] != '/' && path[0] != '@') {
            if (!local || ipcx__getcwd(cwd, sizeof cwd - 1) < 0)
                return local ? -ENAMETOOLONG : -EINVAL;
            strcat(cwd, "/");
        }
    }
    n = snprintf(out, cap, "%.*s%s%.*s", (int) slen, url, cwd, (int) plen, path);
    return n < 0 || (size_t) n >= cap ? -ENAMETOOLONG : n;
}

int ipcx__reg_object(const char *url, char *out, size_t cap)
{
    int r = reg_canon(url, out, cap, 1, NULL);
    return r < 0 ? r : 0;
}

IPCX_API int ipcx_reg_object(const char *url, char *buf, size_t cap)
{
    ipcx__clear_detail();
    if (!url || !buf)
        return -EINVAL;
    int r = reg_canon(url, buf, cap, 1, NULL);
    if (r < 0 && !*ipcx_errdetail()) /* the address parser's detail says more */
        r = ipcx__fail(r, "%.200s: not the URL of a named object", url);
    return r;
}

struct ipcx__reg *ipcx__reg_add(const char *url_in, int recv, int created)
{
    char url[IPCX_REG_OBJ_MAX], obj[IPCX_REG_OBJ_MAX], abs_url[IPCX_REG_OBJ_MAX], tmp[64];
    char text[IPCX_REG_FILE_MAX];
    const pid_t pid = getpid();
    const uid_t uid = geteuid();
    struct ipcx__reg *r;
    uint64_t start = 0;

    if ((size_t) snprintf(url, sizeof url, "%s", url_in) >= sizeof url)
        return NULL;
    int file;
    if (reg_canon(url, obj, sizeof obj, 1, &file) < 0 || strpbrk(url, "\n\r"))
        return NULL; /* a name with a line break cannot be written as one line */
    /* A relative path: write the URL absolute too, so that readers can
     * check that url and obj name the same object without our cwd.  (A
     * kernel object's URL is the transport's address, which names it by
     * itself: System V ones by key or id.) */
    size_t olen = strlen(obj);
    if (file && (strncmp(url, obj, olen) != 0 || (url[olen] && url[olen] != '?'))) {
        const char *q = strchr(strchr(url, ':'), '?');
        if ((size_t) snprintf(abs_url, sizeof abs_url, "%s%s", obj, q ? q : "") >= sizeof abs_url)
            return NULL;
        memcpy(url, abs_url, sizeof url);
    }
    (void) ipcx__proc_start(pid, &start);
    unsigned seq = atomic_fetch_add(&reg_seq, 1);
    int len = snprintf(text, sizeof text, REG_MAGIC "\nobj %s\nurl %s\npid %d\nstart %llu\n"
                       "role %s\ncreated %d\n", obj, url, (int) pid, (unsigned long long) start,
                       recv ? "recv" : "send", created != 0);
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
static int reg_parse(char *buf, size_t len, struct reg_rec *rec, char *why)
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
    rec->consistent = reg_canon(rec->url, canon, sizeof canon, 0, NULL) >= 0 &&
                      strcmp(canon, rec->obj) == 0;
    return 0;
}

/*
 * Read entry name of registry dfd (the registry of uid).  0, -ENOENT (gone
 * meanwhile) or -EBADMSG (skipped: *why says why).
 */
static int reg_read_at(int dfd, uid_t uid, const char *name, struct reg_rec *rec,
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

/* ---- walking registries: the iterator of ipcx_reg_open ----------------- */

/* One report, its strings packed behind it. */
struct reg_item {
    struct ipcx_reg_entry e;
    char text[];
};

struct ipcx_reg_iter {
    struct reg_item **v;
    size_t n, cap, pos;
    int err;                  /* the first -ENOMEM while walking */
    /* The walk's state. */
    int   dfd;
    uid_t uid;
    char  dir[1100];
    struct reg_rec rec;
};

/* Append a report: strings copied; rec NULL for a verdict without an entry. */
static void iter_add(struct ipcx_reg_iter *it, int verdict, int err, const char *name,
                     const char *why, const struct reg_rec *rec)
{
    const char *obj = rec ? rec->obj : "", *url = rec ? rec->url : "";
    size_t ld = strlen(it->dir) + 1, ln = strlen(name) + 1, lw = strlen(why) + 1;
    size_t lo = strlen(obj) + 1, lu = strlen(url) + 1;
    if (it->err)
        return;
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 32;
        struct reg_item **v = realloc(it->v, cap * sizeof *v);
        if (!v) {
            it->err = -ENOMEM;
            return;
        }
        it->v = v;
        it->cap = cap;
    }
    struct reg_item *m = calloc(1, sizeof *m + ld + ln + lw + lo + lu);
    if (!m) {
        it->err = -ENOMEM;
        return;
    }
    char *t = m->text;
    struct ipcx_reg_entry *e = &m->e;
    e->size = sizeof *e;
    e->verdict = verdict;
    e->err = err;
    e->uid = it->uid;
    e->dir = memcpy(t, it->dir, ld);
    e->name = memcpy(t += ld, name, ln);
    e->why = memcpy(t += ln, why, lw);
    e->obj = memcpy(t += lw, obj, lo);
    e->url = memcpy(t += lo, url, lu);
    if (rec) {
        e->pid = rec->pid;
        e->start = rec->start;
        e->recv = rec->recv;
        e->created = rec->created;
        e->consistent = rec->consistent;
    }
    it->v[it->n++] = m;
}

static int walk_entry(void *arg, const char *name)
{
    struct ipcx_reg_iter *it = arg;
    char why[WHY_MAX] = "";
    if (name[0] == '.')
        return 0; /* a temporary file being written: never opened */
    int r = reg_read_at(it->dfd, it->uid, name, &it->rec, why);
    if (r == 0)
        iter_add(it, IPCX_REG_ENTRY, 0, name, "", &it->rec);
    else if (r == -EBADMSG)
        iter_add(it, IPCX_REG_SKIPPED, r, name, why, NULL);
    return it->err;
}

static void walk_one(struct ipcx_reg_iter *it, uid_t uid)
{
    char why[WHY_MAX] = "";
    it->uid = uid;
    if (reg_dir(uid, it->dir, sizeof it->dir) < 0)
        return;
    it->dfd = reg_open(uid, 0, why);
    if (it->dfd < 0) {
        if (it->dfd != -ENOENT && why[0])
            iter_add(it, IPCX_REG_REFUSED, it->dfd, "", why, NULL);
        return;
    }
    (void) ipcx__dir_each(it->dfd, walk_entry, it);
    (void) ipcx__close(it->dfd);
}

/* A name in the base directory: a registry if it is PREFIX and a uid, written canonically. */
static int walk_base(void *arg, const char *name)
{
    struct ipcx_reg_iter *it = arg;
    const size_t plen = sizeof IPCX_REG_PREFIX - 1;
    uint64_t uid;
    char canon[40];
    if (strncmp(name, IPCX_REG_PREFIX, plen) != 0 || reg_num(name + plen, UINT32_MAX - 1, &uid) < 0)
        return 0;
    snprintf(canon, sizeof canon, IPCX_REG_PREFIX "%llu", (unsigned long long) uid);
    if (strcmp(canon, name) == 0)
        walk_one(it, (uid_t) uid);
    return it->err;
}

IPCX_API int ipcx_reg_open(ipcx_reg_iter **out, int flags)
{
    char base[1024];
    ipcx__clear_detail();
    if (!out || (flags & ~IPCX_REG_ALL))
        return ipcx__fail(-EINVAL, "ipcx_reg_open: %s", out ? "unknown flags" : "no place for it");
    int r = reg_base(base, sizeof base);
    if (r < 0)
        return ipcx__fail(r, "the registry is off (IPCX_REGISTRY=off)");
    struct ipcx_reg_iter *it = calloc(1, sizeof *it);
    if (!it)
        return -ENOMEM;
    if (!(flags & IPCX_REG_ALL)) {
        walk_one(it, geteuid());
    } else {
        int bfd = ipcx__dir_open(AT_FDCWD, base, 0);
        r = bfd;
        if (bfd >= 0) {
            r = ipcx__dir_each(bfd, walk_base, it);
            (void) ipcx__close(bfd);
        }
        if (r == -ENOENT)
            r = 0; /* no base directory: no registry yet */
    }
    if (r == 0)
        r = it->err;
    if (r < 0) {
        (void) ipcx_reg_close(it);
        return ipcx__fail(r, "cannot read the registry in %s", base);
    }
    *out = it;
    return 0;
}

IPCX_API int ipcx_reg_next(ipcx_reg_iter *it, const struct ipcx_reg_entry **e)
{
    if (!it || !e)
        return -EINVAL;
    if (it->pos == it->n)
        return 0;
    *e = &it->v[it->pos++]->e;
    return 1;
}

IPCX_API int ipcx_reg_close(ipcx_reg_iter *it)
{
    if (!it)
        return 0;
    for (size_t i = 0; i < it->n; i++)
        free(it->v[i]);
    free(it->v);
    free(it);
    return 0;
}

IPCX_API int ipcx_reg_remove(uid_t uid, const char *name)
{
    ipcx__clear_detail();
    if (!name || !name[0] || name[0] == '.' || strchr(name, '/') || strlen(name) > NAME_MAX)
        return ipcx__fail(-EINVAL, "not the name of a registry entry");
    char why[WHY_MAX] = "";
    int dfd = reg_open(uid, 0, why);
    if (dfd < 0)
        return why[0] ? ipcx__fail(dfd, "%s", why) : dfd;
    int r = ipcx__unlinkat(dfd, name, 0);
    (void) ipcx__close(dfd);
    return r;
}

/* ---- adopting the object of a dead receiver ------------------------------ */

struct reg_adopt {
    const char *obj;
    int dfd, pass, dead_creator, live_recv;
    struct reg_rec rec;
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
