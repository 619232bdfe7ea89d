/*
 * roles.c - the four processes of Werkstück A and their ends of the links:
 * conv makes the values, log writes them to a file, stat keeps the
 * statistics, report prints them.  Each role only sends and receives on
 * the ends it is given (an ipcx channel, or the textbook bounded buffer of
 * --via shmsem); who makes the ends is launch.c's business (one host) or
 * werkstueck.c's (--role, several hosts).  Also the lines of the summary,
 * which both print.
 */
#include "werkstueck.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* splitmix64: a small generator whose sequence tests can recompute. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int64_t now_ms(void)
{
    return now_us() / 1000;
}

/* ---- the bounded buffer of --via shmsem ------------------------------------ */

/* Wait on a semaphore of the bounded buffer, as a receive would. */
static int sring_wait(ipcx_semaphore *sem, int timeout_ms)
{
    int r;
    while ((r = ipcx_semaphore_wait(sem, timeout_ms)) == -EINTR && !stop_sig)
        ;
    return r;
}

static long sring_get(struct sring *q, char *buf, int timeout_ms)
{
    int r = sring_wait(&q->full, timeout_ms);
    if (r < 0)
        return r;
    if ((r = sring_wait(&q->mutex, -1)) < 0)
        return r;
    const char *m = q->slot[q->tail % SRING_SLOTS];
    size_t n = strnlen(m, MSG_MAX - 1); /* never trust the other side's NUL */
    memcpy(buf, m, n);
    q->tail++;
    ipcx_semaphore_post(&q->mutex);
    ipcx_semaphore_post(&q->empty);
    return (long) n;
}

static int sring_put(struct sring *q, const char *msg)
{
    int r = sring_wait(&q->empty, -1);
    if (r < 0)
        return r;
    if ((r = sring_wait(&q->mutex, -1)) < 0)
        return r;
    snprintf(q->slot[q->head % SRING_SLOTS], MSG_MAX, "%s", msg);
    q->head++;
    ipcx_semaphore_post(&q->mutex);
    ipcx_semaphore_post(&q->full);
    return 0;
}

/* ---- messages -------------------------------------------------------------- */

/* Receive one line-message; 1 got one, 0 the stream ended, <0 error. */
static int get_msg(wlink *in, char *buf, const char *who)
{
    for (;;) {
        /* After a stop signal, wait only a little longer for the END. */
        int t = stop_sig ? STOP_GRACE_MS : -1;
        long n = in->ring ? sring_get(in->ring, buf, t) : ipcx_recv(in->ch, buf, MSG_MAX - 1, NULL, t);
        if (n == -EINTR || (n == -ETIMEDOUT && !stop_sig))
            continue;
        if (n == -EPIPE || n == -ETIMEDOUT)
            return 0; /* every sender gone, or stopped and nothing more came */
        if (n < 0)
            return die(who, "receive", (int) n), -1;
        buf[n] = '\0';
        return strcmp(buf, "END") == 0 ? 0 : 1;
    }
}

static int put_msg(wlink *out, const char *msg, const char *who)
{
    for (;;) {
        int r = out->ring ? sring_put(out->ring, msg) : ipcx_send(out->ch, msg, strlen(msg), 0, -1);
        if (r == -EINTR)
            continue; /* a stop signal: finish this message, the caller stops */
        return r < 0 ? die(who, "send", r) : 0;
    }
}

/* ---- the four processes -------------------------------------------------- */

static int run_conv(const struct opts *o, wlink *to_log, wlink *to_stat, struct result *res)
{
    uint64_t rng = o->seed;
    char msg[MSG_MAX];
    int64_t next = now_ms();

    for (long seq = 1; (o->count < 0 || seq <= o->count) && !stop_sig; seq++) {
        int value = (int) (next_random(&rng) % 101);
        snprintf(msg, sizeof msg, "%ld %d", seq, value);
        if (put_msg(to_log, msg, "conv") || put_msg(to_stat, msg, "conv"))
            return EXIT_RUNTIME;
        res->values = seq;
        if (o->interval_ms > 0) {
            next += o->interval_ms;
            int64_t wait = next - now_ms();
            struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };
            if (wait > 0)
                nanosleep(&ts, NULL); /* a stop signal cuts it short */
        }
    }
    if (put_msg(to_log, "END", "conv") || put_msg(to_stat, "END", "conv"))
        return EXIT_RUNTIME;
    return 0;
}

static int run_log(const struct opts *o, wlink *in, struct result *res)
{
    char msg[MSG_MAX];
    int r, rc = 0;
    FILE *f = fopen(o->log_path, "a");

    if (!f) {
        fprintf(stderr, "werkstueck: log: %s: %s\n", o->log_path, strerror(errno));
        return EXIT_RUNTIME;
    }
    /* Each value is in the file as it comes; flat out, the buffer may fill first. */
    if (o->interval_ms > 0)
        setvbuf(f, NULL, _IOLBF, 0);
    while ((r = get_msg(in, msg, "log")) > 0) {
        if (fprintf(f, "%s\n", msg) < 0)
            break;
        res->lines++;
    }
    /* The lines must be on disk when log stops. */
    if (r < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f))
        rc = EXIT_RUNTIME;
    if (fclose(f) != 0)
        rc = EXIT_RUNTIME;
    return rc;
}

static int run_stat(wlink *in, wlink *to_report, struct result *res)
{
    char msg[MSG_MAX], out[MSG_MAX];
    long n = 0, sum = 0, min = LONG_MAX, max = LONG_MIN, seq;
    int value, r;

    while ((r = get_msg(in, msg, "stat")) > 0) {
        if (sscanf(msg, "%ld %d", &seq, &value) != 2 || value < 0 || value > 100) {
            fprintf(stderr, "werkstueck: stat: malformed value '%s'\n", msg);
            continue;
        }
        n++;
        sum += value;
        min = value < min ? value : min;
        max = value > max ? value : max;
        snprintf(out, sizeof out, "%ld %ld %ld %ld %ld %d", n, sum, min, max, seq, value);
        if (put_msg(to_report, out, "stat"))
            return EXIT_RUNTIME;
        res->values = n;
    }
    if (put_msg(to_report, "END", "stat"))
        return EXIT_RUNTIME;
    return r < 0 ? EXIT_RUNTIME : 0;
}

/* What report prints, for one update and at the end. */
void print_stats(FILE *f, const struct result *res)
{
    fprintf(f, "count=%ld sum=%ld mean=%.3f min=%ld max=%ld", res->values, res->sum,
            (double) res->sum / (double) res->values, res->min, res->max);
}

static int run_report(const struct opts *o, wlink *in, struct result *res)
{
    char msg[MSG_MAX];
    long seq;
    int value, r;
    int64_t first = 0;

    while ((r = get_msg(in, msg, "report")) > 0) {
        struct result s = *res;
        if (sscanf(msg, "%ld %ld %ld %ld %ld %d", &s.values, &s.sum, &s.min, &s.max, &seq, &value) != 6 ||
            s.values <= 0 || s.values < res->values) {
            fprintf(stderr, "werkstueck: report: malformed statistics '%s'\n", msg);
            continue;
        }
        int64_t t = now_us();
        if (!first)
            first = t;
        s.span_us = t - first;
        *res = s;
        if (!o->quiet) {
            printf("report: value #%ld = %d; all %ld so far: ", seq, value, s.values);
            print_stats(stdout, &s);
            putchar('\n');
            fflush(stdout);
        }
    }
    if (o->quiet && res->values > 0) {
        printf("report: all %ld values: ", res->values);
        print_stats(stdout, res);
        putchar('\n');
    }
    fflush(stdout);
    return r < 0 ? EXIT_RUNTIME : 0;
}

int run_role(const struct opts *o, enum role role, wlink *in, wlink out[2], struct result *res)
{
    switch (role) {
    case CONV: return run_conv(o, &out[0], &out[1], res);
    case LOG: return run_log(o, in, res);
    case STAT: return run_stat(in, &out[0], res);
    default: return run_report(o, in, res);
    }
}

/* ---- the ends of a role, by URL -------------------------------------------- */

/* Create (flags) and open the receiving end on url, and note its address in res. */
int open_in(const char *role, wlink *in, const char *url, int flags, struct result *res)
{
    int r = ipcx_open(&in->ch, url, IPCX_RECV | IPCX_CREATE | flags);
    if (r < 0)
        return die(role, url, r);
    if (ipcx_addr(in->ch, res->url, sizeof res->url) < 0)
        snprintf(res->url, sizeof res->url, "%s", url);
    return 0;
}

/* Open a sending end; the receiver may not be up yet (another host): retry for ten seconds. */
int open_out(const char *role, wlink *out, const char *url)
{
    int r;
    for (int tries = 0;; tries++) {
        r = ipcx_open(&out->ch, url, IPCX_SEND);
        if (r == 0 || (r != -ECONNREFUSED && r != -ENOENT) || tries == 100 || stop_sig)
            break;
        usleep(100 * 1000);
    }
    return r < 0 ? die(role, url, r) : 0;
}

/*
 * Close every end; the receiving end, when it is a named object this role
 * created, is removed by its close: res says whether that worked.  Closing
 * an inherited copy (a pipe end, the launcher's) removes nothing.
 */
void close_ends(wlink *in, wlink out[2], struct result *res)
{
    if (in->ch) {
        int named = (ipcx_caps(in->ch) & IPCX_CAP_NAMED) != 0;
        int r = ipcx_close(in->ch);
        res->removed = r < 0 ? r : named;
    }
    ipcx_close(out[0].ch);
    ipcx_close(out[1].ch);
    in->ch = out[0].ch = out[1].ch = NULL;
}

/* ---- the lines of the summary ---------------------------------------------- */

/* paced_ms: conv's interval, when known here (0: flat out, or another host's business). */
void print_throughput(FILE *f, long paced_ms, const struct result *res)
{
    double s = (double) res->span_us / 1e6;
    if (res->values < 2 || s <= 0) {
        fprintf(f, "too few values to measure");
    } else {
        double rate = (double) (res->values - 1) / s;
        fprintf(f, "%.*f values/s (report got values 1 to %ld in %.6f s)", rate < 100 ? 2 : 0, rate,
                res->values, s);
    }
    if (paced_ms > 0)
        fprintf(f, ", paced by conv at one every %ld ms", paced_ms);
}

void print_removed(FILE *f, const struct result *res)
{
    if (res->removed > 0)
        fprintf(f, "%s", res->url);
    else if (res->removed < 0)
        fprintf(f, "%s NOT removed: %s", res->url, ipcx_strerror(res->removed));
}
