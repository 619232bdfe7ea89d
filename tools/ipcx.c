/*
 * ipcx.c - the ipcx command: main, the table of commands, `ipcx help`, and
 * what every command shares (errors, numbers, stop signals).  One function
 * per command, each in a file of its own (send.c, recv.c, rm.c, observe/,
 * bench/, demo.c, reqrep.c, pubsub.c); one line per command in commands[].
 * Exit status: 0 success, 1 runtime error (one line on stderr naming the
 * URL and the cause), 2 usage error.
 */
#include "ipcx.h"
#include "cmd.h"
#include "opt.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t cmd_stop;

static void on_stop(int sig)
{
    cmd_stop = sig;
}

void cmd_catch_stops(int with_pipe)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: a blocking call returns -EINTR */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0] - !with_pipe; i++)
        (void) sigaction(sigs[i], &sa, NULL);
}

int cmd_stopped(int rc)
{
    int sig = cmd_stop;
    if (!sig)
        return rc;
    /* Die of it, as the shell expects of a command a signal stopped (128 + sig). */
    (void) fflush(NULL);
    (void) signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    (void) sigprocmask(SIG_UNBLOCK, &set, NULL);
    (void) raise(sig);
    return 128 + sig;
}

/* "ipcx: WHAT: strerror (detail)", and "; 'ipcx stat WHAT' ..." if stat_hint. */
static int fail_line(const char *url, int err, int stat_hint)
{
    /* The detail may name objects another user chose: escaped (esc.c). */
    const char *detail = ipcx_errdetail();
    fputs("ipcx: ", stderr);
    out_str(stderr, url);
    fprintf(stderr, ": %s%s", ipcx_strerror(err), *detail ? " (" : "");
    out_str(stderr, detail);
    fputs(*detail ? ")" : "", stderr);
    if (stat_hint) {
        fputs("; 'ipcx stat ", stderr);
        out_str(stderr, url);
        fputs("' shows its owner and mode", stderr);
    }
    fputc('\n', stderr);
    return EXIT_RUNTIME;
}

int cmd_fail(const char *url, int err)
{
    return fail_line(url, err, 0);
}

int cmd_fail_open(const char *url, int err)
{
    return fail_line(url, err, err == -EACCES);
}

int cmd_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "ipcx%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'ipcx %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

/* A decimal number within [min, max], or LONG_MIN. */
long cmd_parse_num(const char *s, long min, long max)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return LONG_MIN;
    return v;
}

/* ---- main --------------------------------------------------------------- */

/* One line per command: `ipcx --help` lists them, main runs them by name. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "send",  cmd_send,  "send messages to a channel" },
    { "recv",  cmd_recv,  "receive messages from a channel" },
    { "rm",    cmd_rm,    "remove named IPC objects" },
    { "bench", cmd_bench, "measure latency and throughput of the transports" },
    { "ls",    cmd_ls,    "list every IPC object on the machine and its users" },
    { "stat",  cmd_stat,  "everything about one IPC object" },
    { "gc",    cmd_gc,    "remove objects ipcx created whose users all died" },
    { "demo",  cmd_demo,  "list the demos (the course's systems) and run one" },
    { "req",   cmd_req,   "send a request and print its reply" },
    { "rep",   cmd_rep,   "answer requests with a command's output, or echo them" },
    { "pub",   cmd_pub,   "publish messages under a topic" },
    { "sub",   cmd_sub,   "print the messages of the topics subscribed to" },
    { "pool-submit", cmd_pool_submit, "hand jobs to a worker pool, wait until they are done" },
    { "worker", cmd_worker, "take a pool's jobs: print them or run a command on each" },
    { "help",  cmd_help,  "show the help of ipcx or of one command" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The URL forms, as `ipcx --help` shows them (the bash completion reads them there). */
static const char *const schemes[][2] = {
    { "pipe:", "?fd=N: an inherited pipe descriptor" },
    { "fifo:", "/path: a named pipe" },
    { "unix:", "/path, unix:@name [?type=stream|seqpacket|dgram]: a Unix socket" },
    { "tcp:", "//host:port: TCP over IPv4 or IPv6" },
    { "mq:", "/name: a POSIX message queue" },
    { "sysvmq:", "KEY, sysvmq:/path?proj=N, sysvmq:?id=N: a System V message queue" },
    { "shm:", "/name?mode=spsc|mpsc|mpmc|bcast: a POSIX shared-memory ring" },
    { "sysvshm:", "KEY, sysvshm:/path?proj=N: the ring in a System V segment" },
    { "sp+tcp:", "//host:port?proto=NAME: nng's wire protocol over TCP (ipcx-sp(7))" },
    { "sp+unix:", "/path?proto=NAME: nng's wire protocol over a Unix socket (nng's ipc://)" },
};

static void help(FILE *f)
{
    fprintf(f, "Usage: ipcx COMMAND [OPTION...] [ARG...]\n"
               "Send, receive and manage messages over Linux IPC channels named by URLs.\n"
               "\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nSchemes:\n");
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        fprintf(f, "  %s%s\n", schemes[i][0], schemes[i][1]);
    fprintf(f, "\nOptions may follow the arguments; '--' ends them.\n"
               "  -h, --help     show this help ('ipcx help COMMAND' for one command)\n"
               "  -V, --version  show the versions of ipcx and libipcx\n\n"
               "Exit status: 0 success, 1 runtime error, 2 usage error.\n"
               "See ipcx(1), ipcx-COMMAND(1) and ipcx_open(3).\n");
}

static int run(const char *name, int argc, char **argv)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc, argv);
    return cmd_usage_error(NULL, "unknown command '%s'", name);
}

int cmd_help(int argc, char **argv)
{
    if (argc > 2)
        return cmd_usage_error("help", "%s", "one COMMAND at most");
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        help(stdout);
        return 0;
    }
    char *args[] = { argv[1], (char *) "--help", NULL };
    return run(argv[1], 2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        opt_version(stdout);
        return 0;
    }
    if (argv[1][0] == '-')
        return cmd_usage_error(NULL, "unknown option '%s' (the COMMAND comes first)", argv[1]);
    return run(argv[1], argc - 1, argv + 1);
}
