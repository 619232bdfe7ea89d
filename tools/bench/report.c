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

static void fmt_ns(char *b, size_t cap, double ns)
{
    if (ns < 0)
        snprintf(b, cap, "-");
    else if (ns < 10000)
        snprintf(b, cap, "%.0f ns", ns);
    else
        snprintf(b, cap, "%.1f us", ns / 1000);
}

static void fmt_ratio(char *b, size_t cap, double x, double y)
{
    if (x <= 0 || y <= 0)
        snprintf(b, cap, "-");
    else
        snprintf(b, cap, "%.2fx", x / y);
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

void bench_print_table(FILE *f, const struct bench_result *rs, int n, const struct bench_params *p,
                       const struct bench_floor *fl)
{
    char a[32], b[32], c[32], d[32], e[32], g[32], h[32];
    fprintf(f, "| transport | RTT %zu B p50 | p99 | p99.9 | RTT %zu B p50 | p99 | "
               "%zu B msgs/s | %zu B GB/s | vs raw (RTT / msgs/s) | vs floor (RTT) | vs best peer (RTT / msgs/s) |\n",
            p->small, p->medium, p->small, p->large);
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const struct bench_result *r = &rs[i];
        if (r->failed) {
            fprintf(f, "| %s | failed: %s |||||||||\n", r->c->name, r->why);
            continue;
        }
        const struct bench_result *raw = strcmp(r->c->kind, "ipcx") == 0
                                       ? find_ref(rs, n, "raw", r->c->group, 0) : NULL;
        const struct bench_result *peer = strcmp(r->c->kind, "ipcx") == 0
                                        ? find_ref(rs, n, "peer", r->c->group, 1) : NULL;
        char vraw[80] = "-", vpeer[80] = "-", vfloor[16];
        if (raw) {
            fmt_ratio(a, sizeof a, r->rtt[0].p50, raw->rtt[0].p50);
            fmt_ratio(b, sizeof b, raw->mps, r->mps);
            snprintf(vraw, sizeof vraw, "%s / %s", a, b);
        }
        if (peer) {
            fmt_ratio(a, sizeof a, r->rtt[0].p50, peer->rtt[0].p50);
            fmt_ratio(b, sizeof b, peer->mps, r->mps);
            snprintf(vpeer, sizeof vpeer, "%s / %s", a, b);
        }
        fmt_ratio(vfloor, sizeof vfloor, r->rtt[0].p50, fl->rtt.p50);
        fmt_ns(a, sizeof a, r->rtt[0].p50);
        fmt_ns(b, sizeof b, r->rtt[0].p99);
        fmt_ns(c, sizeof c, r->rtt[0].p999);
        fmt_ns(d, sizeof d, r->rtt[1].p50);
        fmt_ns(e, sizeof e, r->rtt[1].p99);
        snprintf(g, sizeof g, r->mps > 0 ? "%.0f" : "-", r->mps);
        snprintf(h, sizeof h, r->gbps > 0 ? "%.2f" : "-", r->gbps);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                r->c->name, a, b, c, d, e, g, h, vraw, vfloor, vpeer);
    }
    fmt_ns(a, sizeof a, fl->rtt.p50);
    fmt_ns(b, sizeof b, fl->rtt.p99);
    fmt_ns(c, sizeof c, fl->rtt.p999);
    fprintf(f, "| floor: cache-line ping-pong | %s | %s | %s | | | | %.2f (memcpy %zu B, 1 core) | | | |\n",
            a, b, c, fl->memcpy_gbps, p->large);
    fprintf(f, "\nRatios: \"vs raw\" and \"vs best peer\" are ipcx's round-trip p50 over theirs "
               "(lower is better) and their msgs/s over ipcx's (lower is better); "
               "\"vs floor\" is ipcx's round-trip p50 over the cache-line ping-pong.\n");
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

/* An SVG bar chart of the small-message round trip, log scale, through gnuplot. */
int bench_write_plot(const char *path, const struct bench_result *rs, int n,
                     const struct bench_params *p, const struct bench_floor *fl)
{
    char dat[] = "/tmp/ipcx-bench-plot-XXXXXX";
    int fd = mkstemp(dat);
    if (fd < 0)
        return -errno;
    FILE *d = fdopen(fd, "w");
    if (!d) {
        int e = errno;
        close(fd);
        unlink(dat);
        return -e;
    }
    fprintf(d, "\"floor\" %.0f %.0f\n", fl->rtt.p50, fl->rtt.p99);
    for (int i = 0; i < n; i++)
        if (!rs[i].failed && rs[i].rtt[0].p50 > 0)
            fprintf(d, "\"%s\" %.0f %.0f\n", rs[i].c->name, rs[i].rtt[0].p50, rs[i].rtt[0].p99);
    fclose(d);
    FILE *g = popen("gnuplot 2>&1", "w");
    if (!g) {
        unlink(dat);
        return -ENOENT;
    }
    fprintf(g, "set terminal svg size 1000,520 dynamic\nset output '%s'\n"
               "set title 'ipcx bench: round trip of %zu B messages (p50 and p99, log scale)'\n"
               "set logscale y\nset ylabel 'ns'\nset style data histogram\n"
               "set style histogram cluster gap 1\nset style fill solid 0.8 border -1\n"
               "set xtics rotate by -35\nset bmargin 9\nset rmargin 8\nset key top left\nset grid ytics\n"
               "plot '%s' using 2:xtic(1) title 'p50', '' using 3 title 'p99'\n",
            path, p->small, dat);
    int st = pclose(g);
    unlink(dat);
    return st == 0 ? 0 : -EIO;
}
