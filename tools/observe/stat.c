/*
 * stat.c - ipcx stat URL: everything known about one IPC object, found
 * by its URL in any form the library reads, named as ls spells it by
 * ipcx_reg_object (System V keys in hexadecimal, an ftok path as its key,
 * a relative path made absolute).
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "cmd.h"
#include "obs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char stat_help[] =
    "Usage: ipcx stat [--json] URL\n"
    "Everything known about the IPC object of URL (mq:/name, sysvmq:KEY,\n"
    "sysvmq:/path?proj=N, sysvmq:?id=N, shm:/name, sysvshm:KEY, sysvsem:KEY,\n"
    "fifo:/path, unix:/path, unix:@name; a KEY decimal or 0x hex): type,\n"
    "owner, mode, size, queued messages and bytes, capacity, and every\n"
    "process known to use it, alive or dead.\n"
    "Exit status: 0 found, 1 no such object, 2 bad usage.\n";

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
    /* The object as `ipcx ls` spells it: the library's naming (ipcx_reg_object). */
    int r = ipcx_reg_object(url, canon, sizeof canon);
    if (r < 0)
        return cmd_fail(url, r);
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
        fputs("ipcx: ", stderr);
        out_str(stderr, url); /* the user's words, but maybe pasted from ls: escaped */
        fprintf(stderr, ": no such object%s\n",
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
