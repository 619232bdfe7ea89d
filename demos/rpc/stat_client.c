/*
 * stat_client.c - a client of the ONC RPC statistics service (stat.x,
 * stat_server.c): sends the values it is given (arguments, or one per line
 * on standard input) in batches of up to STAT_BATCH_MAX through rpcgen's
 * stubs (stat_clnt.c) and prints the server's figures as Werkstueck's
 * report does.  The portmapper on HOST tells the server's port.
 */
#include "stat.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f, int rc)
{
    fprintf(f, "Usage: stat_client [--host HOST] [--prog N] [--reset] [--timeout S] [VALUE...]\n"
               "Send each VALUE (an int; without any, one per line of standard input) to the\n"
               "ONC RPC statistics service on HOST (default localhost, found through its\n"
               "rpcbind) and print n=... sum=... mean=... min=... max=... of everything the\n"
               "server was given.  --reset first clears the server's figures; --prog N\n"
               "talks to program N instead of 0x20006970.\n"
               "Exit status: 0 done, 1 an RPC error (on stderr), 2 bad usage or value.\n");
    return rc;
}

static int parse(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || (*end && *end != '\n') || v < INT_MIN || v > INT_MAX)
        return -1;
    *out = (int) v;
    return 0;
}

static stat_values batch;
static int flush_batch(CLIENT *c, const char *host, stat_figures *last)
{
    stat_figures *f = stat_add_1(&batch, c);
    if (!f) {
        fprintf(stderr, "stat_client: %s", clnt_sperror(c, host));
        return -1;
    }
    *last = *f;
    batch.stat_values_len = 0;
    return 0;
}

static int add(CLIENT *c, const char *host, int v, stat_figures *last)
{
    batch.stat_values_val[batch.stat_values_len++] = v;
    return batch.stat_values_len == STAT_BATCH_MAX ? flush_batch(c, host, last) : 0;
}

int main(int argc, char **argv)
{
    const char *host = "localhost";
    int reset = 0, i, v;
    long secs = 10;
    unsigned long prog = STAT_PROG;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0)
            return usage(stdout, 0);
        else if (strcmp(argv[i], "--reset") == 0)
            reset = 1;
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "--prog") == 0 && i + 1 < argc)
            prog = strtoul(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            secs = atol(argv[++i]);
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else
            return usage(stderr, 2);
    }
    if (secs <= 0)
        return usage(stderr, 2);
    CLIENT *c = clnt_create(host, prog, STAT_VERS, "tcp");
    if (!c) {
        fprintf(stderr, "stat_client: %s", clnt_spcreateerror(host));
        return 1;
    }
    struct timeval tv = { secs, 0 };
    clnt_control(c, CLSET_TIMEOUT, (char *) &tv);
    batch.stat_values_val = malloc(STAT_BATCH_MAX * sizeof *batch.stat_values_val);
    if (!batch.stat_values_val)
        return 1;
    int rc = 0;
    stat_figures last;
    if (reset && !stat_reset_1(NULL, c)) {
        fprintf(stderr, "stat_client: %s", clnt_sperror(c, host));
        rc = 1;
    }
    if (rc == 0 && i < argc) {
        for (; i < argc && rc == 0; i++) {
            if (parse(argv[i], &v) < 0) {
                fprintf(stderr, "stat_client: not an int: %s\n", argv[i]);
                rc = 2;
            } else if (add(c, host, v, &last) < 0) {
                rc = 1;
            }
        }
    } else if (rc == 0) {
        char line[64];
        while (rc == 0 && fgets(line, sizeof line, stdin)) {
            if (parse(line, &v) < 0) {
                fprintf(stderr, "stat_client: not an int: %s", line);
                rc = 2;
            } else if (add(c, host, v, &last) < 0) {
                rc = 1;
            }
        }
    }
    /* The rest, or an empty batch that just asks for the figures. */
    if (rc == 0 && flush_batch(c, host, &last) < 0)
        rc = 1;
    if (rc == 0)
        printf("n=%llu sum=%lld mean=%.3f min=%d max=%d\n", (unsigned long long) last.count,
               (long long) last.sum, last.mean, last.count ? last.min : 0,
               last.count ? last.max : 0);
    free(batch.stat_values_val);
    clnt_destroy(c);
    return rc;
}
