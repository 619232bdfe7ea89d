/*
 * ls.c - ipcx ls: every IPC object on the machine, whoever made it, with
 * the processes that use it, as a table or one JSON document.
 */
#include "ipcx.h"
#include "cmd.h"
#include "obs.h"

#include <stdio.h>

static const char ls_help[] =
    "Usage: ipcx ls [--json]\n"
    "List every IPC object visible on this machine, whoever made it: POSIX\n"
    "message queues (/dev/mqueue) and shared memory (/dev/shm), System V\n"
    "queues, segments and semaphore sets, listening Unix sockets, and the\n"
    "FIFOs and socket files ipcx made.  For each: its URL, type, owner, mode,\n"
    "size or queued messages, whether ipcx created it, and its users as\n"
    "PID/COMMAND(ROLES), ':dead' for a process that is gone.\n"
    "\n"
    "  --json      one JSON document: {\"objects\": [...], \"warnings\": [...]}\n"
    "  -h, --help  show this help\n";

int cmd_ls(int argc, char **argv)
{
    struct objs o;
    struct recs rs;
    int nargs, json = parse_flag(argc, argv, "ls", ls_help, "--json", &nargs);
    if (json == -1)
        return 0;
    if (json < -1)
        return EXIT_USAGE;
    if (nargs)
        return cmd_usage_error("ls", "%s", "no arguments expected (see ipcx stat URL)");
    collect(&o, &rs);
    if (json) {
        fputs("{\"objects\": [", stdout);
        for (size_t i = 0; i < o.n; i++) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            obj_json(stdout, &o.v[i]);
        }
        fputs("\n], \"warnings\": [", stdout);
        int nw = 0;
        if (!o.mq_mounted) {
            out_json(stdout, mq_unmounted);
            nw++;
        }
        for (size_t i = 0; i < rs.nwarn; i++, nw++) {
            fputs(nw ? ", " : "", stdout);
            out_json(stdout, rs.warn[i]);
        }
        fputs("]}\n", stdout);
    } else {
        if (!o.mq_mounted)
            fprintf(stderr, "ipcx ls: %s\n", mq_unmounted);
        warnings_text("ls", &rs);
        printf("%-36s %-11s %-8s %-5s %-20s %s %s\n", "URL", "TYPE", "OWNER", "MODE", "SIZE",
               "IPCX", "USERS");
        for (size_t i = 0; i < o.n; i++)
            obj_line(stdout, &o.v[i]);
    }
    objs_free(&o, &rs);
    return 0;
}
