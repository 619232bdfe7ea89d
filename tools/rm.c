/*
 * rm.c - ipcx rm: remove named IPC objects, given as URLs in any form ls
 * prints or the library reads (System V also by id: sysvmq:?id=N, or -q,
 * -m, -s ID as ipcrm takes them; the named semaphores sem:, posixsem:,
 * sysvsem:).  The safety rules of docs/security.md: an object of another
 * user, or one that a live process uses, is left with a line saying why,
 * unless --force asks for it.  The object is found and judged by
 * observe/ (find.c, the users as ls shows them) and removed by the
 * library's checked removal (observe/remove.c), which acts on exactly the
 * object that was looked at.
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "cmd.h"
#include "observe/obs.h"
#include "opt.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char rm_usage[] =
    "Usage: ipcx rm [-f] [-n] [-v] [-q ID] [-m ID] [-s ID] [--] [URL...]\n"
    "Remove the named IPC object of each URL: a FIFO or socket file, a POSIX\n"
    "or System V message queue, a shared-memory segment, a semaphore (sem:,\n"
    "posixsem:, sysvsem:).  Every URL that 'ipcx ls' prints is accepted;\n"
    "System V objects also by id (sysvmq:?id=N, sysvshm:?id=N, sysvsem:?id=N).\n"
    "An object of another user, or one that a live process uses (as 'ipcx ls'\n"
    "shows its users), is left, with a line saying why, unless -f is given.\n";

enum { RM_FORCE, RM_DRY, RM_VERBOSE, RM_QUEUE, RM_SHM, RM_SEM };
static const struct opt rm_opt_table[] = {
    [RM_FORCE]   = { "force", 'f', NULL, "remove it also if it is another user's or in use" },
    [RM_DRY]     = { "dry-run", 'n', NULL, "only say what would be removed" },
    [RM_VERBOSE] = { "verbose", 'v', NULL, "say what was removed" },
    [RM_QUEUE]   = { "queue", 'q', "ID", "the System V message queue of id ID (as ipcrm -q)" },
    [RM_SHM]     = { "shm", 'm', "ID", "the System V shared-memory segment of id ID" },
    [RM_SEM]     = { "sem", 's', "ID", "the System V semaphore set of id ID" },
    { 0 },
};
static const struct opt_cmd rm_cmd = {
    "rm", rm_usage, rm_opt_table,
    "Exit status: 0 all removed, 1 some were not (one line each), 2 bad usage.\n"
};

struct rm_opts {
    int force, dry, verbose;
};

/* Say on one line why url was left, and what to do if a hint is given
 * (the names in url and more came from outside: escaped). */
static int rm_left(const char *url, const char *why, const char *more, const char *hint)
{
    fputs("ipcx rm: left ", stderr);
    out_str(stderr, url);
    fprintf(stderr, ": %s", why);
    out_str(stderr, more);
    fprintf(stderr, "%s%s%s\n", hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
    return EXIT_RUNTIME;
}

/* The live users of b, as "PID/COMM, ..." (COMM escaped later by rm_left). */
static void live_users(const struct obj *b, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < b->nusers && o + 1 < cap; i++) {
        struct ipcx_proc_info p;
        if (!b->users[i].alive)
            continue;
        const char *comm = ipcx_proc_read(b->users[i].pid, &p, sizeof p) == 0 ? p.comm : "?";
        int n = snprintf(out + o, cap - o, "%s%d/%s", o ? ", " : "", (int) b->users[i].pid, comm);
        if (n < 0 || (size_t) n >= cap - o)
            break;
        o += (size_t) n;
    }
}

static int rm_one(const char *url, const struct rm_opts *op)
{
    struct objs o;
    struct recs rs;
    char buf[512];
    int err, rc = 0;

    collect(&o, &rs);
    struct obj *b = obj_lookup(&o, &rs, url, &err);
    if (!b) {
        if (err == -ENOENT) {
            fputs("ipcx: ", stderr);
            out_str(stderr, url);
            fprintf(stderr, ": no such object (ipcx ls lists those there are)\n");
            rc = EXIT_RUNTIME;
        } else {
            rc = cmd_fail(url, err);
        }
        goto done;
    }
    if (b->has_owner && b->uid != geteuid() && !op->force) {
        struct passwd *pw = getpwuid(b->uid);
        snprintf(buf, sizeof buf, "%s (uid %u)", pw ? pw->pw_name : "?", (unsigned) b->uid);
        rc = rm_left(b->url, "it is not yours: its owner is ", buf,
                     "-f removes it anyway, if you may");
        goto done;
    }
    if (obj_any_alive(b) && !op->force) {
        live_users(b, buf, sizeof buf);
        rc = rm_left(b->url, "in use by ", buf, "-f removes it anyway");
        goto done;
    }
    if (b->ambiguous && !op->force) {
        rc = rm_left(b->url, "its path is bound by two sockets (or a forged name): "
                             "not sure which one it is", "", "-f removes it anyway");
        goto done;
    }
    if (b->kind == K_UNIX && !b->path[0]) {
        rc = rm_left(b->url, "an abstract socket has no name to remove: it goes with its last user", "", NULL);
        goto done;
    }
    int r = obj_remove(&o, b, b->has_owner ? b->uid : geteuid(), op->dry);
    if (r == -ENOTSUP) {
        rc = rm_left(b->url, "nothing to remove", "", NULL);
    } else if (r < 0) {
        rc = cmd_fail(b->url, r);
    } else if (op->dry || op->verbose) {
        printf("%s ", op->dry ? "would remove" : "removed");
        out_str(stdout, b->url);
        fputc('\n', stdout);
    }
done:
    objs_free(&o, &rs);
    return rc;
}

/* -q/-m/-s ID: the URL of that System V id. */
static int rm_id_url(const char *scheme, const char *arg, char *out, size_t cap)
{
    long id = cmd_parse_num(arg, 0, INT_MAX);
    if (id == LONG_MIN)
        return -1;
    snprintf(out, cap, "%s:?id=%ld", scheme, id);
    return 0;
}

int cmd_rm(int argc, char **argv)
{
    struct rm_opts op = { 0, 0, 0 };
    char (*ids)[48] = calloc((size_t) argc, sizeof *ids);
    int nids = 0, k, rc = 0;
    struct opt_parser p;

    if (!ids)
        return cmd_fail("rm", -ENOMEM);
    opt_begin(&p, &rm_cmd, argc, argv);
    while ((k = opt_next(&p)) >= 0) {
        const char *scheme = k == RM_QUEUE ? "sysvmq" : k == RM_SHM ? "sysvshm" : "sysvsem";
        switch (k) {
        case RM_FORCE:
            op.force = 1;
            break;
        case RM_DRY:
            op.dry = 1;
            break;
        case RM_VERBOSE:
            op.verbose = 1;
            break;
        default: /* RM_QUEUE, RM_SHM, RM_SEM */
            if (rm_id_url(scheme, p.arg, ids[nids], sizeof ids[nids]) < 0) {
                free(ids);
                return cmd_usage_error("rm", "bad System V id '%s'", p.arg);
            }
            nids++;
            break;
        }
    }
    if (k != OPT_END) {
        free(ids);
        return k == OPT_EXIT ? 0 : EXIT_USAGE;
    }
    if (p.ind >= argc && nids == 0) {
        free(ids);
        return cmd_usage_error("rm", "%s", "no URL");
    }
    for (int i = 0; i < nids; i++)
        rc |= rm_one(ids[i], &op);
    for (int i = p.ind; i < argc; i++)
        rc |= rm_one(argv[i], &op);
    free(ids);
    return rc ? EXIT_RUNTIME : 0;
}
