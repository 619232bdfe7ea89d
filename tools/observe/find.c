/*
 * find.c - the object a user's URL names, for ipcx stat and ipcx rm: the
 * URL in any form the library reads, named as ls spells it by
 * ipcx_reg_object (System V keys in hexadecimal, an ftok path as its key,
 * a relative path made absolute), System V objects also by id, the named
 * semaphores by the file that holds them, and FIFOs and socket files that
 * ls does not list (not made by ipcx, or not listening) by a look at the
 * path.  What it does not do: print, or change anything.
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "obs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* sem:/NAME lives in /dev/shm/NAME, posixsem:/NAME in /dev/shm/sem.NAME (glibc's name). */
static int sem_file_url(const char *url, char *out, size_t cap)
{
    const char *name = NULL, *prefix = "";
    if (strncmp(url, "sem:/", 5) == 0)
        name = url + 5;
    else if (strncmp(url, "posixsem:/", 10) == 0) {
        name = url + 10;
        prefix = "sem.";
    }
    if (!name)
        return 0;
    size_t n = strcspn(name, "?");
    if (n == 0 || memchr(name, '/', n))
        return -EINVAL;
    int w = snprintf(out, cap, "shm:/%s%.*s", prefix, (int) n, name);
    return w < 0 || (size_t) w >= cap ? -ENAMETOOLONG : 1;
}

/* "sysvmq:?id=N" and its siblings, as reg_object spells an id: the object of that id. */
static struct obj *find_sysv_id(struct objs *o, const char *canon)
{
    static const struct { const char *prefix; enum kind k; } ids[] = {
        { "sysvmq:?id=", K_SYSVMSG }, { "sysvshm:?id=", K_SYSVSHM }, { "sysvsem:?id=", K_SYSVSEM },
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        size_t n = strlen(ids[i].prefix);
        char *end;
        if (strncmp(canon, ids[i].prefix, n) != 0)
            continue;
        long id = strtol(canon + n, &end, 10);
        if (end == canon + n || (*end && *end != '&'))
            return NULL;
        for (size_t j = 0; j < o->n; j++)
            if (o->v[j].kind == ids[i].k && o->v[j].id == id)
                return &o->v[j];
    }
    return NULL;
}

/* Only this one object, then its users: the descriptors are matched by inode. */
static struct obj *only(struct objs *o, const struct recs *rs, const struct obj *b)
{
    struct obj one = *b, *n;
    o->n = 0;
    if (!(n = obj_new(o, one.kind)))
        return NULL;
    *n = one;
    scan_procs(o);
    recs_apply(o, rs);
    return &o->v[0];
}

/* A FIFO or a socket file that ls does not list: what lstat says of the path. */
static struct obj *file_probe(struct objs *o, const struct recs *rs, const char *canon)
{
    int fifo = strncmp(canon, "fifo:/", 6) == 0;
    if (!fifo && strncmp(canon, "unix:/", 6) != 0)
        return NULL;
    const char *path = canon + 5;
    struct stat st;
    if (strlen(path) >= PATH_MAX || lstat(path, &st) < 0 || (fifo ? !S_ISFIFO(st.st_mode) : !S_ISSOCK(st.st_mode)))
        return NULL;
    struct obj b;
    memset(&b, 0, sizeof b);
    b.kind = fifo ? K_FIFO : K_UNIX;
    b.size = b.msgs = b.bytes = b.depth = b.maxmsg = b.qbytes = b.id = -1;
    snprintf(b.url, sizeof b.url, "%s", canon);
    memcpy(b.path, path, strlen(path) + 1); /* fits: checked above */
    b.dev = st.st_dev;
    b.ino = st.st_ino;
    set_owner_from_stat(&b, &st);
    if (!fifo)
        snprintf(b.note, sizeof b.note, "not listening: nobody receives on it");
    return only(o, rs, &b);
}

struct obj *obj_lookup(struct objs *o, const struct recs *rs, const char *url, int *err)
{
    char canon[URL_LEN];
    int r = sem_file_url(url, canon, sizeof canon);
    if (r == 0)
        r = ipcx_reg_object(url, canon, sizeof canon);
    *err = 0;
    if (r < 0) {
        *err = r;
        return NULL;
    }
    struct obj *b = obj_find(o, canon);
    if (!b)
        b = find_sysv_id(o, canon);
    if (!b && strncmp(canon, "mq:/", 4) == 0 && !o->mq_mounted) {
        struct obj *q = mq_probe(o, canon + 3);
        if (q)
            return only(o, rs, q);
    }
    if (!b)
        b = obj_find_reg(o, canon);
    if (!b)
        b = file_probe(o, rs, canon);
    if (!b)
        *err = -ENOENT;
    return b;
}
