/*
 * ipcx.c - the ipcx command: send and receive messages on any channel URL;
 * the other commands live in files of their own (cmd.h).  One table of
 * commands.  Exit status: 0 success, 1 runtime error (one line on stderr
 * naming the URL and the cause), 2 usage error.
 */
#include "ipcx.h"
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* SIGINT and SIGTERM interrupt a blocking call (no SA_RESTART), so a command stops cleanly. */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    (void) sigaction(SIGINT, &sa, NULL);
    (void) sigaction(SIGTERM, &sa, NULL);
}

int cmd_fail(const char *url, int err)
{
    /* The detail may name objects another user chose: escaped (esc.c). */
    const char *detail = ipcx_errdetail();
    fputs("ipcx: ", stderr);
    out_str(stderr, url);
    fprintf(stderr, ": %s%s", ipcx_strerror(err), *detail ? " (" : "");
    out_str(stderr, detail);
    fprintf(stderr, "%s\n", *detail ? ")" : "");
    return EXIT_RUNTIME;
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

/* ---- ipcx send ---------------------------------------------------------- */

static const char send_help[] =
    "Usage: ipcx send [-t MS] [-p PRIO] URL [MESSAGE...]\n"
    "Send each MESSAGE as one message to URL; with no MESSAGE, send each line\n"
    "of standard input (without its newline) as one message.\n"
    "\n"
    "  -t, --timeout MS   wait at most MS ms for each message (default -1: wait)\n"
    "  -p, --prio PRIO    the messages' priority (default 0)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 all sent, 1 an error (one line on stderr), 2 bad usage.\n";

static int send_one(ipcx_chan *ch, const char *url, const void *msg, size_t len,
                    unsigned prio, int timeout)
{
    int r = ipcx_send(ch, msg, len, prio, timeout);
    if (r == -EINTR && stop_signal)
        return 128 + stop_signal;
    return r < 0 ? cmd_fail(url, r) : 0;
}

static int cmd_send(int argc, char **argv)
{
    static const struct option opts[] = {
        { "timeout", required_argument, NULL, 't' },
        { "prio", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long timeout = -1, prio = 0;
    int c, rc = 0;
    ipcx_chan *ch;

    while ((c = getopt_long(argc, argv, "+t:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if ((timeout = cmd_parse_num(optarg, -1, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("send", "bad timeout '%s'", optarg);
            break;
        case 'p':
            if ((prio = cmd_parse_num(optarg, 0, 65535)) == LONG_MIN)
                return cmd_usage_error("send", "bad priority '%s' (0..65535)", optarg);
            break;
        case 'h':
            fputs(send_help, stdout);
            return 0;
        default:
            return cmd_usage_error("send", "%s", "bad option");
        }
    }
    if (optind >= argc)
        return cmd_usage_error("send", "%s", "no URL");
    const char *url = argv[optind++];
    int r = ipcx_open(&ch, url, IPCX_SEND);
    if (r < 0)
        return cmd_fail(url, r);
    catch_stop_signals();
    if (optind < argc) {
        for (; optind < argc && rc == 0; optind++)
            rc = send_one(ch, url, argv[optind], strlen(argv[optind]), (unsigned) prio, (int) timeout);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (rc == 0 && !stop_signal && (n = getline(&line, &cap, stdin)) >= 0) {
            if (n > 0 && line[n - 1] == '\n')
                n--;
            rc = send_one(ch, url, line, (size_t) n, (unsigned) prio, (int) timeout);
        }
        free(line);
        if (rc == 0 && stop_signal)
            rc = 128 + stop_signal; /* a stop signal, also one that cut a read of stdin short */
        else if (rc == 0 && ferror(stdin)) {
            fprintf(stderr, "ipcx: standard input: %s\n", strerror(errno));
            rc = EXIT_RUNTIME;
        }
    }
    ipcx_close(ch);
    return rc;
}

/* ---- ipcx recv ---------------------------------------------------------- */

static const char recv_help[] =
    "Usage: ipcx recv [-n COUNT] [-t MS] [--print-addr] URL\n"
    "Receive messages on URL and print each on its own line.  The object\n"
    "(FIFO, socket) is created if missing and removed again on exit.\n"
    "\n"
    "  -n, --count COUNT  stop after COUNT messages\n"
    "  -t, --timeout MS   wait at most MS ms for each message (default -1)\n"
    "      --print-addr   first print the address received on, to stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "Without -n it runs until every sender is gone (pipe, FIFO) or until\n"
    "SIGINT/SIGTERM (exit 130/143).  Exit status: 0 done, 1 an error or a\n"
    "timeout (one line on stderr), 2 bad usage.\n";

static int cmd_recv(int argc, char **argv)
{
    enum { OPT_ADDR = 256 };
    static const struct option opts[] = {
        { "count", required_argument, NULL, 'n' },
        { "timeout", required_argument, NULL, 't' },
        { "print-addr", no_argument, NULL, OPT_ADDR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long count = -1, timeout = -1, got = 0;
    int c, print_addr = 0, rc = 0;
    ipcx_chan *ch;

    while ((c = getopt_long(argc, argv, "+n:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if ((count = cmd_parse_num(optarg, 0, LONG_MAX - 1)) == LONG_MIN)
                return cmd_usage_error("recv", "bad count '%s'", optarg);
            break;
        case 't':
            if ((timeout = cmd_parse_num(optarg, -1, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("recv", "bad timeout '%s'", optarg);
            break;
        case OPT_ADDR:
            print_addr = 1;
            break;
        case 'h':
            fputs(recv_help, stdout);
            return 0;
        default:
            return cmd_usage_error("recv", "%s", "bad option");
        }
    }
    if (optind != argc - 1)
        return cmd_usage_error("recv", "%s", optind >= argc ? "no URL" : "one URL only");
    const char *url = argv[optind];
    catch_stop_signals();
    int r = ipcx_open(&ch, url, IPCX_RECV | IPCX_CREATE);
    if (r < 0)
        return cmd_fail(url, r);
    long cap = ipcx_maxmsg(ch);
    char *buf = malloc((size_t) cap + 1);
    if (!buf) {
        ipcx_close(ch);
        return cmd_fail(url, -ENOMEM);
    }
    if (print_addr) {
        char addr[4200];
        if (ipcx_addr(ch, addr, sizeof addr) >= 0)
            fprintf(stderr, "%s\n", addr);
    }
    while (count < 0 || got < count) {
        if (stop_signal) {
            rc = 128 + stop_signal; /* it came while we were printing */
            break;
        }
        long n = ipcx_recv(ch, buf, (size_t) cap, NULL, (int) timeout);
        if (n == -EINTR && stop_signal) {
            rc = 128 + stop_signal;
            break;
        }
        if (n == -EPIPE && count < 0)
            break; /* every sender is gone: done */
        if (n == -EBADMSG) {
            cmd_fail(url, (int) n); /* a broken peer; the others go on */
            continue;
        }
        if (n < 0) {
            rc = cmd_fail(url, (int) n);
            break;
        }
        /* A sender chose these bytes: on a terminal their control bytes are
         * escaped (esc.c); to a pipe or file they go out as they are. */
        buf[n] = '\n';
        int bad;
        if (esc_tty(stdout)) {
            out_text(stdout, buf, (size_t) n);
            bad = fputc('\n', stdout) == EOF;
        } else
            bad = fwrite(buf, 1, (size_t) n + 1, stdout) != (size_t) n + 1;
        if (bad || fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "ipcx: standard output: %s\n", strerror(errno));
            rc = EXIT_RUNTIME;
            break;
        }
        got++;
    }
    free(buf);
    ipcx_close(ch);
    return rc;
}

/* ---- main --------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "send", cmd_send, "send messages to a channel" },
    { "recv", cmd_recv, "receive messages from a channel" },
    { "rm",   cmd_rm,   "remove named IPC objects" },
    { "bench", cmd_bench, "measure latency and throughput of the transports" },
    { "ls",   cmd_ls,   "list every IPC object on the machine and its users" },
    { "stat", cmd_stat, "everything about one IPC object" },
    { "gc",   cmd_gc,   "remove objects ipcx created whose users all died" },
    { "demo", cmd_demo, "list the demos (the course's systems) and run one" },
    { "req",  cmd_req,  "send a request and print its reply" },
    { "rep",  cmd_rep,  "answer requests with a command's output, or echo them" },
    { "pub",  cmd_pub,  "publish messages under a topic" },
    { "sub",  cmd_sub,  "print the messages of the topics subscribed to" },
};

static void help(FILE *f)
{
    fprintf(f, "Usage: ipcx COMMAND [OPTION...] [ARG...]\n"
               "Send, receive and manage messages over Linux IPC channels named by URLs:\n"
               "pipe:?fd=N, fifo:/path, unix:/path, unix:@name, tcp://host:port,\n"
               "mq:/name, sysvmq:KEY, sysvmq:/path?proj=N.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n  -h, --help     show this help ('ipcx COMMAND --help' for one command)\n"
               "  -V, --version  show the version\n\n"
               "Exit status: 0 success, 1 runtime error, 2 usage error.\n");
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
        printf("ipcx %s\n", ipcx_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    return cmd_usage_error(NULL, "unknown command '%s'", argv[1]);
}
