/*
 * bench.c - `ipcx bench`: latency and throughput of every transport, in
 * one run beside the raw mechanism underneath it, the hardware floor and
 * the peer libraries a user would pick instead, so that every figure is
 * also a ratio.  This file is the command: its options, which rows run
 * (built-in rows by scheme, URLs given, the references of their groups)
 * and the order of the run; bench.h names the other rooms.
 *
 * It measures; it never judges.  Tests only check that it runs and that
 * its output parses.
 */
#include "bench.h"
#include "cmd.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_CANDS 48

static const char bench_help[] =
    "Usage: ipcx bench [OPTION...] [URL|SCHEME...]\n"
    "Measure round-trip latency (p50, p99, p99.9) and one-way throughput of each\n"
    "transport between two processes pinned to CPUs 0 and 1, beside the raw\n"
    "mechanism, the hardware floor (a cache-line ping-pong, memcpy bandwidth) and\n"
    "the peer libraries built in (ZeroMQ, nng).  Every message carries a sequence\n"
    "number and a checksum that the other side verifies; a wrong one fails the run.\n"
    "With no URL or SCHEME: every built-in scheme.  A SCHEME picks the built-in\n"
    "rows of that scheme (e.g. unix); a URL (with %p for the pid) benches it.\n"
    "'pubsub' adds a table of its own: one publisher to 1, 4 and 16 lossless\n"
    "subscribers over shm: and unix: (and ZeroMQ XPUB/SUB), per-subscriber rate\n"
    "and CPU cost (it is part of the run with no operand; the files are the other rows').\n"
    "\n"
    "  -s, --size N     small message size (default 64; medium 4096, large 65536)\n"
    "  -n, --count N    round trips per size (default 10000; floods are scaled)\n"
    "      --json FILE  write the results as JSON\n"
    "      --csv FILE   write the results as CSV\n"
    "      --plot FILE  draw an SVG chart with gnuplot\n"
    "      --no-refs    only the ipcx rows (no raw, floor or peers)\n"
    "      --sweep      curves instead of the table: round trip and throughput against\n"
    "                   message size (64 B to 4 MiB), senders, subscribers, producers\n"
    "                   and consumers; CSV, Markdown, JSON and SVG (gnuplot) into --out\n"
    "                   (counts shrink above 4 KiB: a 4 MiB point costs what 4 KiB does)\n"
    "      --out DIR    where --sweep writes (default ./curves)\n"
    "      --figure F   --sweep measures only F: size, senders, bcast or mpmc\n"
    "  -q, --quiet      no progress line (there is one only when stderr is a terminal)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 all measured and verified, 1 a failure or a verification\n"
    "error, 2 bad usage.\n";

static int cand_selected(const struct bench_cand *c, char **sel, int nsel)
{
    if (nsel == 0)
        return 1;
    for (int i = 0; i < nsel; i++) {
        size_t l = strlen(sel[i]);
        if (strncmp(c->url, sel[i], l) == 0 && (c->url[l] == ':' || c->url[l] == '\0'))
            return 1;
        if (strcmp(c->group, sel[i]) == 0)
            return 1;
    }
    return 0;
}

/*
 * An operand is a URL (it has a ':') or names a scheme or group of a
 * built-in row; anything else is a mistake to report, not to skip (an
 * option's value left over, a misspelt scheme).
 */
static int operand_known(const char *sel)
{
    const struct bench_cand *tables[] = { bench_ipcx_rows, bench_raw_rows };
    const size_t sizes[] = { bench_ipcx_nrows, bench_raw_nrows };
    if (strchr(sel, ':'))
        return 1;
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < sizes[t]; i++)
            if (cand_selected(&tables[t][i], (char **) &sel, 1))
                return 1;
    return 0;
}

/* The rows chosen so far. */
struct pick {
    struct bench_cand *cands;
    int n;
    int only_urls;   /* only URLs were given: every reference joins */
    int norefs;
};

/* 1 if a chosen row of group is of kind (NULL: of any kind), or only URLs were given. */
static int group_chosen(const struct pick *k, const char *group, const char *kind)
{
    int want = k->only_urls;
    for (int i = 0; i < k->n; i++)
        want |= strcmp(k->cands[i].group, group) == 0 && (!kind || strcmp(k->cands[i].kind, kind) == 0);
    return want;
}

/* Built-in rows: the ipcx ones selected by scheme, a reference when its group is chosen. */
static void pick_rows(struct pick *k, const struct bench_cand *rows, size_t nrows, char **sel, int nsel)
{
    for (size_t i = 0; i < nrows && k->n < MAX_CANDS; i++) {
        const struct bench_cand *s = &rows[i];
        int is_ref = strcmp(s->kind, "ipcx") != 0;
        if ((is_ref && k->norefs) || (!is_ref && k->only_urls))
            continue;
        if (!is_ref && !cand_selected(s, sel, nsel))
            continue;
        if (is_ref && !group_chosen(k, s->group, NULL))
            continue;
        k->cands[k->n++] = *s;
    }
}

/* The candidates in table order: URLs given, built-in rows, then the peer libraries. */
static void pick_all(struct pick *k, char **sel, int nsel, int quiet)
{
    static char urls[MAX_CANDS][512];

    for (int i = 0; i < nsel && k->n < MAX_CANDS; i++) {
        if (!strchr(sel[i], ':'))
            continue;
        snprintf(urls[k->n], sizeof urls[0], "%s", sel[i]);
        k->cands[k->n] = bench_url_cand(urls[k->n]);
        k->n++;
    }
    k->only_urls = k->n == nsel && nsel > 0;
    pick_rows(k, bench_ipcx_rows, bench_ipcx_nrows, sel, nsel);
    pick_rows(k, bench_raw_rows, bench_raw_nrows, sel, nsel);
    if (k->norefs)
        return;
    struct bench_cand peers[16];
    char why[512];
    int np = bench_peer_cands(peers, (int) (sizeof peers / sizeof peers[0]), why, sizeof why);
    if (*why && !quiet)
        fprintf(stderr, "ipcx bench: peer rows left out: %s\n", why);
    for (int i = 0; i < np && k->n < MAX_CANDS; i++)
        if (group_chosen(k, peers[i].group, "ipcx"))
            k->cands[k->n++] = peers[i];
}

int cmd_bench(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_CSV, OPT_PLOT, OPT_NOREFS, OPT_SWEEP, OPT_OUT, OPT_FIGURE };
    static const struct option opts[] = {
        { "size", required_argument, NULL, 's' },
        { "count", required_argument, NULL, 'n' },
        { "json", required_argument, NULL, OPT_JSON },
        { "csv", required_argument, NULL, OPT_CSV },
        { "plot", required_argument, NULL, OPT_PLOT },
        { "no-refs", no_argument, NULL, OPT_NOREFS },
        { "sweep", no_argument, NULL, OPT_SWEEP },
        { "out", required_argument, NULL, OPT_OUT },
        { "figure", required_argument, NULL, OPT_FIGURE },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bench_params p = { 64, 4096, 65536, 10000, 0, 0, 0 };
    const char *json = NULL, *csv = NULL, *plot = NULL, *out = "curves", *figure = NULL;
    int sweep = 0;
    static struct bench_cand cands[MAX_CANDS];
    static struct bench_result rs[MAX_CANDS];
    struct pick k = { cands, 0, 0, 0 };
    int c, rc = 0;
    long v;

    opterr = 0; /* one error line, ours */
    while ((c = getopt_long(argc, argv, "s:n:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if ((v = cmd_parse_num(optarg, BENCH_HDR_BYTES, 16 << 20)) == LONG_MIN)
                return cmd_usage_error("bench", "bad size '%s' (16 bytes to 16 MiB)", optarg);
            p.small = (size_t) v;
            break;
        case 'n':
            if ((v = cmd_parse_num(optarg, 10, 100000000)) == LONG_MIN)
                return cmd_usage_error("bench", "bad count '%s' (at least 10)", optarg);
            p.rtts = v;
            break;
        case OPT_JSON: json = optarg; break;
        case OPT_CSV: csv = optarg; break;
        case OPT_PLOT: plot = optarg; break;
        case OPT_NOREFS: k.norefs = 1; break;
        case OPT_SWEEP: sweep = 1; break;
        case OPT_OUT: out = optarg; break;
        case OPT_FIGURE: figure = optarg; break;
        case 'q': p.quiet = 1; break;
        case 'h':
            fputs(bench_help, stdout);
            return 0;
        default:
            return cmd_usage_error("bench", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (p.medium < p.small)
        p.medium = p.small;
    if (p.large < p.small)
        p.large = p.small;
    p.flood_small = p.rtts * 10;
    p.flood_large = p.rtts / 10 > 20 ? p.rtts / 10 : 20;

    p.progress = !p.quiet && isatty(STDERR_FILENO);
    if (figure && !sweep)
        return cmd_usage_error("bench", "--figure '%s' goes with --sweep", figure);
    if (sweep) {
        if (optind < argc)
            return cmd_usage_error("bench", "--sweep measures its own rows: no operand '%s'", argv[optind]);
        signal(SIGPIPE, SIG_IGN);
        return bench_sweep(&p, out, figure);
    }
    /* "pubsub" (pubsub.c) is a table of its own: taken out of the operands;
     * with no operand at all it is part of every built-in row. */
    int pubsub = argc == optind, nsel = 0;
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "pubsub") == 0)
            pubsub = 1;
        else
            argv[optind + nsel++] = argv[i];
    }
    if (pubsub && nsel == 0 && argc > optind) {
        signal(SIGPIPE, SIG_IGN);
        return bench_pubsub(&p, stdout, k.norefs) < 0 ? EXIT_RUNTIME : 0;
    }
    argc = optind + nsel;
    for (int i = optind; i < argc; i++)
        if (!operand_known(argv[i]))
            return cmd_usage_error("bench", "'%s' is no scheme of the built-in rows and no URL "
                                            "(see 'ipcx bench --help')", argv[i]);
    pick_all(&k, argv + optind, argc - optind, p.quiet);
    if (k.n == 0)
        return cmd_usage_error("bench", "nothing to measure: no scheme matches '%s'",
                               optind < argc ? argv[optind] : "");

    signal(SIGPIPE, SIG_IGN); /* the raw references write to pipes without ipcx's care */
    struct bench_floor fl = { { -1, -1, -1 }, -1 };
    if (!k.norefs) {
        bench_progress(&p, "cache-line ping-pong", "floor");
        fl.rtt = bench_floor_rtt(p.rtts * 10);
        fl.memcpy_gbps = bench_floor_memcpy(p.large, (long) ((1L << 31) / (long) p.large));
    }
    p.nrows = k.n;
    for (int i = 0; i < k.n; i++) {
        p.row = i + 1;
        bench_run(&cands[i], &p, &rs[i]);
        if (rs[i].failed || rs[i].errors) {
            fprintf(stderr, "%sipcx bench: %s: %s\n", p.progress ? "\r\033[K" : "", cands[i].name,
                    rs[i].failed ? rs[i].why : "messages failed verification");
            rc = EXIT_RUNTIME;
        }
    }
    if (!k.norefs) {
        /* The floor of a VM jumps now and then: measure it again at the end
         * and keep the lower, so a jump during the first turn does not make
         * every ratio look better than it is. */
        p.row = 0;
        bench_progress(&p, "cache-line ping-pong, again", "floor");
        struct bench_lat again = bench_floor_rtt(p.rtts * 10);
        if (again.p50 > 0 && (fl.rtt.p50 <= 0 || again.p50 < fl.rtt.p50))
            fl.rtt = again;
    }
    if (p.progress)
        fprintf(stderr, "\r\033[K");
    bench_print_table(stdout, rs, k.n, &p, &fl);
    if (json && (c = bench_write_json(json, rs, k.n, &p, &fl)) < 0)
        rc = cmd_fail(json, c);
    if (csv && (c = bench_write_csv(csv, rs, k.n)) < 0)
        rc = cmd_fail(csv, c);
    if (plot && (c = bench_write_plot(plot, rs, k.n, &p, &fl)) < 0)
        rc = cmd_fail(plot, c);
    if (pubsub && bench_pubsub(&p, stdout, k.norefs) < 0)
        rc = EXIT_RUNTIME;
    return rc;
}
