/*
 * werkstueck.c - Werkstück A, the flagship demo: a small real-time system of
 * four processes over any IPC mechanism ipcx has.
 *
 *            +------+  "seq value"  +-----+
 *            | conv |-------------->| log |--> werkstueck.log
 *            |      |               +-----+
 *            |      |  "seq value"  +------+  "n sum min max seq value"  +--------+
 *            |      |-------------->| stat |---------------------------->| report |--> terminal
 *            +------+               +------+                             +--------+
 *
 * conv simulates an A/D converter (a value 0..100 per interval), log appends
 * each value to a file, stat keeps count, sum, mean, min and max and sends
 * them to report, which prints them.  The launcher (launch.c) forks the
 * four, names them for ps/pstree/top, says who is who, watches them, stops
 * them on SIGINT or SIGTERM, and says at the end what they did and what
 * was removed.  Each link is one ipcx channel whose URL comes from --via;
 * conv ends the stream with an "END" message, so shutdown is the same on
 * every mechanism.  With --role one process runs alone, linked to the
 * others by --listen and --connect URLs: across hosts over tcp://.
 *
 * --via shmsem is the assignment's textbook variant, not an ipcx channel: a
 * plain POSIX shared segment holding a bounded buffer per link, guarded by
 * three semaphores (empty, full, mutex) that live in the segment itself.
 *
 * This file: the tables, main and its options, the naming of processes,
 * and one role run alone.  The roles are in roles.c, the launcher in
 * launch.c.
 */
#include "werkstueck.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

const char *const role_names[NROLES] = { "conv", "log", "stat", "report" };
const char *const link_names[NLINKS] = { "log", "stat", "report" };

/*
 * A pair (anonymous) scheme is made before fork; a named one is created
 * by its receiver, before anyone who sends to it is forked.
 */
const struct via vias[] = {
    { "shm", "shm:/werkstueck-%p-%n?mode=spsc",
      "a shared-memory ring per link (shm_open in /dev/shm, no system call while both run, futex waits)" },
    { "pipe", "pipe:", "an anonymous pipe per link (pipe2 before fork, framed messages)" },
    { "fifo", "fifo:/tmp/werkstueck-%p-%n", "a named pipe per link (mkfifo in /tmp, framed messages)" },
    { "unix", "unix:/tmp/werkstueck-%p-%n.sock", "a Unix stream socket per link (a socket file in /tmp)" },
    { "tcp", "tcp://127.0.0.1:0", "a TCP connection per link on 127.0.0.1 (the kernel picks each port)" },
    { "mq", "mq:/werkstueck-%p-%n", "a POSIX message queue per link (mq_open, in /dev/mqueue)" },
    { "sysvmq", "sysvmq:%k", "a System V message queue per link (msgget, key from the launcher's pid)" },
    /* not a channel URL: see struct sring */
    { "shmsem", "shmsem:/werkstueck-%p",
      "one POSIX shared segment with a bounded buffer per link, each guarded by three semaphores "
      "(empty, full, mutex)" },
};
const size_t nvias = sizeof vias / sizeof vias[0];

volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
    stop_sig = sig;
}

void catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: a blocking receive returns -EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int die(const char *who, const char *what, int err)
{
    const char *d = ipcx_errdetail();
    fprintf(stderr, "werkstueck: %s: %s: %s%s%s%s\n", who, what, ipcx_strerror(err),
            *d ? " (" : "", d, *d ? ")" : "");
    return EXIT_RUNTIME;
}

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- naming, for ps, pstree and top ---------------------------------------- */

static char *argv_area;
static size_t argv_len;

static void remember_argv(int argc, char **argv)
{
    argv_area = argv[0];
    argv_len = (size_t) (argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]) + 1;
}

void set_name(const char *name)
{
    prctl(PR_SET_NAME, name, 0, 0, 0);
    if (argv_area) {
        memset(argv_area, 0, argv_len);
        snprintf(argv_area, argv_len, "%s", name);
    }
}

/* ---- one role alone, for several hosts ------------------------------------- */

/* What a role alone says it is, before it starts. */
static void alone_banner(const struct opts *o, const struct result *res)
{
    printf("Werkstück A, %s alone (pid %d)", role_names[o->role], (int) getpid());
    if (o->role != CONV)
        printf(", receives on %s", res->url);
    if (o->role == CONV)
        printf(", sends each value to log at %s and to stat at %s", o->connect[0], o->connect[1]);
    else if (o->role == STAT)
        printf(", sends the statistics to report at %s", o->connect[0]);
    else if (o->role == LOG)
        printf(", appends to %s", o->log_path);
    else
        printf(", prints each value and the statistics of all so far");
    putchar('\n');
    fflush(stdout);
}

/* And what it did, at the end: the launcher's summary, for one role. */
static void alone_summary(const struct opts *o, const struct result *res)
{
    printf("summary of %s:", role_names[o->role]);
    if (o->role == CONV)
        printf(" %ld values sent", res->values);
    else if (o->role == LOG)
        printf(" %ld line%s appended to %s", res->lines, res->lines == 1 ? "" : "s", o->log_path);
    else if (o->role == STAT)
        printf(" %ld values", res->values);
    else if (res->values > 0) {
        printf(" ");
        print_stats(stdout, res);
        printf("; throughput ");
        print_throughput(stdout, 0, res); /* conv's pace is not known here */
    } else
        printf(" no values");
    if (res->removed) {
        printf("; removed ");
        print_removed(stdout, res);
    }
    putchar('\n');
    fflush(stdout);
}

static int usage(const char *fmt, const char *arg);

static int run_alone(const struct opts *o)
{
    wlink in = { 0 }, out[2] = { { 0 }, { 0 } };
    struct result res = { 0 };
    int rc;
    int needs_in = o->role != CONV, needs_out = o->role == CONV ? 2 : o->role == STAT ? 1 : 0;
    const char *who = role_names[o->role];

    if ((needs_in && !o->listen) || o->nconnect != needs_out) {
        char need[160];
        snprintf(need, sizeof need, "--role %s needs %s%s%s", who,
                 needs_in ? "--listen URL" : "", needs_in && needs_out ? " and " : "",
                 needs_out == 2 ? "--connect LOG_URL --connect STAT_URL"
                 : needs_out ? "--connect REPORT_URL" : "");
        return usage("%s", need);
    }
    catch_stop();
    signal(SIGPIPE, SIG_IGN);
    set_name(who);
    /* Ours to remove only if this role makes it (a stale one it takes over counts as not). */
    int made = 1;
    if (needs_in) {
        int r = ipcx_open(&in.ch, o->listen, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
        if (r == -EEXIST)
            made = 0, r = ipcx_open(&in.ch, o->listen, IPCX_RECV | IPCX_CREATE);
        if (r < 0)
            return die(who, o->listen, r);
        if (ipcx_addr(in.ch, res.url, sizeof res.url) < 0)
            snprintf(res.url, sizeof res.url, "%s", o->listen);
    }
    for (int k = 0; k < needs_out; k++)
        if (open_out(who, &out[k], o->connect[k])) {
            close_ends(&in, out, &res);
            return EXIT_RUNTIME;
        }
    alone_banner(o, &res);
    rc = run_role(o, (enum role) o->role, &in, out, &res);
    close_ends(&in, out, &res);
    if (!made && res.removed > 0)
        res.removed = 0;
    alone_summary(o, &res);
    return rc;
}

/* ---- options --------------------------------------------------------------- */

static void help(void)
{
    printf("Usage: werkstueck [OPTION...]\n"
           "Werkstück A: conv (an A/D converter), log, stat and report as four processes\n"
           "linked by one IPC mechanism.  A banner names the mechanism, each link and each\n"
           "process's pid; report prints each value and the statistics so far; a summary\n"
           "at the end gives the values, the throughput and what was removed.  Ctrl-C\n"
           "stops all four; every IPC object is removed.\n\n"
           "  --via MECH      the mechanism of every link: ");
    for (size_t i = 0; i < sizeof vias / sizeof vias[0]; i++)
        printf("%s%s", vias[i].name, i + 1 < sizeof vias / sizeof vias[0] ? "|" : "\n");
    printf("                  (default: shm, the fastest, when this build has it)\n"
           "  --count N       stop after N values (default: run until stopped)\n"
           "  --interval MS   one value every MS ms (default 800; 0: flat out)\n"
           "  --seed S        the random sequence's seed (default: from the clock)\n"
           "  --log FILE      log's file (default werkstueck.log), appended to\n"
           "  --quiet         report prints only the last statistics\n"
           "  --role ROLE     run only conv, log, stat or report, linked by URLs:\n"
           "  --listen URL    the URL this role receives on (log, stat, report)\n"
           "  --connect URL   where it sends (conv: log's then stat's; stat: report's)\n"           "                  (across hosts: see docs/multihost.md)\n"
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
