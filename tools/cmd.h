/*
 * cmd.h - what the files of the ipcx command share: each command is a
 * function taking its own argv (argv[0] is the command name) and returning
 * the exit status; the table in ipcx.c lists them.
 */
#ifndef IPCX_CMD_H
#define IPCX_CMD_H

#include <signal.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2
#define EXIT_STOPPED 128 /* a stop signal came: clean up, then cmd_stopped() */

/*
 * Stop signals: SIGINT, SIGTERM, SIGHUP (and SIGPIPE if with_pipe, for a
 * command whose output may be cut off) set cmd_stop to the signal and
 * interrupt a blocking call (no SA_RESTART: an ipcx call returns -EINTR).
 * After its cleanup the command returns cmd_stopped(rc): it dies of that
 * signal (so a shell sees 128 + signal), or returns rc when none came.
 */
extern volatile sig_atomic_t cmd_stop;
void cmd_catch_stops(int with_pipe);
int cmd_stopped(int rc);

/* Print "ipcx: WHAT: strerror (detail)" to stderr; returns EXIT_RUNTIME. */
int cmd_fail(const char *what, int err);
/* cmd_fail for a failed ipcx_open of url; a refusal by mode (-EACCES) also
 * says on that line how to see the object's owner and mode. */
int cmd_fail_open(const char *url, int err);

/* Print a usage error for command cmd (NULL: ipcx itself); returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, const char *arg);

/* A decimal number within [min, max], or LONG_MIN. */
long cmd_parse_num(const char *s, long min, long max);

/*
 * Strings from outside (esc.c): names of files, objects, processes and
 * sockets, registry text, message payloads.  To a terminal their control
 * bytes are escaped as `ls -b` does; to a pipe or file they go out as they
 * are.  JSON strings are always escaped.
 */
#include <stddef.h>
#include <stdio.h>
/* 1 if f is a terminal (then out_* escape). */
int esc_tty(FILE *f);
/* len bytes of s, escaped, into buf (always NUL-terminated; cut before an escape that does not fit). */
size_t esc_text(const char *s, size_t len, char *buf, size_t cap);
/* s as it should appear on f (escaped if f is a terminal) into buf; returns buf. */
const char *esc_str(FILE *f, const char *s, char *buf, size_t cap);
/* Print len bytes of s / the string s to f, escaped if f is a terminal. */
void out_text(FILE *f, const char *s, size_t len);
void out_str(FILE *f, const char *s);
/* Escaped whatever f is, octal as \0ooo: one line that printf '%b' turns back into the bytes. */
void out_quoted(FILE *f, const char *s, size_t len);
/* Print s / len bytes of s as a JSON string, quotes included. */
void out_json(FILE *f, const char *s);
void out_json_text(FILE *f, const char *s, size_t len);
/* 1 if out_json_text gives back exactly these bytes (ASCII and printable UTF-8 only). */
int json_exact(const char *s, size_t len);

/* Commands (one per file; help in ipcx.c). */
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_bench(int argc, char **argv);
/* observe/: every IPC object on the machine and who uses it (obs.h). */
int cmd_ls(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_gc(int argc, char **argv);
/* demo.c: list and start the demos (demos/lib/demo.h). */
int cmd_demo(int argc, char **argv);
/* reqrep.c: request/reply from the shell (ipcx/pattern.h). */
int cmd_req(int argc, char **argv);
int cmd_rep(int argc, char **argv);
/* pubsub.c: publish/subscribe with topics. */
int cmd_pub(int argc, char **argv);
int cmd_sub(int argc, char **argv);
/* pool.c: the worker pool. */
int cmd_pool_submit(int argc, char **argv);
int cmd_worker(int argc, char **argv);

#endif
