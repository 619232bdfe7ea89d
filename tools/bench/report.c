/*
 * report.c - what `ipcx bench` prints and writes: the Markdown table on
 * stdout (each ipcx row also as ratios to the raw mechanism of its group,
 * the hardware floor and the best peer library), JSON and CSV files with
 * the same figures, and an SVG chart drawn by gnuplot.  It formats; it
 * measures nothing (run.c) and chooses no rows (bench.c).
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

/* Every time column is in microseconds: one unit per column, no "ns" beside "us". */
static void fmt_us(char *b, size_t cap, double ns)
{
    if (ns < 0)
        snprintf(b, cap, "-");
    else
        snprintf(b, cap, "%.2f", ns / 1000);
}

static void fmt_ratio(char *b, size_t cap, double x, double y)
{
    if (x <= 0 || y <= 0)
        snprintf(b, cap, "-");
    else
        snprintf(b, cap, "%.2f", x / y);
}

static const struct bench_result *find_ref(const struct bench_result *rs, int n, const char *kind,
                                     const char *group, int best_peer)
{
    const struct bench_result *best = NULL;
    for (int i = 0; i < n; i++) {
        if (rs[i].failed || strcmp(rs[i].c->kind, kind) != 0 || strcmp(rs[i].c->group, group) != 0)
            continue;
        if (!best || (best_peer && rs[i].rtt[0].p50 > 0 && rs[i].rtt[0].p50 < best->rtt[0].p50))
            best = &rs[i];
    }
    return best;
}

static int any_of_kind(const struct bench_result *rs, int n, const char *kind)
{
    for (int i = 0; i < n; i++)
        if (!rs[i].failed && strcmp(rs[i].c->kind, kind) == 0)
            return 1;
    return 0;
}

/* One cell after another, "| a | b |", for a row of cols cells. */
static void row_out(FILE *f, char cells[][40], int cols)
{
    for (int i = 0; i < cols; i++)
        fprintf(f, "| %s ", cells[i]);
    fprintf(f, "|\n");
}

/*
 * The Markdown table: a unit in every header and only numbers below it.
 * The ratio columns appear only when there is something to compare with:
 * no raw rows, no floor, no peer rows (--no-refs, or no peer library)
 * leave their columns out rather than fill them with dashes.
 */
void bench_print_table(FILE *f, const struct bench_result *rs, int n, const struct bench_params *p,
                       const struct bench_floor *fl)
{
    int has_raw = any_of_kind(rs, n, "raw"), has_peer = any_of_kind(rs, n, "peer");
    int has_floor = fl->rtt.p50 > 0;
    char cell[16][40];
    int cols = 0;

    fprintf(f, "| transport | RTT %zu B p50 (us) | RTT %zu B p99 (us) | RTT %zu B p99.9 (us) "
               "| RTT %zu B p50 (us) | RTT %zu B p99 (us) | %zu B msgs/s | %zu B GB/s ",
            p->small, p->small, p->small, p->medium, p->medium, p->small, p->large);
    if (has_raw)
        fprintf(f, "| RTT / raw's (x) | raw's msgs/s / ours (x) ");
    if (has_floor)
        fprintf(f, "| RTT / floor's (x) ");
    if (has_peer)
        fprintf(f, "| RTT / best peer's (x) | best peer's msgs/s / ours (x) ");
    fprintf(f, "|\n|---");
    int ncols = 8 + 2 * has_raw + has_floor + 2 * has_peer;
    for (int i = 1; i < ncols; i++)
        fprintf(f, "|---:");
    fprintf(f, "|\n");
    for (int i = 0; i < n; i++) {
        const struct bench_result *r = &rs[i];
        cols = 0;
        snprintf(cell[cols++], sizeof cell[0], "%.39s", r->c->name);
        if (r->failed) {
            fprintf(f, "| %s | failed: %s ", r->c->name, r->why);
            for (int k = 2; k < ncols; k++)
                fprintf(f, "| - ");
            fprintf(f, "|\n");
            continue;
        }
        int ours = strcmp(r->c->kind, "ipcx") == 0;
        const struct bench_result *raw = ours ? find_ref(rs, n, "raw", r->c->group, 0) : NULL;
        const struct bench_result *peer = ours ? find_ref(rs, n, "peer", r->c->group, 1) : NULL;
        fmt_us(cell[cols++], sizeof cell[0], r->rtt[0].p50);
        fmt_us(cell[cols++], sizeof cell[0], r->rtt[0].p99);
        fmt_us(cell[cols++], sizeof cell[0], r->rtt[0].p999);
        fmt_us(cell[cols++], sizeof cell[0], r->rtt[1].p50);
        fmt_us(cell[cols++], sizeof cell[0], r->rtt[1].p99);
        snprintf(cell[cols++], sizeof cell[0], r->mps > 0 ? "%.0f" : "-", r->mps);
        snprintf(cell[cols++], sizeof cell[0], r->gbps > 0 ? "%.2f" : "-", r->gbps);
        if (has_raw) {
            fmt_ratio(cell[cols++], sizeof cell[0], raw ? r->rtt[0].p50 : -1, raw ? raw->rtt[0].p50 : -1);
            fmt_ratio(cell[cols++], sizeof cell[0], raw ? raw->mps : -1, raw ? r->mps : -1);
        }
        if (has_floor)
            fmt_ratio(cell[cols++], sizeof cell[0], ours ? r->rtt[0].p50 : -1, fl->rtt.p50);
        if (has_peer) {
            fmt_ratio(cell[cols++], sizeof cell[0], peer ? r->rtt[0].p50 : -1, peer ? peer->rtt[0].p50 : -1);
            fmt_ratio(cell[cols++], sizeof cell[0], peer ? peer->mps : -1, peer ? r->mps : -1);
        }
        row_out(f, cell, cols);
    }
    if (has_floor) {
        cols = 0;
        snprintf(cell[cols++], sizeof cell[0], "floor (GB/s: memcpy, 1 core)");
        fmt_us(cell[cols++], sizeof cell[0], fl->rtt.p50);
        fmt_us(cell[cols++], sizeof cell[0], fl->rtt.p99);
        fmt_us(cell[cols++], sizeof cell[0], fl->rtt.p999);
        for (int k = 0; k < 3; k++)
            snprintf(cell[cols++], sizeof cell[0], "-");
        snprintf(cell[cols++], sizeof cell[0], fl->memcpy_gbps > 0 ? "%.2f" : "-", fl->memcpy_gbps);
        while (cols < ncols)
            snprintf(cell[cols++], sizeof cell[0], "-");
        row_out(f, cell, cols);
    }
    if (has_raw || has_floor || has_peer) {
        fprintf(f, "\nRatios (x), lower is better for ipcx:");
        if (has_raw)
            fprintf(f, " \"RTT / raw's\" is ipcx's round-trip p50 over the raw mechanism's, "
                       "\"raw's msgs/s / ours\" its msgs/s over ipcx's;");
        if (has_peer)
            fprintf(f, " \"RTT / best peer's\" and \"best peer's msgs/s / ours\" the same against the "
                       "fastest peer library of the group;");
        if (has_floor)
            fprintf(f, " \"RTT / floor's\" is ipcx's round-trip p50 over the cache-line ping-pong "
                       "between the two CPUs (the floor row);");
        fprintf(f, " - where a row has nothing to compare with.\n");
    }
}

static void json_lat(FILE *f, const char *k, struct bench_lat l)
{
    fprintf(f, "\"%s\": {\"p50_ns\": %.0f, \"p99_ns\": %.0f, \"p999_ns\": %.0f}", k, l.p50, l.p99, l.p999);
}

int bench_write_json(const char *path, const struct bench_result *rs, int n,
                     const struct bench_params *p, const struct bench_floor *fl)
{
    FILE *f = fopen(path, "w");
    struct utsname u;
    if (!f)
        return -errno;
    uname(&u);
    fprintf(f, "{\n  \"machine\": {\"kernel\": \"%s\", \"cpus\": %ld},\n", u.release,
            sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "  \"sizes\": {\"small\": %zu, \"medium\": %zu, \"large\": %zu},\n", p->small,
            p->medium, p->large);
    fprintf(f, "  \"counts\": {\"round_trips\": %ld, \"flood_small\": %ld, \"flood_large\": %ld},\n",
            p->rtts, p->flood_small, p->flood_large);
    fprintf(f, "  \"floor\": {");
    json_lat(f, "cacheline_rtt", fl->rtt);
    fprintf(f, ", \"memcpy_gbps\": %.3f},\n  \"results\": [\n", fl->memcpy_gbps);
    for (int i = 0; i < n; i++) {
        const struct bench_result *r = &rs[i];
        fprintf(f, "    {\"name\": \"%s\", \"kind\": \"%s\", \"group\": \"%s\", \"failed\": %s, "
                   "\"errors\": %ld, ",
                r->c->name, r->c->kind, r->c->group, r->failed ? "true" : "false", r->errors);
        json_lat(f, "rtt_small", r->rtt[0]);
        fprintf(f, ", ");
        json_lat(f, "rtt_medium", r->rtt[1]);
        fprintf(f, ", \"msgs_per_s_small\": %.0f, \"gbps_large\": %.3f}%s\n", r->mps, r->gbps,
                i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return fclose(f) == 0 ? 0 : -errno;
}

int bench_write_csv(const char *path, const struct bench_result *rs, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "name,kind,group,failed,errors,rtt_small_p50_ns,rtt_small_p99_ns,rtt_small_p999_ns,"
               "rtt_medium_p50_ns,rtt_medium_p99_ns,msgs_per_s_small,gbps_large\n");
    for (int i = 0; i < n; i++) {
        const struct bench_result *r = &rs[i];
        fprintf(f, "%s,%s,%s,%d,%ld,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.3f\n", r->c->name, r->c->kind,
                r->c->group, r->failed, r->errors, r->rtt[0].p50, r->rtt[0].p99, r->rtt[0].p999,
                r->rtt[1].p50, r->rtt[1].p99, r->mps, r->gbps);
    }
    return fclose(f) == 0 ? 0 : -errno;
}

/* Bar colours: ipcx's rows in blue, the references in grey, the floor black. */
static unsigned bar_rgb(const struct bench_result *r, int p99)
{
    if (strcmp(r->c->kind, "ipcx") == 0)
        return p99 ? 0x9ecae1u : 0x2166acu;
    return p99 ? 0xd9d9d9u : 0x969696u;
}

/*
 * The SVG through gnuplot, on a white background: the small-message round
 * trip (p50 and p99, log scale) on the left, the small-message throughput
 * (msgs/s, log scale) on the right, ipcx's bars blue and the references'
 * grey, so the two never look alike.  Columns of the data file: x, name,
 * p50, p99, msgs/s, and the three bar colours.
 */
int bench_write_plot(const char *path, const struct bench_result *rs, int n,
                     const struct bench_params *p, const struct bench_floor *fl)
{
    char dat[] = "/tmp/ipcx-bench-plot-XXXXXX";
    int fd = mkstemp(dat), x = 0;
    if (fd < 0)
        return -errno;
    FILE *d = fdopen(fd, "w");
    if (!d) {
        int e = errno;
        close(fd);
        unlink(dat);
        return -e;
    }
    if (fl->rtt.p50 > 0)
        fprintf(d, "%d \"floor\" %.0f %.0f 0 %u %u %u\n", x++, fl->rtt.p50, fl->rtt.p99, 0x000000u,
                0x525252u, 0x000000u);
    for (int i = 0; i < n; i++)
        if (!rs[i].failed && rs[i].rtt[0].p50 > 0)
            fprintf(d, "%d \"%s\" %.0f %.0f %.0f %u %u %u\n", x++, rs[i].c->name, rs[i].rtt[0].p50,
                    rs[i].rtt[0].p99, rs[i].mps, bar_rgb(&rs[i], 0), bar_rgb(&rs[i], 1),
                    bar_rgb(&rs[i], 0));
    fclose(d);
    FILE *g = popen("gnuplot 2>&1", "w");
    if (!g) {
        unlink(dat);
        return -ENOENT;
    }
    fprintf(g, "set terminal svg size 1600,600 dynamic background rgb 'white'\nset output '%s'\n"
               "set multiplot layout 1,2 title 'ipcx bench, %zu B messages: ipcx blue, references grey'\n"
               "set logscale y\nset grid ytics\nset style fill solid 1.0 border -1\n"
               "set boxwidth 0.4\nset xtics rotate by 45 right font ',10'\nset bmargin 11\nset format y '%%.0s%%c'\n"
               "set xrange [-0.6:%d.6]\nset key top left\n"
               "set title 'round trip, p50 (dark) and p99 (light)'\nset ylabel 'ns'\n"
               "plot '%s' using ($1-0.2):3:6:xtic(2) with boxes lc rgb variable notitle, "
               "'' using ($1+0.2):4:7 with boxes lc rgb variable notitle\n"
               "set title 'one-way throughput'\nset ylabel 'messages/s'\n"
               "set boxwidth 0.6\n"
               "plot '%s' using 1:($5 > 0 ? $5 : 1/0):8:xtic(2) with boxes lc rgb variable notitle\n"
               "unset multiplot\n",
            path, p->small, x > 0 ? x - 1 : 0, dat, dat);
    int st = pclose(g);
    unlink(dat);
    return st == 0 ? 0 : -EIO;
}
