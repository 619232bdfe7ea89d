/*
 * rm.c - ipcx rm: remove named IPC objects by URL.  The removal itself is
 * the library's (ipcx_unlink); this file holds the command line only.
 */
#include "ipcx.h"
#include "cmd.h"

#include <stdio.h>
#include <string.h>

static const char rm_help[] =
    "Usage: ipcx rm URL...\n"
    "Remove the named IPC object of each URL: a FIFO or socket file, a POSIX\n"
    "or System V message queue, a shared-memory segment.\n"
    "Exit status: 0 all removed, 1 some could not be (one line each), 2 bad usage.\n";

int cmd_rm(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2)
        return cmd_usage_error("rm", "%s", "no URL");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(rm_help, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        int r = ipcx_unlink(argv[i]);
        if (r < 0)
            rc = cmd_fail(argv[i], r);
    }
    return rc;
}
