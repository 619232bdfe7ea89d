/*
 * opt.h - the options of one ipcx command, written once as a table from
 * which opt.c parses argv the GNU way and prints the command's --help:
 *  - getopt_long in its permuting mode: options anywhere before "--"
 *    ("ipcx recv URL -n 1"), "--" ends them, so "ipcx send URL -- -x"
 *    sends "-x";
 *  - "-h"/"--help" (the usage text, the option table, the rest, exit 0)
 *    and "--version" (the command's and the library's version) built in;
 *  - a mistake gives one line "ipcx CMD: unknown option '--x'" (and
 *    "Try 'ipcx CMD --help'.") on standard error, getopt's own messages off.
 *
 *     static const struct opt recv_opts[] = {
 *         { "count", 'n', "N", "stop after N messages" },
 *         { "json", 0, NULL, "print JSON" },        long only: no letter
 *         { 0 },
 *     };
 *     static const struct opt_cmd recv_cmd = { "recv", recv_usage, recv_opts, recv_more };
 *     struct opt_parser p;
 *     opt_begin(&p, &recv_cmd, argc, argv);
 *     while ((i = opt_next(&p)) >= 0)
 *         switch (recv_opts[i].letter or i) { ... p.arg is the argument ... }
 *     if (i != OPT_END) return i == OPT_EXIT ? 0 : EXIT_USAGE;
 *     the operands are argv[p.ind] .. argv[argc - 1]
 *
 * Tools elsewhere (observe/, bench/) adopt it by writing their options as
 * such a table and their loop as above; `ipcx help CMD` and the bash
 * completion (which reads --help) then work for them unchanged.
 */
#ifndef IPCX_OPT_H
#define IPCX_OPT_H

#include <getopt.h>
#include <stdio.h>

struct opt {
    const char *name;   /* long name without "--" */
    int letter;         /* short letter, or 0 for a long-only option */
    const char *arg;    /* the argument's name in --help, or NULL: no argument */
    const char *help;   /* its line in --help */
};

struct opt_cmd {
    const char *name;        /* "recv": for messages ("ipcx recv: ...") */
    const char *usage;       /* --help before the options: "Usage: ipcx recv ...\n..." */
    const struct opt *opts;  /* ended by { 0 } */
    const char *more;        /* --help after the options (may be NULL) */
};

#define OPT_END   (-1) /* no more options: the operands start at p.ind */
#define OPT_ERROR (-2) /* a usage error, already printed: exit 2 */
#define OPT_EXIT  (-3) /* --help or --version printed: exit 0 */
#define OPT_MAX   40   /* options per command */

struct opt_parser {
    const struct opt_cmd *cmd;
    int argc;
    char **argv;
    int ind;            /* after OPT_END: the first operand */
    const char *arg;    /* the argument of the option just returned */
    char shorts[3 * OPT_MAX + 4];
    struct option longs[OPT_MAX + 3];
};

void opt_begin(struct opt_parser *p, const struct opt_cmd *cmd, int argc, char **argv);
/* The index in cmd->opts of the next option, or OPT_END, OPT_ERROR, OPT_EXIT. */
int opt_next(struct opt_parser *p);
/* Print the command's whole --help to f. */
void opt_help(FILE *f, const struct opt_cmd *cmd);
/* "ipcx 0.1.0, libipcx 0.1.0" (the command's and the library's) to f. */
void opt_version(FILE *f);

#endif
