/*
 * cannibals.c - seed 001's "cannibals and missionaries: an example with
 * threads, an example with processes": M missionaries and C cannibals
 * cross a river in a boat of two seats, and on neither bank nor in the
 * boat may cannibals outnumber missionaries (where there are any).
 *
 * Each person is a process (--processes) or a thread (--threads).  The
 * river is a monitor: one ipcx_mutex and one ipcx_cond around the banks,
 * the boat and the plan.  The plan (how many of each kind cross on each
 * trip) is found before anyone moves, by a breadth-first search over the
 * safe states; who takes a seat is decided by the people themselves, in a
 * race for it.  Every change of the banks or the boat goes through one
 * invariant checker, which stops everybody and fails loudly on a
 * violation.
 */
#include "classics.h"
#include "demo.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct demo_info info = {
    .name = "cannibals",
    .summary = "missionaries and cannibals cross by a two-seat boat, as processes or threads",
    .seed = "seed 001: cannibals and missionaries",
    .usage =
        "Usage: ipcx demo cannibals [--processes|--threads] [--missionaries M]\n"
        "                           [--cannibals C] [--inject-bug]\n"
        "\n"
        "M missionaries and C cannibals stand on the left bank of a river; a boat\n"
        "with two seats takes them across.  On neither bank, and not in the boat,\n"
        "may the cannibals outnumber the missionaries when there are missionaries\n"
        "there.  Someone must row the boat back.\n"
        "\n"
        "Every person is a process of its own (fork, the default) or a thread of\n"
        "one process (--threads); seed 001 asks for both.  The river is a monitor\n"
        "(an ipcx_mutex and an ipcx_cond in shared memory): a person waits until\n"
        "the boat is at its bank with a free seat meant for its kind, takes it,\n"
        "and whoever fills the boat rows it across.  The trips (how many of each\n"
        "kind) are planned first by a search over the safe states; who goes is a\n"
        "race among the people on the bank.\n"
        "\n"
        "  --processes        one process per person (default)\n"
        "  --threads          one thread per person, all in one process\n"
        "  --missionaries M   missionaries (default 3; 1 to 16)\n"
        "  --cannibals C      cannibals (default 3; 0 to 16)\n"
        "  --inject-bug       (for the tests) plan as if only the boat had to be safe:\n"
        "                     with 3 and 3 the plan leaves a bank outnumbered and the\n"
        "                     invariant checker must stop everyone and say FAILED\n"
        "\n"
        "Verdict: 'ok' when everyone crossed and the invariant held after every\n"
        "departure and every arrival; FAILED on a violation (printed loudly).\n",
};

#define MAX_PEOPLE 32
#define MAX_TRIPS 256
enum { LEFT, RIGHT, IN_BOAT };
enum { MISSIONARY, CANNIBAL };
static const char *const kind_names[] = { "missionary", "cannibal" };
static const char *const side_names[] = { "left", "right" };

struct trip {
    int m, c; /* how many of each kind cross */
};

struct river {
    ipcx_mutex lock;
    ipcx_cond changed;
    int bank[2][2];    /* [side][kind] */
    int boat_side, boat[2], rower;
    int trip, ntrips;
    struct trip plan[MAX_TRIPS];
    int where[MAX_PEOPLE], kind[MAX_PEOPLE];
    int failed;
    char failure[200];
};

static struct river *rv;
static int nm = 3, nc = 3, threads, inject;

static void must(int r, const char *what)
{
    if (r < 0)
        demo_die("%s: %s", what, ipcx_strerror(r));
}

static int safe(int m, int c)
{
    return m == 0 || m >= c;
}

/* ---- the plan: breadth-first over (missionaries left, cannibals left, boat side) */
static int plan_trips(int bank_rule)
{
    enum { UNSEEN = -1 };
    int nstates = (nm + 1) * (nc + 1) * 2;
    int *prev = malloc((size_t) nstates * sizeof *prev), *queue = malloc((size_t) nstates * sizeof *queue);
    struct trip *move = malloc((size_t) nstates * sizeof *move);
    if (!prev || !queue || !move)
        demo_die("out of memory");
    for (int s = 0; s < nstates; s++)
        prev[s] = UNSEEN;
#define STATE(m, c, b) ((((m) * (nc + 1)) + (c)) * 2 + (b))
    int start = STATE(nm, nc, LEFT), goal = STATE(0, 0, RIGHT), head = 0, tail = 0;
    prev[start] = start;
    queue[tail++] = start;
    while (head < tail && prev[goal] == UNSEEN) {
        int s = queue[head++], b = s % 2, c = (s / 2) % (nc + 1), m = s / 2 / (nc + 1);
        for (int dm = 0; dm <= 2; dm++)
            for (int dc = 0; dc + dm <= 2; dc++) {
                if (dm + dc == 0 || !safe(dm, dc))
                    continue;
                int m2 = b == LEFT ? m - dm : m + dm, c2 = b == LEFT ? c - dc : c + dc;
                int from_m = b == LEFT ? m : nm - m, from_c = b == LEFT ? c : nc - c;
                if (dm > from_m || dc > from_c)
                    continue;
                if (bank_rule && (!safe(m2, c2) || !safe(nm - m2, nc - c2)))
                    continue;
                int t = STATE(m2, c2, 1 - b);
                if (prev[t] != UNSEEN)
                    continue;
                prev[t] = s;
                move[t] = (struct trip) { dm, dc };
                queue[tail++] = t;
            }
    }
    int n = 0;
    if (prev[goal] != UNSEEN) {
        for (int s = goal; s != start; s = prev[s])
            n++;
        if (n <= MAX_TRIPS) {
            int k = n;
            for (int s = goal; s != start; s = prev[s])
                rv->plan[--k] = move[s];
        }
    }
#undef STATE
    free(prev);
    free(queue);
    free(move);
    return n;
}

/* ---- the invariant checker ----------------------------------------- */

/* Called with the lock held after every change; on a violation it stops
 * everybody (failed, broadcast) and says so loudly. */
static void check(const char *after)
{
    char what[120] = "";
    int counted[3][2] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
    for (int p = 0; p < nm + nc; p++)
        counted[rv->where[p]][rv->kind[p]]++;
    for (int s = LEFT; s <= RIGHT; s++)
        if (!safe(rv->bank[s][MISSIONARY], rv->bank[s][CANNIBAL]))
            snprintf(what, sizeof what, "the %s bank has %d missionaries and %d cannibals", side_names[s],
                     rv->bank[s][MISSIONARY], rv->bank[s][CANNIBAL]);
    if (!*what && !safe(rv->boat[MISSIONARY], rv->boat[CANNIBAL]))
        snprintf(what, sizeof what, "the boat has %d missionaries and %d cannibals", rv->boat[MISSIONARY],
                 rv->boat[CANNIBAL]);
    if (!*what && rv->boat[MISSIONARY] + rv->boat[CANNIBAL] > 2)
        snprintf(what, sizeof what, "%d people in a boat of two seats", rv->boat[MISSIONARY] + rv->boat[CANNIBAL]);
    /* The counts agree with where each person says it is (the boat's
     * passengers still count on the bank it is moored at). */
    for (int k = MISSIONARY; k <= CANNIBAL && !*what; k++) {
        int left = counted[LEFT][k] + (rv->boat_side == LEFT ? counted[IN_BOAT][k] : 0);
        int right = counted[RIGHT][k] + (rv->boat_side == RIGHT ? counted[IN_BOAT][k] : 0);
        if (rv->boat[k] != counted[IN_BOAT][k] ||
            rv->bank[LEFT][k] + rv->bank[RIGHT][k] + (rv->rower >= 0 ? rv->boat[k] : 0) !=
                (k == MISSIONARY ? nm : nc) ||
            (rv->rower < 0 && (rv->bank[LEFT][k] != left || rv->bank[RIGHT][k] != right)))
            snprintf(what, sizeof what, "the %ss are miscounted", kind_names[k]);
    }
    if (*what && !rv->failed) {
        rv->failed = 1;
        snprintf(rv->failure, sizeof rv->failure, "after %s: %s", after, what);
        printf("\n!!! INVARIANT VIOLATED after %s: %s !!!\n!!! everybody stops here !!!\n\n", after, what);
        must(ipcx_cond_broadcast(&rv->changed), "broadcast");
    }
}

static void print_state(void)
{
    printf("   left: %dM %dC   %s   right: %dM %dC\n", rv->bank[LEFT][MISSIONARY], rv->bank[LEFT][CANNIBAL],
           rv->boat_side == LEFT ? "[boat]~~~~~~" : "~~~~~~[boat]", rv->bank[RIGHT][MISSIONARY],
           rv->bank[RIGHT][CANNIBAL]);
}

/* ---- a person ------------------------------------------------------ */

/* The rower (the one who filled the boat) takes it across.  The boat's
 * passengers leave their bank at departure and reach the other at
 * arrival; the crossing itself is done outside the monitor. */
static void row(int p)
{
    struct trip t = rv->plan[rv->trip];
    int from = rv->boat_side, to = 1 - from;
    char after[64];
    rv->rower = p;
    rv->bank[from][MISSIONARY] -= t.m;
    rv->bank[from][CANNIBAL] -= t.c;
    printf("trip %d: %d missionar%s and %d cannibal%s row %s -> %s (%s %d rows)\n", rv->trip + 1, t.m,
           t.m == 1 ? "y" : "ies", t.c, t.c == 1 ? "" : "s", side_names[from], side_names[to], kind_names[rv->kind[p]],
           p);
    snprintf(after, sizeof after, "the departure of trip %d", rv->trip + 1);
    check(after);
    if (rv->failed)
        return;
    must(ipcx_mutex_unlock(&rv->lock), "unlock");
    classic_nap_us(500); /* rowing */
    must(ipcx_mutex_lock(&rv->lock, -1), "lock");
    rv->bank[to][MISSIONARY] += t.m;
    rv->bank[to][CANNIBAL] += t.c;
    rv->boat[MISSIONARY] = rv->boat[CANNIBAL] = 0;
    for (int q = 0; q < nm + nc; q++)
        if (rv->where[q] == IN_BOAT)
            rv->where[q] = to;
    rv->boat_side = to;
    rv->rower = -1;
    snprintf(after, sizeof after, "the arrival of trip %d", rv->trip + 1);
    check(after);
    print_state();
    rv->trip++;
    must(ipcx_cond_broadcast(&rv->changed), "broadcast");
}

static int person(void *arg, int p)
{
    (void) arg;
    if (!threads)
        demo_child_signals();
    int k = rv->kind[p];
    must(ipcx_mutex_lock(&rv->lock, -1), "lock");
    while (!rv->failed && rv->trip < rv->ntrips) {
        struct trip t = rv->plan[rv->trip];
        int want = k == MISSIONARY ? t.m : t.c;
        if (rv->rower < 0 && rv->where[p] == rv->boat_side && rv->boat[k] < want) {
            rv->where[p] = IN_BOAT; /* a seat of my kind is free: take it */
            rv->boat[k]++;
            check("a boarding");
            if (rv->boat[MISSIONARY] == t.m && rv->boat[CANNIBAL] == t.c)
                row(p);
            continue;
        }
        must(ipcx_cond_wait(&rv->changed, &rv->lock, -1), "wait");
    }
    must(ipcx_mutex_unlock(&rv->lock), "unlock");
    return 0; /* a violation is in rv->failed: the process itself did its part */
}

static void *person_thread(void *arg)
{
    return (void *) (long) person(NULL, (int) (long) arg);
}

int main(int argc, char **argv)
{
    demo_start(&info, argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--processes") == 0)
            threads = 0;
        else if (strcmp(a, "--threads") == 0)
            threads = 1;
        else if (strcmp(a, "--missionaries") == 0 && i + 1 < argc)
            nm = (int) demo_num(a, argv[++i], 1, MAX_PEOPLE / 2);
        else if (strcmp(a, "--cannibals") == 0 && i + 1 < argc)
            nc = (int) demo_num(a, argv[++i], 0, MAX_PEOPLE / 2);
        else if (strcmp(a, "--inject-bug") == 0)
            inject = 1;
        else
            demo_unknown_arg(a, i + 1 == argc);
    }
    if (!threads)
        demo_catch_signals();
    rv = demo_shared(sizeof *rv);
    int n = plan_trips(!inject);
    if (n == 0)
        demo_usage_error("no safe crossing exists for %d missionaries and %d cannibals in a boat of two", nm, nc);
    if (n > MAX_TRIPS)
        demo_usage_error("the crossing takes %d trips, more than %d", n, MAX_TRIPS);
    rv->ntrips = n;
    rv->rower = -1;
    rv->bank[LEFT][MISSIONARY] = nm;
    rv->bank[LEFT][CANNIBAL] = nc;
    for (int p = 0; p < nm + nc; p++)
        rv->kind[p] = p < nm ? MISSIONARY : CANNIBAL;
    must(ipcx_mutex_init(&rv->lock), "mutex");
    must(ipcx_cond_init(&rv->changed), "cond");

    printf("cannibals: %d missionaries (0-%d) and %d cannibals (%d-%d) as %s; the plan has %d trips%s\n", nm,
           nm - 1, nc, nm, nm + nc - 1, threads ? "threads of one process" : "processes", n,
           inject ? " (--inject-bug: planned without the banks' rule)" : "");
    print_state();

    int np = nm + nc, ok = 1;
    if (threads) {
        pthread_t t[MAX_PEOPLE];
        for (int p = 0; p < np; p++)
            if (pthread_create(&t[p], NULL, person_thread, (void *) (long) p) != 0)
                demo_die("cannot start a thread");
        for (int p = 0; p < np; p++) {
            void *r;
            (void) pthread_join(t[p], &r);
            ok &= r == NULL;
        }
    } else {
        pid_t pids[MAX_PEOPLE];
        int status[MAX_PEOPLE];
        for (int p = 0; p < np; p++)
            pids[p] = demo_fork(person, NULL, p);
        struct classic_watch w = { pids, status, np, NULL, -1 };
        if (classic_wait(&w, 50) == CLASSIC_CHILD_FAILED && !rv->failed) {
            char how[64];
            return demo_verdict(0, "%s %d ended early (%s): the others were stopped", kind_names[rv->kind[w.failed]],
                                w.failed, classic_status(status[w.failed], how, sizeof how));
        }
        for (int p = 0; p < np; p++)
            ok &= demo_exited_ok(status[p]);
    }
    if (rv->failed)
        return demo_verdict(0, "invariant violated %s", rv->failure);
    int across = 0;
    for (int p = 0; p < np; p++)
        across += rv->where[p] == RIGHT;
    if (!ok || across != np || rv->trip != n)
        return demo_verdict(0, "%d of %d people crossed in %d of %d trips", across, np, rv->trip, n);
    return demo_verdict(1, "everyone crossed: %d missionaries and %d cannibals in %d trips, "
                           "never outnumbered on a bank or in the boat",
                        nm, nc, n);
}
