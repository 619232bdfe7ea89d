/*
 * cmd.h - what the files of the ipcx command share: each command is a
 * function taking its own argv (argv[0] is the command name) and returning
 * the exit status; the table in ipcx.c lists them.
 */
#ifndef IPCX_CMD_H
#define IPCX_CMD_H

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/* Print "ipcx: WHAT: strerror (detail)" to stderr; returns EXIT_RUNTIME. */
int cmd_fail(const char *what, int err);

/* Print a usage error for command cmd (NULL: ipcx itself); returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, const char *arg);

/* A decimal number within [min, max], or LONG_MIN. */
long cmd_parse_num(const char *s, long min, long max);

/* Commands (one per file besides send/recv/rm in ipcx.c). */
int cmd_bench(int argc, char **argv);
/* observe.c: every IPC object on the machine and who uses it. */
int cmd_ls(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_gc(int argc, char **argv);

#endif
