/*
 * send.c - `ipcx send`: messages from arguments, --data, --file, all of
 * standard input (--stdin-raw), NUL-separated (-0) or line by line
 * (the default) to a channel URL, --count times, --interval apart, after
 * --delay, as nngcat does.  The formats are payload.c's.
 */
#include "ipcx.h"
#include "cmd.h"
#include "opt.h"
#include "payload.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { O_TIMEOUT, O_PRIO, O_DATA, O_FILE, O_STDIN_RAW, O_NUL, O_COUNT, O_INTERVAL, O_DELAY };

static const struct opt send_opts[] = {
    [O_TIMEOUT]   = { "timeout", 't', "MS", "wait at most MS ms for each message (default -1: wait)" },
    [O_PRIO]      = { "prio", 'p', "PRIO", "the messages' priority, 0..65535 (default 0)" },
    [O_DATA]      = { "data", 'D', "STR", "send STR as the message" },
    [O_FILE]      = { "file", 'F', "FILE", "send the contents of FILE as one message" },
    [O_STDIN_RAW] = { "stdin-raw", 0, NULL, "send all of standard input as one message" },
    [O_NUL]       = { "null", '0', NULL, "standard input holds messages ended by NUL bytes" },
    [O_COUNT]     = { "count", 'c', "N", "send the message(s) N times (default 1)" },
    [O_INTERVAL]  = { "interval", 'i', "MS", "wait MS ms between messages" },
    [O_DELAY]     = { "delay", 'd', "MS", "wait MS ms before the first message" },
    { 0 },
};

static const struct opt_cmd send_cmd = {
    "send",
    "Usage: ipcx send [OPTION...] URL [MESSAGE...]\n"
    "Send each MESSAGE as one message to URL.  Without MESSAGE, --data, --file\n"
    "or --stdin-raw, send each line of standard input (without its newline) as\n"
    "one message, or with -0 each NUL-terminated string.  Options may follow\n"
    "the URL; after '--' every argument is a MESSAGE.\n",
    send_opts,
    "With --interval and no --count it repeats until stopped.  --count and\n"
    "--interval apply to MESSAGE, --data, --file and --stdin-raw; --interval\n"
    "also between the lines of standard input.\n"
    "\n"
    "Exit status: 0 all sent, 1 an error (one line on stderr), 2 bad usage;\n"
    "stopped by SIGINT, SIGTERM or SIGHUP it dies of that signal.\n",
};

struct send_cfg {
    const char *url;
    int timeout, interval, sent;
    unsigned prio;
};

/* Wait ms milliseconds, or until a stop signal: 0, or 1 when stopped. */
static int send_pause(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (!cmd_stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return cmd_stop != 0;
}

/* Send one message, --interval after the one before: 0, or the exit status. */
static int send_one(ipcx_chan *ch, struct send_cfg *c, const void *msg, size_t len)
{
    if (cmd_stop || (c->sent && c->interval > 0 && send_pause(c->interval)))
        return EXIT_STOPPED;
    int r = ipcx_send(ch, msg, len, c->prio, c->timeout);
    if (r == -EINTR && cmd_stop)
        return EXIT_STOPPED;
    if (r < 0)
        return cmd_fail(c->url, r);
    c->sent++;
    return 0;
}

/* Messages from standard input, each ended by sep (or by its end): 0 or the exit status. */
static int send_stream(ipcx_chan *ch, struct send_cfg *c, int sep)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && !cmd_stop && (n = getdelim(&line, &cap, sep, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == sep)
            n--;
        rc = send_one(ch, c, line, (size_t) n);
    }
    free(line);
    if (rc == 0 && cmd_stop)
        return EXIT_STOPPED; /* also one that cut a read of stdin short */
    if (rc == 0 && ferror(stdin)) {
        fprintf(stderr, "ipcx: standard input: %s\n", strerror(errno));
        return EXIT_RUNTIME;
    }
    return rc;
}

/* One message from a whole file ("-" or NULL: standard input) into *buf. */
static int send_slurp(const char *path, long max, char **buf, size_t *len)
{
    FILE *f = path ? fopen(path, "rb") : stdin;
    int r;
    if (!f) {
        fprintf(stderr, "ipcx: %s: %s\n", path, strerror(errno));
        return EXIT_RUNTIME;
    }
    r = payload_slurp(f, (size_t) max, buf, len);
    if (f != stdin)
        (void) fclose(f);
    if (r == 0)
        return 0;
    if (r == -EMSGSIZE)
        fprintf(stderr, "ipcx: %s: longer than the channel's largest message (%ld bytes)\n",
                path ? path : "standard input", max);
    else
        fprintf(stderr, "ipcx: %s: %s\n", path ? path : "standard input", strerror(-r));
    return EXIT_RUNTIME;
}

int cmd_send(int argc, char **argv)
{
    struct send_cfg c = { NULL, -1, 0, 0, 0 };
    const char *data = NULL, *file = NULL;
    long count = -1, delay = 0, v;
    int i, rc = 0, raw = 0, nul = 0, sources;
    struct opt_parser p;
    ipcx_chan *ch;

    opt_begin(&p, &send_cmd, argc, argv);
    while ((i = opt_next(&p)) >= 0) {
        switch (i) {
        case O_TIMEOUT:
            if ((v = cmd_parse_num(p.arg, -1, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("send", "bad timeout '%s' (-1 or more)", p.arg);
            c.timeout = (int) v;
            break;
        case O_PRIO:
            if ((v = cmd_parse_num(p.arg, 0, 65535)) == LONG_MIN)
                return cmd_usage_error("send", "bad priority '%s' (0..65535)", p.arg);
            c.prio = (unsigned) v;
            break;
        case O_DATA:
            data = p.arg;
            break;
        case O_FILE:
            file = p.arg;
            break;
        case O_STDIN_RAW:
            raw = 1;
            break;
        case O_NUL:
            nul = 1;
            break;
        case O_COUNT:
            if ((count = cmd_parse_num(p.arg, 1, LONG_MAX)) == LONG_MIN)
                return cmd_usage_error("send", "bad count '%s' (1 or more)", p.arg);
            break;
        case O_INTERVAL:
            if ((v = cmd_parse_num(p.arg, 0, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("send", "bad interval '%s' (milliseconds)", p.arg);
            c.interval = (int) v;
            break;
        case O_DELAY:
            if ((delay = cmd_parse_num(p.arg, 0, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("send", "bad delay '%s' (milliseconds)", p.arg);
            break;
        }
    }
    if (i != OPT_END)
        return i == OPT_EXIT ? 0 : EXIT_USAGE;
    if (p.ind >= argc)
        return cmd_usage_error("send", "%s", "no URL");
    c.url = argv[p.ind++];
    int nmsg = argc - p.ind;
    sources = (nmsg > 0) + (data != NULL) + (file != NULL) + raw + nul;
    if (sources > 1)
        return cmd_usage_error("send", "%s", "one source of messages: MESSAGE..., --data, "
                                             "--file, --stdin-raw or -0");
    int lines = sources == 0 || nul;
    if (lines && count > 0)
        return cmd_usage_error("send", "%s", "--count repeats MESSAGE, --data, --file or "
                                             "--stdin-raw, not lines of standard input");
    if (count < 0)
        count = !lines && c.interval > 0 ? 0 : 1; /* 0: until stopped */

    int r = ipcx_open(&ch, c.url, IPCX_SEND);
    if (r < 0)
        return cmd_fail_open(c.url, r);
    cmd_catch_stops(0);
    char *whole = NULL;
    size_t wlen = 0;
    if ((file || raw) && (rc = send_slurp(file && strcmp(file, "-") ? file : NULL,
                                          ipcx_maxmsg(ch), &whole, &wlen)) != 0)
        goto out;
    if (delay > 0 && send_pause((int) delay)) {
        rc = EXIT_STOPPED;
        goto out;
    }
    if (lines) {
        rc = send_stream(ch, &c, nul ? '\0' : '\n');
        goto out;
    }
    for (long round = 0; rc == 0 && (count == 0 || round < count); round++) {
        if (data)
            rc = send_one(ch, &c, data, strlen(data));
        else if (whole)
            rc = send_one(ch, &c, whole, wlen);
        else if (file || raw)
            rc = send_one(ch, &c, "", 0); /* an empty file is one empty message */
        else
            for (int k = p.ind; k < argc && rc == 0; k++)
                rc = send_one(ch, &c, argv[k], strlen(argv[k]));
    }
out:
    free(whole);
    ipcx_close(ch);
    return cmd_stopped(rc);
}
