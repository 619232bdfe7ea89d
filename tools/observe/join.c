/*
 * join.c - the registry's entries (ipcx/admin.h), read once per command and
 * joined to the objects scan.c found: their users, roles and "ipcx created".
 * An entry is believed only about an object of the entry's own user
 * (rec_trusted): the registry of one user never speaks for another's object.
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "obs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void recs_warn(struct recs *rs, const char *msg)
{
    char **w = realloc(rs->warn, (rs->nwarn + 1) * sizeof *w);
    if (!w)
        return;
    rs->warn = w;
    if ((w[rs->nwarn] = strdup(msg)))
        rs->nwarn++;
}

static void recs_add(struct recs *rs, const struct ipcx_reg_entry *e)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 32;
        struct rec *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            return;
        rs->v = v;
        rs->cap = cap;
    }
    struct rec r = {
        .obj = strdup(e->obj), .name = strdup(e->name), .uid = e->uid, .pid = e->pid,
        .start = e->start, .recv = e->recv, .created = e->created,
        .consistent = e->consistent,
        /* The same process as the one that wrote it: pid and start time. */
        .alive = ipcx_proc_alive(e->pid, e->start),
    };
    if (!r.obj || !r.name) {
        free(r.obj);
        free(r.name);
        return;
    }
    rs->v[rs->n++] = r;
}

/* Read the registries: root reads every user's, anyone else only their own. */
static void recs_load(struct recs *rs)
{
    ipcx_reg_iter *it;
    const struct ipcx_reg_entry *e;
    char msg[2 * PATH_MAX + 600];

    memset(rs, 0, sizeof *rs);
    int r = ipcx_reg_open(&it, geteuid() == 0 ? IPCX_REG_ALL : 0);
    rs->on = r != -ENOENT;
    if (r < 0) {
        char base[1024] = "";
        if (r != -ENOENT) {
            (void) ipcx_reg_base(base, sizeof base);
            snprintf(msg, sizeof msg, "cannot read the registry in %s: %s", base,
                     ipcx_strerror(r));
            recs_warn(rs, msg);
        }
        return;
    }
    while (ipcx_reg_next(it, &e) == 1) {
        if (e->verdict == IPCX_REG_ENTRY) {
            recs_add(rs, e);
        } else if (e->verdict == IPCX_REG_SKIPPED) {
            snprintf(msg, sizeof msg, "registry entry %s/%s skipped: %s", e->dir, e->name, e->why);
            recs_warn(rs, msg);
        } else {
            recs_warn(rs, e->why); /* a refused directory: the text names it */
        }
    }
    (void) ipcx_reg_close(it);
}

/*
 * Believe an entry about object b only if the registry's user owns b (the
 * kernel says so) and the entry's obj and url name the same object.  So a
 * user's entries can speak about that user's objects only.  An abstract
 * socket has no owner to compare and nothing gc could remove: its entries
 * are shown (users, "ipcx"), which is all they can do.
 */
int rec_trusted(const struct rec *r, const struct obj *b)
{
    if (!r->consistent)
        return 0;
    if (!b->has_owner)
        return b->kind == K_UNIX && !b->path[0];
    return r->uid == b->uid;
}

/* Objects only the registry knows: ipcx's FIFOs, queues while /dev/mqueue is unmounted. */
static void recs_objects(struct objs *o, const struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct rec *r = &rs->v[i];
        const char *obj = r->obj;
        if (!r->consistent || obj_find(o, obj))
            continue;
        int fifo = strncmp(obj, "fifo:/", 6) == 0;
        if (fifo || strncmp(obj, "unix:/", 6) == 0) {
            /* A FIFO, or a socket file whose socket is gone (its receiver was
             * killed).  lstat only: a FIFO is never opened here. */
            struct stat st;
            if (lstat(obj + 5, &st) < 0 || !(fifo ? S_ISFIFO(st.st_mode) : S_ISSOCK(st.st_mode)) ||
                st.st_uid != r->uid)
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
void recs_apply(struct objs *o, const struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct rec *r = &rs->v[i];
        struct obj *b = obj_find_reg(o, r->obj);
        if (!b || !rec_trusted(r, b))
            continue;
        unsigned role = (r->recv ? R_RECV : R_SEND) | (r->created ? R_CREATOR : 0);
        user_add(b, r->pid, role, r->alive);
        if (r->created)
            b->ipcx = 1;
    }
}

void collect(struct objs *o, struct recs *rs)
{
    memset(o, 0, sizeof *o);
    recs_load(rs);
    scan_objects(o);
    recs_objects(o, rs);
    scan_procs(o);
    recs_apply(o, rs);
}

int obj_any_alive(const struct obj *b)
{
    for (int i = 0; i < b->nusers; i++)
        if (b->users[i].alive)
            return 1;
    return 0;
}


void objs_free(struct objs *o, struct recs *rs)
{
    free(o->v);
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].obj);
        free(rs->v[i].name);
    }
    free(rs->v);
    for (size_t i = 0; i < rs->nwarn; i++)
        free(rs->warn[i]);
    free(rs->warn);
}
