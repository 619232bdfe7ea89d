/*
 * pool.c - the commands `ipcx pool-submit` and `ipcx worker`: hand jobs to
 * a worker pool and wait until they are done; take jobs and print them or
 * run a command on each (include/ipcx/pubsub.h, docs/patterns.md).
 * Options may come anywhere before "--" (opt.h).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- ipcx pool-submit ------------------------------------------------------ */

enum { S_TIMEOUT, S_WORKERS };

static const struct opt submit_opts[] = {
    [S_TIMEOUT] = { "timeout", 't', "MS", "wait at most MS ms in all (default -1: until done)" },
    [S_WORKERS] = { "workers", 'w', "N", "first wait until N workers are there (not on shm:)" },
    { 0 },
};

static const struct opt_cmd submit_cmd = {
    "pool-submit",
    "Usage: ipcx pool-submit [OPTION...] URL [JOB...]\n"
    "Submit each JOB (with none, each line of standard input, without its\n"
    "newline) to the worker pool on URL, then wait until every job is done.\n"
    "Over unix:/path, unix:@name and tcp://host:port this command is the\n"
    "dispatcher: workers (ipcx worker) connect to it, and a worker's job goes\n"
    "to another worker when that one dies.  Over shm:/name and mq:/name the\n"
    "jobs go into the shared queue.\n",
    submit_opts,
    "Prints 'N jobs done, R redelivered' on stderr.  Exit status: 0 every job\n"
    "done, 1 an error or the timeout (one line on stderr), 2 bad usage,\n"
    "130/143 stopped by SIGINT/SIGTERM.\n",
};

static int submit_one(ipcx_pool *p, const char *url, const char *job, size_t len, int timeout)
{
    int r = ipcx_pool_submit(p, job, len, timeout);
    if (r == -EINTR && cmd_stop)
        return 128 + cmd_stop;
    return r < 0 ? cmd_fail(url, r) : 0;
}

/* Each of the njobs jobs, or with none each line of standard input; *n counts them. */
static int submit_all(ipcx_pool *p, const char *url, char **jobs, int njobs, int timeout,
                      long *n)
{
    int rc = 0;
    for (int k = 0; rc == 0 && k < njobs; k++, ++*n)
        rc = submit_one(p, url, jobs[k], strlen(jobs[k]), timeout);
    if (njobs)
        return rc;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (rc == 0 && !cmd_stop && (len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            len--;
        rc = submit_one(p, url, line, (size_t) len, timeout);
        *n += rc == 0;
    }
    free(line);
    return rc;
}

int cmd_pool_submit(int argc, char **argv)
{
    long timeout = -1, n = 0, want = 0;
    int i, rc = 0, r;
    struct opt_parser op;
    ipcx_pool *p;

    opt_begin(&op, &submit_cmd, argc, argv);
    while ((i = opt_next(&op)) >= 0) {
        if (i == S_TIMEOUT && (timeout = cmd_parse_num(op.arg, -1, INT_MAX)) == LONG_MIN)
            return cmd_usage_error("pool-submit", "bad timeout '%s'", op.arg);
        if (i == S_WORKERS && (want = cmd_parse_num(op.arg, 0, INT_MAX)) == LONG_MIN)
            return cmd_usage_error("pool-submit", "bad number of workers '%s'", op.arg);
    }
    if (i != OPT_END)
        return i == OPT_EXIT ? 0 : EXIT_USAGE;
    if (op.ind >= argc)
        return cmd_usage_error("pool-submit", "%s", "no URL");
    int k = op.ind;
    const char *url = argv[k++];
    cmd_catch_stops(0);
    (void) signal(SIGPIPE, SIG_IGN);
    if ((r = ipcx_pool_open(&p, url, IPCX_SEND | IPCX_CREATE)) < 0)
        return cmd_fail(url, r);
    while (want && !cmd_stop && (r = ipcx_pool_workers(p)) >= 0 && r < want) {
        struct timespec nap = { 0, 10 * 1000000L };
        (void) nanosleep(&nap, NULL);
    }
    if (want && r < 0)
        rc = cmd_fail(url, r);
    else if (cmd_stop)
        rc = 128 + cmd_stop;
    if (rc == 0)
        rc = submit_all(p, url, argv + k, argc - k, (int) timeout, &n);
    if (rc == 0) {
        r = ipcx_pool_dispatch(p, (int) timeout);
        if (r == -EINTR && cmd_stop)
            rc = 128 + cmd_stop;
        else if (r < 0)
            rc = cmd_fail(url, r);
        else
            fprintf(stderr, "%ld jobs done, %lld redelivered\n", n,
                    ipcx_pool_redelivered(p) > 0 ? ipcx_pool_redelivered(p) : 0);
    }
    r = ipcx_pool_close(p);
    if (r < 0 && rc == 0)
        rc = cmd_fail(url, r);
    return cmd_stopped(rc);
}

/* ---- ipcx worker ---------------------------------------------------------- */

enum { W_COUNT, W_TIMEOUT };

static const struct opt worker_opts[] = {
    [W_COUNT]   = { "count", 'n', "COUNT", "stop after COUNT jobs" },
    [W_TIMEOUT] = { "timeout", 't', "MS", "stop when no job comes for MS ms (default -1: wait)" },
    { 0 },
};

static const struct opt_cmd worker_cmd = {
    "worker",
    "Usage: ipcx worker [OPTION...] URL [-- COMMAND [ARG...]]\n"
    "Take jobs from the worker pool on URL, one at a time: print each as a\n"
    "line, or run COMMAND with the job on its standard input (its output is\n"
    "ours); the job is done when that is over.  A worker killed before gives\n"
    "its job to another worker.\n",
    worker_opts,
    "Ends with exit status 0 when the dispatcher (ipcx pool-submit over a\n"
    "socket) is gone, or after COUNT jobs; 1 an error, a timeout or a COMMAND\n"
    "that failed (the job is still done, and said on stderr), 2 bad usage,\n"
    "130/143 stopped by SIGINT/SIGTERM.\n",
};

/* Run argv with the len bytes of job on its standard input: its exit status, or -errno. */
static int worker_run(char **argv, const char *job, size_t len)
{
    int in[2], st;
    if (pipe(in) < 0)
        return -errno;
    (void) fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        (void) close(in[0]);
        (void) close(in[1]);
        return e;
    }
    if (pid == 0) {
        (void) dup2(in[0], 0);
        (void) close(in[0]);
        (void) close(in[1]);
        (void) signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        fprintf(stderr, "ipcx worker: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    (void) close(in[0]);
    /* A command that does not read all of it: EPIPE (ignored), it goes on. */
    for (size_t put = 0; put < len;) {
        ssize_t w = write(in[1], job + put, len - put);
        if (w < 0 && errno == EINTR && !cmd_stop)
            continue;
        if (w <= 0)
            break;
        put += (size_t) w;
    }
    (void) close(in[1]);
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cmd_worker(int argc, char **argv)
{
    long count = -1, timeout = -1, done = 0;
    int i, r, rc = 0, failed = 0;
    struct opt_parser op;

    opt_begin(&op, &worker_cmd, argc, argv);
    while ((i = opt_next(&op)) >= 0) {
        if (i == W_COUNT && (count = cmd_parse_num(op.arg, 1, LONG_MAX)) == LONG_MIN)
            return cmd_usage_error("worker", "bad count '%s'", op.arg);
        if (i == W_TIMEOUT && (timeout = cmd_parse_num(op.arg, -1, INT_MAX)) == LONG_MIN)
            return cmd_usage_error("worker", "bad timeout '%s'", op.arg);
    }
    if (i != OPT_END)
        return i == OPT_EXIT ? 0 : EXIT_USAGE;
    if (op.ind >= argc)
        return cmd_usage_error("worker", "%s", "no URL");
    /* The operands: URL, then (after "--", which getopt leaves before them) COMMAND. */
    char **command = op.ind + 1 < argc ? argv + op.ind + 1 : NULL;
    if (command && strcmp(argv[op.ind - 1], "--") != 0)
        return cmd_usage_error("worker", "%s", "one URL only (the command goes after --)");
    const char *url = argv[op.ind];
    ipcx_pool *w;
    cmd_catch_stops(0);
    (void) signal(SIGPIPE, SIG_IGN);
    if ((r = ipcx_pool_open(&w, url, IPCX_RECV | IPCX_CREATE)) < 0)
        return cmd_fail(url, r);
    size_t cap = 1 << 20;
    char *job = malloc(cap + 1);
    if (!job)
        rc = cmd_fail(url, -ENOMEM);
    while (rc == 0 && !cmd_stop && (count < 0 || done < count)) {
        long n = ipcx_pool_take(w, job, cap, (int) timeout);
        if (n == -EINTR && cmd_stop) {
            rc = 128 + cmd_stop;
            break;
        }
        if (n == -EPIPE)
            break; /* the dispatcher is gone: every job it had is handed out */
        if (n == -EBADMSG) {
            cmd_fail(url, (int) n); /* a message that is not a job, dropped */
            continue;
        }
        if (n < 0) {
            rc = cmd_fail(url, (int) n);
            break;
        }
        if (command) {
            int st = worker_run(command, job, (size_t) n);
            if (st < 0)
                cmd_fail(command[0], st);
            else if (st != 0)
                fprintf(stderr, "ipcx worker: %s: exited with status %d; the job is done\n",
                        command[0], st);
            failed |= st != 0;
        } else {
            job[n] = '\n';
            if (esc_tty(stdout))
                out_text(stdout, job, (size_t) n + 1);
            else
                (void) fwrite(job, 1, (size_t) n + 1, stdout);
            (void) fflush(stdout);
        }
        if ((r = ipcx_pool_done(w)) < 0 && r != -EPIPE) {
            rc = cmd_fail(url, r);
            break;
        }
        done++;
    }
    free(job);
    r = ipcx_pool_close(w);
    if (r < 0 && rc == 0)
        rc = cmd_fail(url, r);
    return cmd_stopped(rc ? rc : failed);
}
