/*
 * ls.c - ipcx ls: every IPC object on the machine, whoever made it, with
 * the processes that use it, as a table or one JSON document; filtered by
 * type, owner and URL prefix; with ipcs -t's times; and --limits, the
 * kernel's limits as ipcs -l shows them (limits.c).
 */
#include "ipcx.h"
#include "cmd.h"
#include "obs.h"
#include "opt.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char ls_usage[] =
    "Usage: ipcx ls [OPTION...] [--] [URL-PREFIX...]\n"
    "List every IPC object visible on this machine, whoever made it: POSIX\n"
    "message queues (/dev/mqueue) and shared memory (/dev/shm), System V\n"
    "queues, segments and semaphore sets, listening Unix sockets, and the\n"
    "FIFOs and socket files ipcx made.  For each: its URL, type, System V id,\n"
    "owner, mode, size or queued messages (and attachments), whether ipcx\n"
    "created it, and its users as PID/COMMAND(ROLES), ':dead' for a process\n"
    "that is gone.  With URL-PREFIX operands, only objects whose URL starts\n"
    "with one of them.\n";

enum { LS_TYPE, LS_USER, LS_MINE, LS_TIMES, LS_LIMITS, LS_JSON };
static const struct opt ls_opts[] = {
    [LS_TYPE]   = { "type", 0, "LIST", "only these types, comma-separated: mq, shm, sysvmq,\n"
                                       "sysvshm, sysvsem, unix, fifo (or the TYPE column's names)" },
    [LS_USER]   = { "user", 0, "USER", "only objects owned by USER (a name or a uid)" },
    [LS_MINE]   = { "mine", 0, NULL, "only objects owned by you (your effective uid)" },
    [LS_TIMES]  = { "times", 't', NULL, "the times instead of the users, as ipcs -t: sent,\n"
                                        "received, changed (System V queues); attached,\n"
                                        "detached, changed (segments); last-op, changed\n"
                                        "(semaphores); modified, changed (files)" },
    [LS_LIMITS] = { "limits", 'l', NULL, "the kernel's limits instead, as ipcs -l (and your\n"
                                         "RLIMIT_MSGQUEUE)" },
    [LS_JSON]   = { "json", 0, NULL, "one JSON document: {\"objects\": [...], \"warnings\":\n"
                                     "[...]} (with --limits: {\"limits\": {...}})" },
    { 0 },
};
static const struct opt_cmd ls_cmd = { "ls", ls_usage, ls_opts, NULL };

/* The TYPE words --type takes, by kind: a scheme and the TYPE column's name. */
static const char *const type_words[][2] = {
    { "mq", "posix-mq" }, { "shm", "posix-shm" }, { "sysvmq", "sysv-msg" },
    { "sysvshm", "sysv-shm" }, { "sysvsem", "sysv-sem" }, { "unix", "unix-socket" },
    { "fifo", "fifo" },
};

struct ls_filter {
    unsigned kinds;   /* bit per enum kind; 0: all */
    int      by_user;
    uid_t    uid;
    char   **prefix;
    int      nprefix;
};

/* --type LIST into f->kinds; -1 after a usage error. */
static int ls_types(struct ls_filter *f, const char *list)
{
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        int k = -1;
        for (int i = 0; i < (int) (sizeof type_words / sizeof type_words[0]); i++)
            if ((strlen(type_words[i][0]) == n && strncmp(p, type_words[i][0], n) == 0) ||
                (strlen(type_words[i][1]) == n && strncmp(p, type_words[i][1], n) == 0))
                k = i;
        if (k < 0)
            return cmd_usage_error("ls", "unknown type in '%s' (mq, shm, sysvmq, sysvshm, "
                                         "sysvsem, unix, fifo)", list), -1;
        f->kinds |= 1u << k;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/* --user NAME|UID; -1 after a usage error. */
static int ls_user(struct ls_filter *f, const char *who)
{
    struct passwd *pw = getpwnam(who);
    long uid = pw ? (long) pw->pw_uid : cmd_parse_num(who, 0, INT_MAX);
    if (uid == LONG_MIN)
        return cmd_usage_error("ls", "no such user '%s'", who), -1;
    f->by_user = 1;
    f->uid = (uid_t) uid;
    return 0;
}

static int ls_wanted(const struct ls_filter *f, const struct obj *b)
{
    if (f->kinds && !(f->kinds & (1u << b->kind)))
        return 0;
    if (f->by_user && (!b->has_owner || b->uid != f->uid))
        return 0;
    if (!f->nprefix)
        return 1;
    for (int i = 0; i < f->nprefix; i++)
        if (strncmp(b->url, f->prefix[i], strlen(f->prefix[i])) == 0)
            return 1;
    return 0;
}

static void ls_json(const struct objs *o, const struct recs *rs, const struct ls_filter *f)
{
    int first = 1;
    fputs("{\"objects\": [", stdout);
    for (size_t i = 0; i < o->n; i++) {
        if (!ls_wanted(f, &o->v[i]))
            continue;
        fputs(first ? "\n  " : ",\n  ", stdout);
        obj_json(stdout, &o->v[i]);
        first = 0;
    }
    fputs("\n], \"warnings\": [", stdout);
    int nw = 0;
    if (!o->mq_mounted) {
        out_json(stdout, mq_unmounted);
        nw++;
    }
    for (size_t i = 0; i < rs->nwarn; i++, nw++) {
        fputs(nw ? ", " : "", stdout);
        out_json(stdout, rs->warn[i]);
    }
    fputs("]}\n", stdout);
}

int cmd_ls(int argc, char **argv)
{
    struct ls_filter f = { 0, 0, 0, NULL, 0 };
    int k, json = 0, times = 0, limits = 0;
    struct opt_parser op;
    struct objs o;
    struct recs rs;

    opt_begin(&op, &ls_cmd, argc, argv);
    while ((k = opt_next(&op)) >= 0) {
        switch (k) {
        case LS_JSON:
            json = 1;
            break;
        case LS_TYPE:
            if (ls_types(&f, op.arg) < 0)
                return EXIT_USAGE;
            break;
        case LS_USER:
            if (ls_user(&f, op.arg) < 0)
                return EXIT_USAGE;
            break;
        case LS_MINE:
            f.by_user = 1;
            f.uid = geteuid();
            break;
        case LS_TIMES:
            times = 1;
            break;
        case LS_LIMITS:
            limits = 1;
            break;
        }
    }
    if (k != OPT_END)
        return k == OPT_EXIT ? 0 : EXIT_USAGE;
    if (limits) {
        if (op.ind < argc || f.kinds || f.by_user || times)
            return cmd_usage_error("ls", "%s", "--limits takes no filter, -t or operand");
        return limits_print(json);
    }
    f.prefix = argv + op.ind;
    f.nprefix = argc - op.ind;
    collect(&o, &rs);
    if (json) {
        ls_json(&o, &rs, &f);
    } else {
        if (!o.mq_mounted)
            fprintf(stderr, "ipcx ls: %s\n", mq_unmounted);
        warnings_text("ls", &rs);
        obj_header(stdout, times);
        for (size_t i = 0; i < o.n; i++)
            if (ls_wanted(&f, &o.v[i]))
                obj_line(stdout, &o.v[i], times);
    }
    objs_free(&o, &rs);
    return 0;
}
