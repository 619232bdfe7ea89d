/*
 * prodcons.c - the bounded buffer of seeds 001 and 003: P producer and C
 * consumer processes share a ring of N slots in a MAP_SHARED page.  Four
 * variants: the three semaphores full/empty/mutex (seed 001), a mutex
 * with a condition variable, the buffer written as a monitor, and the
 * seed's broken sleep/wakeup, whose lost wake-up is forced and caught.
 *
 * Every item is (producer, sequence number).  Consumers mark each item
 * they take in a table of P x items counters, so the check at the end
 * knows every item was taken exactly once, none was invented, and each
 * consumer saw each producer's items in order.
 */
#include "classics.h"
#include "demo.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct demo_info info = {
    .name = "prodcons",
    .summary = "bounded buffer: semaphores, condvar, monitor, the broken sleep/wakeup",
    .seed = "seed 001: producer/consumer; seed 003: monitors",
    .usage =
        "Usage: ipcx demo prodcons [--variant sem|condvar|monitor|sleepwakeup]\n"
        "                          [--producers P] [--consumers C] [--items N]\n"
        "                          [--size S] [--no-force] [--inject-bug]\n"
        "\n"
        "P producer and C consumer processes (fork) share a bounded buffer of S\n"
        "slots in a MAP_SHARED page.  Each producer puts N numbered items; the\n"
        "consumers take them until each gets an end marker.  The check: every\n"
        "item taken exactly once, none invented, each producer's items in order.\n"
        "\n"
        "  --variant sem          seed 001's solution with three semaphores (ipcx_semaphore):\n"
        "                         full (0), empty (S) and mutex (1)\n"
        "  --variant condvar      one ipcx_mutex and one ipcx_cond: wait while the buffer is\n"
        "                         full (or empty), broadcast after each change\n"
        "  --variant monitor      the buffer as a monitor: put and get are its only entries,\n"
        "                         one lock, two condition variables (not full, not empty).\n"
        "                         Mesa semantics: a signal only says 'look again'; the woken\n"
        "                         process competes for the lock and re-checks its condition\n"
        "                         in a while loop.  Under Hoare semantics the signaller hands\n"
        "                         the monitor to the woken process at once, so the condition\n"
        "                         still holds and an 'if' would do (seed 003 names the two\n"
        "                         kinds of monitor)\n"
        "  --variant sleepwakeup  seed 001's broken version: one producer, one consumer, an\n"
        "                         unprotected count, 'if (count == 0) sleep()'.  A wakeup for a\n"
        "                         process that is not asleep is lost.  The demo forces the bad\n"
        "                         moment: the consumer, having seen count == 0, is delayed\n"
        "                         before its sleep until the producer's wakeup has come and\n"
        "                         gone; the producer fills the buffer and sleeps too.  A\n"
        "                         watchdog sees both asleep and says 'lost wake-up'\n"
        "  --producers P          producers (default 2; sleepwakeup: 1)\n"
        "  --consumers C          consumers (default 2; sleepwakeup: 1)\n"
        "  --items N              items per producer (default 1000)\n"
        "  --size S               slots in the buffer (default 8)\n"
        "  --no-force             sleepwakeup without the forced delay: the lost wake-up\n"
        "                         happens only if the timing is unlucky\n"
        "  --inject-bug           (for the tests; sem) the producers insert without the mutex,\n"
        "                         and producers 0 and 1 are made to write the same free slot\n"
        "                         before either posts full: an item is overwritten for\n"
        "                         certain and the check must fail\n"
        "\n"
        "Verdict: 'ok' when every item was consumed exactly once and in order.\n"
        "sleepwakeup: 'ok lost wake-up: ...' when the watchdog caught it (the point of\n"
        "the demo), or 'ok' with what happened when it did not happen this time.\n",
};

enum variant { V_SEM, V_CONDVAR, V_MONITOR, V_SLEEPWAKEUP };
static const char *const variant_names[] = { "sem", "condvar", "monitor", "sleepwakeup" };

#define MAX_SIZE 1024
#define MAX_PROCS 32
#define END_MARK (-1)     /* the item that tells a consumer to stop */
#define NEVER_WRITTEN (-2) /* what a slot holds before its first item */
enum { PRODUCER, CONSUMER };

struct item {
    int32_t producer, seq;
};

struct shared {
    unsigned in, out;   /* ring indices, under the variant's lock */
    volatile int count; /* condvar, monitor: under the lock; sleepwakeup: unprotected */
    struct item slot[MAX_SIZE];
    /* sem */
    ipcx_semaphore full, empty, mutex;
    /* condvar */
    ipcx_mutex m;
    ipcx_cond changed;
    /* monitor */
    ipcx_mutex mon_lock;
    ipcx_cond not_full, not_empty;
    /* sleepwakeup: sleep() and wakeup() built from a mutex and two
     * condition variables; asleep[] is exactly "in sleep(), not yet woken" */
    ipcx_mutex sw_lock;
    ipcx_cond sw_cond[2];
    int asleep[2], finished[2];
    long wakeups_sent[2], wakeups_lost[2];
    _Atomic int window_open;
    /* --inject-bug */
    _Atomic int rendezvous;
    /* the check */
    _Atomic long puts, gets;
    _Atomic int bad_items, out_of_order, consumer_done[MAX_PROCS], producers_done, ends_put;
    _Atomic long taken_by[MAX_PROCS];
    _Atomic unsigned char seen[]; /* producers x items: how often each was taken */
};

static struct shared *sh;
static enum variant var = V_SEM;
static int nprod = 2, ncons = 2, size = 8, force = 1, inject;
static long items = 1000;

static void must(int r, const char *what)
{
    if (r < 0)
        demo_die("%s: %s", what, ipcx_strerror(r));
}

/* The ring itself, called inside the variant's critical section. */
static void insert_item(struct item it, int unlocked_first)
{
    unsigned i = sh->in;
    if (unlocked_first) {
        /* --inject-bug: producers 0 and 1 both read this 'in' before either
         * writes it back (no mutex keeps the second out). */
        atomic_fetch_add(&sh->rendezvous, 1);
        while (atomic_load(&sh->rendezvous) < 2)
            sched_yield();
    }
    sh->slot[i] = it;
    sh->in = (i + 1) % (unsigned) size;
    if (unlocked_first) {
        /* ... and both have written the slot before either tells a
         * consumer (up(full)): the first item is overwritten unseen. */
        atomic_fetch_add(&sh->rendezvous, 1);
        while (atomic_load(&sh->rendezvous) < 4)
            sched_yield();
    }
}

static struct item remove_item(void)
{
    struct item it = sh->slot[sh->out];
    sh->out = (sh->out + 1) % (unsigned) size;
    return it;
}

/* ---- sem: seed 001's three semaphores ------------------------------ */
static void sem_put(struct item it, int bug_first)
{
    must(ipcx_semaphore_wait(&sh->empty, -1), "down(empty)");
    if (!inject || it.producer == END_MARK)
        must(ipcx_semaphore_wait(&sh->mutex, -1), "down(mutex)");
    insert_item(it, bug_first);
    if (!inject || it.producer == END_MARK)
        must(ipcx_semaphore_post(&sh->mutex), "up(mutex)");
    must(ipcx_semaphore_post(&sh->full), "up(full)");
}

static struct item sem_get(void)
{
    must(ipcx_semaphore_wait(&sh->full, -1), "down(full)");
    must(ipcx_semaphore_wait(&sh->mutex, -1), "down(mutex)");
    struct item it = remove_item();
    must(ipcx_semaphore_post(&sh->mutex), "up(mutex)");
    must(ipcx_semaphore_post(&sh->empty), "up(empty)");
    return it;
}

/* ---- condvar: one mutex, one condition variable, broadcast --------- */
static void cv_put(struct item it)
{
    must(ipcx_mutex_lock(&sh->m, -1), "lock");
    while (sh->count == size)
        must(ipcx_cond_wait(&sh->changed, &sh->m, -1), "wait");
    insert_item(it, 0);
    sh->count++;
    must(ipcx_cond_broadcast(&sh->changed), "broadcast");
    must(ipcx_mutex_unlock(&sh->m), "unlock");
}

static struct item cv_get(void)
{
    must(ipcx_mutex_lock(&sh->m, -1), "lock");
    while (sh->count == 0)
        must(ipcx_cond_wait(&sh->changed, &sh->m, -1), "wait");
    struct item it = remove_item();
    sh->count--;
    must(ipcx_cond_broadcast(&sh->changed), "broadcast");
    must(ipcx_mutex_unlock(&sh->m), "unlock");
    return it;
}

/* ---- monitor: the buffer's only entries are monitor_put/get ---------
 * Entering the monitor is taking its lock; a process that must wait
 * leaves it while it waits (ipcx_cond_wait releases the lock) and is back
 * inside when the wait returns.  Mesa semantics: signal wakes one waiter
 * but keeps the monitor; by the time the waiter is inside again another
 * process may have taken the slot or item it was told about, so every
 * wait is in a while loop.  (Hoare: the signaller would hand the monitor
 * over at once and wait itself, so the condition would still hold.) */
static void monitor_enter(void)
{
    must(ipcx_mutex_lock(&sh->mon_lock, -1), "enter the monitor");
}

static void monitor_leave(void)
{
    must(ipcx_mutex_unlock(&sh->mon_lock), "leave the monitor");
}

static void monitor_put(struct item it)
{
    monitor_enter();
    while (sh->count == size)
        must(ipcx_cond_wait(&sh->not_full, &sh->mon_lock, -1), "wait(not full)");
    insert_item(it, 0);
    sh->count++;
    must(ipcx_cond_signal(&sh->not_empty), "signal(not empty)");
    monitor_leave();
}

static struct item monitor_get(void)
{
    monitor_enter();
    while (sh->count == 0)
        must(ipcx_cond_wait(&sh->not_empty, &sh->mon_lock, -1), "wait(not empty)");
    struct item it = remove_item();
    sh->count--;
    must(ipcx_cond_signal(&sh->not_full), "signal(not full)");
    monitor_leave();
    return it;
}

/* ---- sleepwakeup: seed 001's broken version ------------------------ */

/* sleep(): block until woken.  The mutex makes sleep and wakeup exact
 * among themselves; what it cannot protect is the seed's test of count,
 * made before sleep() is called. */
static void sw_sleep(int who)
{
    must(ipcx_mutex_lock(&sh->sw_lock, -1), "sleep");
    sh->asleep[who] = 1;
    while (sh->asleep[who])
        must(ipcx_cond_wait(&sh->sw_cond[who], &sh->sw_lock, -1), "sleep");
    must(ipcx_mutex_unlock(&sh->sw_lock), "sleep");
}

/* wakeup(): wake who if it sleeps; a wakeup nobody sleeps for is lost. */
static int sw_wakeup(int who)
{
    int lost;
    must(ipcx_mutex_lock(&sh->sw_lock, -1), "wakeup");
    sh->wakeups_sent[who]++;
    lost = !sh->asleep[who];
    if (lost)
        sh->wakeups_lost[who]++;
    else
        sh->asleep[who] = 0;
    must(ipcx_cond_signal(&sh->sw_cond[who]), "wakeup");
    must(ipcx_mutex_unlock(&sh->sw_lock), "wakeup");
    return lost;
}

static void sw_finished(int who)
{
    must(ipcx_mutex_lock(&sh->sw_lock, -1), "finish");
    sh->finished[who] = 1;
    must(ipcx_mutex_unlock(&sh->sw_lock), "finish");
}

static int sw_producer(void)
{
    int noted = 0;
    if (force) /* let the consumer see the empty buffer first */
        while (!atomic_load(&sh->window_open))
            sched_yield();
    for (long k = 0; k < items; k++) {
        struct item it = { 0, (int32_t) k };
        if (sh->count == size) {
            printf("producer: count is %d (full): sleep()\n", size);
            sw_sleep(PRODUCER);
        }
        insert_item(it, 0);
        sh->count = sh->count + 1;
        atomic_fetch_add(&sh->puts, 1);
        if (sh->count == 1) {
            int lost = sw_wakeup(CONSUMER);
            if (lost && !noted++)
                printf("producer: count is 1: wakeup(consumer), but the consumer is not asleep: "
                       "the wakeup is lost\n");
        }
    }
    sw_finished(PRODUCER);
    return 0;
}

static int sw_consumer(void)
{
    long last = -1;
    for (long k = 0; k < items; k++) {
        if (sh->count == 0) {
            if (force && !atomic_load(&sh->window_open)) {
                printf("consumer: count is 0: I will sleep() -- but first a delay "
                       "(injected: until the producer's wakeup has come and gone)\n");
                atomic_store(&sh->window_open, 1);
                for (;;) {
                    must(ipcx_mutex_lock(&sh->sw_lock, -1), "look");
                    long sent = sh->wakeups_sent[CONSUMER];
                    must(ipcx_mutex_unlock(&sh->sw_lock), "look");
                    if (sent > 0)
                        break;
                    classic_nap_us(1000);
                }
                printf("consumer: sleep()\n");
            }
            sw_sleep(CONSUMER);
        }
        struct item it = remove_item();
        sh->count = sh->count - 1;
        atomic_fetch_add(&sh->gets, 1);
        if (sh->count == size - 1)
            (void) sw_wakeup(PRODUCER);
        if (it.producer != 0 || it.seq < 0 || it.seq >= items) {
            atomic_fetch_add(&sh->bad_items, 1);
            continue;
        }
        atomic_fetch_add(&sh->seen[it.seq], 1);
        if (it.seq <= last)
            atomic_fetch_add(&sh->out_of_order, 1);
        last = it.seq;
        atomic_fetch_add(&sh->taken_by[0], 1);
    }
    sw_finished(CONSUMER);
    return 0;
}

/* ---- the processes of the working variants ------------------------- */
static void put(struct item it, int bug_first)
{
    switch (var) {
    case V_SEM: sem_put(it, bug_first); break;
    case V_CONDVAR: cv_put(it); break;
    case V_MONITOR: monitor_put(it); break;
    case V_SLEEPWAKEUP: break;
    }
    atomic_fetch_add(&sh->puts, 1);
}

static struct item get(void)
{
    struct item it = { NEVER_WRITTEN, NEVER_WRITTEN };
    switch (var) {
    case V_SEM: it = sem_get(); break;
    case V_CONDVAR: it = cv_get(); break;
    case V_MONITOR: it = monitor_get(); break;
    case V_SLEEPWAKEUP: break;
    }
    atomic_fetch_add(&sh->gets, 1);
    return it;
}

static int producer(void *arg, int p)
{
    (void) arg;
    demo_child_signals();
    if (var == V_SLEEPWAKEUP)
        return sw_producer();
    for (long k = 0; k < items; k++) {
        struct item it = { p, (int32_t) k };
        put(it, inject && k == 0 && p < 2);
    }
    if (atomic_fetch_add(&sh->producers_done, 1) + 1 == nprod) {
        /* The last producer puts one end marker per consumer, through the
         * same buffer, after every item. */
        for (int c = 0; c < ncons; c++) {
            struct item end = { END_MARK, 0 };
            put(end, 0);
        }
        atomic_store(&sh->ends_put, 1);
    }
    return 0;
}

static int consumer(void *arg, int c)
{
    (void) arg;
    demo_child_signals();
    if (var == V_SLEEPWAKEUP)
        return sw_consumer();
    long *last = calloc((size_t) nprod, sizeof *last);
    if (!last)
        return 1;
    for (int p = 0; p < nprod; p++)
        last[p] = -1;
    for (;;) {
        struct item it = get();
        if (it.producer == END_MARK)
            break;
        if (it.producer < 0 || it.producer >= nprod || it.seq < 0 || it.seq >= items) {
            atomic_fetch_add(&sh->bad_items, 1);
            continue;
        }
        atomic_fetch_add(&sh->seen[(long) it.producer * items + it.seq], 1);
        if (it.seq <= last[it.producer])
            atomic_fetch_add(&sh->out_of_order, 1);
        last[it.producer] = it.seq;
        atomic_fetch_add(&sh->taken_by[c], 1);
    }
    atomic_store(&sh->consumer_done[c], 1);
    free(last);
    return 0;
}

/* ---- watchdogs ----------------------------------------------------- */

/* After the end markers: a consumer still running, with every item
 * taken, waits for an item that will never come (it missed its end
 * marker).  Stable: nobody puts any more. */
static int stuck_consumers;
static int watch_consumers(void)
{
    if (!atomic_load(&sh->ends_put) || atomic_load(&sh->gets) < atomic_load(&sh->puts))
        return 0;
    stuck_consumers = 0;
    for (int c = 0; c < ncons; c++)
        stuck_consumers += !atomic_load(&sh->consumer_done[c]);
    return stuck_consumers > 0;
}

/* sleepwakeup: both asleep (or one asleep and the other finished): only
 * they wake each other, so nobody ever will.  Read under sw_lock, which
 * sleep() and wakeup() hold while they change asleep[]: exact, no guess. */
static int sw_asleep[2], sw_finished_seen[2];
static int watch_sleepers(void)
{
    int r = ipcx_mutex_lock(&sh->sw_lock, -1);
    if (r == -EOWNERDEAD) { /* a child died holding it: classic_wait reports that */
        must(ipcx_mutex_consistent(&sh->sw_lock), "watchdog");
        must(ipcx_mutex_unlock(&sh->sw_lock), "watchdog");
        return 0;
    }
    must(r, "watchdog");
    for (int w = 0; w < 2; w++) {
        sw_asleep[w] = sh->asleep[w];
        sw_finished_seen[w] = sh->finished[w];
    }
    must(ipcx_mutex_unlock(&sh->sw_lock), "watchdog");
    int p = sw_asleep[PRODUCER], c = sw_asleep[CONSUMER];
    return (p && c) || (p && sw_finished_seen[CONSUMER]) || (c && sw_finished_seen[PRODUCER]);
}

/* ---- the check ----------------------------------------------------- */
/* Print what the consumers took; 1 if every item was taken exactly once
 * and in order, else 0 with the finding in why. */
static int check_items(char *why, size_t len)
{
    long missing = 0, twice = 0, total = (long) nprod * items;
    for (long k = 0; k < total; k++) {
        unsigned n = atomic_load(&sh->seen[k]);
        missing += n == 0;
        twice += n > 1;
    }
    int bad = atomic_load(&sh->bad_items), order = atomic_load(&sh->out_of_order);
    printf("taken per consumer:");
    for (int c = 0; c < ncons; c++)
        printf(" %ld", atomic_load(&sh->taken_by[c]));
    printf("; missing %ld, taken twice %ld, invented %d, out of order %d\n", missing, twice, bad, order);
    snprintf(why, len, "%ld of %ld items missing, %ld taken twice, %d invented, %d out of order",
             missing, total, twice, bad, order);
    return !(missing || twice || bad || order);
}

static int run_sleepwakeup(void)
{
    pid_t pids[2];
    int status[2];
    printf("prodcons sleepwakeup: 1 producer, 1 consumer, %ld items, buffer of %d, unprotected count%s\n",
           items, size, force ? ", the lost wake-up forced" : "");
    pids[0] = demo_fork(producer, NULL, 0);
    pids[1] = demo_fork(consumer, NULL, 0);
    struct classic_watch cw = { pids, status, 2, watch_sleepers, -1 };
    int w = classic_wait(&cw, 20);
    if (w == CLASSIC_CHILD_FAILED) {
        char how[64];
        return demo_verdict(0, "the %s ended early (%s)", cw.failed == 0 ? "producer" : "consumer",
                            classic_status(status[cw.failed], how, sizeof how));
    }
    if (w > 0) {
        demo_kill_all(pids, 2);
        long lost = sh->wakeups_lost[CONSUMER] + sh->wakeups_lost[PRODUCER];
        printf("watchdog: producer %s, consumer %s; count %d, %ld items put, %ld taken; "
               "wakeups lost: %ld to the consumer, %ld to the producer\n",
               sw_asleep[PRODUCER] ? "asleep" : "finished", sw_asleep[CONSUMER] ? "asleep" : "finished",
               sh->count, atomic_load(&sh->puts), atomic_load(&sh->gets), sh->wakeups_lost[CONSUMER],
               sh->wakeups_lost[PRODUCER]);
        printf("nobody is left to wake them: both are killed\n");
        if (sw_asleep[PRODUCER] && sw_asleep[CONSUMER])
            return demo_verdict(1, "lost wake-up: producer and consumer both asleep (count %d, %ld wakeups lost)",
                                sh->count, lost);
        return demo_verdict(1, "lost wake-up: the %s sleeps forever, the %s has finished (count %d, %ld wakeups lost)",
                            sw_asleep[PRODUCER] ? "producer" : "consumer",
                            sw_asleep[PRODUCER] ? "consumer" : "producer", sh->count, lost);
    }
    printf("no lost wake-up this time (%ld wakeups went to a process that was awake)\n",
           sh->wakeups_lost[CONSUMER] + sh->wakeups_lost[PRODUCER]);
    long missing = 0;
    for (long k = 0; k < items; k++)
        missing += atomic_load(&sh->seen[k]) != 1;
    if (missing || atomic_load(&sh->bad_items) || atomic_load(&sh->out_of_order))
        return demo_verdict(1, "no lost wake-up this time, but the unprotected count broke %ld items",
                            missing + atomic_load(&sh->bad_items));
    return demo_verdict(1, "the lost wake-up did not happen this time: %ld items passed", items);
}

static int run_buffer(void)
{
    pid_t pids[2 * MAX_PROCS];
    int status[2 * MAX_PROCS], n = ncons + nprod;
    char why[160];
    printf("prodcons %s: %d producers, %d consumers, %ld items each, buffer of %d slots\n",
           variant_names[var], nprod, ncons, items, size);
    if (inject)
        printf("prodcons: --inject-bug: producers insert without the mutex; producers 0 and 1 "
               "both write the same free slot\n");
    for (int c = 0; c < ncons; c++)
        pids[c] = demo_fork(consumer, NULL, c);
    for (int p = 0; p < nprod; p++)
        pids[ncons + p] = demo_fork(producer, NULL, p);
    struct classic_watch cw = { pids, status, n, watch_consumers, -1 };
    int w = classic_wait(&cw, 50);
    if (w == CLASSIC_CHILD_FAILED) {
        char how[64];
        int k = cw.failed;
        return demo_verdict(0, "%s %d ended early (%s): the others were stopped",
                            k < ncons ? "consumer" : "producer", k < ncons ? k : k - ncons,
                            classic_status(status[k], how, sizeof how));
    }
    if (w > 0) {
        demo_kill_all(pids, n);
        printf("watchdog: every item is taken, yet %d consumer(s) still wait: they missed their end marker\n",
               stuck_consumers);
        (void) check_items(why, sizeof why);
        return demo_verdict(0, "%s: %d consumer(s) wait for items that were never put; %s", variant_names[var],
                            stuck_consumers, why);
    }
    if (!check_items(why, sizeof why))
        return demo_verdict(0, "%s: %s", variant_names[var], why);
    return demo_verdict(1, "%s: all %ld items consumed exactly once, each producer's in order",
                        variant_names[var], (long) nprod * items);
}

int main(int argc, char **argv)
{
    int set_p = 0, set_c = 0;
    demo_start(&info, argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--variant") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            size_t k;
            for (k = 0; k < sizeof variant_names / sizeof variant_names[0]; k++)
                if (strcmp(v, variant_names[k]) == 0)
                    break;
            if (k == sizeof variant_names / sizeof variant_names[0])
                demo_usage_error("unknown variant '%s'", v);
            var = (enum variant) k;
        } else if (strcmp(a, "--producers") == 0 && i + 1 < argc) {
            nprod = (int) demo_num(a, argv[++i], 1, MAX_PROCS);
            set_p = 1;
        } else if (strcmp(a, "--consumers") == 0 && i + 1 < argc) {
            ncons = (int) demo_num(a, argv[++i], 1, MAX_PROCS);
            set_c = 1;
        } else if (strcmp(a, "--items") == 0 && i + 1 < argc) {
            items = demo_num(a, argv[++i], 1, 1000000);
        } else if (strcmp(a, "--size") == 0 && i + 1 < argc) {
            size = (int) demo_num(a, argv[++i], 1, MAX_SIZE);
        } else if (strcmp(a, "--no-force") == 0) {
            force = 0;
        } else if (strcmp(a, "--inject-bug") == 0) {
            inject = 1;
        } else {
            demo_unknown_arg(a, i + 1 == argc);
        }
    }
    if (var == V_SLEEPWAKEUP) {
        if ((set_p && nprod != 1) || (set_c && ncons != 1))
            demo_usage_error("sleepwakeup is the seed's one producer and one consumer");
        nprod = ncons = 1;
        if (inject)
            demo_usage_error("sleepwakeup is broken already: no --inject-bug");
        if (force && items <= size)
            demo_usage_error("the forced lost wake-up needs more items than slots (--items > --size)");
    }
    if (inject && (var != V_SEM || nprod < 2 || size < 2))
        demo_usage_error("--inject-bug is for --variant sem with at least 2 producers and 2 slots");
    demo_catch_signals();
    size_t len = sizeof *sh + (size_t) nprod * (size_t) items;
    sh = demo_shared(len);
    for (int k = 0; k < MAX_SIZE; k++)
        sh->slot[k] = (struct item) { NEVER_WRITTEN, NEVER_WRITTEN };
    must(ipcx_semaphore_init(&sh->full, 0), "init full");
    must(ipcx_semaphore_init(&sh->empty, (unsigned) size), "init empty");
    must(ipcx_semaphore_init(&sh->mutex, 1), "init mutex");
    must(ipcx_mutex_init(&sh->m), "init");
    must(ipcx_cond_init(&sh->changed), "init");
    must(ipcx_mutex_init(&sh->mon_lock), "init");
    must(ipcx_cond_init(&sh->not_full), "init");
    must(ipcx_cond_init(&sh->not_empty), "init");
    must(ipcx_mutex_init(&sh->sw_lock), "init");
    must(ipcx_cond_init(&sh->sw_cond[0]), "init");
    must(ipcx_cond_init(&sh->sw_cond[1]), "init");
    int rc = var == V_SLEEPWAKEUP ? run_sleepwakeup() : run_buffer();
    demo_unshare(sh, len);
    return rc;
}
