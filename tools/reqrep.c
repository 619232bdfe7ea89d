/*
 * reqrep.c - `ipcx req` and `ipcx rep`: request/reply from the shell
 * (include/ipcx/pattern.h).  req sends one request and prints the reply;
 * rep answers requests with a command's standard output, or echoes them.
 * Options may come anywhere before `--` (GNU getopt permutes them); for
 * rep everything after `--` is the command, never options.
 */
#include "ipcx.h"
#include "ipcx/pattern.h"
#include "cmd.h"
#include "opt.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQ_TIMEOUT_MS 10000 /* never the stuck-for-ever REQ socket: a bounded default */
#define REP_REPLY_MS   5000  /* how long a reply may wait for room in the requester's channel */

/* ---- ipcx req ------------------------------------------------------------ */

static const struct opt req_opts[] = {
    { "timeout", 't', "MS", "wait at most MS ms for the reply (default 10000;\n-1 for ever)" },
    { 0 },
};
static const struct opt_cmd req_cmd = {
    "req",
    "Usage: ipcx req [-t MS] URL MESSAGE\n"
    "Send MESSAGE as a request to the server on URL (unix:, fifo:, mq:, a\n"
    "named shm: ring, or sp+tcp:/sp+unix: with proto=req0 for an nng rep0)\n"
    "and print its reply on a line of its own.\n",
    req_opts,
    "The request is sent once: a timeout does not tell whether the server\n"
    "got it.  Exit status: 0 a reply was printed, 1 an error or a timeout\n"
    "(one line on stderr), 2 bad usage.\n",
};

int cmd_req(int argc, char **argv)
{
    long timeout = REQ_TIMEOUT_MS;
    ipcx_chan *ch;
    struct opt_parser p;
    int i, r;

    opt_begin(&p, &req_cmd, argc, argv);
    while ((i = opt_next(&p)) >= 0) /* only -t */
        if ((timeout = cmd_parse_num(p.arg, -1, INT_MAX)) == LONG_MIN)
            return cmd_usage_error("req", "bad timeout '%s' (-1 or more)", p.arg);
    if (i != OPT_END)
        return i == OPT_EXIT ? 0 : EXIT_USAGE;
    if (argc - p.ind != 2)
        return cmd_usage_error("req", "%s", argc - p.ind == 0 ? "no URL"
                                          : argc - p.ind == 1 ? "no MESSAGE"
                                          : "one URL and one MESSAGE (quote a MESSAGE with blanks)");
    const char *url = argv[p.ind], *msg = argv[p.ind + 1];
    if ((r = ipcx_open(&ch, url, IPCX_SEND)) < 0)
        return cmd_fail_open(url, r);
    long cap = ipcx_maxmsg(ch) > (1L << 20) ? ipcx_maxmsg(ch) : 1L << 20;
    char *buf = malloc((size_t) cap);
    if (!buf) {
        (void) ipcx_close(ch);
        return cmd_fail(url, -ENOMEM);
    }
    cmd_catch_stops(0);
    long n = ipcx_request(ch, msg, strlen(msg), buf, (size_t) cap, (int) timeout);
    int rc = 0;
    if (n == -EINTR && cmd_stop)
        rc = 128 + cmd_stop;
    else if (n < 0)
        rc = cmd_fail(url, (int) n);
    else {
        /* The server chose these bytes: escaped on a terminal (esc.c). */
        if (esc_tty(stdout))
            out_text(stdout, buf, (size_t) n);
        else
            (void) fwrite(buf, 1, (size_t) n, stdout);
        if (fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
            fprintf(stderr, "ipcx: standard output: %s\n", strerror(errno));
            rc = EXIT_RUNTIME;
        }
    }
    free(buf);
    r = ipcx_close(ch);
    if (r < 0 && rc == 0)
        rc = cmd_fail(url, r);
    return rc;
}

/* ---- ipcx rep ------------------------------------------------------------ */

static const struct opt rep_opts[] = {
    { "count", 'n', "COUNT", "stop after COUNT requests" },
    { 0 },
};
static const struct opt_cmd rep_cmd = {
    "rep",
    "Usage: ipcx rep [-n COUNT] URL [-- COMMAND [ARG...]]\n"
    "Serve requests on URL (unix:, fifo:, mq: or a named shm: ring; made if\n"
    "missing and removed on exit; or sp+tcp:/sp+unix: with proto=rep0, which\n"
    "nng's req0 peers reach).  Each request is answered with COMMAND's\n"
    "standard output, the request being its standard input; without a\n"
    "command each request is echoed.  Synchronous sends (ipcx_send_sync)\n"
    "are taken and acknowledged, and printed on standard output.\n",
    rep_opts,
    "A malformed request or one with a reply address that is not its\n"
    "sender's is reported on stderr and skipped.  Runs until COUNT or\n"
    "SIGINT/SIGTERM (exit 130/143).  Exit status: 0 done, 1 an error, 2 bad usage.\n",
};

/* Write all of in to fd and read fd2 into out (at most cap) at the same time; -errno or length. */
static long rep_pump(int to, const char *in, size_t len, int from, char *out, size_t cap)
{
    size_t put = 0, got = 0;
    if (len == 0) {
        (void) close(to);
        to = -1;
    }
    while (from >= 0) {
        struct pollfd pf[2] = { { .fd = from, .events = POLLIN }, { .fd = to, .events = POLLOUT } };
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR && !cmd_stop)
                continue;
            return -errno;
        }
        if (to >= 0 && pf[1].revents) {
            ssize_t w = write(to, in + put, len - put);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                w = (ssize_t) (len - put); /* the command does not read: give up its input */
            if (w > 0)
                put += (size_t) w;
            if (put == len) {
                (void) close(to);
                to = -1;
            }
        }
        if (pf[0].revents) {
            ssize_t n = read(from, out + got, cap - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t) n;
            if (got == cap)
                return -EMSGSIZE;
        }
    }
    if (to >= 0)
        (void) close(to);
    return (long) got;
}

/* Run argv with in on its standard input; its standard output into out.  Length or -errno. */
static long rep_run(char **argv, const char *in, size_t len, char *out, size_t cap)
{
    int pin[2], pout[2], st;
    if (pipe(pin) < 0)
        return -errno;
    if (pipe(pout) < 0) {
        int e = -errno;
        close(pin[0]);
        close(pin[1]);
        return e;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        return e;
    }
    if (pid == 0) {
        (void) dup2(pin[0], 0);
        (void) dup2(pout[1], 1);
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        fprintf(stderr, "ipcx rep: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    long n = rep_pump(pin[1], in, len, pout[0], out, cap);
    close(pout[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (n >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "ipcx rep: %s: exited with status %d; its output is the reply\n",
                argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return n;
}

/*
 * Where every sender's leaving is an end of file (IPCX_CAP_EOF: fifo:,
 * shm:), a server between requesters would see -EPIPE at once, again and
 * again; so it keeps a sending end of its own open, as a FIFO server does.
 */
static ipcx_chan *rep_keep_open(ipcx_chan *ch)
{
    char addr[4200];
    ipcx_chan *self = NULL;
    if ((ipcx_caps(ch) & IPCX_CAP_EOF) && ipcx_addr(ch, addr, sizeof addr) >= 0 &&
        ipcx_open(&self, addr, IPCX_SEND) < 0)
        self = NULL;
    return self;
}

int cmd_rep(int argc, char **argv)
{
    long count = -1, done = 0;
    char **command = NULL;
    struct opt_parser p;
    int i, r, rc = 0, optc = argc;

    for (int k = 1; k < argc; k++)
        if (strcmp(argv[k], "--") == 0) {
            optc = k;             /* options only before it */
            command = argv + k + 1;
            argv[k] = NULL;
            break;
        }
    opt_begin(&p, &rep_cmd, optc, argv);
    while ((i = opt_next(&p)) >= 0) /* only -n */
        if ((count = cmd_parse_num(p.arg, 1, LONG_MAX)) == LONG_MIN)
            return cmd_usage_error("rep", "bad count '%s' (1 or more)", p.arg);
    if (i != OPT_END)
        return i == OPT_EXIT ? 0 : EXIT_USAGE;
    if (optc - p.ind != 1)
        return cmd_usage_error("rep", "%s", optc - p.ind < 1 ? "no URL"
                                         : "one URL only (the command goes after --)");
    if (command && !command[0])
        return cmd_usage_error("rep", "%s", "no command after --");
    const char *url = argv[p.ind];
    ipcx_chan *ch, *self;
    cmd_catch_stops(0);
    signal(SIGPIPE, SIG_IGN); /* a command that does not read its input */
    if ((r = ipcx_open(&ch, url, IPCX_RECV | IPCX_CREATE)) < 0)
        return cmd_fail_open(url, r);
    self = rep_keep_open(ch);
    size_t cap = (size_t) ipcx_maxmsg(ch);
    char *in = malloc(cap + 1), *out = malloc(cap + 1);
    if (!in || !out)
        rc = cmd_fail(url, -ENOMEM);
    while (rc == 0 && (count < 0 || done < count)) {
        ipcx_req req;
        long n = ipcx_serve(ch, in, cap, &req, -1);
        if (cmd_stop) {
            rc = 128 + cmd_stop;
            break;
        }
        if (n == -EBADMSG || n == -EACCES) {
            cmd_fail(url, (int) n); /* a broken or hostile requester; the others go on */
            continue;
        }
        if (n == -EPIPE) {
            (void) poll(NULL, 0, 10); /* no requester just now and no end of our own */
            continue;
        }
        if (n < 0) {
            rc = cmd_fail(url, (int) n);
            break;
        }
        done++;
        if (req.sync) {
            if (esc_tty(stdout))
                out_text(stdout, in, (size_t) n);
            else
                (void) fwrite(in, 1, (size_t) n, stdout);
            (void) fputc('\n', stdout);
            (void) fflush(stdout);
            continue;
        }
        long m = command ? rep_run(command, in, (size_t) n, out, cap) : n;
        if (!command)
            memcpy(out, in, (size_t) n);
        if (m < 0) {
            cmd_fail(command[0], (int) m);
            m = 0; /* the requester still gets an (empty) answer */
        }
        if ((r = ipcx_reply(ch, &req, out, (size_t) m, REP_REPLY_MS)) < 0)
            cmd_fail(req.reply_to, r); /* that requester is gone; the others go on */
    }
    free(in);
    free(out);
    (void) ipcx_close(self);
    r = ipcx_close(ch);
    if (r < 0 && rc == 0)
        rc = cmd_fail(url, r);
    return rc;
}
