/*
 * philosophers.c - seed 003's five dining philosophers: five processes,
 * five forks as the members of one System V semaphore set (value 1 each).
 * The naive table deadlocks, and a watchdog that reads who holds and who
 * wants which fork from shared memory finds the wait-for cycle; three
 * strategies that cannot deadlock eat their meals.
 *
 * What each philosopher publishes (holds, wants) is written under a
 * sequence number of its own (odd while it writes), so the watchdog reads
 * a consistent picture: a cycle it finds existed at one instant, and a
 * cycle of waiters is stable (nobody in it lets go), so "deadlock" is a
 * fact, not a timeout.
 */
#include "classics.h"
#include "demo.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct demo_info info = {
    .name = "philosophers",
    .summary = "five dining philosophers: the naive table deadlocks, three ways do not",
    .seed = "seed 003: the five philosophers",
    .usage =
        "Usage: ipcx demo philosophers [--strategy naive|ordered|waiter|atomic]\n"
        "                              [--meals N] [--pause-ms MS] [--lockstep]\n"
        "                              [--inject-bug]\n"
        "\n"
        "Five philosopher processes (fork) sit at a round table with five forks,\n"
        "one between each two; a philosopher needs both neighbouring forks to eat\n"
        "(seed 003: a fork is a semaphore with start value 1).  The forks are the\n"
        "five members of one System V semaphore set, taken and put back with\n"
        "semop and SEM_UNDO, so a philosopher that is killed gives its forks back.\n"
        "\n"
        "  --strategy naive    take the left fork, then the right one.  When all five\n"
        "                      hold their left fork, each waits for its right one\n"
        "                      forever: a deadlock (the four conditions: mutual\n"
        "                      exclusion, hold and wait, no preemption, circular wait).\n"
        "                      A watchdog reads who holds and wants which fork, prints\n"
        "                      the wait-for cycle and 'deadlock', and kills the table\n"
        "  --strategy ordered  take the lower-numbered fork first: no circular wait\n"
        "  --strategy waiter   a waiter (a sixth member of the set, value 4) lets at most\n"
        "                      four sit at the table: one of them can always eat\n"
        "  --strategy atomic   take both forks in one semop: all or nothing, no hold\n"
        "                      and wait\n"
        "  --meals N           meals per philosopher (default 10)\n"
        "  --pause-ms MS       naive: the pause between the two forks (default 20),\n"
        "                      which makes the deadlock likely, not certain\n"
        "  --lockstep          naive: every philosopher takes its left fork, then all\n"
        "                      wait for each other (a barrier) before reaching right:\n"
        "                      the deadlock is certain, and not seeing it is a failure\n"
        "  --inject-bug        (for the tests; ordered, waiter, atomic) drop the\n"
        "                      strategy's guard (take left then right, no waiter, two\n"
        "                      semops) and force the lockstep: the watchdog must see\n"
        "                      the deadlock and the verdict must say FAILED\n"
        "\n"
        "Verdict: naive: 'ok deadlock ...' when the watchdog found the cycle (the\n"
        "point of the demo), 'ok no deadlock this time' when all meals were eaten.\n"
        "ordered, waiter, atomic: 'ok' when every philosopher ate N meals, no two\n"
        "neighbours ate at once and the forks are all back; it shows the meals\n"
        "each ate and the longest wait, counted in meals the others ate meanwhile.\n",
};

#define N 5
#define WAITER N       /* member of the set: seats at the table */
#define NO_FORK (-1)
#define BOTH_FORKS (-2) /* atomic: wants both at once */

enum strategy { S_NAIVE, S_ORDERED, S_WAITER, S_ATOMIC };
static const char *const strategy_names[] = { "naive", "ordered", "waiter", "atomic" };

struct phil {
    _Atomic unsigned seq; /* odd while the philosopher changes the fields below */
    _Atomic int holds[2], wants, seated;
    _Atomic long meals, longest_meals;
    _Atomic long long longest_ns;
};

struct shared {
    struct phil ph[N];
    _Atomic int eating[N];
    _Atomic long total_meals;
    _Atomic int violations;
    ipcx_barrier start, lockstep;
};

static struct shared *sh;
static ipcx_sem *forks;
static enum strategy strat = S_NAIVE;
static long meals = 10, pause_ms = 20;
static int lockstep, inject;

static void must(int r, const char *what)
{
    if (r < 0)
        demo_die("%s: %s", what, ipcx_strerror(r));
}

/* ---- what a philosopher publishes ---------------------------------- */
static void publish_begin(struct phil *p)
{
    atomic_fetch_add(&p->seq, 1);
}

static void publish_end(struct phil *p)
{
    atomic_fetch_add(&p->seq, 1);
}

static void set_wants(struct phil *p, int f)
{
    publish_begin(p);
    atomic_store(&p->wants, f);
    publish_end(p);
}

static void got(struct phil *p, int f)
{
    publish_begin(p);
    atomic_store(&p->wants, NO_FORK);
    atomic_store(&p->holds[atomic_load(&p->holds[0]) == NO_FORK ? 0 : 1], f);
    publish_end(p);
}

static void semop1(unsigned short num, short op)
{
    struct ipcx_semop o = { num, op, IPCX_SEM_UNDO };
    must(ipcx_sem_op(forks, &o, 1, -1), "semop");
}

static void take(struct phil *p, int f)
{
    set_wants(p, f);
    semop1((unsigned short) f, -1);
    got(p, f);
}

static void take_both(struct phil *p, int a, int b)
{
    struct ipcx_semop o[2] = { { (unsigned short) a, -1, IPCX_SEM_UNDO },
                               { (unsigned short) b, -1, IPCX_SEM_UNDO } };
    set_wants(p, BOTH_FORKS);
    must(ipcx_sem_op(forks, o, 2, -1), "semop (both forks)");
    publish_begin(p);
    atomic_store(&p->wants, NO_FORK);
    atomic_store(&p->holds[0], a);
    atomic_store(&p->holds[1], b);
    publish_end(p);
}

/* Published first, given back after: the watchdog never sees a fork held
 * by someone who let it go. */
static void put_back(struct phil *p)
{
    int a = atomic_load(&p->holds[0]), b = atomic_load(&p->holds[1]);
    publish_begin(p);
    atomic_store(&p->holds[0], NO_FORK);
    atomic_store(&p->holds[1], NO_FORK);
    publish_end(p);
    struct ipcx_semop o[2] = { { (unsigned short) a, 1, IPCX_SEM_UNDO },
                               { (unsigned short) b, 1, IPCX_SEM_UNDO } };
    must(ipcx_sem_op(forks, o, 2, -1), "semop (put back)");
}

static void eat(int i, unsigned *rnd)
{
    atomic_store(&sh->eating[i], 1);
    if (atomic_load(&sh->eating[(i + N - 1) % N]) || atomic_load(&sh->eating[(i + 1) % N]))
        atomic_fetch_add(&sh->violations, 1); /* a neighbour eats: a fork is shared */
    classic_nap_us(classic_rand(rnd, 2000));
    atomic_store(&sh->eating[i], 0);
}

static int philosopher(void *arg, int i)
{
    (void) arg;
    demo_child_signals();
    struct phil *p = &sh->ph[i];
    int left = i, right = (i + 1) % N;
    int guarded = !inject; /* --inject-bug: the strategy's guard is gone */
    int forced = lockstep || inject;
    unsigned rnd = (unsigned) i * 2654435761u + 1;

    int r = ipcx_barrier_wait(&sh->start, -1); /* all sit down hungry at once */
    if (r < 0)
        demo_die("barrier: %s", ipcx_strerror(r));
    for (long m = 0; m < meals; m++) {
        long before = atomic_load(&sh->total_meals);
        long long t0 = demo_now_ns();
        if (strat == S_WAITER && guarded) {
            set_wants(p, NO_FORK);
            semop1(WAITER, -1);
            atomic_store(&p->seated, 1);
        }
        if (strat == S_ATOMIC && guarded) {
            take_both(p, left, right);
        } else {
            int first = left, second = right;
            if (strat == S_ORDERED && guarded && right < left)
                first = right, second = left;
            take(p, first);
            if (forced && m == 0) {
                r = ipcx_barrier_wait(&sh->lockstep, -1); /* everyone holds one fork now */
                if (r < 0)
                    demo_die("barrier: %s", ipcx_strerror(r));
            } else if (strat == S_NAIVE && pause_ms > 0) {
                classic_nap_us(pause_ms * 1000);
            }
            take(p, second);
        }
        long waited = atomic_load(&sh->total_meals) - before;
        long long ns = demo_now_ns() - t0;
        eat(i, &rnd);
        put_back(p);
        if (atomic_load(&p->seated)) {
            atomic_store(&p->seated, 0);
            semop1(WAITER, 1);
        }
        atomic_fetch_add(&p->meals, 1);
        atomic_fetch_add(&sh->total_meals, 1);
        if (waited > atomic_load(&p->longest_meals))
            atomic_store(&p->longest_meals, waited);
        if (ns > atomic_load(&p->longest_ns))
            atomic_store(&p->longest_ns, ns);
        classic_nap_us(classic_rand(&rnd, 3000)); /* think */
    }
    return 0;
}

/* ---- the watchdog -------------------------------------------------- */
struct snapshot {
    int holds[N][2], wants[N], next[N];
};
static struct snapshot snap;
static int cycle[N + 1], cycle_len;

/* A consistent picture: every philosopher's fields read between two equal
 * even values of its sequence number, all reads of the first numbers
 * before all reads of the second, so all five held at one instant. */
static int take_snapshot(struct snapshot *s)
{
    unsigned seq[N];
    for (int i = 0; i < N; i++) {
        seq[i] = atomic_load(&sh->ph[i].seq);
        if (seq[i] & 1)
            return 0;
    }
    for (int i = 0; i < N; i++) {
        s->holds[i][0] = atomic_load(&sh->ph[i].holds[0]);
        s->holds[i][1] = atomic_load(&sh->ph[i].holds[1]);
        s->wants[i] = atomic_load(&sh->ph[i].wants);
    }
    for (int i = 0; i < N; i++)
        if (atomic_load(&sh->ph[i].seq) != seq[i])
            return 0;
    return 1;
}

static int holder_of(const struct snapshot *s, int f)
{
    for (int j = 0; j < N; j++)
        if (s->holds[j][0] == f || s->holds[j][1] == f)
            return j;
    return -1;
}

/* The wait-for graph: i -> j when i waits for a fork j holds.  Each
 * philosopher waits for at most one fork, so follow the edges from each. */
static int find_cycle(struct snapshot *s)
{
    for (int i = 0; i < N; i++)
        s->next[i] = s->wants[i] >= 0 ? holder_of(s, s->wants[i]) : -1;
    for (int start = 0; start < N; start++) {
        int seen[N] = { 0 }, i = start, len = 0;
        while (i >= 0 && !seen[i]) {
            seen[i] = 1;
            cycle[len++] = i;
            i = s->next[i];
        }
        if (i == start) {
            cycle[len] = start;
            cycle_len = len;
            return 1;
        }
    }
    return 0;
}

static int watch_table(void)
{
    return take_snapshot(&snap) && find_cycle(&snap);
}

static void print_deadlock(void)
{
    for (int k = 0; k < cycle_len; k++) {
        int i = cycle[k], f = snap.wants[i];
        printf("philosopher %d holds fork %d and waits for fork %d, held by philosopher %d\n", i,
               snap.holds[i][0], f, snap.next[i]);
    }
    printf("wait-for cycle:");
    for (int k = 0; k <= cycle_len; k++)
        printf(" %sP%d", k ? "-> " : "", cycle[k]);
    printf("\ndeadlock: nobody in the cycle can eat, and nobody lets go; the watchdog kills the table\n");
}

static void print_forks(const char *when)
{
    printf("forks %s:", when);
    for (int f = 0; f < N; f++)
        printf(" %d", ipcx_sem_getval(forks, (unsigned) f));
    if (strat == S_WAITER)
        printf("; seats %d", ipcx_sem_getval(forks, WAITER));
    printf("\n");
}

int main(int argc, char **argv)
{
    demo_start(&info, argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--strategy") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            size_t k;
            for (k = 0; k < sizeof strategy_names / sizeof strategy_names[0]; k++)
                if (strcmp(v, strategy_names[k]) == 0)
                    break;
            if (k == sizeof strategy_names / sizeof strategy_names[0])
                demo_usage_error("unknown strategy '%s'", v);
            strat = (enum strategy) k;
        } else if (strcmp(a, "--meals") == 0 && i + 1 < argc) {
            meals = demo_num(a, argv[++i], 1, 1000000);
        } else if (strcmp(a, "--pause-ms") == 0 && i + 1 < argc) {
            pause_ms = demo_num(a, argv[++i], 0, 10000);
        } else if (strcmp(a, "--lockstep") == 0) {
            lockstep = 1;
        } else if (strcmp(a, "--inject-bug") == 0) {
            inject = 1;
        } else {
            demo_unknown_arg(a, i + 1 == argc);
        }
    }
    if (lockstep && strat != S_NAIVE)
        demo_usage_error("--lockstep is for the naive table (the others never all hold one fork)");
    if (inject && strat == S_NAIVE)
        demo_usage_error("the naive table is broken already: --inject-bug is for the others");

    demo_catch_signals();
    sh = demo_shared(sizeof *sh);
    for (int i = 0; i < N; i++) {
        atomic_store(&sh->ph[i].holds[0], NO_FORK);
        atomic_store(&sh->ph[i].holds[1], NO_FORK);
        atomic_store(&sh->ph[i].wants, NO_FORK);
    }
    must(ipcx_barrier_init(&sh->start, N), "barrier");
    must(ipcx_barrier_init(&sh->lockstep, N), "barrier");
    char url[64];
    forks = classic_sysvsem(N + 1, 1, url, sizeof url);
    struct ipcx_semop seats = { WAITER, N - 2, 0 }; /* created as 1: four seats */
    must(ipcx_sem_op(forks, &seats, 1, 0), "seats");

    printf("philosophers %s: 5 processes, %ld meals each; forks: members 0-4 of %s%s\n",
           strategy_names[strat], meals, url, strat == S_WAITER ? ", seats: member 5" : "");
    if (lockstep)
        printf("--lockstep: each takes its left fork, then all wait for each other\n");
    if (inject)
        printf("--inject-bug: the %s guard is dropped and the table forced into lockstep\n",
               strategy_names[strat]);

    pid_t pids[N];
    int status[N];
    for (int i = 0; i < N; i++)
        pids[i] = demo_fork(philosopher, NULL, i);
    struct classic_watch cw = { pids, status, N, watch_table, -1 };
    int w = classic_wait(&cw, 20);
    if (w == CLASSIC_CHILD_FAILED) {
        char how[64];
        classic_sysvsem_remove();
        return demo_verdict(0, "philosopher %d left the table (%s): the others were stopped", cw.failed,
                            classic_status(status[cw.failed], how, sizeof how));
    }
    if (w > 0) {
        print_deadlock();
        demo_kill_all(pids, N);
        print_forks("after the kill (SEM_UNDO: the kernel gave them back)");
        classic_sysvsem_remove();
        if (strat == S_NAIVE)
            return demo_verdict(1, "deadlock: all %d philosophers hold one fork and wait for the next "
                                   "(a wait-for cycle of %d); the table was killed",
                                cycle_len, cycle_len);
        return demo_verdict(0, "deadlock under %s: a wait-for cycle of %d philosophers",
                            strategy_names[strat], cycle_len);
    }
    print_forks("at the end");
    int forks_back = 1;
    for (int f = 0; f < N; f++)
        forks_back &= ipcx_sem_getval(forks, (unsigned) f) == 1;
    if (strat == S_WAITER)
        forks_back &= ipcx_sem_getval(forks, WAITER) == N - 1;
    classic_sysvsem_remove();

    int fair = 1, worst = 0;
    char eaten[128] = "", waits[128] = "";
    size_t ne = 0, nw = 0;
    for (int i = 0; i < N; i++) {
        long m = atomic_load(&sh->ph[i].meals);
        fair &= m == meals;
        ne += (size_t) snprintf(eaten + ne, sizeof eaten - ne, "%s%ld", i ? " " : "", m);
        nw += (size_t) snprintf(waits + nw, sizeof waits - nw, "%s%ld", i ? " " : "",
                                atomic_load(&sh->ph[i].longest_meals));
        if (atomic_load(&sh->ph[i].longest_meals) > atomic_load(&sh->ph[worst].longest_meals))
            worst = i;
    }
    printf("meals per philosopher: %s\n", eaten);
    printf("longest wait per philosopher, in meals the others ate meanwhile: %s\n", waits);
    printf("longest wait in time: philosopher %d, %.1f ms (a report, never a verdict)\n", worst,
           (double) atomic_load(&sh->ph[worst].longest_ns) / 1e6);
    int v = atomic_load(&sh->violations);
    if (!fair || v || !forks_back)
        return demo_verdict(0, "%s: meals %s of %ld each, %d times two neighbours ate at once, forks %s",
                            strategy_names[strat], eaten, meals, v, forks_back ? "back" : "NOT all back");
    if (lockstep)
        return demo_verdict(0, "naive --lockstep: every philosopher ate, but the forced deadlock was never seen");
    if (strat == S_NAIVE)
        return demo_verdict(1, "no deadlock this time (%ld meals each; meals per philosopher %s); "
                               "try --lockstep", meals, eaten);
    return demo_verdict(1, "%s: no deadlock in %d x %ld meals; meals per philosopher %s; "
                           "longest wait %ld meals of the others (philosopher %d)",
                        strategy_names[strat], N, meals, eaten,
                        atomic_load(&sh->ph[worst].longest_meals), worst);
}
