/*
 * reg.c - the user registry (see reg.h): write an entry when a named
 * channel opens, remove it when it closes, and read entries back for the
 * ipcx command.  Nothing here fails an open: a registry that cannot be used
 * (read-only, foreign directory) is skipped silently.
 *
 * Trust: the directory is shared like /tmp (mode 01777, sticky), so anyone
 * may write entries there.  An entry is believed only for objects owned by
 * the entry file's owner (or written by root): a forged entry cannot make
 * root's `ipcx gc` remove another user's queue.  We never follow a symbolic
 * link (O_NOFOLLOW, lstat) and only use a directory that is ours or sticky.
 */
#include "reg.h"
#include "ipcx.h"
#include "transport/transport.h"
#include "sys/sys.h"
#include "sys/kipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

#define REG_MAGIC "ipcx-reg 1"

struct ipcx__reg {
    pid_t pid;              /* the process that wrote the entry */
    char  path[];
};

static atomic_uint reg_seq;

int ipcx__reg_dir(char *buf, size_t cap)
{
    /* secure_getenv: a set-user-ID program must not be pointed elsewhere. */
    const char *d = secure_getenv("IPCX_REGISTRY");
    if (!d || !*d)
        d = IPCX_REG_DEFAULT_DIR;
    if (strcmp(d, "off") == 0)
        return -ENOENT;
    int n = snprintf(buf, cap, "%s", d);
    return n < 0 || (size_t) n >= cap ? -ENAMETOOLONG : 0;
}

/* Make the directory if needed; 1 if it may be used. */
static int reg_dir_usable(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) < 0) {
        if (mkdir(dir, 01777) == 0)
            (void) chmod(dir, 01777); /* the umask cut the mode mkdir was given */
        if (lstat(dir, &st) < 0)
            return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    if (st.st_uid == geteuid())
        return 1;
    /* Someone else's: only a shared sticky one, where nobody but its owner
     * may remove our entries. */
    return (st.st_mode & (S_ISVTX | S_IWOTH)) == (S_ISVTX | S_IWOTH);
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
    char dir[1024], url[IPCX_REG_OBJ_MAX], obj[IPCX_REG_OBJ_MAX], tmp[1200], text[2 * IPCX_REG_OBJ_MAX + 200];
    const pid_t pid = getpid();
    struct ipcx__reg *r;

    if (!ch->tp->addr || ch->tp->addr(ch, url, sizeof url) < 0)
        return NULL;
    if (ipcx__reg_object(url, obj, sizeof obj) < 0 || ipcx__reg_dir(dir, sizeof dir) < 0)
        return NULL;
    if (!reg_dir_usable(dir))
        return NULL;
    /* Transports that do not say whether they created the object: a
     * receiver asked to create is the one that makes FIFOs and sockets. */
    int created = ch->created >= 0 ? ch->created
                : (ch->flags & IPCX_RECV) && (ch->flags & IPCX_CREATE);
    int64_t start = ipcx__pid_start(pid, NULL);
    unsigned seq = atomic_fetch_add(&reg_seq, 1);
    int len = snprintf(text, sizeof text, REG_MAGIC "\nobj %s\nurl %s\npid %d\nstart %lld\n"
                       "role %s\ncreated %d\n", obj, url, (int) pid, (long long) start,
                       (ch->flags & IPCX_RECV) ? "recv" : "send", created);
    if (len < 0 || (size_t) len >= sizeof text)
        return NULL;
    size_t plen = strlen(dir) + 64;
    r = malloc(sizeof *r + plen);
    if (!r)
        return NULL;
    r->pid = pid;
    snprintf(r->path, plen, "%s/%d-%lld-%u", dir, (int) pid, (long long) start, seq);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%d-%u", dir, (int) pid, seq);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        goto fail;
    ssize_t w = write(fd, text, (size_t) len);
    (void) ipcx__close(fd);
    if (w != len || rename(tmp, r->path) < 0) {
        (void) unlink(tmp);
        goto fail;
    }
    return r;
fail:
    free(r);
    return NULL;
}

void ipcx__reg_del(struct ipcx__reg *r)
{
    if (!r)
        return;
    if (r->pid == getpid())
        (void) unlink(r->path);
    free(r);
}

int ipcx__reg_read(const char *path, struct ipcx__reg_rec *rec)
{
    char line[IPCX_REG_OBJ_MAX + 16];
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -ENOENT;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        (void) ipcx__close(fd);
        return -ENOMEM;
    }
    memset(rec, 0, sizeof *rec);
    rec->pid = -1;
    rec->start = -1;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fgets(line, sizeof line, f) &&
             strcmp(line, REG_MAGIC "\n") == 0;
    rec->uid = st.st_uid;
    while (ok && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *v = strchr(line, ' ');
        if (!v)
            continue;
        *v++ = '\0';
        if (strcmp(line, "obj") == 0)
            snprintf(rec->obj, sizeof rec->obj, "%s", v);
        else if (strcmp(line, "url") == 0)
            snprintf(rec->url, sizeof rec->url, "%s", v);
        else if (strcmp(line, "pid") == 0)
            rec->pid = (pid_t) atoi(v);
        else if (strcmp(line, "start") == 0)
            rec->start = strtoll(v, NULL, 10);
        else if (strcmp(line, "role") == 0)
            rec->recv = strcmp(v, "recv") == 0;
        else if (strcmp(line, "created") == 0)
            rec->created = atoi(v) == 1;
    }
    (void) fclose(f);
    return ok && rec->obj[0] && rec->pid > 0 ? 0 : -EBADMSG;
}

/* Is the process of an entry still the one that wrote it? */
static int reg_alive(const struct ipcx__reg_rec *rec)
{
    char state = '?';
    int64_t start = ipcx__pid_start(rec->pid, &state);
    return start >= 0 && start == rec->start && state != 'Z' && state != 'X';
}

int ipcx__reg_adopt(const char *obj)
{
    char dir[1024], path[1400];
    struct ipcx__reg_rec *rec = malloc(sizeof *rec);
    int dead_creator = 0, live_recv = 0;
    DIR *d;

    if (!rec || ipcx__reg_dir(dir, sizeof dir) < 0 || !(d = opendir(dir))) {
        free(rec);
        return 0;
    }
    /* Two passes: decide, then (only if adopting) remove the dead creator's entries. */
    for (int pass = 0; pass < 2; pass++) {
        struct dirent *e;
        rewinddir(d);
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (ipcx__reg_read(path, rec) < 0 || strcmp(rec->obj, obj) != 0)
                continue;
            /* Believe only entries of our own user (or root's), see the top. */
            if (rec->uid != geteuid() && rec->uid != 0)
                continue;
            int alive = reg_alive(rec);
            if (pass == 0) {
                dead_creator |= rec->created && rec->recv && !alive;
                live_recv |= rec->recv && alive;
            } else if (rec->created && !alive) {
                (void) unlink(path);
            }
        }
        if (pass == 0 && (!dead_creator || live_recv))
            break;
    }
    closedir(d);
    free(rec);
    return dead_creator && !live_recv;
}
