/*
 * gc.c - ipcx gc: remove the IPC objects ipcx created whose every user is
 * dead, the doorbells of removed queues and dead shm rings, and the
 * registry entries of dead processes.  What to remove is decided here from
 * what scan.c and join.c found; the removal itself is the library's
 * (ipcx/admin.h), which acts only on the very object that was looked at.
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "cmd.h"
#include "obs.h"
#include "opt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>

static const char gc_usage[] =
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
    "an entry only about objects of that entry's user.\n";

static const struct opt gc_opts[] = {
    { "dry-run", 'n', NULL, "only say what would be removed" },
    { 0 },
};
static const struct opt_cmd gc_cmd = {
    "gc", gc_usage, gc_opts, "Exit status: 0 done, 1 something could not be removed, 2 bad usage.\n"
};

/* How many processes sleep in semop on the set b (GETNCNT + GETZCNT of each
 * member), 0 if none or it is gone, -errno if they cannot be counted. */
static int sem_waiters(const struct obj *b)
{
    int n = 0;
    for (long long i = 0; i < (b->size > 0 ? b->size : 1); i++) {
        for (int k = 0; k < 2; k++) {
            int c = semctl((int) b->id, (int) i, k ? GETZCNT : GETNCNT);
            if (c < 0)
                return errno == EINVAL || errno == EIDRM ? 0 : -errno;
            n += c;
        }
    }
    return n;
}

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
    struct opt_parser op;
    int o_i, dry = 0, rc = 0, removed = 0;

    opt_begin(&op, &gc_cmd, argc, argv);
    while ((o_i = opt_next(&op)) >= 0)
        dry = 1; /* the only option */
    if (o_i != OPT_END)
        return o_i == OPT_EXIT ? 0 : EXIT_USAGE;
    if (op.ind < argc)
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
        if (b->ipcx != 1 || obj_any_alive(b) || b->ambiguous)
            continue;
        /* A set's users are known only from the registry and the last semop:
         * a process asleep in semop on it (one that inherited the set, or
         * uses it without ipcx) counts too. */
        int waiting = b->kind == K_SYSVSEM ? sem_waiters(b) : 0;
        if (waiting) {
            printf("left ");
            out_str(stdout, b->url);
            if (waiting > 0)
                printf(" (its creator is dead, but %d process%s wait%s on it)\n", waiting,
                       waiting == 1 ? "" : "es", waiting == 1 ? "s" : "");
            else
                printf(" (its creator is dead, but its waiters cannot be counted: %s)\n",
                       ipcx_strerror(waiting));
            continue;
        }
        pid_t creator = 0;
        for (size_t k = 0; k < rs.n; k++)
            if (rs.v[k].created && obj_find_reg(&o, rs.v[k].obj) == b &&
                rec_trusted(&rs.v[k], b))
                creator = rs.v[k].pid;
        int r = obj_remove(&o, b, b->uid, dry);
        if (r == -ENOENT || r == -ENOTSUP)
            continue;
        if (r < 0) {
            rc = gc_refused(b->url, r, r == -EPERM ? ipcx_errdetail() : "");
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
        /* Its queue may have been made after the queues were scanned (a
         * receiver opening now makes the queue, then the doorbell). */
        if (!q && (obj_any_alive(b) || msgget((key_t) key, 0) >= 0))
            continue;
        /* By the id that was looked at: a new set under the key is not touched. */
        int r = ipcx_sysv_remove(IPCX_SYSV_SEM, (int) b->id, b->uid, dry ? IPCX_ADMIN_DRY : 0);
        if (r < 0) {
            if (r != -ENOENT)
                rc = gc_refused(b->url, r, r == -EPERM ? ipcx_errdetail() : "");
            continue;
        }
        printf("%s %s (the doorbell of %s, which is gone)\n", verb, b->url, qurl);
        removed++;
    }

    /* Doorbell FIFOs of shm rings whose owner died: the name says who (src/shm/bell.h). */
    struct gc_bells gb = { verb, 0, 0 };
    int nb = ipcx_bell_sweep(dry ? IPCX_ADMIN_DRY : 0, gc_bell_seen, &gb);
    if (nb < 0 && nb != -ENOENT)
        rc = cmd_fail("the doorbells of shm rings", nb);
    removed += gb.done;
    if (gb.failed)
        rc = EXIT_RUNTIME;

    /* Registry entries: of dead processes, and of every object removed above. */
    int stale = 0;
    for (size_t k = 0; k < rs.n; k++) {
        struct rec *r = &rs.v[k];
        struct obj *b = obj_find_reg(&o, r->obj);
        int drop = (b && b->ipcx == 2 && rec_trusted(r, b)) || (!r->alive && (!b || !r->created));
        if (!drop)
            continue;
        if (!dry && ipcx_reg_remove(r->uid, r->name) < 0)
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
