/*
 * recv.c - `ipcx recv`: receive on a channel URL and print each message in
 * a --format (payload.c).  What it leaves behind is chosen here: the
 * object it created is removed on exit, unless messages still wait in it
 * (then it stays, and stderr says so) or --keep; one it found stays unless
 * --rm.  Its end: -n, -t, a stop signal (SIGINT, SIGTERM, SIGHUP, SIGPIPE:
 * the object is cleaned up first), or, on pipe: and fifo: only, every
 * sender gone (the end of the byte stream, as cat(1) reads a FIFO); every
 * other scheme waits for new senders.
 */
#include "ipcx.h"
#include "cmd.h"
#include "opt.h"
#include "payload.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { O_COUNT, O_TIMEOUT, O_ADDR, O_FORMAT, O_PRIO, O_RM, O_KEEP };

static const struct opt recv_opts[] = {
    [O_COUNT]   = { "count", 'n', "N", "stop after N messages" },
    [O_TIMEOUT] = { "timeout", 't', "MS", "wait at most MS ms for each message (default -1: wait)" },
    [O_ADDR]    = { "print-addr", 0, NULL, "first print the address received on, to stderr" },
    [O_FORMAT]  = { "format", 'f', "FMT", "line (default), quoted, hex, raw or json" },
    [O_PRIO]    = { "print-prio", 'P', NULL, "print each message's priority before it" },
    [O_RM]      = { "rm", 0, NULL, "on exit remove the object, whoever made it, unread messages too" },
    [O_KEEP]    = { "keep", 0, NULL, "on exit leave the object, also one this receiver made" },
    { 0 },
};

static const struct opt_cmd recv_cmd = {
    "recv",
    "Usage: ipcx recv [OPTION...] URL\n"
    "Receive messages on URL and print each one.  The object (FIFO, socket file,\n"
    "queue, ring) is created if missing; on exit the receiver removes what it\n"
    "created, unless messages still wait in it, and leaves what it found.\n"
    "Stderr says what it leaves.\n",
    recv_opts,
    "Formats: line: the message and a newline (control bytes escaped on a\n"
    "terminal); quoted: one line, always escaped (\\n, \\t, \\\\, \\0ooo ...;\n"
    "printf '%b' gives the bytes back); hex: one line of hex digits; raw: the\n"
    "bytes alone; json: {\"len\":N,\"prio\":P,\"text\":\"...\"} or \"base64\":\"...\"\n"
    "a line.\n"
    "\n"
    "It runs until -n messages came, a receive timed out (-t), SIGINT, SIGTERM,\n"
    "SIGHUP or SIGPIPE (it cleans up, then dies of the signal), or, on pipe:\n"
    "and fifo:, until every sender has closed.  On unix:, tcp:, mq:, sysvmq:,\n"
    "shm: and sysvshm: it waits for new senders.\n"
    "\n"
    "Exit status: 0 done, 1 an error or a timeout (one line on stderr),\n"
    "2 bad usage.\n",
};

struct recv_cfg {
    const char *url;
    long count;
    int timeout, fmt, print_prio, rm, keep;
    int out_is_pipe; /* standard output is a pipe: watch for its reader leaving */
};

static int64_t recv_now_ms(void)
{
    struct timespec ts;
    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does the stream end when every sender has closed (pipe:, fifo:), or may new ones come? */
static int recv_ends_at_eof(const char *url)
{
    return strncmp(url, "pipe:", 5) == 0 || strncmp(url, "fifo:", 5) == 0;
}

/*
 * Wait until ch may have a message, at most ms (-1: no limit): 0 to
 * receive now, -EINTR when stopped.  Meanwhile watch standard output when
 * it is a pipe: once its reader has gone (`ipcx recv URL | head -n 1`) the
 * receiver stops as SIGPIPE would stop it at its next write, but now, so
 * that it cleans up without another message having to come first.  A
 * channel without a descriptor (sysvmq:) only has stdout looked at; it
 * waits in ipcx_recv, a slice at a time (recv_next).
 */
#define RECV_SLICE_MS 200
static int recv_wait(ipcx_chan *ch, int ms)
{
    int fd = ipcx_fd(ch);
    struct pollfd p[2] = { { fd, POLLIN, 0 }, { STDOUT_FILENO, 0, 0 } };
    int n = poll(fd < 0 ? p + 1 : p, fd < 0 ? 1 : 2, fd < 0 ? 0 : ms);
    if (n < 0 && cmd_stop)
        return -EINTR;
    if (p[1].revents & (POLLERR | POLLHUP)) {
        cmd_stop = SIGPIPE;
        return -EINTR;
    }
    return 0;
}

/*
 * One message, as ipcx_recv.  It waits in slices of RECV_SLICE_MS and
 * looks at cmd_stop between them: a stop signal that comes after the look
 * and before the library blocks is caught at the next slice, not lost.  A
 * shared-memory ring says -EPIPE at once while it has no sender; a named
 * ring waits for new senders as a socket does, so look again every
 * RECV_WAIT_MS until one comes or the timeout ends.
 */
#define RECV_WAIT_MS 20
static long recv_next(ipcx_chan *ch, const struct recv_cfg *c, char *buf, size_t cap,
                      unsigned *prio)
{
    int64_t until = c->timeout > 0 ? recv_now_ms() + c->timeout : 0;
    int polled = c->out_is_pipe && ipcx_fd(ch) >= 0;
    for (;;) {
        if (cmd_stop)
            return -EINTR;
        int left = c->timeout;
        if (c->timeout > 0) {
            int64_t l = until - recv_now_ms();
            left = l > 0 ? (int) l : 0;
        }
        int wait = left < 0 || left > RECV_SLICE_MS ? RECV_SLICE_MS : left;
        if (c->out_is_pipe && recv_wait(ch, wait) < 0)
            return -EINTR;
        long n = ipcx_recv(ch, buf, cap, prio, polled ? 0 : wait);
        if ((n == -EAGAIN || n == -ETIMEDOUT) && left != 0)
            continue; /* a slice passed, or "may" was not "will": time is left */
        if (n == -EAGAIN && c->timeout > 0)
            return -ETIMEDOUT; /* the last look, with no time left */
        if (n != -EPIPE || recv_ends_at_eof(c->url))
            return n;
        if (left == 0)
            return c->timeout == 0 ? -EAGAIN : -ETIMEDOUT;
        struct timespec ts = { 0, RECV_WAIT_MS * 1000000L };
        (void) nanosleep(&ts, NULL);
    }
}

/*
 * Close the channel and say what is left.  The object stays when it was
 * there before (not ours) or holds unread messages, unless --rm; goes when
 * this receiver made it, unless --keep.
 */
static int recv_close(ipcx_chan *ch, const struct recv_cfg *c)
{
    char addr[4200];
    int created = ipcx_created(ch);
    long pending = created >= 0 ? ipcx_pending(ch) : -ENOTSUP;
    char unread[64] = "";
    int rc = 0;

    if (created < 0 || ipcx_addr(ch, addr, sizeof addr) < 0) {
        ipcx_close(ch); /* nothing named (pipe:, tcp:): nothing to leave */
        return 0;
    }
    if (pending > 0)
        snprintf(unread, sizeof unread, " with %ld unread message%s", pending,
                 pending == 1 ? "" : "s");
    int remove = c->rm || (created && !c->keep && pending <= 0);
    if (!remove && created)
        (void) ipcx_keep(ch);
    int r = ipcx_close(ch);
    if (r < 0) {
        rc = cmd_fail(addr, r);
    } else if (remove && !created) {
        if ((r = ipcx_unlink(addr)) < 0 && r != -ENOENT)
            rc = cmd_fail(addr, r);
    }
    if (rc || (remove && created && pending <= 0))
        return rc; /* its own, empty, gone: nothing to tell */
    /* Whatever it leaves, or removes that a user may miss, is said on stderr. */
    fputs("ipcx recv: ", stderr);
    out_str(stderr, addr);
    if (remove && pending > 0)
        fprintf(stderr, ": removed%s (--rm)\n", unread);
    else if (remove)
        fputs(": removed\n", stderr);
    else if (c->keep)
        fprintf(stderr, ": left in place%s (--keep)\n", unread);
    else if (created)
        fprintf(stderr, ": left in place%s; 'ipcx rm' removes it\n", unread);
    else
        fprintf(stderr, ": left in place%s: this receiver did not create it (--rm removes it)\n",
                unread);
    return 0;
}

static int recv_loop(ipcx_chan *ch, const struct recv_cfg *c)
{
    long cap = ipcx_maxmsg(ch), got = 0;
    char *buf = malloc((size_t) cap + 1);
    int rc = 0;
    if (!buf)
        return cmd_fail(c->url, -ENOMEM);
    while (c->count < 0 || got < c->count) {
        unsigned prio = 0;
        if (cmd_stop) {
            rc = EXIT_STOPPED; /* it came while we were printing */
            break;
        }
        long n = recv_next(ch, c, buf, (size_t) cap, &prio);
        if (n == -EINTR && cmd_stop) {
            rc = EXIT_STOPPED;
            break;
        }
        if (n == -EPIPE && c->count < 0)
            break; /* pipe:, fifo: every sender is gone: done */
        if (n == -EBADMSG) {
            cmd_fail(c->url, (int) n); /* a broken peer; the others go on */
            continue;
        }
        if (n < 0) {
            rc = cmd_fail(c->url, (int) n);
            break;
        }
        if (payload_print(stdout, c->fmt, buf, (size_t) n, prio, c->print_prio) < 0) {
            if (cmd_stop)
                rc = EXIT_STOPPED; /* SIGPIPE: the reader of stdout left */
            else {
                fprintf(stderr, "ipcx: standard output: %s\n", strerror(errno));
                rc = EXIT_RUNTIME;
            }
            break;
        }
        got++;
    }
    free(buf);
    return rc;
}

int cmd_recv(int argc, char **argv)
{
    struct recv_cfg c = { NULL, -1, -1, FMT_LINE, 0, 0, 0, 0 };
    int i, print_addr = 0;
    long v;
    struct opt_parser p;
    ipcx_chan *ch;

    opt_begin(&p, &recv_cmd, argc, argv);
    while ((i = opt_next(&p)) >= 0) {
        switch (i) {
        case O_COUNT:
            if ((c.count = cmd_parse_num(p.arg, 0, LONG_MAX - 1)) == LONG_MIN)
                return cmd_usage_error("recv", "bad count '%s'", p.arg);
            break;
        case O_TIMEOUT:
            if ((v = cmd_parse_num(p.arg, -1, INT_MAX)) == LONG_MIN)
                return cmd_usage_error("recv", "bad timeout '%s'", p.arg);
            c.timeout = (int) v;
            break;
        case O_ADDR:
            print_addr = 1;
            break;
        case O_FORMAT:
            if ((c.fmt = payload_fmt_parse(p.arg)) < 0)
                return cmd_usage_error("recv", "bad format '%s' (line, quoted, hex, raw or json)",
                                       p.arg);
            break;
        case O_PRIO:
            c.print_prio = 1;
            break;
        case O_RM:
            c.rm = 1;
            break;
        case O_KEEP:
            c.keep = 1;
            break;
        }
    }
    if (i != OPT_END)
        return i == OPT_EXIT ? 0 : EXIT_USAGE;
    if (c.rm && c.keep)
        return cmd_usage_error("recv", "%s", "--rm or --keep, not both");
    if (c.print_prio && c.fmt == FMT_RAW)
        return cmd_usage_error("recv", "%s", "--print-prio does not go with --format raw");
    if (p.ind != argc - 1)
        return cmd_usage_error("recv", "%s", p.ind >= argc ? "no URL" : "one URL only");
    c.url = argv[p.ind];
    struct stat st;
    c.out_is_pipe = fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
    cmd_catch_stops(1);
    int r = ipcx_open(&ch, c.url, IPCX_RECV | IPCX_CREATE);
    if (r < 0)
        return cmd_stopped(cmd_fail_open(c.url, r));
    if (print_addr) {
        char addr[4200];
        if (ipcx_addr(ch, addr, sizeof addr) >= 0)
            fprintf(stderr, "%s\n", addr);
    }
    int rc = recv_loop(ch, &c);
    int rc2 = recv_close(ch, &c);
    return cmd_stopped(rc ? rc : rc2);
}
