/*
 * werkstueck.c - Werkstück A, the flagship demo: a small real-time system of
 * four processes over any IPC mechanism ipcx has.
 *
 *            +------+  "seq value"  +-----+
 *            | conv |-------------->| log |--> werkstueck.log
 *            |      |               +-----+
 *            |      |  "seq value"  +------+  "n sum mean min max"  +--------+
 *            |      |-------------->| stat |----------------------->| report |--> terminal
 *            +------+               +------+                        +--------+
 *
 * conv simulates an A/D converter (a value 0..100 per interval), log appends
 * each value to a file, stat keeps count, sum, mean, min and max and sends
 * them to report, which prints them.  The launcher forks the four, names
 * them for ps/pstree/top, watches them (pidfd), stops them on SIGINT or
 * SIGTERM, and removes every IPC object they made.  Each link is one ipcx
 * channel whose URL comes from --via; conv ends the stream with an "END"
 * message, so shutdown is the same on every mechanism.
 *
 * --via shmsem is the assignment's textbook variant, not an ipcx channel: a
 * plain POSIX shared segment holding a bounded buffer per link, guarded by
 * three semaphores (empty, full, mutex) that live in the segment itself.
 */
#include "ipcx.h"
#include "ipcx/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2
#define MSG_MAX      128
#define STOP_GRACE_MS 1000 /* children get this long to finish after a stop */

enum role { CONV, LOG, STAT, REPORT, NROLES };
static const char *const role_names[NROLES] = { "conv", "log", "stat", "report" };

/* The three links, by the process that receives on them. */
enum link { L_LOG, L_STAT, L_REPORT, NLINKS };
static const char *const link_names[NLINKS] = { "log", "stat", "report" };

/*
 * --via: the URL template of every link (%p the launcher's pid, %n the link,
 * %k a System V key made of both).  A pair (anonymous) scheme is made before
 * fork; a named one is created by the launcher before fork too, so every
 * address (a tcp port 0 included) is known when the senders open it.
 */
static const struct via {
    const char *name, *tmpl;
} vias[] = {
    { "shm",    "shm:/werkstueck-%p-%n?mode=spsc" },
    { "pipe",   "pipe:" },
    { "fifo",   "fifo:/tmp/werkstueck-%p-%n" },
    { "unix",   "unix:/tmp/werkstueck-%p-%n.sock" },
    { "tcp",    "tcp://127.0.0.1:0" },
    { "mq",     "mq:/werkstueck-%p-%n" },
    { "sysvmq", "sysvmq:%k" },
    { "shmsem", "shmsem:/werkstueck-%p" }, /* not a channel URL: see struct sring */
};

/*
 * The textbook bounded buffer ("shared memory with semaphores"): one per
 * link, in one POSIX shared segment that the launcher creates before it
 * forks and removes when everyone is done.  empty counts free slots, full
 * counts messages, mutex (a binary semaphore) guards head and tail.
 */
#define SRING_SLOTS 64
struct sring {
    ipcx_semaphore empty, full, mutex;
    unsigned head, tail;
    char slot[SRING_SLOTS][MSG_MAX];
};

/* One end of a link: an ipcx channel, or a bounded buffer for shmsem. */
typedef struct wlink {
    ipcx_chan *ch;
    struct sring *ring;
} wlink;

struct opts {
    const struct via *via;
    long count;        /* -1: until stopped */
    long interval_ms;
    uint64_t seed;
    const char *log_path;
    int quiet;
    int role;          /* -1: launcher; else run that role alone */
    const char *listen;
    const char *connect[2];
    int nconnect;
};

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
    stop_sig = sig;
}

static void catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: a blocking receive returns -EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int die(const char *who, const char *what, int err)
{
    const char *d = ipcx_errdetail();
    fprintf(stderr, "werkstueck: %s: %s: %s%s%s%s\n", who, what, ipcx_strerror(err),
            *d ? " (" : "", d, *d ? ")" : "");
    return EXIT_RUNTIME;
}

/* splitmix64: a small generator whose sequence tests can recompute. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
    return now_us() / 1000;
}

/* ---- the four processes -------------------------------------------------- */

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

static int run_conv(const struct opts *o, wlink *to_log, wlink *to_stat)
{
    uint64_t rng = o->seed;
    char msg[MSG_MAX];
    int64_t next = now_ms();

    for (long seq = 1; (o->count < 0 || seq <= o->count) && !stop_sig; seq++) {
        int value = (int) (next_random(&rng) % 101);
        snprintf(msg, sizeof msg, "%ld %d", seq, value);
        if (put_msg(to_log, msg, "conv") || put_msg(to_stat, msg, "conv"))
            return EXIT_RUNTIME;
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

static int run_log(const struct opts *o, wlink *in)
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
    while ((r = get_msg(in, msg, "log")) > 0)
        if (fprintf(f, "%s\n", msg) < 0)
            break;
    /* The lines must be on disk when log stops. */
    if (r < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f))
        rc = EXIT_RUNTIME;
    if (fclose(f) != 0)
        rc = EXIT_RUNTIME;
    return rc;
}

static int run_stat(wlink *in, wlink *to_report)
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
        snprintf(out, sizeof out, "%ld %ld %ld %ld", n, sum, min, max);
        if (put_msg(to_report, out, "stat"))
            return EXIT_RUNTIME;
    }
    if (put_msg(to_report, "END", "stat"))
        return EXIT_RUNTIME;
    return r < 0 ? EXIT_RUNTIME : 0;
}

static int run_report(const struct opts *o, wlink *in)
{
    char msg[MSG_MAX];
    long n = 0, sum = 0, min = 0, max = 0;
    int64_t t0 = now_us(), t1 = t0; /* report starts with the others */
    int r;

    while ((r = get_msg(in, msg, "report")) > 0) {
        if (sscanf(msg, "%ld %ld %ld %ld", &n, &sum, &min, &max) != 4 || n <= 0) {
            fprintf(stderr, "werkstueck: report: malformed statistics '%s'\n", msg);
            continue;
        }
        t1 = now_us();
        if (!o->quiet)
            printf("n=%ld sum=%ld mean=%.3f min=%ld max=%ld\n", n, sum, (double) sum / (double) n,
                   min, max);
        fflush(stdout);
    }
    if (o->quiet && n > 0)
        printf("n=%ld sum=%ld mean=%.3f min=%ld max=%ld\n", n, sum, (double) sum / (double) n, min, max);
    if (o->interval_ms == 0 && n > 1) {
        double s = (double) (t1 - t0) / 1e6;
        printf("throughput: %ld values in %.6f s = %.0f values/s\n", n, s, s > 0 ? (double) n / s : 0);
    }
    fflush(stdout);
    return r < 0 ? EXIT_RUNTIME : 0;
}

/* ---- naming, for ps, pstree and top ---------------------------------------- */

static char *argv_area;
static size_t argv_len;

static void remember_argv(int argc, char **argv)
{
    argv_area = argv[0];
    argv_len = (size_t) (argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]) + 1;
}

static void set_name(const char *name)
{
    prctl(PR_SET_NAME, name, 0, 0, 0);
    if (argv_area) {
        memset(argv_area, 0, argv_len);
        snprintf(argv_area, argv_len, "%s", name);
    }
}

/* ---- the launcher ---------------------------------------------------------- */

struct links {
    char url[NLINKS][512];
    ipcx_chan *rx[NLINKS];      /* the receiving ends, made by the launcher */
    ipcx_chan *tx[NLINKS];      /* pair schemes only: the sending ends */
    int paired;
    struct sring *rings;        /* shmsem: the segment with one bounded buffer per link */
    char shm_name[64];
};

static void expand(char *out, size_t cap, const char *t, int link)
{
    size_t o = 0;
    for (; *t && o + 16 < cap; t++) {
        if (t[0] == '%' && t[1] == 'p')
            o += (size_t) snprintf(out + o, cap - o, "%d", (int) getpid()), t++;
        else if (t[0] == '%' && t[1] == 'n')
            o += (size_t) snprintf(out + o, cap - o, "%s", link_names[link]), t++;
        else if (t[0] == '%' && t[1] == 'k')
            o += (size_t) snprintf(out + o, cap - o, "0x%x",
                                   0x57000000u | (((unsigned) getpid() & 0x3fffffu) << 2) | (unsigned) link), t++;
        else
            out[o++] = *t;
    }
    out[o] = '\0';
}

/* shmsem: a POSIX segment (visible in /dev/shm while it runs) with the three buffers. */
static int make_rings(const struct via *v, struct links *l)
{
    size_t size = sizeof(struct sring) * NLINKS;
    int fd, r;

    expand(l->shm_name, sizeof l->shm_name, strchr(v->tmpl, ':') + 1, 0);
    fd = shm_open(l->shm_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        r = -errno;
        l->shm_name[0] = '\0';
        return die("werkstueck", "shm_open", r);
    }
    if (ftruncate(fd, (off_t) size) < 0) {
        r = -errno;
        close(fd);
        return die("werkstueck", "ftruncate", r);
    }
    l->rings = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (l->rings == MAP_FAILED) {
        l->rings = NULL;
        return die("werkstueck", "mmap", -errno);
    }
    for (int k = 0; k < NLINKS; k++) {
        struct sring *q = &l->rings[k];
        if ((r = ipcx_semaphore_init(&q->empty, SRING_SLOTS)) < 0 ||
            (r = ipcx_semaphore_init(&q->full, 0)) < 0 || (r = ipcx_semaphore_init(&q->mutex, 1)) < 0)
            return die("werkstueck", "semaphore", r);
    }
    return 0;
}

static int make_links(const struct via *v, struct links *l)
{
    memset(l, 0, sizeof *l);
    if (strncmp(v->tmpl, "shmsem:", 7) == 0)
        return make_rings(v, l);
    for (int k = 0; k < NLINKS; k++) {
        char url[512];
        ipcx_chan *ends[2];
        int r;
        expand(url, sizeof url, v->tmpl, k);
        /* "scheme:" or "scheme:?..." is anonymous, made in pairs; anything else is named. */
        const char *rest = strchr(url, ':') + 1;
        r = *rest == '\0' || *rest == '?' ? ipcx_pair(url, ends) : -ENOTSUP;
        if (r == 0) {
            l->paired = 1;
            l->rx[k] = ends[0];
            l->tx[k] = ends[1];
            snprintf(l->url[k], sizeof l->url[k], "%s", url);
            continue;
        }
        if (r != -ENOTSUP)
            return die("werkstueck", url, r);
        r = ipcx_open(&l->rx[k], url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
        if (r < 0)
            return die("werkstueck", url, r);
        if (ipcx_addr(l->rx[k], l->url[k], sizeof l->url[k]) < 0)
            snprintf(l->url[k], sizeof l->url[k], "%s", url);
    }
    return 0;
}

/*
 * Close the launcher's ends.  It created every named object (IPCX_EXCL) as
 * a receiver, so closing removes it; the children only send, and a child's
 * close of an inherited copy removes nothing.
 */
static void drop_links(struct links *l)
{
    if (l->rings) {
        munmap(l->rings, sizeof(struct sring) * NLINKS);
        l->rings = NULL;
    }
    if (l->shm_name[0]) {
        shm_unlink(l->shm_name); /* the requirement the seed could not meet */
        l->shm_name[0] = '\0';
    }
    for (int k = 0; k < NLINKS; k++) {
        ipcx_close(l->rx[k]);
        ipcx_close(l->tx[k]);
        l->rx[k] = l->tx[k] = NULL;
    }
}

/* In a child: keep what the role uses, close the rest (closing an inherited copy removes nothing). */
static int child_ends(struct links *l, enum role role, wlink *in, wlink out[2])
{
    static const int recv_link[NROLES] = { -1, L_LOG, L_STAT, L_REPORT };
    int mine = recv_link[role], r;

    memset(in, 0, sizeof *in);
    memset(out, 0, 2 * sizeof *out);
    for (int k = 0; k < NLINKS; k++) {
        int sends = (role == CONV && (k == L_LOG || k == L_STAT)) || (role == STAT && k == L_REPORT);
        int slot = role == CONV && k == L_STAT ? 1 : 0;
        if (l->rings) {
            if (k == mine)
                in->ring = &l->rings[k];
            if (sends)
                out[slot].ring = &l->rings[k];
            continue;
        }
        if (k == mine)
            in->ch = l->rx[k];
        else
            ipcx_close(l->rx[k]);
        if (l->paired) {
            if (sends)
                out[slot].ch = l->tx[k];
            else
                ipcx_close(l->tx[k]);
        } else if (sends) {
            r = ipcx_open(&out[slot].ch, l->url[k], IPCX_SEND);
            if (r < 0)
                return die(role_names[role], l->url[k], r);
        }
    }
    return 0;
}

static int run_role(const struct opts *o, enum role role, wlink *in, wlink out[2])
{
    switch (role) {
    case CONV: return run_conv(o, &out[0], &out[1]);
    case LOG: return run_log(o, in);
    case STAT: return run_stat(in, &out[0]);
    default: return run_report(o, in);
    }
}

static int pidfd_open_(pid_t pid)
{
    return (int) syscall(SYS_pidfd_open, pid, 0);
}

static int launch(const struct opts *o)
{
    struct links l;
    pid_t pid[NROLES] = { 0 };
    int pfd[NROLES], status[NROLES], done[NROLES] = { 0 }, alive = 0, rc = 0;
    int stopping = 0, escalated = 0;
    int64_t kill_at = 0;
    const char *dead = NULL;

    pid_t launcher = getpid();

    catch_stop();
    signal(SIGPIPE, SIG_IGN);
    if (make_links(o->via, &l)) {
        drop_links(&l);
        return EXIT_RUNTIME;
    }
    for (int r = 0; r < NROLES; r++) {
        pid[r] = fork();
        if (pid[r] < 0) {
            rc = die("werkstueck", "fork", -errno);
            break;
        }
        if (pid[r] == 0) {
            wlink in, out[2];
            /* If the launcher itself is killed, stop too rather than run on orphaned. */
            prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
            if (getppid() != launcher)
                _exit(EXIT_RUNTIME);
            set_name(role_names[r]);
            if (child_ends(&l, (enum role) r, &in, out))
                _exit(EXIT_RUNTIME);
            int x = run_role(o, (enum role) r, &in, out);
            ipcx_close(in.ch);
            ipcx_close(out[0].ch);
            ipcx_close(out[1].ch);
            _exit(x);
        }
        pfd[r] = pidfd_open_(pid[r]);
        alive++;
    }
    /* The launcher keeps the named receiving ends (so their objects live
     * until everyone is done) but no pipe end: EOF must reach the readers. */
    if (l.paired)
        drop_links(&l);

    while (alive > 0) {
        struct pollfd pf[NROLES];
        int np = 0;
        for (int r = 0; r < NROLES; r++)
            if (pid[r] > 0 && !done[r] && pfd[r] >= 0) {
                pf[np].fd = pfd[r];
                pf[np].events = POLLIN;
                np++;
            }
        if (stop_sig && !stopping) {
            /* Ctrl-C reached the whole group, or a signal reached only us:
             * either way conv ends the stream and the others drain it. */
            stopping = 1;
            kill(pid[CONV], SIGTERM);
            kill_at = now_ms() + 3 * STOP_GRACE_MS;
        }
        int left = kill_at ? (int) (kill_at - now_ms()) : -1;
        if (np < alive && (left < 0 || left > 100))
            left = 100; /* no pidfd for some child (an old kernel): look every 100 ms */
        if (kill_at && left <= 0) {
            escalated = 1; /* what dies from here on, we killed */
            for (int r = 0; r < NROLES; r++)
                if (!done[r])
                    kill(pid[r], SIGKILL);
            left = -1;
            kill_at = 0;
        }
        int n = poll(pf, (nfds_t) np, left);
        if (n < 0 && errno != EINTR)
            break;
        for (int r = 0; r < NROLES; r++) {
            if (done[r] || pid[r] <= 0)
                continue;
            pid_t w = waitpid(pid[r], &status[r], WNOHANG);
            if (w != pid[r])
                continue;
            done[r] = 1;
            alive--;
            int ok = WIFEXITED(status[r]) && WEXITSTATUS(status[r]) == 0;
            if (ok || escalated)
                continue;
            /*
             * Name every process that died on its own, not only the first
             * one reaped: when log is killed, conv's next send fails and
             * conv may exit before log is even a zombie.
             */
            if (WIFSIGNALED(status[r]))
                fprintf(stderr, "werkstueck: %s (pid %d) was killed by signal %d%s\n", role_names[r],
                        (int) pid[r], WTERMSIG(status[r]), dead ? "" : "; stopping the others");
            else
                fprintf(stderr, "werkstueck: %s (pid %d) failed with status %d%s\n", role_names[r],
                        (int) pid[r], WEXITSTATUS(status[r]), dead ? "" : "; stopping the others");
            if (!dead) {
                dead = role_names[r];
                rc = EXIT_RUNTIME;
                for (int k = 0; k < NROLES; k++)
                    if (!done[k])
                        kill(pid[k], SIGTERM);
                stopping = 1;
                kill_at = now_ms() + STOP_GRACE_MS;
            }
        }
    }
    for (int r = 0; r < NROLES; r++)
        if (pid[r] > 0 && pfd[r] >= 0)
            close(pfd[r]);
    drop_links(&l);
    return rc;
}

/* ---- one role alone, for several hosts ------------------------------------- */

static int run_alone(const struct opts *o)
{
    wlink in = { 0 }, out[2] = { { 0 }, { 0 } };
    int r, rc;
    int needs_in = o->role != CONV, needs_out = o->role == CONV ? 2 : o->role == STAT ? 1 : 0;

    if ((needs_in && !o->listen) || o->nconnect != needs_out) {
        fprintf(stderr, "werkstueck: --role %s needs %s%s%s\n", role_names[o->role],
                needs_in ? "--listen URL" : "", needs_in && needs_out ? " and " : "",
                needs_out == 2 ? "--connect LOG_URL --connect STAT_URL"
                : needs_out ? "--connect REPORT_URL" : "");
        return EXIT_USAGE;
    }
    catch_stop();
    set_name(role_names[o->role]);
    if (needs_in && (r = ipcx_open(&in.ch, o->listen, IPCX_RECV | IPCX_CREATE)) < 0)
        return die(role_names[o->role], o->listen, r);
    for (int k = 0; k < needs_out; k++) {
        /* The receiver may start later: retry for a while. */
        for (int tries = 0;; tries++) {
            r = ipcx_open(&out[k].ch, o->connect[k], IPCX_SEND);
            if (r == 0 || (r != -ECONNREFUSED && r != -ENOENT) || tries == 100 || stop_sig)
                break;
            usleep(100 * 1000);
        }
        if (r < 0) {
            ipcx_close(in.ch);
            ipcx_close(out[0].ch);
            return die(role_names[o->role], o->connect[k], r);
        }
    }
    rc = run_role(o, (enum role) o->role, &in, out);
    ipcx_close(in.ch);
    ipcx_close(out[0].ch);
    ipcx_close(out[1].ch);
    return rc;
}

/* ---- options --------------------------------------------------------------- */

static void help(void)
{
    printf("Usage: werkstueck [OPTION...]\n"
           "Werkstück A: conv (an A/D converter), log, stat and report as four processes\n"
           "linked by one IPC mechanism.  Ctrl-C stops all four; every IPC object is removed.\n\n"
           "  --via MECH      the mechanism of every link: ");
    for (size_t i = 0; i < sizeof vias / sizeof vias[0]; i++)
        printf("%s%s", vias[i].name, i + 1 < sizeof vias / sizeof vias[0] ? "|" : "\n");
    printf("                  (default: shm, the fastest, when this build has it)\n"
           "  --count N       stop after N values (default: run until stopped)\n"
           "  --interval MS   one value every MS ms (default 800; 0: flat out, and report\n"
           "                  prints the throughput at the end)\n"
           "  --seed S        the random sequence's seed (default: from the clock)\n"
           "  --log FILE      log's file (default werkstueck.log), appended to\n"
           "  --quiet         report prints only the last statistics\n"
           "  --role ROLE     run only conv, log, stat or report, linked by URLs:\n"
           "  --listen URL    the URL this role receives on (log, stat, report)\n"
           "  --connect URL   where it sends (conv: log's then stat's; stat: report's)\n"
           "  -h, --help      show this help\n\n"
           "Exit status: 0 stopped cleanly, 1 a process failed or died, 2 bad usage.\n");
}

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "werkstueck: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'werkstueck --help'.\n");
    return EXIT_USAGE;
}

static int scheme_available(const char *tmpl)
{
    if (strncmp(tmpl, "shmsem:", 7) == 0)
        return 1; /* built into this program */
    char scheme[32];
    size_t n = strcspn(tmpl, ":");
    snprintf(scheme, sizeof scheme, "%.*s:/ipcx-probe", (int) n, tmpl);
    return ipcx_unlink(scheme) != -EPROTONOSUPPORT;
}

static long number(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || end == s || *end || v < min || v > max ? LONG_MIN : v;
}

int main(int argc, char **argv)
{
    enum { O_VIA = 256, O_COUNT, O_INTERVAL, O_SEED, O_LOG, O_QUIET, O_ROLE, O_LISTEN, O_CONNECT };
    static const struct option lo[] = {
        { "via", required_argument, NULL, O_VIA },
        { "count", required_argument, NULL, O_COUNT },
        { "interval", required_argument, NULL, O_INTERVAL },
        { "seed", required_argument, NULL, O_SEED },
        { "log", required_argument, NULL, O_LOG },
        { "quiet", no_argument, NULL, O_QUIET },
        { "role", required_argument, NULL, O_ROLE },
        { "listen", required_argument, NULL, O_LISTEN },
        { "connect", required_argument, NULL, O_CONNECT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct opts o = { NULL, -1, 800, 0, "werkstueck.log", 0, -1, NULL, { NULL, NULL }, 0 };
    int c, have_seed = 0;

    opterr = 0; /* one line per error, ours */
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_VIA:
            for (size_t i = 0; i < sizeof vias / sizeof vias[0]; i++)
                if (strcmp(optarg, vias[i].name) == 0)
                    o.via = &vias[i];
            if (!o.via)
                return usage("unknown mechanism '%s' (see --help)", optarg);
            if (!scheme_available(o.via->tmpl))
                return usage("this build has no '%s' transport yet", optarg);
            break;
        case O_COUNT:
            if ((o.count = number(optarg, 0, LONG_MAX)) == LONG_MIN)
                return usage("bad count '%s' (a number >= 0)", optarg);
            break;
        case O_INTERVAL:
            if ((o.interval_ms = number(optarg, 0, 3600 * 1000)) == LONG_MIN)
                return usage("bad interval '%s' (milliseconds, >= 0)", optarg);
            break;
        case O_SEED: {
            char *end;
            errno = 0;
            o.seed = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end)
                return usage("bad seed '%s'", optarg);
            have_seed = 1;
            break;
        }
        case O_LOG: o.log_path = optarg; break;
        case O_QUIET: o.quiet = 1; break;
        case O_ROLE:
            for (int r = 0; r < NROLES; r++)
                if (strcmp(optarg, role_names[r]) == 0)
                    o.role = r;
            if (o.role < 0)
                return usage("unknown role '%s' (conv, log, stat, report)", optarg);
            break;
        case O_LISTEN: o.listen = optarg; break;
        case O_CONNECT:
            if (o.nconnect == 2)
                return usage("%s", "at most two --connect");
            o.connect[o.nconnect++] = optarg;
            break;
        case 'h':
            help();
            return 0;
        default:
            return usage("unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage("unexpected argument '%s'", argv[optind]);
    if (!have_seed)
        o.seed = (uint64_t) time(NULL) ^ (uint64_t) getpid();
    if (o.role >= 0 && o.via && strcmp(o.via->name, "shmsem") == 0)
        return usage("%s", "--via shmsem links processes of one launcher only: not with --role");
    if (o.role < 0 && (o.listen || o.nconnect))
        return usage("%s", "--listen and --connect go with --role");
    /* Check the log file before anything starts, so a bad path leaves nothing behind. */
    if (o.role < 0 || o.role == LOG) {
        int fd = open(o.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "werkstueck: log file %s: %s\n", o.log_path, strerror(errno));
            return EXIT_RUNTIME;
        }
        close(fd);
    }
    /* set_name() overwrites argv: keep our own copies of what points into it. */
    static char keep[4][4200];
    const char **args[4] = { &o.log_path, &o.listen, &o.connect[0], &o.connect[1] };
    for (int k = 0; k < 4; k++) {
        if (!*args[k])
            continue;
        if (strlen(*args[k]) >= sizeof keep[k])
            return usage("argument too long: '%.40s...'", *args[k]);
        *args[k] = strcpy(keep[k], *args[k]);
    }
    remember_argv(argc, argv);
    if (o.role >= 0)
        return run_alone(&o);
    if (!o.via) {
        for (size_t i = 0; i < sizeof vias / sizeof vias[0] && !o.via; i++)
            if (scheme_available(vias[i].tmpl))
                o.via = &vias[i];
    }
    return launch(&o);
}
