/*
 * stat.c - ipcx stat URL: everything known about one IPC object, found
 * by its URL as ls spells it (System V keys in hexadecimal, an ftok path
 * as its key, a relative path made absolute).
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "cmd.h"
#include "obs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>

static const char stat_help[] =
    "Usage: ipcx stat [--json] URL\n"
    "Everything known about the IPC object of URL (mq:/name, sysvmq:KEY,\n"
    "sysvmq:/path?proj=N, shm:/name, sysvshm:KEY, sysvsem:KEY, fifo:/path,\n"
    "unix:/path, unix:@name): type, owner, mode, size, queued messages and\n"
    "bytes, capacity, and every process known to use it, alive or dead.\n"
    "Exit status: 0 found, 1 no such object, 2 bad usage.\n";

/* The URL as `ipcx ls` spells it. */
static int stat_canon(const char *url, char *out, size_t cap)
{
    if (strncmp(url, "sysvmq:/", 8) == 0) {
        /* The ftok form: the key is what ls shows. */
        char path[PATH_MAX];
        const char *q = strchr(url, '?'), *pj = q ? strstr(q, "proj=") : NULL;
        int proj = pj ? atoi(pj + 5) : 1;
        snprintf(path, sizeof path, "%.*s", q ? (int) (q - url - 7) : (int) strlen(url + 7), url + 7);
        key_t k = ftok(path, proj);
        if (k == (key_t) -1)
            return -ENOENT;
        snprintf(out, cap, "sysvmq:0x%08x", (unsigned) k);
        return 0;
    }
    if (strncmp(url, "sysvmq:", 7) == 0 || strncmp(url, "sysvshm:", 8) == 0 ||
        strncmp(url, "sysvsem:", 8) == 0) {
        const char *colon = strchr(url, ':');
        char *end;
        if (colon[1] == '?') {
            snprintf(out, cap, "%s", url);
            return 0;
        }
        unsigned long long k = strtoull(colon + 1, &end, 0);
        if (end == colon + 1 || (*end && *end != '?') || k > 0xffffffffull)
            return -EINVAL;
        snprintf(out, cap, "%.*s0x%08llx", (int) (colon - url + 1), url, k);
        return 0;
    }
    int r = ipcx_reg_object(url, out, cap);
    return r < 0 ? r : 0;
}

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
    if (stat_canon(url, canon, sizeof canon) < 0)
        return cmd_fail(url, -EINVAL);
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
        fprintf(stderr, "ipcx: %s: no such object%s\n", url,
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
