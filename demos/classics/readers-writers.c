/*
 * readers-writers.c - seed 004's reader-writer lock and its preferences:
 * R reader and W writer processes on one ipcx_rwlock in a MAP_SHARED page.
 * The readers keep the lock read-held without a gap (a steady stream);
 * how often they get in while a writer waits shows whether the writer
 * starves.  Readers check the shared data for torn writes.
 *
 * The measure is a count, never a time: a reader that gets in while the
 * lock says a writer waits (ipcx_rwlock_waiting) charges one "overtake"
 * to that writer.  Writers queue at a door (a semaphore) before the lock,
 * so the lock sees one writer at a time and each overtake has one owner.
 *
 * The bounds, per wait of one writer, with R readers:
 *   prefer-writers  no reader enters while a writer waits.  Only a reader
 *                   that got in just before the writer was registered can
 *                   see it waiting afterwards: at most R.
 *   fair            (phase-fair) besides those, the readers that were
 *                   waiting when the previous writer left go first: at
 *                   most R more, 2R in all.
 *   prefer-readers  no bound: readers enter whenever no writer holds, and
 *                   the stream never leaves the lock free, so the writer
 *                   waits until the readers stop: about R x K overtakes.
 */
#include "classics.h"
#include "demo.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct demo_info info = {
    .name = "readers-writers",
    .summary = "readers and writers on ipcx_rwlock: who starves under which preference",
    .seed = "seed 004: rwlock preferences, writer starvation",
    .usage =
        "Usage: ipcx demo readers-writers [--prefer readers|writers|fair] [--readers R]\n"
        "                                 [--writers W] [--reads K] [--writes N]\n"
        "                                 [--inject-bug policy|torn]\n"
        "\n"
        "R reader and W writer processes (fork) share data guarded by one\n"
        "ipcx_rwlock (seed 004: pthread_rwlock with pshared, and\n"
        "pthread_rwlockattr_setkind_np to choose whom it prefers).  Readers share\n"
        "the lock; a writer has it alone.  The readers form a steady stream: each\n"
        "stays inside until the next reader has entered (or cannot enter), so the\n"
        "lock is never free while they read.  Writers wait their turn at a door\n"
        "(a semaphore), then at the lock.\n"
        "\n"
        "A writer's wait is counted in reader entries: the readers that got in\n"
        "while the lock said the writer was waiting (a count, not a time).\n"
        "\n"
        "  --prefer readers  a reader enters whenever no writer holds the lock: the\n"
        "                    stream starves the writer until the readers stop\n"
        "  --prefer writers  no reader enters while a writer waits: a writer waits at\n"
        "                    most for the R readers already inside (default)\n"
        "  --prefer fair     phase-fair: no reader enters while a writer waits, except\n"
        "                    the readers that were waiting when the last writer left:\n"
        "                    at most 2R\n"
        "  --readers R       reader processes (default 2; 2 to 16)\n"
        "  --writers W       writer processes (default 2; 1 to 8)\n"
        "  --reads K         reads each reader makes once a writer has been seen\n"
        "                    waiting (default 20; at least 4, above 2R with prefer\n"
        "                    readers)\n"
        "  --writes N        writes per writer (default 3)\n"
        "  --inject-bug policy  (for the tests) the lock is made prefer-readers whatever\n"
        "                    --prefer says: the bound check must say FAILED\n"
        "  --inject-bug torn    (for the tests) writer 0 writes once without the lock and\n"
        "                    pauses half-way until readers have looked: they must see\n"
        "                    the torn data and the verdict must say FAILED\n"
        "\n"
        "Every reader checks that the data words are all equal when it enters and\n"
        "unchanged when it leaves: a torn or concurrent write is seen.\n"
        "\n"
        "Verdict: prefer-readers: 'ok' when the starvation shows (a writer overtaken\n"
        "more than 2R times); writers, fair: 'ok' when no writer was overtaken more\n"
        "than the bound; FAILED on any torn read.\n",
};

#define MAX_READERS 16
#define MAX_WRITERS 8
#define WORDS 16

enum prefer { P_READERS, P_WRITERS, P_FAIR };
static const char *const prefer_names[] = { "readers", "writers", "fair" };
static const int prefer_policy[] = { IPCX_RWLOCK_PREFER_READERS, IPCX_RWLOCK_PREFER_WRITERS,
                                     IPCX_RWLOCK_FAIR };

struct shared {
    ipcx_rwlock rw;
    ipcx_semaphore door; /* writers take turns: one at the lock at a time */
    _Atomic long entries, overtakes, checks, torn;
    _Atomic int writer_seen, active_readers, torn_done, writers_done;
    _Atomic long longest[MAX_WRITERS], writes_done[MAX_WRITERS];
    _Atomic long data[WORDS]; /* each word written alone: a torn write is a mix */
};

static struct shared *sh;
static enum prefer prefer = P_WRITERS;
static int nreaders = 2, nwriters = 2, bug_policy, bug_torn;
static long reads = 20, writes = 3;

static void must(int r, const char *what)
{
    if (r < 0)
        demo_die("%s: %s", what, ipcx_strerror(r));
}

/* The data as a reader sees it: all words equal (returned), or -1. */
static long read_data(void)
{
    long v = atomic_load(&sh->data[0]);
    for (int k = 1; k < WORDS; k++)
        if (atomic_load(&sh->data[k]) != v)
            return -1;
    return v;
}

static unsigned writers_waiting(unsigned *readers)
{
    unsigned r = 0, w = 0;
    must(ipcx_rwlock_waiting(&sh->rw, &r, &w), "rwlock_waiting");
    if (readers)
        *readers = r;
    return w;
}

static int reader(void *arg, int i)
{
    (void) arg, (void) i;
    demo_child_signals();
    long counted = 0;
    /* K reads once a writer was seen waiting (or all writers are done:
     * nobody is left to starve); with the torn bug, until it was looked at. */
    while ((counted < reads && atomic_load(&sh->writers_done) < nwriters) ||
           (bug_torn && !atomic_load(&sh->torn_done))) {
        must(ipcx_rwlock_rdlock(&sh->rw, -1), "rdlock");
        long me = atomic_fetch_add(&sh->entries, 1) + 1;
        if (writers_waiting(NULL) > 0) {
            atomic_fetch_add(&sh->overtakes, 1);
            atomic_store(&sh->writer_seen, 1);
        }
        long v = read_data();
        atomic_fetch_add(&sh->checks, 1);
        if (v < 0)
            atomic_fetch_add(&sh->torn, 1);
        /* Stay until the next reader is in, or cannot get in, or there is
         * nobody left to come. */
        for (;;) {
            if (atomic_load(&sh->entries) != me || atomic_load(&sh->active_readers) == 1)
                break;
            unsigned rd;
            if (writers_waiting(&rd) > 0)
                atomic_store(&sh->writer_seen, 1);
            if (rd > 0)
                break;
            classic_nap_us(100);
        }
        if (v >= 0 && read_data() != v)
            atomic_fetch_add(&sh->torn, 1); /* changed under a read lock */
        must(ipcx_rwlock_unlock(&sh->rw), "unlock");
        if (atomic_load(&sh->writer_seen))
            counted++;
    }
    atomic_fetch_sub(&sh->active_readers, 1);
    return 0;
}

static void write_data(long v, int torn_pause)
{
    for (int k = 0; k < WORDS; k++) {
        atomic_store(&sh->data[k], v);
        if (k == WORDS / 2 - 1 && torn_pause) {
            /* Half written.  At most R checks were under way; the R+1-th to
             * end from now began after this point and sees the mix. */
            long c0 = atomic_load(&sh->checks);
            while (atomic_load(&sh->checks) < c0 + nreaders + 1 && atomic_load(&sh->active_readers) > 0)
                classic_nap_us(100);
        } else if (k == WORDS / 2 - 1) {
            sched_yield(); /* a window for a broken lock to show */
        }
    }
}

static int writer(void *arg, int w)
{
    (void) arg;
    demo_child_signals();
    while (atomic_load(&sh->entries) == 0) /* the readers' stream is on */
        classic_nap_us(1000);
    for (long n = 0; n < writes; n++) {
        int torn = bug_torn && w == 0 && n == 0;
        must(ipcx_semaphore_wait(&sh->door, -1), "door");
        atomic_store(&sh->overtakes, 0);
        if (!torn)
            must(ipcx_rwlock_wrlock(&sh->rw, -1), "wrlock");
        long over = atomic_load(&sh->overtakes);
        if (!torn && over > atomic_load(&sh->longest[w]))
            atomic_store(&sh->longest[w], over);
        write_data((long) (w + 1) * 1000000 + n, torn);
        if (torn)
            atomic_store(&sh->torn_done, 1);
        else
            must(ipcx_rwlock_unlock(&sh->rw), "unlock");
        atomic_fetch_add(&sh->writes_done[w], 1);
        must(ipcx_semaphore_post(&sh->door), "door");
    }
    atomic_fetch_add(&sh->writers_done, 1);
    return 0;
}

int main(int argc, char **argv)
{
    demo_start(&info, argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--prefer") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            size_t k;
            for (k = 0; k < sizeof prefer_names / sizeof prefer_names[0]; k++)
                if (strcmp(v, prefer_names[k]) == 0)
                    break;
            if (k == sizeof prefer_names / sizeof prefer_names[0])
                demo_usage_error("--prefer is readers, writers or fair, not '%s'", v);
            prefer = (enum prefer) k;
        } else if (strcmp(a, "--readers") == 0 && i + 1 < argc) {
            nreaders = (int) demo_num(a, argv[++i], 2, MAX_READERS);
        } else if (strcmp(a, "--writers") == 0 && i + 1 < argc) {
            nwriters = (int) demo_num(a, argv[++i], 1, MAX_WRITERS);
        } else if (strcmp(a, "--reads") == 0 && i + 1 < argc) {
            reads = demo_num(a, argv[++i], 4, 1000000);
        } else if (strcmp(a, "--writes") == 0 && i + 1 < argc) {
            writes = demo_num(a, argv[++i], 1, 1000000);
        } else if (strcmp(a, "--inject-bug") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "policy") == 0)
                bug_policy = 1;
            else if (strcmp(v, "torn") == 0)
                bug_torn = 1;
            else
                demo_usage_error("--inject-bug is policy or torn, not '%s'", v);
        } else {
            demo_unknown_arg(a, i + 1 == argc);
        }
    }
    /* Under prefer-readers the first writer is overtaken at least K times
     * (the reads of the first reader to finish, all made while the lock was
     * never free); the starvation shows when that beats the fair bound. */
    if ((prefer == P_READERS || bug_policy) && reads <= 2L * nreaders)
        demo_usage_error("--reads must be above 2R (%d) for the starvation to show", 2 * nreaders);
    if (bug_policy && prefer == P_READERS)
        demo_usage_error("--inject-bug policy makes the lock prefer readers: use it with writers or fair");

    demo_catch_signals();
    sh = demo_shared(sizeof *sh);
    int policy = bug_policy ? IPCX_RWLOCK_PREFER_READERS : prefer_policy[prefer];
    must(ipcx_rwlock_init(&sh->rw, policy), "rwlock_init");
    must(ipcx_semaphore_init(&sh->door, 1), "door");
    atomic_store(&sh->active_readers, nreaders);

    printf("readers-writers: prefer %s, %d readers (%ld reads each once a writer waits), "
           "%d writers (%ld writes each)\n",
           prefer_names[prefer], nreaders, reads, nwriters, writes);
    if (bug_policy)
        printf("--inject-bug policy: the lock is initialised to prefer readers instead\n");
    if (bug_torn)
        printf("--inject-bug torn: writer 0 writes once without the lock, pausing half-way\n");

    pid_t pids[MAX_READERS + MAX_WRITERS];
    int status[MAX_READERS + MAX_WRITERS], n = nreaders + nwriters;
    for (int r = 0; r < nreaders; r++)
        pids[r] = demo_fork(reader, NULL, r);
    for (int w = 0; w < nwriters; w++)
        pids[nreaders + w] = demo_fork(writer, NULL, w);
    struct classic_watch cw = { pids, status, n, NULL, -1 };
    if (classic_wait(&cw, 50) == CLASSIC_CHILD_FAILED) {
        char how[64];
        int k = cw.failed;
        return demo_verdict(0, "%s %d ended early (%s): the others were stopped",
                            k < nreaders ? "reader" : "writer", k < nreaders ? k : k - nreaders,
                            classic_status(status[k], how, sizeof how));
    }

    long worst = 0;
    int who = 0;
    printf("reader entries %ld, checks %ld, torn reads %ld\n", atomic_load(&sh->entries),
           atomic_load(&sh->checks), atomic_load(&sh->torn));
    printf("each writer's longest wait, in reader entries that overtook it:");
    for (int w = 0; w < nwriters; w++) {
        long l = atomic_load(&sh->longest[w]);
        printf(" %ld", l);
        if (l > worst)
            worst = l, who = w;
    }
    printf("\n");
    long torn = atomic_load(&sh->torn);
    if (torn)
        return demo_verdict(0, "%ld torn reads: a reader saw the data half-written or changed under its read lock",
                            torn);
    long bound = prefer == P_FAIR ? 2L * nreaders : nreaders;
    if (prefer == P_READERS) {
        if (worst <= 2L * nreaders)
            return demo_verdict(0, "prefer readers, yet no writer was overtaken more than %d times "
                                   "(longest %ld): the lock does not prefer readers",
                                2 * nreaders, worst);
        return demo_verdict(1, "writer starvation under prefer-readers: writer %d was overtaken by %ld "
                               "reader entries while it waited (no torn reads)",
                            who, worst);
    }
    if (worst > bound)
        return demo_verdict(0, "prefer %s: writer %d was overtaken by %ld reader entries, more than %ld",
                            prefer_names[prefer], who, worst, bound);
    return demo_verdict(1, "no writer starved under prefer %s: longest wait %ld reader entries "
                           "(at most %ld), no torn reads",
                        prefer_names[prefer], worst, bound);
}
