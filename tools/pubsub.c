/*
 * pubsub.c - the commands `ipcx pub` and `ipcx sub`: publish messages
 * under a topic, and print the messages of the topics subscribed to as
 * "topic message" lines (include/ipcx/pubsub.h).  Options may come
 * anywhere before "--" (GNU getopt permutes).
 */
#include "cmd.h"
#include "opt.h"
#include "ipcx.h"
#include "ipcx/pubsub.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* SIGINT/SIGTERM/SIGHUP end a blocking call (cmd_catch_stops); a gone subscriber is -EPIPE. */
static void ps_catch_signals(void)
{
    cmd_catch_stops(0);
    (void) signal(SIGPIPE, SIG_IGN);
}

static void ps_nap(void)
{
    struct timespec ts = { 0, 20 * 1000000L };
    (void) nanosleep(&ts, NULL);
}

/* ---- ipcx pub ----------------------------------------------------------- */

static const struct opt pub_opts[] = {
    { "timeout", 't', "MS", "wait at most MS ms for a lossless subscriber with\nno room (default -1: wait)" },
    { "subscribers", 's', "N", "first wait until N subscribers are there" },
    { 0 },
};
static const struct opt_cmd pub_cmd = {
    "pub",
    "Usage: ipcx pub [-t MS] [-s N] URL TOPIC [MESSAGE...]\n"
    "Publish each MESSAGE under TOPIC on URL (shm:/name, sysvshm:KEY, unix:/path,\n"
    "unix:@name, tcp://host:port); with no MESSAGE, each line of standard input\n"
    "(without its newline).  Subscribers (ipcx sub) whose prefixes match TOPIC\n"
    "get it.\n",
    pub_opts,
    "Options may come anywhere before '--'.  Exit status: 0 all published, 1 an\n"
    "error (one line on stderr), 2 bad usage, 130/143 stopped by SIGINT/SIGTERM.\n",
};

static int pub_one(ipcx_pub *p, const char *url, const char *topic, const char *msg,
                   size_t len, int timeout)
{
    int r = ipcx_publish(p, topic, msg, len, timeout);
    if (r == -EINTR && cmd_stop)
        return 128 + cmd_stop;
    return r < 0 ? cmd_fail(url, r) : 0;
}

int cmd_pub(int argc, char **argv)
{
    long timeout = -1, want = 0;
    int oi, rc = 0;
    struct opt_parser op;
    ipcx_pub *p;

    opt_begin(&op, &pub_cmd, argc, argv);
    while ((oi = opt_next(&op)) >= 0) {
        switch (pub_opts[oi].letter) {
        case 't':
            if ((timeout = cmd_parse_num(op.arg, -1, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("pub", "bad timeout '%s' (-1 or more)", op.arg);
            break;
        case 's':
            if ((want = cmd_parse_num(op.arg, 0, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("pub", "bad number of subscribers '%s'", op.arg);
            break;
        }
    }
    if (oi != OPT_END)
        return oi == OPT_EXIT ? 0 : EXIT_USAGE;
    optind = op.ind;
    if (argc - optind < 2)
        return cmd_usage_error("pub", "%s", optind >= argc ? "no URL" : "no TOPIC");
    const char *url = argv[optind++], *topic = argv[optind++];
    if (strlen(topic) > IPCX_TOPIC_MAX)
        return cmd_usage_error("pub", "%s", "a TOPIC has at most 255 bytes");
    ps_catch_signals();
    int r = ipcx_pub_open(&p, url, 0);
    if (r < 0)
        return cmd_fail_open(url, r);
    while (!cmd_stop && (r = ipcx_pub_subscribers(p)) >= 0 && r < want)
        ps_nap();
    if (r < 0)
        rc = cmd_fail(url, r);
    else if (cmd_stop)
        rc = 128 + cmd_stop;
    if (rc == 0 && optind < argc) {
        for (; optind < argc && rc == 0; optind++)
            rc = pub_one(p, url, topic, argv[optind], strlen(argv[optind]), (int) timeout);
    } else if (rc == 0) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (rc == 0 && !cmd_stop && (n = getline(&line, &cap, stdin)) >= 0) {
            if (n > 0 && line[n - 1] == '\n')
                n--;
            rc = pub_one(p, url, topic, line, (size_t) n, (int) timeout);
        }
        free(line);
        if (rc == 0 && cmd_stop)
            rc = 128 + cmd_stop;
        else if (rc == 0 && ferror(stdin)) {
            fprintf(stderr, "ipcx: standard input: %s\n", strerror(errno));
            rc = EXIT_RUNTIME;
        }
    }
    (void) ipcx_pub_close(p);
    return rc;
}

/* ---- ipcx sub ----------------------------------------------------------- */

static const struct opt sub_opts[] = {
    { "count", 'n', "COUNT", "stop after COUNT messages" },
    { "timeout", 't', "MS", "wait at most MS ms for the publisher and for each\nmessage (default -1: wait)" },
    { "lossy", 0, NULL, "never hold the publisher back: miss messages instead\n(each loss is reported on stderr with its count)" },
    { 0 },
};
static const struct opt_cmd sub_cmd = {
    "sub",
    "Usage: ipcx sub [-n COUNT] [-t MS] [--lossy] URL TOPIC...\n"
    "Subscribe to the publisher on URL for every topic that starts with one of\n"
    "the TOPIC prefixes (\"\" is every topic), and print each message as one line\n"
    "\"topic message\".  Waits for the publisher to appear.\n",
    sub_opts,
    "Without -n it runs until the publisher closes the feed, or SIGINT/SIGTERM\n"
    "(exit 130/143).  Options may come anywhere before '--'.  Exit status: 0\n"
    "done, 1 an error or a timeout (one line on stderr), 2 bad usage.\n",
};

/* Open, waiting (up to timeout ms, or for ever) for the publisher to appear. */
static int sub_open_wait(ipcx_sub **s, const char *url, int flags, long timeout)
{
    for (long waited = 0;; waited += 20) {
        int r = ipcx_sub_open(s, url, flags);
        if (r != -ENOENT && r != -ECONNREFUSED)
            return r;
        if (cmd_stop)
            return -EINTR;
        if (timeout >= 0 && waited >= timeout)
            return r;
        ps_nap();
    }
}

static int sub_prefixes(ipcx_sub *s, int n, char **prefixes)
{
    for (int i = 0; i < n; i++) {
        int r = ipcx_subscribe(s, prefixes[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

/*
 * Open and subscribe; a publisher that closes between the two (-EPIPE:
 * the previous one of a series of `ipcx pub`) is waited out.
 */
static int sub_connect(ipcx_sub **s, const char *url, int flags, long timeout, int n,
                       char **prefixes)
{
    for (;;) {
        int r = sub_open_wait(s, url, flags, timeout);
        if (r < 0)
            return r;
        /*
         * A registration sent to a publisher just closing is never answered:
         * start again with the next one on URL.
         */
        if ((r = sub_prefixes(*s, n, prefixes)) == 0)
            r = ipcx_sub_wait(*s, timeout >= 0 && timeout < 1000 ? (int) timeout : 1000);
        if (r != -EPIPE && (r != -ETIMEDOUT || (timeout >= 0 && timeout <= 1000)))
            return r;
        (void) ipcx_sub_close(*s);
        *s = NULL;
        ps_nap();
    }
}

static int sub_print(const char *topic, const char *msg, size_t len)
{
    int bad;
    /* A publisher chose these bytes: escaped on a terminal (esc.c). */
    if (esc_tty(stdout)) {
        out_str(stdout, topic);
        fputc(' ', stdout);
        out_text(stdout, msg, len);
        bad = fputc('\n', stdout) == EOF;
    } else {
        bad = fputs(topic, stdout) == EOF || fputc(' ', stdout) == EOF ||
              fwrite(msg, 1, len, stdout) != len || fputc('\n', stdout) == EOF;
    }
    if (bad || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ipcx: standard output: %s\n", strerror(errno));
        return EXIT_RUNTIME;
    }
    return 0;
}

int cmd_sub(int argc, char **argv)
{
    long count = -1, timeout = -1, got = 0;
    int oi, rc = 0, flags = 0;
    struct opt_parser op;
    ipcx_sub *s;

    opt_begin(&op, &sub_cmd, argc, argv);
    while ((oi = opt_next(&op)) >= 0) {
        switch (sub_opts[oi].letter) {
        case 'n':
            if ((count = cmd_parse_num(op.arg, 0, LONG_MAX - 1)) == LONG_MIN)
                return cmd_usage_error("sub", "bad count '%s'", op.arg);
            break;
        case 't':
            if ((timeout = cmd_parse_num(op.arg, -1, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("sub", "bad timeout '%s' (-1 or more)", op.arg);
            break;
        default: /* --lossy */
            flags |= IPCX_SUB_LOSSY;
            break;
        }
    }
    if (oi != OPT_END)
        return oi == OPT_EXIT ? 0 : EXIT_USAGE;
    optind = op.ind;
    if (argc - optind < 2)
        return cmd_usage_error("sub", "%s", optind >= argc ? "no URL" : "no TOPIC");
    if (argc - optind - 1 > IPCX_SUB_PREFIXES)
        return cmd_usage_error("sub", "%s", "at most 32 TOPIC prefixes");
    const char *url = argv[optind++];
    for (int i = optind; i < argc; i++)
        if (strlen(argv[i]) > IPCX_TOPIC_MAX)
            return cmd_usage_error("sub", "%s", "a TOPIC has at most 255 bytes");
    ps_catch_signals();
    int first = optind;
    s = NULL;
    int r = sub_connect(&s, url, flags, timeout, argc - first, argv + first);
    if (r < 0) {
        rc = r == -EINTR && cmd_stop ? 128 + cmd_stop : cmd_fail_open(url, r);
        goto out;
    }
    char topic[IPCX_TOPIC_MAX + 1];
    size_t cap = 1u << 20;
    char *buf = malloc(cap);
    if (!buf) {
        rc = cmd_fail(url, -ENOMEM);
        goto out;
    }
    long long lost = 0;
    while (count < 0 || got < count) {
        if (cmd_stop) {
            rc = 128 + cmd_stop;
            break;
        }
        long n = ipcx_sub_recv(s, topic, sizeof topic, buf, cap, (int) timeout);
        if (n == -EINTR && cmd_stop) {
            rc = 128 + cmd_stop;
            break;
        }
        if (n == -ENOBUFS || n == -EMSGSIZE || n == -EBADMSG) {
            long long now = ipcx_sub_lost(s);
            if (n == -EBADMSG)
                cmd_fail(url, (int) n); /* a broken message; the rest go on */
            else
                fprintf(stderr, "ipcx: %s: %lld messages lost (%lld in all)\n", url,
                        now - lost, now);
            lost = now;
            continue;
        }
        if (n == -EPIPE && count < 0)
            break; /* the publisher closed the feed: done */
        if (n == -EPIPE) {
            /* -n: COUNT messages, from this publisher and the next one on URL. */
            (void) ipcx_sub_close(s);
            s = NULL;
            if ((r = sub_connect(&s, url, flags, timeout, argc - first, argv + first)) < 0) {
                rc = r == -EINTR && cmd_stop ? 128 + cmd_stop : cmd_fail(url, r);
                break;
            }
            continue;
        }
        if (n < 0) {
            rc = cmd_fail(url, (int) n);
            break;
        }
        if ((rc = sub_print(topic, buf, (size_t) n)) != 0)
            break;
        got++;
    }
    free(buf);
out:
    (void) ipcx_sub_close(s);
    return rc;
}
