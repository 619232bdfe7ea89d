/*
 * stat.c - ipcx stat URL: everything known about one IPC object, found
 * by its URL in any form ls prints or the library reads (find.c), and for
 * a shm ring what it holds: layout, fill, participants and doorbells, read
 * by the library as a bystander (ipcx_ring_stat).
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "cmd.h"
#include "obs.h"
#include "opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char stat_usage[] =
    "Usage: ipcx stat [--json] [--] URL\n"
    "Everything known about the IPC object of URL (mq:/name, sysvmq:KEY,\n"
    "sysvmq:/path?proj=N, sysvmq:?id=N, shm:/name, sysvshm:KEY, sysvshm:?id=N,\n"
    "sysvsem:KEY, sysvsem:?id=N, sem:/name, posixsem:/name, fifo:/path,\n"
    "unix:/path, unix:@name; a KEY decimal or 0x hex; every URL ls prints): type,\n"
    "owner, mode, size, queued messages and bytes, capacity, and every\n"
    "process known to use it, alive or dead.\n";

static const struct opt stat_opts[] = {
    { "json", 0, NULL, "one JSON object instead of text" },
    { 0 },
};
static const struct opt_cmd stat_cmd = { "stat", stat_usage, stat_opts,
                                         "Exit status: 0 found, 1 no such object, 2 bad usage.\n" };

/* A shm object's ring, if it is one (a semaphore file or another program's segment is not). */
static void stat_ring(struct obj *b, struct ipcx_ring_info *ring)
{
    if (b->kind != K_SHM && (b->kind != K_SYSVSHM || strstr(b->url, "?id=")))
        return;
    int r = ipcx_ring_stat(b->url, ring, sizeof *ring);
    if (r == 0) {
        b->ring = ring;
        return;
    }
    b->ring_err = r;
    if (r == -EAGAIN) {
        snprintf(b->ring_why, sizeof b->ring_why, "not laid out: its creator has not finished "
                                                  "it, or died before it did");
        return;
    }
    snprintf(b->ring_why, sizeof b->ring_why, "%s%s%s%s", ipcx_strerror(r),
             *ipcx_errdetail() ? " (" : "", ipcx_errdetail(), *ipcx_errdetail() ? ")" : "");
}

int cmd_stat(int argc, char **argv)
{
    struct objs o;
    struct recs rs;
    struct ipcx_ring_info ring;
    struct opt_parser op;
    int k, json = 0, err;

    opt_begin(&op, &stat_cmd, argc, argv);
    while ((k = opt_next(&op)) >= 0)
        json = 1; /* the only option */
    if (k != OPT_END)
        return k == OPT_EXIT ? 0 : EXIT_USAGE;
    if (argc - op.ind != 1)
        return cmd_usage_error("stat", "%s", op.ind < argc ? "one URL only" : "no URL");
    const char *url = argv[op.ind];
    collect(&o, &rs);
    warnings_text("stat", &rs);
    struct obj *b = obj_lookup(&o, &rs, url, &err);
    int rc = 0;
    if (!b && err != -ENOENT) {
        rc = cmd_fail(url, err);
    } else if (!b) {
        fputs("ipcx: ", stderr);
        out_str(stderr, url); /* the user's words, but maybe pasted from ls: escaped */
        fprintf(stderr, ": no such object (%s)\n",
                strncmp(url, "mq:", 3) == 0 && !o.mq_mounted ? "and /dev/mqueue is not mounted"
                                                            : "ipcx ls lists those there are");
        rc = EXIT_RUNTIME;
    } else {
        stat_ring(b, &ring);
        if (json) {
            obj_json(stdout, b);
            fputc('\n', stdout);
        } else {
            obj_text(stdout, b);
        }
    }
    objs_free(&o, &rs);
    return rc;
}
