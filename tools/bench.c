/* bench.c - ipcx bench (being written). */
#include "cmd.h"
#include <stdio.h>
int cmd_bench(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf(stderr, "ipcx bench: not built yet\n");
    return EXIT_RUNTIME;
}
